package main

// A plain SOAP client for the tests: envelopes are posted with net/http the
// way SOAP stacks send them, and answers are read with encoding/xml.

import (
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"
)

// envelope11 and envelope12 wrap a Body's content.
func envelope11(body string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:acc="urn:example:accounts">
  <soapenv:Header/>
  <soapenv:Body>` + body + `</soapenv:Body>
</soapenv:Envelope>`
}

func envelope12(body string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:acc="urn:example:accounts">
  <env:Body>` + body + `</env:Body>
</env:Envelope>`
}

// answer is a SOAP answer as received.
type answer struct {
	status      int
	contentType string
	header      http.Header
	body        string
}

// post11 sends a SOAP 1.1 call (text/xml, SOAPAction header).
func post11(t *testing.T, url, action, env string) *answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(env))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", `"`+action+`"`)
	return send(t, req)
}

// post12 sends a SOAP 1.2 call (application/soap+xml with an action parameter).
func post12(t *testing.T, url, action, env string) *answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(env))
	if err != nil {
		t.Fatal(err)
	}
	ct := "application/soap+xml; charset=utf-8"
	if action != "" {
		ct += `; action="` + action + `"`
	}
	req.Header.Set("Content-Type", ct)
	return send(t, req)
}

func send(t *testing.T, req *http.Request) *answer {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &answer{status: res.StatusCode, contentType: res.Header.Get("Content-Type"), header: res.Header, body: string(b)}
}

// fault11 is a SOAP 1.1 fault.
type fault11 struct {
	Code   string `xml:"faultcode"`
	String string `xml:"faultstring"`
	Actor  string `xml:"faultactor"`
	Detail struct {
		Inner string `xml:",innerxml"`
	} `xml:"detail"`
}

// fault12 is a SOAP 1.2 fault.
type fault12 struct {
	Code struct {
		Value   string `xml:"http://www.w3.org/2003/05/soap-envelope Value"`
		Subcode struct {
			Value string `xml:"http://www.w3.org/2003/05/soap-envelope Value"`
		} `xml:"http://www.w3.org/2003/05/soap-envelope Subcode"`
	} `xml:"http://www.w3.org/2003/05/soap-envelope Code"`
	Reason struct {
		Text struct {
			Lang  string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
			Value string `xml:",chardata"`
		} `xml:"http://www.w3.org/2003/05/soap-envelope Text"`
	} `xml:"http://www.w3.org/2003/05/soap-envelope Reason"`
	Node   string `xml:"http://www.w3.org/2003/05/soap-envelope Node"`
	Detail struct {
		Inner string `xml:",innerxml"`
	} `xml:"http://www.w3.org/2003/05/soap-envelope Detail"`
}

// parsed11 is a SOAP 1.1 answer: a fault or the Body's XML.
type parsed11 struct {
	XMLName xml.Name `xml:"http://schemas.xmlsoap.org/soap/envelope/ Envelope"`
	Body    struct {
		Fault *fault11 `xml:"http://schemas.xmlsoap.org/soap/envelope/ Fault"`
		Inner string   `xml:",innerxml"`
	} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
}

type parsed12 struct {
	XMLName xml.Name `xml:"http://www.w3.org/2003/05/soap-envelope Envelope"`
	Body    struct {
		Fault *fault12 `xml:"http://www.w3.org/2003/05/soap-envelope Fault"`
		Inner string   `xml:",innerxml"`
	} `xml:"http://www.w3.org/2003/05/soap-envelope Body"`
}

func (a *answer) soap11(t *testing.T) *parsed11 {
	t.Helper()
	var p parsed11
	if err := xml.Unmarshal([]byte(a.body), &p); err != nil {
		t.Fatalf("not a SOAP 1.1 envelope (%v): %d %s", err, a.status, a.body)
	}
	if !strings.HasPrefix(a.contentType, "text/xml") {
		t.Fatalf("SOAP 1.1 content type: %q", a.contentType)
	}
	return &p
}

func (a *answer) soap12(t *testing.T) *parsed12 {
	t.Helper()
	var p parsed12
	if err := xml.Unmarshal([]byte(a.body), &p); err != nil {
		t.Fatalf("not a SOAP 1.2 envelope (%v): %d %s", err, a.status, a.body)
	}
	if !strings.HasPrefix(a.contentType, "application/soap+xml") {
		t.Fatalf("SOAP 1.2 content type: %q", a.contentType)
	}
	return &p
}

// accountResponse is the GetAccountResponse of the tests' service.
type accountResponse struct {
	XMLName xml.Name `xml:"urn:example:accounts GetAccountResponse"`
	ID      string   `xml:"urn:example:accounts id"`
	Owner   string   `xml:"urn:example:accounts owner"`
	Balance float64  `xml:"urn:example:accounts balance"`
	Tags    []string `xml:"urn:example:accounts tag"`
	Status  struct {
		Code  string `xml:"code,attr"`
		Value string `xml:",chardata"`
	} `xml:"urn:example:accounts status"`
}

func (a *answer) account(t *testing.T, inner string) accountResponse {
	t.Helper()
	var r accountResponse
	if err := xml.Unmarshal([]byte(inner), &r); err != nil {
		t.Fatalf("GetAccountResponse (%v): %s", err, a.body)
	}
	return r
}

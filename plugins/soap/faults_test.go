package main

// Fault form and HTTP status: the element cap, VersionMismatch, the SOAP
// HTTP bindings' statuses and fault codes as namespace-well-formed QNames.

import (
	"encoding/json"
	"encoding/xml"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
	"io"
	"net/http"
	"strings"
	"testing"
)

// qnameValues reads a document with encoding/xml and resolves the QName
// in the text of every element {space}local against the namespace
// declarations in scope there, as a SOAP stack does with a fault code. A
// prefix that is not declared fails the test.
func qnameValues(t *testing.T, doc, space, local string) []xml.Name {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(doc))
	scopes := []map[string]string{{"xml": "http://www.w3.org/XML/1998/namespace"}}
	lookup := func(prefix string) (string, bool) {
		for i := len(scopes) - 1; i >= 0; i-- {
			if ns, ok := scopes[i][prefix]; ok {
				return ns, true
			}
		}
		return "", prefix == "" // no default namespace: no namespace
	}
	var out []xml.Name
	var text *strings.Builder
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("not namespace-well-formed XML (%v): %s", err, doc)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			scope := map[string]string{}
			for _, a := range tk.Attr {
				switch {
				case a.Name.Space == "xmlns":
					scope[a.Name.Local] = a.Value
				case a.Name.Space == "" && a.Name.Local == "xmlns":
					scope[""] = a.Value
				}
			}
			scopes = append(scopes, scope)
			if tk.Name.Space == space && tk.Name.Local == local {
				text = &strings.Builder{}
			}
		case xml.CharData:
			if text != nil {
				text.Write(tk)
			}
		case xml.EndElement:
			if text != nil {
				v := strings.TrimSpace(text.String())
				prefix, name, found := strings.Cut(v, ":")
				if !found {
					prefix, name = "", v
				}
				ns, ok := lookup(prefix)
				if !ok {
					t.Fatalf("the prefix of the code %q is not declared: %s", v, doc)
				}
				out = append(out, xml.Name{Space: ns, Local: name})
				text = nil
			}
			scopes = scopes[:len(scopes)-1]
		}
	}
}

func qn(space, local string) xml.Name { return xml.Name{Space: space, Local: local} }

func TestFaultCodesAreResolvableQNames(t *testing.T) {
	for _, tc := range []struct {
		code, codeNS string
		v            version
		want         []xml.Name // the fault code, then (SOAP 1.2) the subcode
	}{
		{"tns:Overdrawn", "urn:example:accounts", soap12, []xml.Name{qn(ns12, "Receiver"), qn("urn:example:accounts", "Overdrawn")}},
		{"tns:Overdrawn", "", soap12, []xml.Name{qn(ns12, "Receiver"), qn(defaultCodeNS, "Overdrawn")}},
		{"tns:Overdrawn", "urn:a", soap11, []xml.Name{qn("urn:a", "Overdrawn")}},
		{"app:Limit.Daily", "urn:a", soap11, []xml.Name{qn("urn:a", "Limit.Daily")}},
		{"soap:Client.Funds", "urn:a", soap12, []xml.Name{qn(ns12, "Sender"), qn("", "Funds")}},
		{"soap:Client.Funds", "urn:a", soap11, []xml.Name{qn(ns11, "Client.Funds")}},
		{"soap:Client.tns:Auth token", "urn:a", soap11, []xml.Name{qn(ns11, "Client.tns_Auth_token")}},
		{"soap:Client.tns:Auth", "urn:a", soap12, []xml.Name{qn(ns12, "Sender"), qn("urn:a", "Auth")}},
		{"soap:Custom", "urn:a", soap12, []xml.Name{qn(ns12, "Receiver"), qn(ns12, "Custom")}},
		{"Overdrawn", "urn:a", soap12, []xml.Name{qn(ns12, "Receiver"), qn("", "Overdrawn")}},
		{"xmlns:Bad", "urn:a", soap12, []xml.Name{qn(ns12, "Receiver"), qn("urn:a", "Bad")}},
		{"my app:no good!", "urn:a", soap11, []xml.Name{qn("urn:a", "no_good_")}},
		{"1x:2y", "urn:\"q\"", soap12, []xml.Name{qn(ns12, "Receiver"), qn(`urn:"q"`, "_2y")}},
	} {
		env := string(faultEnvelope(tc.v, fault{code: tc.code, reason: "r", codeNS: tc.codeNS}))
		var got []xml.Name
		if tc.v == soap11 {
			got = qnameValues(t, env, "", "faultcode")
		} else {
			got = qnameValues(t, env, ns12, "Value")
		}
		if len(got) != len(tc.want) {
			t.Errorf("%q in %s: %v\n%s", tc.code, tc.v, got, env)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%q in %s: %v, want %v\n%s", tc.code, tc.v, got, tc.want, env)
			}
		}
	}
}

// A mock's own code is bound to the namespace of the call's operation.
func TestMockFaultCodeNamespace(t *testing.T) {
	h := &recordingHost{}
	base := startFake(t, h.fake(func(find.SOAPRequest) (*find.SOAPResponse, error) {
		return &find.SOAPResponse{MockID: "f", Fault: &find.SOAPFault{FaultCode: "tns:Overdrawn", FaultString: "no"}}, nil
	}))
	a := post12(t, base+"/ws", "", envelope12(`<acc:Withdraw/>`))
	got := qnameValues(t, a.body, ns12, "Value")
	if a.status != 500 || len(got) != 2 || got[0] != (xml.Name{Space: ns12, Local: "Receiver"}) ||
		got[1] != (xml.Name{Space: "urn:example:accounts", Local: "Overdrawn"}) {
		t.Fatalf("1.2: %d %v\n%s", a.status, got, a.body)
	}
	a = post11(t, base+"/ws", "", envelope11(`<acc:Withdraw/>`))
	got = qnameValues(t, a.body, "", "faultcode")
	if a.status != 500 || len(got) != 1 || got[0] != (xml.Name{Space: "urn:example:accounts", Local: "Overdrawn"}) ||
		a.soap11(t).Body.Fault.Code != "tns:Overdrawn" {
		t.Fatalf("1.1: %d %v\n%s", a.status, got, a.body)
	}
}

// versionMismatch11 is a SOAP 1.1 VersionMismatch answer with its
// Upgrade header block.
type versionMismatch11 struct {
	XMLName xml.Name `xml:"http://schemas.xmlsoap.org/soap/envelope/ Envelope"`
	Header  struct {
		Upgrade struct {
			Supported []struct {
				QName string `xml:"qname,attr"`
				Inner string `xml:",innerxml"`
			} `xml:"http://www.w3.org/2003/05/soap-envelope SupportedEnvelope"`
		} `xml:"http://www.w3.org/2003/05/soap-envelope Upgrade"`
	} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Header"`
}

func TestUnknownEnvelopeIsVersionMismatch(t *testing.T) {
	h := &recordingHost{}
	base := startFake(t, h.fake(func(find.SOAPRequest) (*find.SOAPResponse, error) {
		return &find.SOAPResponse{MockID: "x"}, nil
	}))
	for _, body := range []string{
		`<Envelope xmlns="urn:x"><Body/></Envelope>`,
		`<Envelope><Body/></Envelope>`,
		`<e:Envelope xmlns:e="http://www.w3.org/2001/12/soap-envelope"><e:Body><Ping/></e:Body></e:Envelope>`,
	} {
		// Whatever version the content type names, the answer is SOAP 1.1.
		for _, a := range []*answer{post11(t, base+"/ws", "urn:a", body), post12(t, base+"/ws", "urn:a", body)} {
			f := a.soap11(t).Body.Fault
			codes := qnameValues(t, a.body, "", "faultcode")
			if a.status != 500 || f == nil || len(codes) != 1 || codes[0] != (xml.Name{Space: ns11, Local: "VersionMismatch"}) ||
				!strings.Contains(f.String, "is neither SOAP 1.1's") {
				t.Fatalf("%s: %d %v %s", body, a.status, codes, a.body)
			}
			var up versionMismatch11
			if err := xml.Unmarshal([]byte(a.body), &up); err != nil || len(up.Header.Upgrade.Supported) != 2 {
				t.Fatalf("Upgrade header block (%v): %s", err, a.body)
			}
			// Each qname resolves, on its own element, to an Envelope the listener reads.
			for i, want := range []string{ns12, ns11} {
				s := up.Header.Upgrade.Supported[i]
				prefix, local, _ := strings.Cut(s.QName, ":")
				if local != "Envelope" || !strings.Contains(a.body, `xmlns:`+prefix+`="`+want+`"`) {
					t.Fatalf("supported envelope %d: %+v in %s", i, s, a.body)
				}
			}
		}
	}
	if n := h.count(); n != 0 {
		t.Fatalf("a version mismatch reached the host: %d", n)
	}
}

func TestTooManyElementsIsAClientFault(t *testing.T) {
	h := &recordingHost{}
	fake := h.fake(func(find.SOAPRequest) (*find.SOAPResponse, error) {
		return &find.SOAPResponse{MockID: "x", StatusCode: 200}, nil
	})
	p := plugintest.Start(t, &Listener{}, json.RawMessage(`{"addresses":["127.0.0.1:0"],"maxElements":20}`), fake)
	base := "http://" + p.Addresses[0]
	// envelope11 has Envelope, Header and Body: 17 more make 20.
	if a := post11(t, base+"/ws", "", envelope11(strings.Repeat("<a/>", 17))); a.status != 200 {
		t.Fatalf("20 elements: %d %s", a.status, a.body)
	}
	a := post11(t, base+"/ws", "", envelope11(strings.Repeat("<a/>", 18)))
	if f := a.soap11(t).Body.Fault; a.status != 500 || f == nil || f.Code != "soap:Client" ||
		!strings.Contains(f.String, "more than 20 elements (setting maxElements)") {
		t.Fatalf("21 elements, SOAP 1.1: %d %s", a.status, a.body)
	}
	a = post12(t, base+"/ws", "", envelope12(strings.Repeat("<a/>", 100)))
	if f := a.soap12(t).Body.Fault; a.status != 400 || f == nil || f.Code.Value != "soap:Sender" ||
		!strings.Contains(f.Reason.Text.Value, "more than 20 elements") {
		t.Fatalf("SOAP 1.2: %d %s", a.status, a.body)
	}
	if n := h.count(); n != 1 {
		t.Fatalf("host calls: %d, want 1", n)
	}

	// The default cap: a body of many tiny elements well under maxBodyBytes.
	base = startFake(t, fake)
	a = post11(t, base+"/ws", "", envelope11(strings.Repeat("<a/>", defaultMaxElements)))
	if f := a.soap11(t).Body.Fault; a.status != 500 || f == nil || !strings.Contains(f.String, "more than 100000 elements") {
		t.Fatalf("default cap: %d %.300s", a.status, a.body)
	}
}

// The listener's own faults take the status of their version's HTTP
// binding; a mock's httpStatus is its own.
func TestFaultStatus(t *testing.T) {
	for _, tc := range []struct {
		v    version
		code string
		want int
	}{
		{soap11, codeClient, http.StatusInternalServerError},
		{soap11, codeServer, http.StatusInternalServerError},
		{soap12, codeClient, http.StatusBadRequest},
		{soap12, "Sender.Auth", http.StatusBadRequest},
		{soap12, codeServer, http.StatusInternalServerError},
		{soap12, codeVersionMismatch, http.StatusInternalServerError},
		{soap12, "MustUnderstand", http.StatusInternalServerError},
		{soap12, "tns:Mine", http.StatusInternalServerError},
	} {
		if got := faultStatus(tc.v, tc.code); got != tc.want {
			t.Errorf("%s in %s: %d", tc.code, tc.v, got)
		}
	}
}

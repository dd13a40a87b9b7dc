package helpers

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/host/internal/generate/soapgen"
)

// SOAP envelope namespaces.
const (
	soapEnv11 = "http://schemas.xmlsoap.org/soap/envelope/"
	soapEnv12 = "http://www.w3.org/2003/05/soap-envelope"
)

// SOAPRequest is one SOAP call.
type SOAPRequest struct {
	URL        string  `json:"url"`
	SOAPAction string  `json:"soapAction"`
	Body       string  `json:"body"`
	Headers    Headers `json:"headers"`
	// SOAPVersion "1.1" or "1.2" wraps a body that is not an envelope
	// (default 1.1); an envelope's own namespace decides otherwise.
	SOAPVersion string `json:"soapVersion"`
}

// SOAPFault is the Fault of a SOAP answer (1.1 and 1.2 alike).
type SOAPFault struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Actor   string `json:"actor,omitempty"`
}

// CallSOAP posts the envelope (a bare payload is wrapped in one) with the
// Content-Type and action of its SOAP version, and reads a Fault out of
// the answer.
func CallSOAP(ctx context.Context, g *Guard, in SOAPRequest) (*HTTPResponse, error) {
	u, err := parseURL("url", in.URL)
	if err != nil {
		return nil, err
	}
	if err := in.Headers.check("headers"); err != nil {
		return nil, err
	}
	if strings.ContainsAny(in.SOAPAction, "\r\n\"") {
		return nil, Inputf("soapAction", "must not hold quotes or line breaks")
	}
	envelope, soap12, err := soapEnvelope(in.Body, in.SOAPVersion)
	if err != nil {
		return nil, err
	}
	if err := g.CheckURL(ctx, u); err != nil {
		return nil, Fail(ctx, "url", "POST "+u.Redacted(), err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(envelope))
	if err != nil {
		return nil, Inputf("url", "%v", err)
	}
	if soap12 {
		ct := "application/soap+xml; charset=utf-8"
		if in.SOAPAction != "" {
			ct += `; action="` + in.SOAPAction + `"`
		}
		req.Header.Set("Content-Type", ct)
	} else {
		req.Header.Set("Content-Type", "text/xml; charset=utf-8")
		req.Header.Set("SOAPAction", strconv.Quote(in.SOAPAction))
	}
	for _, h := range in.Headers { // the caller's win over the defaults
		req.Header.Del(h.Name)
	}
	in.Headers.apply(req)
	out, err := send(ctx, g.HTTPClient(false), req)
	if err != nil {
		return nil, err
	}
	if text, ok := out.Body.(string); ok && !out.Truncated {
		out.Fault = soapFault(text)
	}
	return out, nil
}

// soapEnvelope checks the body is XML and wraps a bare payload in an
// envelope of version (1.1 unless "1.2"); soap12 says which version the
// envelope is.
func soapEnvelope(body, version string) (envelope string, soap12 bool, err error) {
	switch version {
	case "", "1.1", "1.2":
	default:
		return "", false, Inputf("soapVersion", "must be 1.1 or 1.2, not %q", version)
	}
	if strings.TrimSpace(body) == "" {
		return "", false, Inputf("body", "is required: the SOAP envelope (or the Body's content) as XML")
	}
	d := xml.NewDecoder(strings.NewReader(body))
	var root xml.StartElement
	rootAt := int64(-1)
	for {
		at := d.InputOffset()
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", false, Inputf("body", "is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && rootAt < 0 {
			root, rootAt = se, at
		}
	}
	if rootAt < 0 {
		return "", false, Inputf("body", "holds no XML element")
	}
	if root.Name.Local == "Envelope" && (root.Name.Space == soapEnv11 || root.Name.Space == soapEnv12) {
		return body, root.Name.Space == soapEnv12, nil
	}
	ns := soapEnv11
	if version == "1.2" {
		ns = soapEnv12
	}
	// The payload from its root element on: a declaration cannot sit inside the envelope.
	return `<soapenv:Envelope xmlns:soapenv="` + ns + `"><soapenv:Body>` + body[rootAt:] + `</soapenv:Body></soapenv:Envelope>`, ns == soapEnv12, nil
}

// soapFault finds Envelope/Body/Fault in an answer (nil when there is none).
func soapFault(text string) *SOAPFault {
	d := xml.NewDecoder(strings.NewReader(text))
	var path []string
	for {
		tok, err := d.Token()
		if err != nil {
			return nil
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(path) == 2 && path[0] == "Envelope" && path[1] == "Body" && t.Name.Local == "Fault" {
				var f struct {
					Code   string `xml:"faultcode"`
					String string `xml:"faultstring"`
					Actor  string `xml:"faultactor"`
					Code12 struct {
						Value string `xml:"Value"`
					} `xml:"Code"`
					Reason12 struct {
						Text []string `xml:"Text"`
					} `xml:"Reason"`
					Role12 string `xml:"Role"`
				}
				if d.DecodeElement(&f, &t) != nil {
					return nil
				}
				out := &SOAPFault{Code: strings.TrimSpace(f.Code), Message: strings.TrimSpace(f.String), Actor: strings.TrimSpace(f.Actor)}
				if out.Code == "" {
					out.Code = strings.TrimSpace(f.Code12.Value)
				}
				if out.Message == "" && len(f.Reason12.Text) > 0 {
					out.Message = strings.TrimSpace(f.Reason12.Text[0])
				}
				if out.Actor == "" {
					out.Actor = strings.TrimSpace(f.Role12)
				}
				return out
			}
			path = append(path, t.Name.Local)
			if len(path) > 2 {
				return nil // the Body's first element was not a Fault
			}
		case xml.EndElement:
			if len(path) > 0 {
				path = path[:len(path)-1]
			}
		}
	}
}

// SOAPOperation is one operation of a WSDL as a client calls it.
type SOAPOperation struct {
	Service       string `json:"service"`
	Port          string `json:"port,omitempty"`
	Binding       string `json:"binding"`
	Name          string `json:"name"`
	Address       string `json:"address,omitempty"`
	SOAPVersion   string `json:"soapVersion"`
	SOAPAction    string `json:"soapAction"`
	Style         string `json:"style"`
	OneWay        bool   `json:"oneWay"`
	Documentation string `json:"documentation,omitempty"`
	// Envelope is a sample request envelope.
	Envelope string `json:"envelope"`
}

// SOAPOperations lists the operations of a WSDL given as text, or read
// from url when wsdl is empty.
func SOAPOperations(ctx context.Context, g *Guard, wsdl, rawURL string) ([]SOAPOperation, error) {
	field := "wsdl"
	switch {
	case strings.TrimSpace(wsdl) == "" && strings.TrimSpace(rawURL) == "":
		return nil, Inputf("wsdl", "is required: the WSDL document, or url to read it from")
	case strings.TrimSpace(wsdl) == "":
		u, err := parseURL("url", rawURL)
		if err != nil {
			return nil, err
		}
		if err := g.CheckURL(ctx, u); err != nil {
			return nil, Fail(ctx, "url", "GET "+u.Redacted(), err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, Inputf("url", "%v", err)
		}
		resp, err := send(ctx, g.HTTPClient(true), req)
		if err != nil {
			return nil, err
		}
		text, ok := resp.Body.(string)
		switch {
		case resp.StatusCode != http.StatusOK:
			return nil, errorf(KindUpstream, "GET %s answered %s", u.Redacted(), resp.Status)
		case resp.Truncated:
			return nil, errorf(KindUpstream, "GET %s: the WSDL is larger than %d MiB", u.Redacted(), MaxResponse>>20)
		case !ok:
			return nil, errorf(KindUpstream, "GET %s: the answer is not a WSDL (not text)", u.Redacted())
		}
		wsdl, field = text, "url"
	}
	ops, err := soapgen.Operations(wsdl)
	if err != nil {
		var ie *generate.InputError
		if errors.As(err, &ie) {
			return nil, Inputf(field, "%s", ie.Message)
		}
		return nil, err
	}
	out := make([]SOAPOperation, 0, len(ops))
	for _, op := range ops {
		v := "1.1"
		if op.SOAP12 {
			v = "1.2"
		}
		out = append(out, SOAPOperation{Service: op.Service, Port: op.Port, Binding: op.Binding, Name: op.Name, Address: op.Address,
			SOAPVersion: v, SOAPAction: op.Action, Style: op.Style, OneWay: op.OneWay, Documentation: op.Documentation, Envelope: op.Envelope})
	}
	return out, nil
}

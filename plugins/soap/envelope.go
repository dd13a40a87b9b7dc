package main

// SOAP envelopes: reading a call (version, action, operation, Body as
// JSON) and writing replies and faults in the caller's version.

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/mockarty-oss/mockarty/sdk/jsonobj"
)

// version is a SOAP version.
type version int

const (
	soap11 version = iota
	soap12
)

// Envelope namespaces and content types of the two versions.
const (
	ns11 = "http://schemas.xmlsoap.org/soap/envelope/"
	ns12 = "http://www.w3.org/2003/05/soap-envelope"

	contentType11 = "text/xml; charset=utf-8"
	contentType12 = "application/soap+xml; charset=utf-8"
)

func (v version) namespace() string {
	if v == soap12 {
		return ns12
	}
	return ns11
}

func (v version) contentType() string {
	if v == soap12 {
		return contentType12
	}
	return contentType11
}

func (v version) String() string {
	if v == soap12 {
		return "1.2"
	}
	return "1.1"
}

// versionOfContentType guesses the version from the request's content
// type, for faults written before the envelope is read.
func versionOfContentType(ct string) version {
	mt, _, _ := mime.ParseMediaType(ct)
	if mt == "application/soap+xml" {
		return soap12
	}
	return soap11
}

// WS-Addressing namespaces: a wsa:Action header names the action when the
// HTTP request does not.
var addressingNS = []string{"http://www.w3.org/2005/08/addressing", "http://schemas.xmlsoap.org/ws/2004/08/addressing"}

// call is a parsed SOAP request.
type call struct {
	version   version
	action    string
	operation string // local name of the Body's first element
	opNS      string // its namespace
	// qualified says the operation element's children are in its
	// namespace (elementFormDefault="qualified"), so the reply's children
	// are written in the reply element's namespace too.
	qualified bool
	data      *jsonobj.Object // the Body's content as JSON
}

// errNotEnvelope is a request that is not a SOAP envelope.
type errNotEnvelope struct{ msg string }

func (e *errNotEnvelope) Error() string { return e.msg }

func notEnvelope(format string, args ...any) error {
	return &errNotEnvelope{fmt.Sprintf(format, args...)}
}

// errVersionMismatch is an Envelope in a namespace of neither version:
// SOAP's VersionMismatch fault, not a Client one.
type errVersionMismatch struct{ msg string }

func (e *errVersionMismatch) Error() string { return e.msg }

// parseCall reads a SOAP request of at most maxElements elements.
func parseCall(r *http.Request, body []byte, maxElements int) (*call, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, notEnvelope("the request has no body: a SOAP call is a POST of an Envelope")
	}
	root, err := parseDocument(body, maxElements)
	var tooMany *errTooManyElements
	switch {
	case errors.As(err, &tooMany):
		return nil, notEnvelope("the envelope has more than %d elements (setting maxElements)", tooMany.limit)
	case err != nil:
		return nil, notEnvelope("the request body is not well-formed XML: %v", err)
	}
	c := &call{}
	switch {
	case root.name.Local != "Envelope":
		return nil, notEnvelope("the request body is not a SOAP envelope: its root element is <%s>", root.name.Local)
	case root.name.Space == ns11:
		c.version = soap11
	case root.name.Space == ns12:
		c.version = soap12
	default:
		return nil, &errVersionMismatch{fmt.Sprintf("the Envelope's namespace %q is neither SOAP 1.1's (%s) nor SOAP 1.2's (%s)",
			root.name.Space, ns11, ns12)}
	}
	ns := root.name.Space
	var bodyEl, header *element
	for _, ch := range root.children {
		switch {
		case ch.name.Space == ns && ch.name.Local == "Header" && bodyEl == nil && header == nil:
			header = ch
		case ch.name.Space == ns && ch.name.Local == "Body" && bodyEl == nil:
			bodyEl = ch
		case c.version == soap11 && bodyEl != nil && ch.name.Space != "" && ch.name.Space != ns:
			// SOAP 1.1 lets qualified elements follow the Body; they are ignored.
		default:
			return nil, notEnvelope("unexpected <%s> in the Envelope: it holds an optional Header, then a Body", ch.name.Local)
		}
	}
	if bodyEl == nil {
		return nil, notEnvelope("the Envelope has no Body")
	}
	c.action = requestAction(r, header)
	if len(bodyEl.children) > 0 {
		op := bodyEl.children[0]
		c.operation, c.opNS = op.name.Local, op.name.Space
		c.qualified = true
		for _, ch := range op.children {
			if ch.name.Space != op.name.Space {
				c.qualified = false
				break
			}
		}
	}
	c.data = bodyJSON(bodyEl)
	return c, nil
}

// requestAction is the SOAPAction header (SOAP 1.1), else the action
// parameter of the content type (SOAP 1.2), else a WS-Addressing Action
// header block.
func requestAction(r *http.Request, header *element) string {
	if v, ok := r.Header["Soapaction"]; ok && len(v) > 0 {
		if a := strings.Trim(strings.TrimSpace(v[0]), `"`); a != "" {
			return a
		}
	}
	if _, params, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil && params["action"] != "" {
		return params["action"]
	}
	if header != nil {
		for _, ns := range addressingNS {
			if a := header.child(ns, "Action"); a != nil {
				return strings.TrimSpace(a.text.String())
			}
		}
	}
	return ""
}

// envelope writes a whole envelope around header and body content.
func envelope(v version, header, body []byte) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
	b.WriteString(`<soap:Envelope xmlns:soap="` + v.namespace() + `">`)
	if len(header) > 0 {
		b.WriteString("<soap:Header>")
		b.Write(header)
		b.WriteString("</soap:Header>")
	}
	if len(body) == 0 {
		b.WriteString("<soap:Body/>")
	} else {
		b.WriteString("<soap:Body>")
		b.Write(body)
		b.WriteString("</soap:Body>")
	}
	b.WriteString("</soap:Envelope>\n")
	return b.Bytes()
}

// errPayload is a mock payload that cannot be sent as SOAP.
type errPayload struct{ err error }

func (e *errPayload) Error() string {
	return "the mock's payload cannot be sent as SOAP: " + e.err.Error()
}

// reply is an answer ready to send.
type reply struct {
	contentType string
	body        []byte
}

// replyOf builds the envelope for a mock's data: JSON ({"Envelope":
// {"Body": ...}} or the Body's content), or a JSON string of raw XML (a
// whole envelope, sent as it is, or a fragment to put in the Body).
func replyOf(c *call, data []byte) (*reply, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return &reply{c.version.contentType(), envelope(c.version, nil, nil)}, nil
	}
	v, err := jsonobj.Decode(data, maxDepth)
	if err != nil {
		return nil, &errPayload{err}
	}
	if s, ok := v.(string); ok {
		return rawReply(c, s)
	}
	var header any
	body := v
	if o, ok := v.(*jsonobj.Object); ok && len(o.Keys) == 1 && localName(o.Keys[0]) == "Envelope" {
		header, body, err = envelopeParts(o.Vals[0])
		if err != nil {
			return nil, &errPayload{err}
		}
	}
	var hb, bb bytes.Buffer
	if err := writeContent(&hb, header, nil); err != nil {
		return nil, &errPayload{err}
	}
	if err := writeContent(&bb, body, c); err != nil {
		return nil, &errPayload{err}
	}
	return &reply{c.version.contentType(), envelope(c.version, hb.Bytes(), bb.Bytes())}, nil
}

// envelopeParts splits {"Header": ..., "Body": ...} (attributes of the
// Envelope, such as namespace declarations, are dropped: the listener
// writes its own).
func envelopeParts(v any) (header, body any, err error) {
	o, ok := v.(*jsonobj.Object)
	if !ok {
		return nil, nil, errors.New(`"Envelope" must be an object holding "Body" (and optionally "Header")`)
	}
	for i, k := range o.Keys {
		switch localName(k) {
		case "Header":
			header = o.Vals[i]
		case "Body":
			body = o.Vals[i]
		default:
			if !strings.HasPrefix(k, "-") {
				return nil, nil, fmt.Errorf(`unexpected %q in "Envelope": it holds "Body" and optionally "Header"`, k)
			}
		}
	}
	return header, body, nil
}

// writeContent writes the elements of a Header or Body. For the Body (c
// set), an unprefixed root element without its own xmlns is put in the
// namespace of the request's operation element, as document/literal
// clients expect; its children follow the request's form (qualified or
// not).
func writeContent(b *bytes.Buffer, v any, c *call) error {
	switch t := v.(type) {
	case nil:
		return nil
	case []any:
		for _, item := range t {
			if err := writeContent(b, item, c); err != nil {
				return err
			}
		}
		return nil
	case *jsonobj.Object:
		for i, k := range t.Keys {
			name, extra := k, []xmlAttr(nil)
			if c != nil && c.opNS != "" && !strings.Contains(k, ":") && !hasXMLNS(t.Vals[i]) {
				if c.qualified {
					extra = []xmlAttr{{"xmlns", c.opNS}}
				} else {
					name, extra = "m:"+k, []xmlAttr{{"xmlns:m", c.opNS}}
				}
			}
			if err := writeElement(b, name, t.Vals[i], extra, 0); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("the Body's content must be a JSON object of elements (or a string of XML), not %s", scalarText(v))
}

// hasXMLNS says the element's JSON declares its own default namespace.
func hasXMLNS(v any) bool {
	o, ok := v.(*jsonobj.Object)
	if !ok {
		return false
	}
	for _, k := range o.Keys {
		if k == "-xmlns" {
			return true
		}
	}
	return false
}

// rawReply sends a string of XML: a whole envelope as it is (its own
// version decides the content type), anything else inside the Body.
func rawReply(c *call, s string) (*reply, error) {
	text := strings.TrimSpace(s)
	if text == "" {
		return &reply{c.version.contentType(), envelope(c.version, nil, nil)}, nil
	}
	if !strings.HasPrefix(text, "<") {
		return nil, &errPayload{errors.New("a string payload must be XML (an Envelope, or elements to put in the Body)")}
	}
	if root, err := checkDocument([]byte(text)); err == nil && root.name.Local == "Envelope" {
		ct := contentType11
		if root.name.Space == ns12 {
			ct = contentType12
		}
		return &reply{ct, []byte(s)}, nil
	}
	frag := stripDeclaration(text)
	if err := checkFragment(frag); err != nil {
		return nil, &errPayload{fmt.Errorf("the XML is not well-formed: %v", err)}
	}
	return &reply{c.version.contentType(), envelope(c.version, nil, []byte(frag))}, nil
}

// stripDeclaration drops a leading <?xml ...?> from a fragment.
func stripDeclaration(s string) string {
	if strings.HasPrefix(s, "<?xml") {
		if i := strings.Index(s, "?>"); i >= 0 {
			return strings.TrimSpace(s[i+2:])
		}
	}
	return s
}

// checkFragment checks that s is well-formed content (any number of
// elements and text).
func checkFragment(s string) error {
	_, err := checkDocument([]byte("<fragment>" + s + "</fragment>"))
	return err
}

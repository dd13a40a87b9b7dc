package soapgen

// The client's side of a WSDL: each operation of each SOAP port with a
// sample request envelope, for the API tester's import. The samples come
// from the same schema sampler as the mocks' answers, written as XML with
// the namespaces a service expects (the element's target namespace, and
// local elements qualified when the schema says elementFormDefault=
// "qualified").

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/sdk/jsonobj"
)

// SOAP envelope namespaces.
const (
	Envelope11NS = "http://schemas.xmlsoap.org/soap/envelope/"
	Envelope12NS = "http://www.w3.org/2003/05/soap-envelope"
)

// Operation is one operation of a SOAP port as a client calls it.
type Operation struct {
	// Service and Port name where it is served; Port is "" for a binding
	// no service port reaches.
	Service, Port string
	// Binding is the binding's name.
	Binding string
	Name    string
	// Address is the port's soap:address location ("" without a port);
	// Path is the path the generated mocks of the service are served at.
	Address, Path string
	// SOAP12 says the binding is SOAP 1.2 (else 1.1).
	SOAP12 bool
	// Action is the soapAction ("" when the binding gives none).
	Action string
	// Style is "document" or "rpc".
	Style string
	// OneWay says the operation has no output message.
	OneWay bool
	// Documentation is the abstract operation's documentation text.
	Documentation string
	// Envelope is a sample request: an envelope of the binding's SOAP
	// version whose Body (and Header, for soap:header parts) hold sample
	// values of the input message.
	Envelope string
}

// Operations lists the operations of every SOAP port of the WSDL, in
// document order, each port's separately (a service with SOAP 1.1 and 1.2
// ports lists its operations twice).
func Operations(wsdl string) ([]Operation, error) {
	root, err := load(wsdl)
	if err != nil {
		return nil, err
	}
	d := readDefinitions(root)
	var out []Operation
	for _, ep := range d.endpoints() {
		for _, bop := range ep.binding.all(wsdlNS, "operation") {
			op := d.describe(ep, bop)
			if op == nil {
				continue
			}
			out = append(out, Operation{Service: ep.service, Port: ep.port, Binding: ep.binding.attr("name"), Name: op.name,
				Address: ep.address, Path: ep.path, SOAP12: ep.soap12, Action: op.action, Style: op.style, OneWay: op.oneWay,
				Documentation: op.doc, Envelope: d.requestEnvelope(ep, op, bop)})
		}
	}
	if len(out) == 0 {
		return nil, generate.Inputf("content", "the WSDL describes no SOAP operation: no binding has a soap:binding or soap12:binding with operations")
	}
	return out, nil
}

// requestEnvelope writes the sample request of an operation.
func (d *definitions) requestEnvelope(ep endpoint, op *boundOp, bop *node) string {
	envNS := Envelope11NS
	if ep.soap12 {
		envNS = Envelope12NS
	}
	w := &xmlWriter{}
	g := newSampler(d.schemas)
	bindingIn := bop.first(wsdlNS, "input")
	w.line(0, `<soapenv:Envelope xmlns:soapenv="`+attrText(envNS)+`">`)
	if headers := d.headerParts(bindingIn); len(headers) > 0 {
		w.line(1, "<soapenv:Header>")
		for _, p := range headers {
			d.writePart(w, g, p, 2)
		}
		w.line(1, "</soapenv:Header>")
	}
	w.line(1, "<soapenv:Body>")
	parts := bodyParts(op.input, bindingIn)
	if op.style == "rpc" {
		ns := ""
		if bindingIn != nil {
			if body := bindingIn.firstOf("body", soap11NS, soap12NS); body != nil {
				ns = body.attr("namespace")
			}
		}
		// The wrapper is in soap:body's namespace; parts are unqualified.
		wrapper, attrs := op.name, []xmlAttr(nil)
		if ns != "" {
			wrapper, attrs = "ns:"+op.name, []xmlAttr{{"xmlns:ns", ns}}
		}
		w.open(2, wrapper, attrs)
		for _, p := range parts {
			name, v := d.partSample(g, p)
			if p.attr("type") != "" || name == "" {
				name = p.attr("name")
			}
			w.element(3, name, v, nil, "")
		}
		w.close(2, wrapper)
	} else {
		for _, p := range parts {
			d.writePart(w, g, p, 2)
		}
	}
	w.line(1, "</soapenv:Body>")
	w.line(0, "</soapenv:Envelope>")
	return w.String()
}

// headerParts are the message parts the binding input's soap:header
// elements name.
func (d *definitions) headerParts(bindingIn *node) []*node {
	if bindingIn == nil {
		return nil
	}
	var out []*node
	for _, c := range bindingIn.children {
		if c.name.Local != "header" || (c.name.Space != soap11NS && c.name.Space != soap12NS) {
			continue
		}
		msg := d.messages[c.qname(c.attr("message")).Local]
		if msg == nil {
			continue
		}
		for _, p := range msg.all(wsdlNS, "part") {
			if p.attr("name") == c.attr("part") {
				out = append(out, p)
			}
		}
	}
	return out
}

// writePart writes a document-style part: its element in the element's
// namespace, or for a part of a type, an element named after the part.
func (d *definitions) writePart(w *xmlWriter, g *sampler, p *node, depth int) {
	el := p.attr("element")
	if el == "" {
		_, v := d.partSample(g, p)
		w.element(depth, p.attr("name"), v, nil, "")
		return
	}
	q := p.qname(el)
	name, v := d.partSample(g, p)
	if name == "" {
		name = q.Local
	}
	qualified := false
	if decl := d.schemas.elements.get(q); decl != nil {
		if sc := schemaOf(decl); sc != nil {
			qualified = sc.attr("elementFormDefault") == "qualified"
			if q.Space == "" {
				q.Space = sc.attr("targetNamespace")
			}
		}
	}
	if q.Space == "" {
		w.element(depth, name, v, nil, "")
		return
	}
	childPrefix := ""
	if qualified {
		childPrefix = "ns:"
	}
	w.element(depth, "ns:"+name, v, []xmlAttr{{"xmlns:ns", q.Space}}, childPrefix)
}

// schemaOf is the xs:schema an element declaration is in.
func schemaOf(n *node) *node {
	for e := n.parent; e != nil; e = e.parent {
		if e.name.Space == xsdNS && e.name.Local == "schema" {
			return e
		}
	}
	return nil
}

// xmlWriter writes an indented XML fragment from sample values (the SOAP
// listener's JSON mapping: "-name" attributes, "#text" text, arrays
// repeating their element).
type xmlWriter struct{ b bytes.Buffer }

type xmlAttr struct{ name, value string }

func (w *xmlWriter) String() string { return w.b.String() }

func (w *xmlWriter) line(depth int, s string) {
	w.b.WriteString(strings.Repeat("  ", depth))
	w.b.WriteString(s)
	w.b.WriteByte('\n')
}

func (w *xmlWriter) open(depth int, name string, attrs []xmlAttr) {
	w.line(depth, "<"+name+attrsText(attrs)+">")
}

func (w *xmlWriter) close(depth int, name string) { w.line(depth, "</"+name+">") }

// element writes v as the element name with extra attributes (a
// namespace declaration) besides the sample's; childPrefix starts its
// children's names.
func (w *xmlWriter) element(depth int, name string, v any, extra []xmlAttr, childPrefix string) {
	if depth > maxSampleDepth*2+4 {
		return
	}
	switch t := v.(type) {
	case []any:
		for _, item := range t {
			w.element(depth, name, item, extra, childPrefix)
		}
		return
	case *jsonobj.Object:
		attrs := append([]xmlAttr(nil), extra...)
		text := ""
		var kids []int
		for i, k := range t.Keys {
			switch {
			case k == "#text":
				text += scalarText(t.Vals[i])
			case strings.HasPrefix(k, "-"):
				attrs = append(attrs, xmlAttr{k[1:], scalarText(t.Vals[i])})
			default:
				kids = append(kids, i)
			}
		}
		switch {
		case len(kids) == 0 && text == "":
			w.line(depth, "<"+name+attrsText(attrs)+"/>")
		case len(kids) == 0:
			w.line(depth, "<"+name+attrsText(attrs)+">"+escapeText(text)+"</"+name+">")
		default:
			w.open(depth, name, attrs)
			for _, i := range kids {
				w.element(depth+1, childPrefix+t.Keys[i], t.Vals[i], nil, childPrefix)
			}
			w.close(depth, name)
		}
		return
	}
	w.line(depth, "<"+name+attrsText(extra)+">"+escapeText(scalarText(v))+"</"+name+">")
}

func attrsText(attrs []xmlAttr) string {
	var b strings.Builder
	for _, a := range attrs {
		b.WriteString(" " + a.name + `="` + attrText(a.value) + `"`)
	}
	return b.String()
}

func escapeText(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func attrText(s string) string { return escapeText(s) }

// scalarText is a sample leaf as text.
func scalarText(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case json.Number:
		return t.String()
	case bool:
		if t {
			return "true"
		}
		return "false"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

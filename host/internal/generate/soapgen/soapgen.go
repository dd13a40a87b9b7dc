// Package soapgen makes SOAP mocks from a WSDL 1.1 document: one mock per
// operation of every SOAP binding (SOAP 1.1 or 1.2) reached from a
// service's port, selected the way the SOAP listener resolves calls
// (SOAPAction, the Body's first element, the endpoint path) and answering
// a sample of the operation's output message built from the XML Schema in
// the WSDL's <types>.
package soapgen

import (
	"encoding/json"
	"net/url"
	"sort"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/sdk/jsonobj"
)

// Input is what to generate from.
type Input struct {
	Namespace string
	// IDPrefix starts every mock id (default "soap").
	IDPrefix string
	// Service, when set, keeps only the service of this name.
	Service string
	// WSDL is the document's text.
	WSDL string
}

// WSDL 1.1 namespaces.
const (
	wsdlNS   = "http://schemas.xmlsoap.org/wsdl/"
	soap11NS = "http://schemas.xmlsoap.org/wsdl/soap/"
	soap12NS = "http://schemas.xmlsoap.org/wsdl/soap12/"
	wsdl20NS = "http://www.w3.org/ns/wsdl"
)

// Validate checks that wsdl is well-formed XML whose root is a WSDL 1.1
// definitions element (what the WSDL registry accepts).
func Validate(wsdl string) error {
	_, err := load(wsdl)
	return err
}

// load parses and checks the document.
func load(wsdl string) (*node, error) {
	if strings.TrimSpace(wsdl) == "" {
		return nil, generate.Inputf("content", "the WSDL is empty")
	}
	root, err := parseXML(wsdl)
	if err != nil {
		return nil, generate.Inputf("content", "the WSDL is not well-formed XML: %v", err)
	}
	switch {
	case root.name.Space == wsdlNS && root.name.Local == "definitions":
		return root, nil
	case root.name.Space == wsdl20NS:
		return nil, generate.Inputf("content", "WSDL 2.0 (<%s> in %s) is not supported: use a WSDL 1.1 <definitions> document",
			root.name.Local, wsdl20NS)
	}
	return nil, generate.Inputf("content", "not a WSDL 1.1 definitions document: the root element is <%s> in namespace %q, not <definitions> in %s",
		root.name.Local, root.name.Space, wsdlNS)
}

// Generate makes one mock per SOAP operation of the WSDL. Ids are stable
// (prefix-service-operation), so generating again finds the same mocks.
func Generate(in Input) ([]*model.Mock, error) {
	root, err := load(in.WSDL)
	if err != nil {
		return nil, err
	}
	if in.IDPrefix == "" {
		in.IDPrefix = "soap"
	}
	d := readDefinitions(root)
	var out []*model.Mock
	seen := map[string]bool{}
	services := map[string]bool{}
	for _, ep := range d.endpoints() {
		services[ep.service] = true
		if in.Service != "" && ep.service != in.Service {
			continue
		}
		for _, op := range ep.binding.all(wsdlNS, "operation") {
			m := d.operationMock(in, ep, op)
			if m == nil || seen[m.ID] {
				continue // a SOAP 1.2 port repeats the SOAP 1.1 one: the listener serves both
			}
			seen[m.ID] = true
			out = append(out, m)
		}
	}
	if in.Service != "" && !services[in.Service] {
		names := make([]string, 0, len(services))
		for s := range services {
			names = append(names, s)
		}
		sort.Strings(names)
		return nil, generate.Inputf("service", "the WSDL has no SOAP service %q (it has: %s)", in.Service, strings.Join(names, ", "))
	}
	if len(out) == 0 {
		return nil, generate.Inputf("content", "the WSDL describes no SOAP operation: no binding has a soap:binding or soap12:binding with operations")
	}
	return out, nil
}

// operationMock is the mock of one binding operation (nil for an
// operation without a name).
func (d *definitions) operationMock(in Input, ep endpoint, bop *node) *model.Mock {
	op := d.describe(ep, bop)
	if op == nil {
		return nil
	}
	method := op.name
	if op.style != "rpc" {
		for _, p := range bodyParts(op.input, bop.first(wsdlNS, "input")) {
			if el := p.attr("element"); el != "" {
				method = p.qname(el).Local
				break
			}
		}
	}
	m := &model.Mock{
		ID:        generate.MockID(in.IDPrefix, ep.service, op.name),
		Namespace: in.Namespace,
		Tags:      []string{"generated", "soap"},
		SOAP:      &model.SOAPContext{Service: ep.service, Method: method, Action: op.action, Path: ep.path},
		Response:  &model.ContentResponse{},
	}
	if op.oneWay {
		m.Response.StatusCode = 202 // the SOAP HTTP binding's answer to a one-way call
		return m
	}
	payload := d.outputSample(op.style, op.name, op.output, bop.first(wsdlNS, "output"))
	m.Response.Payload, _ = json.Marshal(payload)
	return m
}

// boundOp is what a binding operation and the abstract operation it
// implements say about a call.
type boundOp struct {
	name, action, style string
	// input and output are the messages (nil when not found).
	input, output *node
	oneWay        bool
	doc           string
}

// describe reads a binding operation (nil for one without a name).
func (d *definitions) describe(ep endpoint, bop *node) *boundOp {
	op := &boundOp{name: bop.attr("name"), style: ep.style}
	if op.name == "" {
		return nil
	}
	if soapOp := bop.firstOf("operation", soap11NS, soap12NS); soapOp != nil {
		op.action = soapOp.attr("soapAction")
		if s := soapOp.attr("style"); s != "" {
			op.style = s
		}
	}
	if ptOp := d.portTypeOperation(ep.binding, op.name); ptOp != nil {
		if i := ptOp.first(wsdlNS, "input"); i != nil {
			op.input = d.messages[i.qname(i.attr("message")).Local]
		}
		o := ptOp.first(wsdlNS, "output")
		op.oneWay = o == nil
		if o != nil {
			op.output = d.messages[o.qname(o.attr("message")).Local]
		}
		if doc := ptOp.first(wsdlNS, "documentation"); doc != nil {
			op.doc = strings.TrimSpace(doc.text)
		}
	}
	return op
}

// outputSample is the Body content of the operation's reply: for document
// style each part's element ({"GetQuoteResponse": {...}}), for rpc style
// the parts inside an <operation>Response wrapper.
func (d *definitions) outputSample(style, op string, msg, bindingOutput *node) *jsonobj.Object {
	g := newSampler(d.schemas)
	body := &jsonobj.Object{}
	parts := bodyParts(msg, bindingOutput)
	if style == "rpc" {
		wrapper := &jsonobj.Object{}
		for _, p := range parts {
			name, v := d.partSample(g, p)
			if p.attr("type") != "" || name == "" {
				name = p.attr("name")
			}
			wrapper.Add(name, v)
		}
		body.Add(op+"Response", wrapper)
		return body
	}
	for _, p := range parts {
		name, v := d.partSample(g, p)
		if name == "" {
			name = p.attr("name")
		}
		body.Add(name, v)
	}
	return body
}

// partSample samples a message part: its element (name and value), or its
// type (no name).
func (d *definitions) partSample(g *sampler, p *node) (string, any) {
	if el := p.attr("element"); el != "" {
		q := p.qname(el)
		if decl := d.schemas.elements.get(q); decl != nil {
			return g.element(decl, 0)
		}
		return q.Local, "string"
	}
	if t := p.attr("type"); t != "" {
		return "", g.typeValue(p.qname(t), 0)
	}
	return "", "string"
}

// bodyParts are the parts of msg that go in the Body: those the binding's
// soap:body parts="..." names, else all (nil msg: none).
func bodyParts(msg, bindingIO *node) []*node {
	if msg == nil {
		return nil
	}
	parts := msg.all(wsdlNS, "part")
	if bindingIO == nil {
		return parts
	}
	body := bindingIO.firstOf("body", soap11NS, soap12NS)
	if body == nil {
		return parts
	}
	names := strings.Fields(body.attr("parts"))
	if len(names) == 0 {
		return parts
	}
	var out []*node
	for _, p := range parts {
		for _, n := range names {
			if p.attr("name") == n {
				out = append(out, p)
			}
		}
	}
	return out
}

// locationPath is the path of a soap:address location ("" if it has none).
func locationPath(loc string) string {
	u, err := url.Parse(strings.TrimSpace(loc))
	if err != nil || u.Path == "" || u.Path == "/" {
		return ""
	}
	return strings.TrimRight(u.Path, "/")
}

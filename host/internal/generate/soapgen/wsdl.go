package soapgen

// The parts of a WSDL 1.1 document the generator reads: messages, port
// types, bindings and services. Components are found by local name: one
// document has one target namespace, and lenient lookups keep sloppy but
// common documents usable.

// definitions indexes a WSDL's components.
type definitions struct {
	name      string
	messages  map[string]*node
	portTypes map[string]*node
	bindings  map[string]*node
	order     []*node // bindings in document order
	services  []*node
	schemas   *schemas
}

func readDefinitions(root *node) *definitions {
	d := &definitions{name: root.attr("name"), messages: map[string]*node{}, portTypes: map[string]*node{},
		bindings: map[string]*node{}, services: root.all(wsdlNS, "service"),
		schemas: indexSchemas(root.first(wsdlNS, "types"))}
	for _, m := range root.all(wsdlNS, "message") {
		d.messages[m.attr("name")] = m
	}
	for _, p := range root.all(wsdlNS, "portType") {
		d.portTypes[p.attr("name")] = p
	}
	for _, b := range root.all(wsdlNS, "binding") {
		if b.firstOf("binding", soap11NS, soap12NS) == nil {
			continue // an HTTP or other non-SOAP binding
		}
		d.bindings[b.attr("name")] = b
		d.order = append(d.order, b)
	}
	return d
}

// endpoint is a SOAP binding served at a path under a service's name.
type endpoint struct {
	service string
	path    string
	binding *node
	style   string // the binding's default style: document or rpc
	// port and address name the service's port ("" for a binding no port
	// reaches); soap12 says the binding is SOAP 1.2.
	port, address string
	soap12        bool
}

// endpoints lists every service port with a SOAP binding, then the SOAP
// bindings no port reaches (a WSDL without services), under the
// document's name.
func (d *definitions) endpoints() []endpoint {
	var out []endpoint
	used := map[*node]bool{}
	for _, s := range d.services {
		svc := s.attr("name")
		for _, p := range s.all(wsdlNS, "port") {
			addr := p.firstOf("address", soap11NS, soap12NS)
			if addr == nil {
				continue // not a SOAP port
			}
			b := d.bindings[p.qname(p.attr("binding")).Local]
			if b == nil && len(d.order) == 1 {
				// The port names a binding that does not exist (the WSDL
				// 1.1 spec's own StockQuote example does): the document's
				// only SOAP binding is the one meant.
				b = d.order[0]
			}
			if b == nil {
				continue
			}
			used[b] = true
			out = append(out, endpoint{service: svc, path: pathOr(locationPath(addr.attr("location")), svc), binding: b, style: bindingStyle(b),
				port: p.attr("name"), address: addr.attr("location"), soap12: isSOAP12(b)})
		}
	}
	for _, b := range d.order {
		if used[b] {
			continue
		}
		svc := d.name
		if svc == "" {
			svc = b.attr("name")
		}
		out = append(out, endpoint{service: svc, path: "/" + svc, binding: b, style: bindingStyle(b), soap12: isSOAP12(b)})
	}
	return out
}

func pathOr(p, service string) string {
	if p == "" {
		return "/" + service
	}
	return p
}

// isSOAP12 says whether a binding is a SOAP 1.2 one (soap12:binding).
func isSOAP12(b *node) bool {
	return b.first(soap12NS, "binding") != nil && b.first(soap11NS, "binding") == nil
}

// bindingStyle is the soap:binding style (document unless rpc).
func bindingStyle(b *node) string {
	if sb := b.firstOf("binding", soap11NS, soap12NS); sb != nil && sb.attr("style") == "rpc" {
		return "rpc"
	}
	return "document"
}

// portTypeOperation is the abstract operation a binding operation
// implements.
func (d *definitions) portTypeOperation(binding *node, name string) *node {
	pt := d.portTypes[binding.qname(binding.attr("type")).Local]
	if pt == nil {
		return nil
	}
	for _, op := range pt.all(wsdlNS, "operation") {
		if op.attr("name") == name {
			return op
		}
	}
	return nil
}

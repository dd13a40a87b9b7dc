package imports

import (
	"fmt"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/host/internal/generate/soapgen"
	"github.com/mockarty-oss/mockarty/sdk/postman"
)

// WSDL imports a WSDL 1.1 document (read by soapgen): a folder per
// service port, a request per operation POSTing a sample envelope of the
// input message to the port's address, with the SOAP version's
// Content-Type (text/xml for 1.1, application/soap+xml with the action
// for 1.2) and SOAPAction header, and a test that the answer is no SOAP
// fault. A binding no port reaches is posted to {{baseUrl}} and its path.
func WSDL(data []byte) (*Result, error) {
	if err := checkSize(data, "a WSDL 1.1 document (XML)"); err != nil {
		return nil, err
	}
	ops, err := soapgen.Operations(string(data))
	if err != nil {
		return nil, wsdlErr(err)
	}
	w := &warner{}
	c := &postman.Collection{Info: postman.Info{Name: "WSDL import"}, Item: []*postman.Item{}}
	folders := map[string]*postman.Item{}
	needBase := false
	n := 0
	for _, op := range ops {
		if n++; n > MaxRequests {
			w.warn("the WSDL has more than %d operations: the first %d are imported", MaxRequests, MaxRequests)
			break
		}
		key := op.Service + "\x00" + op.Port + "\x00" + op.Binding
		f := folders[key]
		if f == nil {
			name := op.Service
			if op.Port != "" {
				name += " / " + op.Port
			} else {
				name += " / " + op.Binding
			}
			version := "SOAP 1.1"
			if op.SOAP12 {
				version = "SOAP 1.2"
			}
			f = &postman.Item{Name: name, Item: []*postman.Item{}, Description: postman.Text(version + " binding " + op.Binding)}
			folders[key] = f
			c.Item = append(c.Item, f)
		}
		address := strings.TrimSpace(op.Address)
		if address == "" || !strings.Contains(address, "://") {
			needBase = true
			if address == "" {
				address = "{{baseUrl}}" + op.Path
				w.warn("%s: binding %q is served by no port: its requests go to {{baseUrl}}%s", op.Service, op.Binding, op.Path)
			} else {
				w.warn("%s / %s: the address %q is not absolute: its requests go to {{baseUrl}}%s", op.Service, op.Port, op.Address, locationOf(op.Address))
				address = "{{baseUrl}}" + locationOf(op.Address)
			}
		}
		f.Item = append(f.Item, soapItem(op, address))
	}
	services := map[string]bool{}
	for _, op := range ops {
		services[op.Service] = true
	}
	if len(services) == 1 {
		c.Info.Name = ops[0].Service
	}
	if needBase {
		c.Variable = append(c.Variable, postman.Variable{Key: "baseUrl", Value: "http://localhost", Type: "string"})
	}
	return &Result{Collection: c, Warnings: w.list()}, nil
}

// locationOf is a relative address as a path.
func locationOf(addr string) string {
	if strings.HasPrefix(addr, "/") {
		return addr
	}
	return "/" + addr
}

func soapItem(op soapgen.Operation, address string) *postman.Item {
	req := &postman.Request{Method: "POST", URL: postman.NewURL(address)}
	ct := "text/xml; charset=utf-8"
	if op.SOAP12 {
		ct = "application/soap+xml; charset=utf-8"
		if op.Action != "" {
			ct += `; action="` + op.Action + `"`
		}
	}
	req.Header = append(req.Header, postman.Header{Key: "Content-Type", Value: ct})
	// SOAP 1.1 requires the header (quoted, "" for none); 1.2 carries the
	// action in the Content-Type, and the header helps services and the
	// SOAP listener that read it all the same.
	if !op.SOAP12 || op.Action != "" {
		req.Header = append(req.Header, postman.Header{Key: "SOAPAction", Value: `"` + op.Action + `"`})
	}
	req.Body = &postman.Body{Mode: postman.ModeRaw, Raw: strings.TrimRight(op.Envelope, "\n"),
		Options: &postman.BodyOptions{Raw: &postman.RawOptions{Language: "xml"}}}
	desc := op.Documentation
	if op.OneWay {
		desc = strings.TrimSpace(desc + "\n\nA one-way operation: the service answers 202 without a body.")
	}
	req.Description = postman.Text(desc)
	test := "pm.test(\"Status code is 200\", function () {\n    pm.response.to.have.status(200);\n});\n" +
		"pm.test(\"No SOAP fault\", function () {\n    pm.expect(pm.response.text()).to.not.match(/<(\\w+:)?Fault[\\s>]/);\n});"
	if op.OneWay {
		test = "pm.test(\"Accepted\", function () {\n    pm.expect(pm.response.code).to.be.oneOf([200, 202]);\n});"
	}
	return &postman.Item{Name: op.Name, Request: req,
		Event: []postman.Event{{Listen: postman.ListenTest, Script: postman.NewScript(test)}}}
}

// wsdlErr puts soapgen's "content" errors on the document.
func wsdlErr(err error) error {
	if ie, ok := err.(*generate.InputError); ok && ie.Field == "content" {
		return generate.Inputf(DocumentField, "%s", strings.TrimPrefix(ie.Message, "the WSDL "))
	}
	return fmt.Errorf("reading the WSDL: %w", err)
}

package imports

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/sdk/postman"
	"golang.org/x/net/html/charset"
)

// A SoapUI project (<con:soapui-project>, namespace
// http://eviware.com/soapui/config) is read by element local names, so
// projects whose prefixes differ read the same. What is read: SOAP
// interfaces' operations and their saved calls, REST services' resources,
// methods and requests, and test suites' request, REST request and HTTP
// request steps. Scripts, property transfers, assertions other than the
// expected status, and mock services are not carried over.

// maxResourceDepth bounds nested REST resources.
const maxResourceDepth = 32

type suiProject struct {
	XMLName    xml.Name       `xml:"soapui-project"`
	Name       string         `xml:"name,attr"`
	Desc       string         `xml:"description"`
	Interfaces []suiInterface `xml:"interface"`
	Suites     []suiSuite     `xml:"testSuite"`
	Properties []suiProperty  `xml:"properties>property"`
}

type suiProperty struct {
	Name  string `xml:"name"`
	Value string `xml:"value"`
}

type suiInterface struct {
	// Type is xsi:type: "con:WsdlInterface" or "con:RestService".
	Type        string        `xml:"type,attr"`
	Name        string        `xml:"name,attr"`
	SOAPVersion string        `xml:"soapVersion,attr"`
	BasePath    string        `xml:"basePath,attr"`
	Endpoints   []string      `xml:"endpoints>endpoint"`
	Operations  []suiOp       `xml:"operation"`
	Resources   []suiResource `xml:"resource"`
}

type suiOp struct {
	Name   string    `xml:"name,attr"`
	Action string    `xml:"action,attr"`
	Calls  []suiCall `xml:"call"`
}

// suiCall is a saved SOAP request (an operation's call, or a test step's
// request).
type suiCall struct {
	Name       string         `xml:"name,attr"`
	MediaType  string         `xml:"mediaType,attr"`
	Method     string         `xml:"method,attr"`
	Endpoint   string         `xml:"endpoint"`
	Request    string         `xml:"request"`
	Parameters []suiParameter `xml:"parameters>entry"`
	Settings   []suiSetting   `xml:"settings>setting"`
	Assertions []suiAssertion `xml:"assertion"`
	// Text is the element's own text: an HTTP request step's body.
	Text       string `xml:",chardata"`
	Credential *struct {
		Username string `xml:"username"`
		Password string `xml:"password"`
	} `xml:"credentials"`
}

// suiSetting is a request setting; the request headers are one, whose
// text is an escaped XML fragment of <con:entry key value/> elements.
type suiSetting struct {
	ID    string `xml:"id,attr"`
	Value string `xml:",chardata"`
}

// maxSUIHeaders bounds the headers read from one request's settings.
const maxSUIHeaders = 500

// headers are the request headers the call's settings hold.
func (c *suiCall) headers() []postman.Header {
	return settingHeaders(c.Settings)
}

func settingHeaders(settings []suiSetting) []postman.Header {
	var out []postman.Header
	for _, s := range settings {
		if !strings.HasSuffix(s.ID, "@request-headers") || strings.TrimSpace(s.Value) == "" {
			continue
		}
		dec := xml.NewDecoder(strings.NewReader(s.Value))
		for len(out) < maxSUIHeaders {
			tok, err := dec.Token()
			if err != nil {
				break
			}
			se, ok := tok.(xml.StartElement)
			if !ok || se.Name.Local != "entry" {
				continue
			}
			var h postman.Header
			for _, a := range se.Attr {
				switch a.Name.Local {
				case "key":
					h.Key = a.Value
				case "value":
					h.Value = a.Value
				}
			}
			if h.Key != "" {
				out = append(out, h)
			}
		}
	}
	return out
}

type suiParameter struct {
	Key   string `xml:"key,attr"`
	Value string `xml:"value,attr"`
}

type suiAssertion struct {
	Type  string `xml:"type,attr"`
	Codes string `xml:"configuration>codes"`
}

type suiResource struct {
	Name      string        `xml:"name,attr"`
	Path      string        `xml:"path,attr"`
	Methods   []suiMethod   `xml:"method"`
	Resources []suiResource `xml:"resource"`
}

type suiMethod struct {
	Name     string    `xml:"name,attr"`
	Method   string    `xml:"method,attr"`
	Requests []suiCall `xml:"request"`
}

type suiSuite struct {
	Name  string        `xml:"name,attr"`
	Cases []suiTestCase `xml:"testCase"`
}

type suiTestCase struct {
	Name     string    `xml:"name,attr"`
	Disabled bool      `xml:"disabled,attr"`
	Steps    []suiStep `xml:"testStep"`
}

type suiStep struct {
	Type     string `xml:"type,attr"`
	Name     string `xml:"name,attr"`
	Disabled bool   `xml:"disabled,attr"`
	Config   struct {
		// SOAP request steps.
		Interface string   `xml:"interface"`
		Operation string   `xml:"operation"`
		Request   *suiCall `xml:"request"`
		// REST request steps.
		Service      string   `xml:"service,attr"`
		ResourcePath string   `xml:"resourcePath,attr"`
		MethodName   string   `xml:"methodName,attr"`
		RestRequest  *suiCall `xml:"restRequest"`
		// HTTP request steps: the config is the request.
		Method     string         `xml:"method,attr"`
		MediaType  string         `xml:"mediaType,attr"`
		Endpoint   string         `xml:"endpoint"`
		Parameters []suiParameter `xml:"parameters>entry"`
		Settings   []suiSetting   `xml:"settings>setting"`
		Assertions []suiAssertion `xml:"assertion"`
	} `xml:"config"`
}

// SoapUI imports a SoapUI project: a folder per interface with its
// operations' saved calls (SOAP) or its resources' method requests
// (REST), then a folder per test suite with a folder per test case
// holding its request steps. SOAP requests carry the interface's SOAP
// version (Content-Type and SOAPAction); REST parameters become query
// parameters or fill {name} path segments; a "Valid HTTP Status Codes"
// assertion becomes a test.
func SoapUI(data []byte) (*Result, error) {
	if err := checkSize(data, "a SoapUI project (XML)"); err != nil {
		return nil, err
	}
	var p suiProject
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.CharsetReader = charset.NewReaderLabel
	if err := dec.Decode(&p); err != nil {
		return nil, soapUIErr(data, err)
	}
	im := &suiImport{w: &warner{}, ifaces: map[string]*suiInterface{}}
	c := &postman.Collection{Info: postman.Info{Name: orDefault(p.Name, "SoapUI import"), Description: postman.Text(p.Desc)},
		Item: []*postman.Item{}}
	for _, prop := range p.Properties {
		if prop.Name != "" {
			c.Variable = append(c.Variable, postman.Variable{Key: prop.Name, Value: prop.Value, Type: "string"})
		}
	}
	for i := range p.Interfaces {
		ifc := &p.Interfaces[i]
		im.ifaces[ifc.Name] = ifc
		f := &postman.Item{Name: orDefault(ifc.Name, fmt.Sprintf("Interface %d", i+1)), Item: []*postman.Item{}}
		if isREST(ifc) {
			for _, r := range ifc.Resources {
				im.resource(f, ifc, r, ifc.BasePath, 0)
			}
		} else {
			for _, op := range ifc.Operations {
				for _, call := range op.Calls {
					if it := im.soapRequest(ifc, op.Name, op.Action, orDefault(call.Name, op.Name), &call); it != nil {
						f.Item = append(f.Item, it)
					}
				}
			}
		}
		if len(f.Item) > 0 {
			c.Item = append(c.Item, f)
		}
	}
	for _, s := range p.Suites {
		sf := &postman.Item{Name: orDefault(s.Name, "Test suite"), Item: []*postman.Item{}}
		for _, tc := range s.Cases {
			cf := &postman.Item{Name: orDefault(tc.Name, "Test case"), Item: []*postman.Item{}}
			if tc.Disabled {
				im.w.warn("test case %q / %q is disabled in SoapUI: it is imported all the same", s.Name, tc.Name)
			}
			for _, st := range tc.Steps {
				if it := im.step(s.Name, tc.Name, &st); it != nil {
					cf.Item = append(cf.Item, it)
				}
			}
			if len(cf.Item) > 0 {
				sf.Item = append(sf.Item, cf)
			}
		}
		if len(sf.Item) > 0 {
			c.Item = append(c.Item, sf)
		}
	}
	if im.skipped > 0 {
		im.w.warn("%d test steps are not requests (scripts, property transfers, delays, conditional gotos ...): they are not imported", im.skipped)
	}
	if im.n == 0 {
		return nil, generate.Inputf(DocumentField, "holds no request: no interface operation has a saved call and no test case has a request step")
	}
	if im.n > MaxRequests {
		return nil, generate.Inputf(DocumentField, "holds more than %d requests: split the project", MaxRequests)
	}
	return &Result{Collection: c, Warnings: im.w.list()}, nil
}

type suiImport struct {
	w      *warner
	ifaces map[string]*suiInterface
	// n counts requests; skipped counts steps that are not requests.
	n, skipped int
}

func isREST(ifc *suiInterface) bool {
	return strings.HasSuffix(ifc.Type, "RestService") || (len(ifc.Operations) == 0 && len(ifc.Resources) > 0)
}

// resource adds a REST resource's method requests, then its children's.
func (im *suiImport) resource(f *postman.Item, ifc *suiInterface, r suiResource, parent string, depth int) {
	if depth > maxResourceDepth {
		im.w.warn("interface %q: resources nest deeper than %d levels: the deeper ones are not imported", ifc.Name, maxResourceDepth)
		return
	}
	path := joinPath(parent, r.Path)
	for _, m := range r.Methods {
		for _, call := range m.Requests {
			name := orDefault(call.Name, m.Name)
			if len(m.Requests) == 1 || name == "" {
				name = orDefault(m.Name, strings.ToUpper(m.Method)+" "+path)
			}
			f.Item = append(f.Item, im.restRequest(ifc, orDefault(m.Method, call.Method), path, name, &call))
		}
	}
	for _, child := range r.Resources {
		im.resource(f, ifc, child, path, depth+1)
	}
}

func joinPath(a, b string) string {
	switch {
	case b == "":
		return a
	case a == "":
		return "/" + strings.TrimPrefix(b, "/")
	}
	return strings.TrimRight(a, "/") + "/" + strings.TrimPrefix(b, "/")
}

// endpointOf is a call's endpoint, or its interface's first.
func endpointOf(call *suiCall, ifc *suiInterface) string {
	if e := strings.TrimSpace(call.Endpoint); e != "" {
		return e
	}
	if ifc != nil {
		for _, e := range ifc.Endpoints {
			if e = strings.TrimSpace(e); e != "" {
				return e
			}
		}
	}
	return ""
}

// soapRequest is a SOAP call of an interface's operation.
func (im *suiImport) soapRequest(ifc *suiInterface, op, action, name string, call *suiCall) *postman.Item {
	im.n++
	endpoint := endpointOf(call, ifc)
	if endpoint == "" {
		im.w.warn("%s: no endpoint: it posts to {{baseUrl}}", name)
		endpoint = "{{baseUrl}}"
	}
	req := &postman.Request{Method: "POST", URL: postman.NewURL(endpoint)}
	soap12 := ifc != nil && ifc.SOAPVersion == "1_2"
	if soap12 {
		ct := "application/soap+xml; charset=utf-8"
		if action != "" {
			ct += `; action="` + action + `"`
		}
		req.Header = append(req.Header, postman.Header{Key: "Content-Type", Value: ct})
	} else {
		req.Header = append(req.Header, postman.Header{Key: "Content-Type", Value: "text/xml; charset=utf-8"},
			postman.Header{Key: "SOAPAction", Value: `"` + action + `"`})
	}
	req.Header = append(req.Header, call.headers()...)
	if body := strings.TrimSpace(call.Request); body != "" {
		req.Body = &postman.Body{Mode: postman.ModeRaw, Raw: body, Options: &postman.BodyOptions{Raw: &postman.RawOptions{Language: "xml"}}}
	}
	im.credentials(req, call)
	desc := "SOAP operation " + op
	if ifc != nil {
		desc += " of " + ifc.Name
	}
	return &postman.Item{Name: name, Description: postman.Text(desc), Request: req, Event: statusTests(call.Assertions)}
}

// restRequest is a REST request: parameters named in the path fill it,
// the others go in the query.
func (im *suiImport) restRequest(ifc *suiInterface, method, path, name string, call *suiCall) *postman.Item {
	im.n++
	method = strings.ToUpper(strings.TrimSpace(method))
	if method == "" {
		method = "GET"
	}
	base := endpointOf(call, ifc)
	if base == "" {
		base = "{{baseUrl}}"
		im.w.warn("%s: no endpoint: it goes to {{baseUrl}}", name)
	}
	var query []string
	for _, p := range call.Parameters {
		if strings.Contains(path, "{"+p.Key+"}") {
			path = strings.ReplaceAll(path, "{"+p.Key+"}", url.PathEscape(p.Value))
			continue
		}
		query = append(query, url.QueryEscape(p.Key)+"="+url.QueryEscape(p.Value))
	}
	raw := strings.TrimRight(base, "/") + path
	if len(query) > 0 {
		raw += "?" + strings.Join(query, "&")
	}
	req := &postman.Request{Method: method, URL: postman.NewURL(raw), Header: call.headers()}
	if body := strings.TrimSpace(call.Request); body != "" && method != "GET" && method != "HEAD" {
		mt := orDefault(call.MediaType, "application/json")
		if headerValue(req.Header, "Content-Type") == "" {
			req.Header = append(req.Header, postman.Header{Key: "Content-Type", Value: mt})
		}
		req.Body = rawBody(body, mt)
	}
	im.credentials(req, call)
	return &postman.Item{Name: name, Request: req, Event: statusTests(call.Assertions)}
}

func (im *suiImport) credentials(req *postman.Request, call *suiCall) {
	if cr := call.Credential; cr != nil && cr.Username != "" {
		req.Auth = postman.NewAuth("basic", "username", cr.Username, "password", cr.Password)
	}
}

// step is a test step's request (nil for other kinds of step).
func (im *suiImport) step(suite, tc string, st *suiStep) *postman.Item {
	name := orDefault(st.Name, st.Type)
	if st.Disabled {
		im.w.warn("test step %q / %q / %q is disabled in SoapUI: it is imported all the same", suite, tc, name)
	}
	cfg := &st.Config
	switch strings.ToLower(st.Type) {
	case "request":
		if cfg.Request == nil {
			break
		}
		ifc := im.ifaces[cfg.Interface]
		action := ""
		if ifc != nil {
			for _, op := range ifc.Operations {
				if op.Name == cfg.Operation {
					action = op.Action
				}
			}
		} else {
			im.w.warn("test step %q / %q / %q names interface %q, which the project does not define: it is sent as SOAP 1.1", suite, tc, name, cfg.Interface)
		}
		return im.soapRequest(ifc, cfg.Operation, action, name, cfg.Request)
	case "restrequest":
		if cfg.RestRequest == nil {
			break
		}
		ifc := im.ifaces[cfg.Service]
		method := cfg.RestRequest.Method
		path := cfg.ResourcePath
		if ifc != nil {
			if m, p := findMethod(ifc, cfg.ResourcePath, cfg.MethodName); m != "" {
				method, path = m, p
			}
		}
		return im.restRequest(ifc, method, path, name, cfg.RestRequest)
	case "httprequest":
		call := &suiCall{Endpoint: cfg.Endpoint, MediaType: cfg.MediaType, Parameters: cfg.Parameters, Assertions: cfg.Assertions,
			Settings: cfg.Settings}
		if cfg.Request != nil {
			call.Request = cfg.Request.Text // the step's config is the request: <con:request> is its body
		}
		return im.restRequest(nil, cfg.Method, "", name, call)
	}
	im.skipped++
	return nil
}

// findMethod finds a REST method by its resource path and name: its HTTP
// method and full path.
func findMethod(ifc *suiInterface, resourcePath, methodName string) (string, string) {
	var walk func(rs []suiResource, parent string, depth int) (string, string)
	walk = func(rs []suiResource, parent string, depth int) (string, string) {
		if depth > maxResourceDepth {
			return "", ""
		}
		for _, r := range rs {
			p := joinPath(parent, r.Path)
			for _, m := range r.Methods {
				if m.Name == methodName && (resourcePath == "" || strings.HasSuffix(p, resourcePath) || strings.HasSuffix(resourcePath, p)) {
					return m.Method, p
				}
			}
			if m, mp := walk(r.Resources, p, depth+1); m != "" {
				return m, mp
			}
		}
		return "", ""
	}
	return walk(ifc.Resources, ifc.BasePath, 0)
}

// statusTests turns a "Valid HTTP Status Codes" assertion into a test.
func statusTests(as []suiAssertion) []postman.Event {
	for _, a := range as {
		if a.Type != "Valid HTTP Status Codes" || strings.TrimSpace(a.Codes) == "" {
			continue
		}
		var codes []string
		for _, c := range strings.FieldsFunc(a.Codes, func(r rune) bool { return r == ',' || r == ' ' }) {
			if n := strings.TrimSpace(c); n != "" && strings.Trim(n, "0123456789") == "" {
				codes = append(codes, n)
			}
		}
		if len(codes) == 0 {
			continue
		}
		script := fmt.Sprintf("pm.test(\"Valid HTTP status codes\", function () {\n    pm.expect(pm.response.code).to.be.oneOf([%s]);\n});",
			strings.Join(codes, ", "))
		return []postman.Event{{Listen: postman.ListenTest, Script: postman.NewScript(script)}}
	}
	return nil
}

// soapUIErr says why a document is not a SoapUI project.
func soapUIErr(data []byte, err error) error {
	var se *xml.SyntaxError
	switch {
	case errors.As(err, &se):
		return generate.Inputf(DocumentField, "is not well-formed XML: line %d: %s", se.Line, se.Msg)
	case errors.Is(err, io.EOF):
		return generate.Inputf(DocumentField, "is not XML: it has no element")
	}
	var ue xml.UnmarshalError
	if errors.As(err, &ue) && strings.Contains(string(ue), "expected element type <soapui-project>") {
		root := rootName(data)
		return generate.Inputf(DocumentField, "is not a SoapUI project: the root element is <%s>, not <con:soapui-project>", root)
	}
	return generate.Inputf(DocumentField, "is not a SoapUI project: %v", err)
}

// rootName is the document's root element name as written.
func rootName(data []byte) string {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.CharsetReader = charset.NewReaderLabel
	for {
		tok, err := dec.Token()
		if err != nil {
			return "?"
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se.Name.Local
		}
	}
}

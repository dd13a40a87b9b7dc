package imports

import (
	"strings"
	"testing"
)

func TestSoapUIProject(t *testing.T) {
	r, err := SoapUI(read(t, "testdata", "soapui", "library-project.xml"))
	if err != nil {
		t.Fatal(err)
	}
	valid(t, "library-project.xml", r)
	c := r.Collection
	if c.Info.Name != "City Library" || c.Info.Description.String() != "Loans and catalogue of the city library" ||
		len(c.Variable) != 1 || c.Variable[0].Key != "branch" || c.Variable[0].String() != "central" {
		t.Errorf("info: %+v %v", c.Info, c.Variable)
	}
	if got := names(c.Item); strings.Join(got, ",") != "LoanServiceSoap,LoanServiceSoap12,Catalogue API,Lending flow" {
		t.Fatalf("folders: %v", got)
	}

	soap := c.Item[0].Item
	if got := names(soap); strings.Join(got, ",") != "Borrow one book,Return on time,Return late" {
		t.Fatalf("saved calls: %v", got)
	}
	borrow := soap[0].Request
	if borrow.Method != "POST" || borrow.URL.String() != "http://library.example/loans" || header(borrow, "SOAPAction") != `"urn:library:loans/BorrowBook"` ||
		!strings.HasPrefix(header(borrow, "Content-Type"), "text/xml") || borrow.Body.Language() != "xml" ||
		!strings.Contains(borrow.Body.Raw, "<loan:memberId>M-1042</loan:memberId>") {
		t.Errorf("SOAP call: %s %v\n%s", borrow.URL, borrow.Header, borrow.Body.Raw)
	}
	if borrow.Auth == nil || borrow.Auth.Type != "basic" || borrow.Auth.String("username") != "desk" {
		t.Errorf("credentials: %+v", borrow.Auth)
	}
	if soap[1].Request.URL.String() != "http://library.example/loans" {
		t.Errorf("a call without an endpoint takes the interface's: %s", soap[1].Request.URL)
	}
	if ct := header(c.Item[1].Item[0].Request, "Content-Type"); !strings.Contains(ct, "application/soap+xml") ||
		!strings.Contains(ct, `action="urn:library:loans/BorrowBook"`) {
		t.Errorf("SOAP 1.2: %s", ct)
	}

	rest := c.Item[2].Item
	if got := names(rest); strings.Join(got, ",") != "Search books,Add book,Get book" {
		t.Fatalf("REST requests: %v", got)
	}
	if u := rest[0].Request.URL.String(); u != "https://catalogue.library.example/api/v2/books?genre=science+fiction&page=2" ||
		header(rest[0].Request, "Accept") != "application/json" {
		t.Errorf("search: %s %v", u, rest[0].Request.Header)
	}
	if add := rest[1].Request; add.Method != "POST" || add.Body.Language() != "json" || !strings.Contains(add.Body.Raw, "The Hobbit") {
		t.Errorf("add: %+v", add)
	}
	if u := rest[2].Request.URL.String(); u != "https://catalogue.library.example/api/v2/books/978-0-547-92822-7" {
		t.Errorf("a template parameter fills the path: %s", u)
	}

	suite := c.Item[3]
	if len(suite.Item) != 1 || suite.Item[0].Name != "Borrow and check" {
		t.Fatalf("test cases: %v", names(suite.Item))
	}
	steps := suite.Item[0].Item
	if got := names(steps); strings.Join(got, ",") != "Borrow,Check the book,Notify the desk" {
		t.Fatalf("request steps: %v", got)
	}
	if s := steps[0]; header(s.Request, "SOAPAction") != `"urn:library:loans/BorrowBook"` || len(s.Event) != 1 ||
		!strings.Contains(s.Event[0].Script.Source(), "oneOf([200, 201])") {
		t.Errorf("SOAP step: %v %+v", s.Request.Header, s.Event)
	}
	if s := steps[1]; s.Request.Method != "GET" || s.Request.URL.String() != "https://catalogue.library.example/api/v2/books/978-0-13-468599-1" {
		t.Errorf("REST step: %s %s", s.Request.Method, s.Request.URL)
	}
	if s := steps[2].Request; s.Method != "POST" || s.URL.String() != "https://desk.library.example/notify" || header(s, "X-Desk") != "north" ||
		s.Body == nil || s.Body.Raw != `{"event": "borrowed"}` {
		t.Errorf("HTTP step: %+v %v", s, s.Header)
	}
	if !hasWarning(r, "2 test steps are not requests") {
		t.Errorf("warnings: %v", r.Warnings)
	}
}

func TestSoapUIBadProjects(t *testing.T) {
	for name, c := range map[string]struct{ doc, want string }{
		"malformed": {"<con:soapui-project xmlns:con=\"http://eviware.com/soapui/config\">\n<con:interface>\n</con:soapui-project>", "not well-formed XML: line 3"},
		"other":     {`<definitions xmlns="http://schemas.xmlsoap.org/wsdl/"/>`, "the root element is <definitions>"},
		"nothing":   {`<con:soapui-project name="x" xmlns:con="http://eviware.com/soapui/config"><con:testSuite name="s"/></con:soapui-project>`, "holds no request"},
		"not xml":   {`{"info": {}}`, "is not XML"},
		"empty":     {"", "is empty"},
	} {
		_, err := SoapUI([]byte(c.doc))
		wantInputErr(t, name, err, DocumentField, c.want)
	}
}

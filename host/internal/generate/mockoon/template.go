package mockoon

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/generate/imports"
)

// tpl translates Mockoon's Handlebars helpers.
type tpl struct {
	rep   *StubReport
	segs  []imports.Segment // the route's segments; nil for a pattern
	fixed map[string]string // route parameters a rule fixed
	on    bool              // templating is on (not disableTemplating)
}

// text translates a string sent as text (a body, a header value).
func (tp *tpl) text(s, where string) string {
	if !tp.on {
		if n := imports.Literal(s); n != "" {
			tp.rep.Note("%s: %s", where, n)
		}
		return s
	}
	b := imports.Translate(s, where, tp.rep, func(m *imports.Mustache) (imports.Translated, bool) {
		o, ok := tp.mustache(m, where)
		return imports.Translated{Text: o.text, Expr: o.expr, Def: o.def}, ok
	})
	return b.S
}

type out struct {
	text, expr string
	def        *string
}

// arg is positional argument i as text ("" when absent).
func arg(m *imports.Mustache, i int) (imports.Arg, bool) {
	if i < len(m.Args) {
		return m.Args[i], true
	}
	return imports.Arg{}, false
}

// mustache translates one helper; false (reported) when it has no
// Mockarty equivalent, and it is then left in the text as written.
func (tp *tpl) mustache(m *imports.Mustache, where string) (out, bool) {
	fail := func(why string) (out, bool) {
		tp.rep.Skip("%s: %s (%s)", where, m.Raw, why)
		return out{}, false
	}
	if m.Block || m.Bad {
		return fail("block helpers and comments are not translated")
	}
	for _, a := range m.Args {
		if a.Sub {
			return fail("sub-expressions are not translated")
		}
	}
	name, _ := arg(m, 0)
	var o out
	switch m.Name {
	case "urlParam":
		if v, ok := tp.fixed[name.Text]; ok {
			return out{text: v}, true
		}
		if tp.segs == nil {
			return fail("the route is a pattern, whose parameters templates cannot read")
		}
		found := false
		for _, s := range tp.segs {
			found = found || (s.Param && s.Text == name.Text)
		}
		if !found {
			return fail("the route has no parameter " + name.Text)
		}
		o.expr = imports.Member("$.pathParam", name.Text)
	case "queryParam", "queryParamRaw":
		if name.Text == "" || strings.ContainsAny(name.Text, ".[") {
			return fail("only one query parameter by name is translated")
		}
		o.expr = imports.Member("$.queryParams", name.Text)
	case "body", "bodyRaw":
		p, ok := imports.BodyPath(name.Text)
		if !ok {
			return fail("the path has no JSONPath equivalent")
		}
		o.expr = "$.req" + strings.TrimPrefix(p, "$")
	case "header":
		if name.Text == "" {
			return fail("a header needs its name")
		}
		o.expr = imports.Member("$.reqHeader", name.Text) + "[0]"
	case "faker":
		e, why := fakerExpr(name.Text, m)
		if why != "" {
			return fail(why)
		}
		o.expr = e
	default:
		e, ok := legacyHelper(m)
		if !ok {
			return fail("no Mockarty equivalent")
		}
		o.expr = e
	}
	switch m.Name {
	case "queryParam", "queryParamRaw", "body", "bodyRaw", "header":
		if d, ok := arg(m, 1); ok {
			o.def = &d.Text
		}
	}
	if err := imports.CheckExpr(o.expr); err != nil {
		return fail(fmt.Sprintf("it became %s, which Mockarty refuses: %v", o.expr, err))
	}
	return o, true
}

// fakers maps Faker.js methods (and their older names, which Mockoon's
// migrations still meet) to Mockarty fakers.
var fakers = map[string]string{
	"person.firstName": "FirstName", "person.lastName": "LastName", "person.fullName": "FullName",
	"person.jobTitle": "JobTitle", "person.sex": "Gender", "person.gender": "Gender",
	"name.firstName": "FirstName", "name.lastName": "LastName", "name.findName": "FullName", "name.fullName": "FullName",
	"name.jobTitle": "JobTitle", "name.gender": "Gender",
	"internet.email": "Email", "internet.exampleEmail": "Email", "internet.userName": "Username",
	"internet.username": "Username", "internet.password": "Password", "internet.url": "URL",
	"internet.domainName": "DomainName", "internet.ip": "IPv4", "internet.ipv4": "IPv4", "internet.ipv6": "IPv6",
	"internet.mac": "MacAddress", "internet.userAgent": "UserAgent", "internet.color": "HexColor",
	"internet.jwt": "JWT", "internet.httpMethod": "HTTPMethod", "internet.httpStatusCode": "HTTPStatusCode",
	"string.uuid": "UUID", "datatype.uuid": "UUID", "random.uuid": "UUID",
	"location.city": "City", "location.state": "State", "location.country": "Country",
	"location.countryCode": "CountryCode", "location.streetAddress": "StreetAddress", "location.street": "StreetAddress",
	"location.zipCode": "ZipCode", "location.latitude": "Latitude", "location.longitude": "Longitude",
	"address.city": "City", "address.state": "State", "address.country": "Country", "address.countryCode": "CountryCode",
	"address.streetAddress": "StreetAddress", "address.zipCode": "ZipCode", "address.latitude": "Latitude",
	"address.longitude": "Longitude",
	"phone.number":      "PhoneNumber", "phone.phoneNumber": "PhoneNumber",
	"company.name": "CompanyName", "company.companyName": "CompanyName",
	"lorem.word": "Word", "lorem.sentence": "Sentence", "lorem.paragraph": "Paragraph",
	"word.noun": "Noun", "word.verb": "Verb", "word.adjective": "Adjective",
	"commerce.productName": "ProductName", "commerce.price": "Price",
	"finance.creditCardNumber": "CreditCardNumber", "finance.currencyCode": "Currency",
	"finance.bitcoinAddress": "BitcoinAddress",
	"color.rgb":              "HexColor", "color.human": "Color",
	"datatype.boolean": "Bool", "random.boolean": "Bool",
	"system.semver": "AppVersion", "hacker.noun": "Noun", "hacker.verb": "Verb", "hacker.adjective": "Adjective",
}

// numberFakers take bounds: {min, max} as hash arguments, a JSON object,
// or a single number (the maximum).
var numberFakers = map[string]string{
	"number.int": "IntBetween", "datatype.number": "IntBetween", "random.number": "IntBetween",
	"number.float": "FloatRange", "datatype.float": "FloatRange",
}

func fakerExpr(method string, m *imports.Mustache) (string, string) {
	if f, ok := fakers[method]; ok {
		if len(m.Args) > 1 || len(m.Hash) > 0 {
			return "", "the Mockarty faker " + f + " takes no options"
		}
		return "$.fake." + f, ""
	}
	fn, ok := numberFakers[method]
	if !ok {
		return "", "no Mockarty faker for " + method
	}
	lo, hi, given, ok := bounds(m)
	switch {
	case !ok:
		return "", "its options are not bounds"
	case !given && fn == "IntBetween":
		return "$.fake.Int", ""
	case !given:
		return "$.fake.Float64", ""
	case fn == "IntBetween":
		return fmt.Sprintf("$.fake.IntBetween(%v, %v)", int64(lo), int64(hi)), ""
	}
	return fmt.Sprintf("$.fake.FloatRange(%v, %v)", lo, hi), ""
}

// bounds reads {min, max} of a number faker; Faker.js's minimum is 0.
func bounds(m *imports.Mustache) (lo, hi float64, given, ok bool) {
	num := func(s string) (float64, bool) {
		f, err := strconv.ParseFloat(s, 64)
		return f, err == nil
	}
	if mn, ok := m.Hash["min"]; ok {
		lo, ok = num(mn.Text)
		if !ok {
			return 0, 0, false, false
		}
		given = true
	}
	if mx, ok := m.Hash["max"]; ok {
		hi, ok = num(mx.Text)
		if !ok {
			return 0, 0, false, false
		}
		given = true
	}
	if given {
		return lo, hi, true, true
	}
	a, has := arg(m, 1)
	if !has {
		return 0, 0, false, true
	}
	if f, isNum := num(a.Text); isNum {
		return 0, f, true, true
	}
	var obj struct{ Min, Max *float64 }
	if json.Unmarshal([]byte(a.Text), &obj) != nil || obj.Max == nil {
		return 0, 0, false, false
	}
	if obj.Min != nil {
		lo = *obj.Min
	}
	return lo, *obj.Max, true, true
}

// legacyHelper translates the older random helpers of Mockoon's templates.
func legacyHelper(m *imports.Mustache) (string, bool) {
	simple := map[string]string{
		"uuid": "UUID", "guid": "UUID", "boolean": "Bool", "firstName": "FirstName", "lastName": "LastName",
		"email": "Email", "company": "Company", "city": "City", "country": "Country", "countryCode": "CountryCode",
		"street": "StreetAddress", "zipcode": "ZipCode", "postcode": "ZipCode", "phone": "PhoneNumber",
		"hexColor": "HexColor", "ipv4": "IPv4", "ipv6": "IPv6", "lat": "Latitude", "long": "Longitude", "domain": "DomainName",
	}
	if f, ok := simple[m.Name]; ok && len(m.Args) == 0 && len(m.Hash) == 0 {
		return "$.fake." + f, true
	}
	if m.Name != "int" && m.Name != "float" {
		return "", false
	}
	if len(m.Args) != 2 || len(m.Hash) > 0 {
		return "", false
	}
	lo, err1 := strconv.ParseFloat(m.Args[0].Text, 64)
	hi, err2 := strconv.ParseFloat(m.Args[1].Text, 64)
	if err1 != nil || err2 != nil {
		return "", false
	}
	if m.Name == "int" {
		return fmt.Sprintf("$.fake.IntBetween(%d, %d)", int64(lo), int64(hi)), true
	}
	return fmt.Sprintf("$.fake.FloatRange(%v, %v)", lo, hi), true
}

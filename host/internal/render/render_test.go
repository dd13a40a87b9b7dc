package render

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
)

type mapStores map[string]map[string]any

func (m mapStores) StoreValue(scope, key string) (any, bool) {
	v, ok := m[scope][key]
	return v, ok
}
func (m mapStores) StoreAll(scope string) map[string]any { return m[scope] }

func render(t *testing.T, doc string, d *Data) string {
	t.Helper()
	tpl, err := CompileJSON(json.RawMessage(doc))
	if err != nil {
		t.Fatalf("compile %s: %v", doc, err)
	}
	return string(tpl.Render(d))
}

func testData() *Data {
	var body any
	_ = json.Unmarshal([]byte(`{"userId":"u-1","order":{"items":[{"id":"i1","price":50},{"id":"i2","price":150}]},"n":3}`), &body)
	return &Data{
		Body:       body,
		Headers:    map[string][]string{"authorization": {"Bearer abc"}},
		Query:      map[string][]string{"limit": {"10"}, "tag": {"a", "b"}},
		PathParams: map[string]string{"id": "42"},
		Namespace:  "sandbox",
		Stores:     mapStores{"gS": {"counter": 7.0, "flags": map[string]any{"beta": true}}, "cS": {"orderId": "o-9"}},
	}
}

func TestRenderPrefixes(t *testing.T) {
	d := testData()
	cases := map[string]string{
		`{"userId":"$.pathParam.id","ns":"$.namespace"}`:                                           `{"userId":"42","ns":"sandbox"}`,
		`{"u":"$.req.userId","b":"$.body.order.items[0].id"}`:                                      `{"u":"u-1","b":"i1"}`,
		`{"auth":"$.reqHeader.Authorization[0]"}`:                                                  `{"auth":"Bearer abc"}`,
		`{"limit":"$.queryParams.limit","tags":"$.queryParams.tag"}`:                               `{"limit":"10","tags":["a","b"]}`,
		`{"flags":"$.gS.flags","order":"$.cS.orderId"}`:                                            `{"flags":{"beta":true},"order":"o-9"}`,
		`{"next":"$.increment($.gS.counter || 0)","fresh":"$.increment($.gS.none || 0)"}`:          `{"next":8,"fresh":1}`,
		`{"s":"$.sum(2, $.req.n)","m":"$.multiply($.req.n, 2.5)","d":"$.subtract(10, 4)"}`:         `{"s":5,"m":7.5,"d":6}`,
		`{"expensive":"$.req.order.items[?(@.price > 100)].id"}`:                                   `{"expensive":["i2"]}`,
		`{"msg":"Found 2 items for \"$.req.userId\"","url":"https://x.test/$.pathParam.id/items"}`: `{"msg":"Found 2 items for \"u-1\"","url":"https://x.test/42/items"}`,
		`{"missing":"$.req.nope || \"none\"","price":"costs $5.00"}`:                               `{"missing":"none","price":"costs $5.00"}`,
		`{"keep":[1,2.50,true,null,{"a":"b"}]}`:                                                    `{"keep":[1,2.50,true,null,{"a":"b"}]}`,
	}
	for doc, want := range cases {
		if got := render(t, doc, d); got != want {
			t.Errorf("%s\n got %s\nwant %s", doc, got, want)
		}
	}
}

func TestRenderFakers(t *testing.T) {
	d := testData()
	out := render(t, `{"id":"$.fake.UUID","n":"$.fake.IntBetween(100, 9900)","f":"$.fake.FloatRange(1,2)","r":"$.fake.IntRange(5,5)","when":"$.fake.DateTimeISO","chat":"chatcmpl-$.fake.UUID"}`, d)
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	uuidRe := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	if !uuidRe.MatchString(v["id"].(string)) {
		t.Errorf("UUID: %v", v["id"])
	}
	if n := v["n"].(float64); n < 100 || n > 9900 {
		t.Errorf("IntBetween: %v", n)
	}
	if f := v["f"].(float64); f < 1 || f > 2 {
		t.Errorf("FloatRange: %v", f)
	}
	if v["r"].(float64) != 5 {
		t.Errorf("IntRange: %v", v["r"])
	}
	if !strings.HasPrefix(v["chat"].(string), "chatcmpl-") || !uuidRe.MatchString(strings.TrimPrefix(v["chat"].(string), "chatcmpl-")) {
		t.Errorf("interpolated faker: %v", v["chat"])
	}
	// Fresh on every call.
	if render(t, `"$.fake.UUID"`, d) == render(t, `"$.fake.UUID"`, d) {
		t.Error("fakers must be evaluated per render")
	}
	for _, name := range []string{"UUID", "UUIDDigit", "Name", "FirstName", "LastName", "Email", "Username", "Password", "Word", "Sentence",
		"Company", "City", "Country", "CountryCode", "Address", "StreetAddress", "ZipCode", "PhoneNumber", "URL", "DomainName", "IPv4",
		"MacAddress", "JWT", "JobTitle", "Gender", "Bool", "Price", "PositiveInt", "Latitude", "Longitude", "Timestamp", "UnixTime", "Date",
		"DateISO", "DateTimeISO", "FullName", "CompanyName", "ProductName", "Float64", "Amount", "Zip", "Phone", "State", "HexColor",
		"UserAgent", "CreditCardNumber", "Paragraph"} {
		v, err := Fake(name, nil, false)
		if err != nil || v == nil || v == "" {
			t.Errorf("faker %s: %v %v", name, v, err)
		}
	}
}

func TestStaticAndText(t *testing.T) {
	tpl, err := CompileJSON(json.RawMessage(`{"message": "Hello, World!"}`))
	if err != nil || tpl.Dynamic() || string(tpl.Render(nil)) != `{"message":"Hello, World!"}` {
		t.Fatalf("static: %s %v", tpl.Render(nil), err)
	}
	tpl, _ = CompileJSON(json.RawMessage(`"<ok id=\"$.pathParam.id\"/>"`))
	if got := string(tpl.Render(testData())); got != `<ok id="42"/>` {
		t.Fatalf("text payload: %s", got)
	}
	tpl, _ = CompileText("Hello $.req.userId.")
	if got := string(tpl.Render(testData())); got != "Hello u-1." {
		t.Fatalf("text template: %q", got)
	}
}

func TestCompileErrors(t *testing.T) {
	for _, bad := range []string{"$.fake.NoSuchThing", "$.fake.IntBetween(a,b)", "$.increment()", "$.req.items[?(@.x >"} {
		if _, err := Compile(bad); err == nil {
			t.Errorf("%q should not compile", bad)
		}
	}
}

func FuzzRender(f *testing.F) {
	f.Add(`{"a":"$.req.x","b":"pre $.pathParam.id post","c":"$.increment($.gS.counter || 0)"}`)
	f.Add(`"$.fake.IntBetween(1, 3)"`)
	f.Add(`{"f":"$.req.items[?(@.price > 100)].id","m":"$.multiply($.req.n, 2)"}`)
	f.Add(`["$.", "$.req", "$.fake.", "$.sum(1,", "$$.req.a"]`)
	f.Fuzz(func(t *testing.T, doc string) {
		tpl, err := CompileJSON(json.RawMessage(doc))
		if err != nil {
			return
		}
		out := tpl.Render(testData())
		if len(out) > 0 && !tpl.IsText() && !json.Valid(out) {
			t.Fatalf("rendered JSON is not valid: %q -> %q", doc, out)
		}
	})
}

func TestDefaultsHyphensAndFakerCheck(t *testing.T) {
	d := testData()
	if got := render(t, `{"a":"$.req.missing || fallback","b":"pre-$.req.userId-post","c":"id: $.reqHeader.Authorization[0]!"}`, d); got != `{"a":"fallback","b":"pre-u-1-post","c":"id: Bearer abc!"}` {
		t.Fatalf("got %s", got)
	}
	if err := CheckFakers(json.RawMessage(`{"a":"$.fake.UUID","b":"x-$.fake.IntBetween(1,2)"}`)); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{`"$.fake.Nope"`, `"x-$.fake.Blah-y"`, `"$.fake.IntBetween"`, `"$.fake.UUID(1,2)"`} {
		if err := CheckFakers(json.RawMessage(bad)); err == nil {
			t.Errorf("%s must be refused", bad)
		}
	}
}

// A template that repeats the request body cannot grow one request into an
// unbounded response: past the limit the rendering stops and fails clearly.
func TestOutputLimit(t *testing.T) {
	SetMaxOutput(1000)
	defer SetMaxOutput(0)
	big := strings.Repeat("x", 300)
	d := &Data{Body: map[string]any{"s": big}}
	tpl, err := CompileJSON(json.RawMessage(`{"a":"$.req.s","b":"$.req.s","c":"$.req.s","d":"$.req.s","e":"$.req.s"}`))
	if err != nil {
		t.Fatal(err)
	}
	out, err := tpl.RenderChecked(d)
	var oe *OutputError
	if !errors.As(err, &oe) || oe.Limit != 1000 || out != nil || !strings.Contains(err.Error(), "TEMPLATE_MAX_OUTPUT_MB") {
		t.Fatalf("over the limit: %v %d bytes", err, len(out))
	}
	var doc map[string]string
	if err := json.Unmarshal(tpl.Render(d), &doc); err != nil || doc["code"] != CodeTooLarge || doc["error"] == "" {
		t.Fatalf("Render gives the error document: %s %v", tpl.Render(d), err)
	}
	// Three copies fit.
	tpl, _ = CompileJSON(json.RawMessage(`["$.req.s","$.req.s","$.req.s"]`))
	if out, err := tpl.RenderChecked(d); err != nil || len(out) < 900 {
		t.Fatalf("under the limit: %v %d", err, len(out))
	}
	// Interpolated text and text documents have the same bound.
	for _, doc := range []string{`"$.req.s $.req.s $.req.s $.req.s"`, `{"t":"$.req.s-$.req.s-$.req.s-$.req.s"}`} {
		tpl, _ = CompileJSON(json.RawMessage(doc))
		if _, err := tpl.RenderChecked(d); !errors.As(err, &oe) {
			t.Fatalf("%s: %v", doc, err)
		}
	}
	tpl, _ = CompileJSON(json.RawMessage(`"$.req.s $.req.s $.req.s $.req.s"`))
	if got := string(tpl.Render(d)); !strings.Contains(got, "larger than 1000 bytes") {
		t.Fatalf("a text document renders the message: %q", got)
	}
	// A stored or sent value is bounded the same way.
	tpl, _ = CompileJSON(json.RawMessage(`{"t":"$.req.s-$.req.s-$.req.s-$.req.s"}`))
	if v := tpl.Value(d).(map[string]any); v["t"] != nil {
		t.Fatalf("value over the limit: %d bytes", len(v["t"].(string)))
	}
	// Constant documents are the mock's own: no limit.
	tpl, _ = CompileJSON(json.RawMessage(`{"big":"` + strings.Repeat("y", 5000) + `"}`))
	if out, err := tpl.RenderChecked(d); err != nil || len(out) < 5000 {
		t.Fatalf("static: %v", err)
	}
}

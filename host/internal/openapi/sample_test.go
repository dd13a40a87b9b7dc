package openapi

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"
)

// A pattern's sample matches it and holds no control characters (\s is
// drawn as a space).
func TestPatternSamplesAreReadable(t *testing.T) {
	for _, p := range []string{`^[A-Z]{3}\s[0-9]{2}$`, `^\S+@\S+$`, `^[a-z]+(-[a-z]+)*$`} {
		s := &openapi3.Schema{Type: &openapi3.Types{"string"}, Pattern: p}
		v, ok := Sample(&openapi3.SchemaRef{Value: s}, "code", Response).(string)
		if !ok || !regexp.MustCompile(p).MatchString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0 {
			t.Errorf("%s: %q", p, v)
		}
	}
}

// Two parts of an allOf that both give a property both apply: a generic
// "items: object" does not hide the precise items of another part.
func TestAllOfPartsOfOnePropertyBothApply(t *testing.T) {
	station := &openapi3.Schema{Type: &openapi3.Types{"object"}, Required: []string{"id"},
		Properties: openapi3.Schemas{"id": {Value: &openapi3.Schema{Type: &openapi3.Types{"string"}, Format: "uuid"}}}}
	arr := func(items *openapi3.Schema) *openapi3.SchemaRef {
		return &openapi3.SchemaRef{Value: &openapi3.Schema{Type: &openapi3.Types{"array"}, Items: &openapi3.SchemaRef{Value: items}}}
	}
	s := &openapi3.Schema{AllOf: openapi3.SchemaRefs{
		{Value: &openapi3.Schema{Properties: openapi3.Schemas{"data": arr(&openapi3.Schema{Type: &openapi3.Types{"object"}})}}},
		{Value: &openapi3.Schema{Properties: openapi3.Schemas{"data": arr(station)}}},
	}}
	v := Sample(&openapi3.SchemaRef{Value: s}, "", Response)
	data, _ := v.(map[string]any)["data"].([]any)
	if len(data) != 1 || data[0].(map[string]any)["id"] == nil {
		t.Fatalf("sample: %v", v)
	}
}

// A description asking for huge strings still gives small samples, fast.
func TestSamplesStayBounded(t *testing.T) {
	for _, s := range []*openapi3.Schema{
		{Type: &openapi3.Types{"string"}, MinLength: 1 << 40},
		{Type: &openapi3.Types{"string"}, Pattern: `^[a-z]{100000}$`},
		{Type: &openapi3.Types{"string"}, Pattern: `^(a{200}){200}$`},
		{Type: &openapi3.Types{"string"}, Pattern: `^((a{250}){250}){250}$`},
	} {
		v, _ := Sample(&openapi3.SchemaRef{Value: s}, "x", Response).(string)
		if len(v) > maxSampleText+16 {
			t.Errorf("%+v: a sample of %d bytes", s, len(v))
		}
	}
}

// Schemas that require themselves stop: through minItems, a oneOf beside
// properties, and three required self-references.
func TestSelfRequiringSchemasStop(t *testing.T) {
	arr := &openapi3.Schema{Type: &openapi3.Types{"array"}, MinItems: 1}
	arr.Items = &openapi3.SchemaRef{Value: arr}
	one := &openapi3.Schema{Properties: openapi3.Schemas{"x": {Value: &openapi3.Schema{Type: &openapi3.Types{"string"}}}}}
	one.OneOf = openapi3.SchemaRefs{{Value: one}}
	tri := &openapi3.Schema{Type: &openapi3.Types{"object"}, Required: []string{"a", "b", "c"}}
	tri.Properties = openapi3.Schemas{"a": {Value: tri}, "b": {Value: tri}, "c": {Value: tri}}
	for _, s := range []*openapi3.Schema{arr, one, tri} {
		_ = Sample(&openapi3.SchemaRef{Value: s}, "x", Response) // returns at all
	}
}

// Fits checks patterns itself (kin-openapi would keep every pattern it
// compiled): a value breaking a nested pattern does not fit.
func TestFitsChecksNestedPatterns(t *testing.T) {
	s := &openapi3.Schema{Type: &openapi3.Types{"object"}, Properties: openapi3.Schemas{
		"keys": {Value: &openapi3.Schema{Type: &openapi3.Types{"array"}, Items: &openapi3.SchemaRef{Value: &openapi3.Schema{Type: &openapi3.Types{"string"}, Pattern: `^[0-9]+_[0-9]+$`}}}}}}
	if !Fits(s, map[string]any{"keys": []any{"1_2"}}, Response) || Fits(s, map[string]any{"keys": []any{"1_2", "x"}}, Response) {
		t.Fatal("nested pattern")
	}
}

// A plain sample holds no template, fits its schema, keeps the schema's
// own example (even one holding "$.") and is the same on every call.
func TestSamplePlain(t *testing.T) {
	str := func(format string) *openapi3.SchemaRef {
		return &openapi3.SchemaRef{Value: &openapi3.Schema{Type: &openapi3.Types{"string"}, Format: format}}
	}
	typ := func(name string) *openapi3.SchemaRef {
		return &openapi3.SchemaRef{Value: &openapi3.Schema{Type: &openapi3.Types{name}}}
	}
	lo, hi := 5.0, 9.0
	s := &openapi3.Schema{Type: &openapi3.Types{"object"}, Properties: openapi3.Schemas{
		"id": str("uuid"), "email": typ("string"), "createdAt": str("date-time"), "name": typ("string"), "note": typ("string"),
		"age": typ("integer"), "count": typ("integer"), "price": typ("number"), "active": typ("boolean"),
		"bounded": {Value: &openapi3.Schema{Type: &openapi3.Types{"integer"}, Min: &lo, Max: &hi}},
		"rate":    {Value: &openapi3.Schema{Type: &openapi3.Types{"number"}, Min: &lo, Max: &hi}},
		"price2":  {Value: &openapi3.Schema{Type: &openapi3.Types{"string"}, Example: "costs $.99"}},
		"tags":    {Value: &openapi3.Schema{Type: &openapi3.Types{"array"}, Items: typ("string")}},
		"secret":  {Value: &openapi3.Schema{Type: &openapi3.Types{"string"}, ReadOnly: true}},
	}}
	ref := &openapi3.SchemaRef{Value: s}
	v := SamplePlain(ref, "", Request)
	b, _ := json.Marshal(v)
	if strings.Contains(strings.ReplaceAll(string(b), "costs $.99", ""), "$.") {
		t.Fatalf("a template in a plain sample: %s", b)
	}
	m := v.(map[string]any)
	if m["email"] != "user@example.com" || m["id"] != "3fa85f64-5717-4562-b3fc-2c963f66afa6" || m["active"] != true ||
		m["price2"] != "costs $.99" || m["secret"] != nil || m["bounded"] != json.Number("5") || m["rate"] != 7.0 {
		t.Errorf("sample: %s", b)
	}
	if !fitsSchema(s, jsonValue(t, b), Request) {
		t.Errorf("the sample does not fit: %s", b)
	}
	again, _ := json.Marshal(SamplePlain(ref, "", Request))
	if string(again) != string(b) {
		t.Errorf("two samples differ:\n%s\n%s", b, again)
	}
	if tmpl, _ := json.Marshal(Sample(ref, "", Request)); !strings.Contains(string(tmpl), "$.fake.") {
		t.Errorf("Sample still gives templates: %s", tmpl)
	}
}

func jsonValue(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

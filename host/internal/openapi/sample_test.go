package openapi

import (
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

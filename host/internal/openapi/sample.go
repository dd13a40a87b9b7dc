package openapi

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"regexp/syntax"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/brianvoe/gofakeit/v7"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/mockarty-oss/mockarty/host/internal/generate/fakes"
)

// A sample is a value of a schema written as a mock payload: leaves are
// $.fake.* templates chosen by format, then by the field's name, so each
// call answers fresh data; where a faker could break a constraint
// (pattern, length, bounds, multipleOf) the value is computed once, here,
// to fit it. The schema's own const, examples, default and enum win when
// they fit the schema. oneOf and anyOf take their first branch, allOf
// merges its parts. Recursive schemas stop at maxDepth, and a whole
// sample at valueBudget values.

const (
	maxDepth    = 6
	valueBudget = 2000
	// hardDepth is where even required values stop.
	hardDepth = 4 * maxDepth
)

// Direction says which of readOnly and writeOnly properties are left out.
type Direction int

const (
	// Response samples leave out writeOnly properties.
	Response Direction = iota
	// Request samples leave out readOnly properties.
	Request
)

// Sample is a template value of the schema, for a field called name.
func Sample(ref *openapi3.SchemaRef, name string, dir Direction) any {
	w := &sampler{dir: dir, budget: valueBudget, faker: gofakeit.New(1)}
	return w.value(ref, name, 0)
}

// SamplePlain is a plain value of the schema, for a field called name:
// what Sample gives, with each $.fake.* template replaced by a fixed value
// of its kind, for documents that are sent as they are rather than
// rendered (a request body in a test collection).
func SamplePlain(ref *openapi3.SchemaRef, name string, dir Direction) any {
	w := &sampler{dir: dir, budget: valueBudget, faker: gofakeit.New(1), plain: true}
	return w.value(ref, name, 0)
}

type sampler struct {
	dir    Direction
	budget int
	faker  *gofakeit.Faker
	// plain: fixed values instead of templates (SamplePlain).
	plain bool
}

func (w *sampler) value(ref *openapi3.SchemaRef, name string, depth int) any {
	w.budget--
	if depth > hardDepth || w.budget < -valueBudget {
		// A schema that requires itself (a required property, minItems, a
		// oneOf leading back) has no finite value: stop, whatever it asks.
		return nil
	}
	if ref == nil || ref.Value == nil {
		return w.fake(fakes.String(name))
	}
	s := ref.Value
	if v, ok := w.fixed(s); ok {
		return v
	}
	if len(s.AllOf) > 0 {
		return w.value(&openapi3.SchemaRef{Value: merged(s)}, name, depth)
	}
	for _, branches := range []openapi3.SchemaRefs{s.OneOf, s.AnyOf} {
		if len(branches) == 0 {
			continue
		}
		b := branches[0]
		if len(s.Properties) == 0 || b.Value == nil {
			return w.value(b, name, depth+1)
		}
		// Properties beside the branches: both apply.
		return w.value(&openapi3.SchemaRef{Value: &openapi3.Schema{AllOf: openapi3.SchemaRefs{
			{Value: withoutBranches(s)}, b}}}, name, depth+1)
	}
	switch typeOf(s) {
	case "object":
		return w.object(s, depth)
	case "array":
		return w.array(s, name, depth)
	case "integer":
		return w.integer(s, name)
	case "number":
		return w.number(s, name)
	case "boolean":
		if w.plain {
			return true
		}
		return "$.fake.Bool"
	case "null":
		return nil
	}
	return w.text(s, name)
}

// fixed is the value the schema gives itself: const, an example, the
// default or the first enum value, when it fits the schema and holds no
// text the template engine would read.
func (w *sampler) fixed(s *openapi3.Schema) (any, bool) {
	if s.Const != nil && safe(s.Const) {
		return s.Const, true
	}
	cands := make([]any, 0, 3)
	if s.Example != nil {
		cands = append(cands, s.Example)
	}
	cands = append(cands, s.Examples...)
	if s.Default != nil {
		cands = append(cands, s.Default)
	}
	for _, v := range cands {
		if w.fits(s, v) {
			return v, true
		}
	}
	for _, v := range s.Enum {
		if v != nil && w.fits(s, v) {
			return v, true
		}
	}
	return nil, false
}

// Fits says whether v is a value of s (formats included) and safe to
// write into a payload as it is.
func Fits(s *openapi3.Schema, v any, dir Direction) bool {
	return safe(v) && fitsSchema(s, v, dir)
}

func fitsSchema(s *openapi3.Schema, v any, dir Direction) bool {
	// kin-openapi keeps every pattern it compiles for the life of the
	// process: patterns are checked here instead (patternsFit), so a
	// description's thousands of patterns do not stay in memory.
	opts := []openapi3.SchemaValidationOption{openapi3.EnableFormatValidation(), openapi3.FailFast(),
		openapi3.DisablePatternValidation()}
	if dir == Response {
		opts = append(opts, openapi3.VisitAsResponse())
	} else {
		opts = append(opts, openapi3.VisitAsRequest())
	}
	return s.VisitJSON(v, opts...) == nil && patternsFit(s, v, 0)
}

// fits is Fits, except that a plain sample may hold "$." (it is never
// rendered).
func (w *sampler) fits(s *openapi3.Schema, v any) bool {
	if w.plain {
		return fitsSchema(s, v, w.dir)
	}
	return Fits(s, v, w.dir)
}

// patternsFit checks the pattern keywords along v: of its strings, the
// properties and items it has, and every part of an allOf (a oneOf or
// anyOf branch's patterns are left unchecked).
func patternsFit(s *openapi3.Schema, v any, depth int) bool {
	if s == nil || depth > 64 {
		return true
	}
	if str, ok := v.(string); ok && s.Pattern != "" {
		re, err := regexp.Compile(s.Pattern)
		if err == nil && !re.MatchString(str) {
			return false
		}
	}
	for _, part := range s.AllOf {
		if part != nil && !patternsFit(part.Value, v, depth+1) {
			return false
		}
	}
	switch x := v.(type) {
	case map[string]any:
		for k, pv := range x {
			if p := s.Properties[k]; p != nil && !patternsFit(p.Value, pv, depth+1) {
				return false
			}
		}
	case []any:
		if s.Items != nil {
			for _, e := range x {
				if !patternsFit(s.Items.Value, e, depth+1) {
					return false
				}
			}
		}
	}
	return true
}

// safe: a literal must not hold text the template engine reads as an
// expression.
func safe(v any) bool {
	b, err := json.Marshal(v)
	return err == nil && !strings.Contains(string(b), "$.")
}

func (w *sampler) object(s *openapi3.Schema, depth int) any {
	out := map[string]any{}
	required := make(map[string]bool, len(s.Required))
	for _, r := range s.Required {
		required[r] = true
	}
	names := make([]string, 0, len(s.Properties))
	for k := range s.Properties {
		names = append(names, k)
	}
	sort.Strings(names)
	deep := depth >= maxDepth || w.budget <= 0
	for _, k := range names {
		p := s.Properties[k]
		if p != nil && p.Value != nil && !required[k] &&
			((w.dir == Response && p.Value.WriteOnly) || (w.dir == Request && p.Value.ReadOnly)) {
			continue
		}
		if deep && !required[k] {
			continue
		}
		if deep && depth >= 3*maxDepth {
			continue // a cycle of required properties: nothing finite fits it
		}
		out[k] = w.value(p, k, depth+1)
	}
	// Required names the properties leave undefined take any value the
	// additional properties allow.
	ap := s.AdditionalProperties
	allowed := ap.Has == nil || *ap.Has
	for _, r := range s.Required {
		if _, ok := out[r]; !ok && s.Properties[r] == nil && allowed {
			out[r] = w.value(ap.Schema, r, depth+1)
		}
	}
	// A map (additionalProperties only) gets one entry, or as many as
	// minProperties asks.
	want := int(min(s.MinProps, 20))
	if len(names) == 0 && ap.Schema != nil && !deep {
		want = max(want, 1)
	}
	for i := 1; allowed && len(out) < want; i++ {
		key := "key" + strconv.Itoa(i)
		if _, taken := out[key]; taken {
			continue
		}
		out[key] = w.value(ap.Schema, key, depth+1)
	}
	return out
}

func (w *sampler) array(s *openapi3.Schema, name string, depth int) any {
	n := max(int(min(s.MinItems, 20)), 1)
	if s.MaxItems != nil && uint64(n) > *s.MaxItems {
		n = int(*s.MaxItems)
	}
	if (depth >= maxDepth || w.budget <= 0) && s.MinItems == 0 {
		n = 0
	}
	out := make([]any, 0, n)
	item := singular(name)
	for i := range n {
		if i < len(s.PrefixItems) {
			out = append(out, w.value(s.PrefixItems[i], item, depth+1))
			continue
		}
		v := w.value(s.Items, item, depth+1)
		if s.UniqueItems && i > 0 {
			v = w.distinct(s.Items, item, i)
		}
		out = append(out, v)
	}
	return out
}

// distinct is the i-th of uniqueItems: a fixed value that differs from
// the others where the item type allows it.
func (w *sampler) distinct(items *openapi3.SchemaRef, name string, i int) any {
	if items == nil || items.Value == nil {
		return fmt.Sprintf("%s-%d", name, i+1)
	}
	s := items.Value
	if len(s.Enum) > i {
		return s.Enum[i]
	}
	switch typeOf(s) {
	case "integer", "number":
		lo, _ := bounds(s, typeOf(s) == "integer")
		return lo + float64(i)
	case "string":
		if s.Format == "" && s.Pattern == "" {
			return w.fitLength(s, fmt.Sprintf("%s%d", strings.Repeat("x", 2), i+1))
		}
	}
	return w.value(items, name, maxDepth)
}

func singular(name string) string {
	switch {
	case strings.HasSuffix(name, "ies"):
		return strings.TrimSuffix(name, "ies") + "y"
	case strings.HasSuffix(name, "ses"), strings.HasSuffix(name, "xes"):
		return strings.TrimSuffix(name, "es")
	}
	return strings.TrimSuffix(name, "s")
}

// bounds is the closed range an integer or number may take.
func bounds(s *openapi3.Schema, integer bool) (lo, hi float64) {
	lo, hi = math.Inf(-1), math.Inf(1)
	step := 0.01
	if integer {
		step = 1
	}
	if s.Min != nil {
		lo = *s.Min
		if s.ExclusiveMin.IsTrue() {
			lo += step
		}
	}
	if s.ExclusiveMin.Value != nil {
		lo = math.Max(lo, *s.ExclusiveMin.Value+step)
	}
	if s.Max != nil {
		hi = *s.Max
		if s.ExclusiveMax.IsTrue() {
			hi -= step
		}
	}
	if s.ExclusiveMax.Value != nil {
		hi = math.Min(hi, *s.ExclusiveMax.Value-step)
	}
	if integer {
		switch s.Format {
		case "int32":
			lo, hi = math.Max(lo, math.MinInt32), math.Min(hi, math.MaxInt32)
		case "uint32":
			lo, hi = math.Max(lo, 0), math.Min(hi, math.MaxUint32)
		}
		lo, hi = math.Ceil(lo), math.Floor(hi)
	}
	switch {
	case math.IsInf(lo, -1) && math.IsInf(hi, 1):
		return 1, 1000
	case math.IsInf(lo, -1):
		if hi >= 1 {
			return 1, hi
		}
		return hi - 1000, hi
	case math.IsInf(hi, 1):
		return lo, lo + 1000
	}
	return lo, hi
}

func (w *sampler) integer(s *openapi3.Schema, name string) any {
	constrained := s.Min != nil || s.Max != nil || s.ExclusiveMin.IsSet() || s.ExclusiveMax.IsSet()
	if s.MultipleOf != nil && *s.MultipleOf > 0 {
		return multiple(s, true)
	}
	if !constrained && (s.Format == "" || s.Format == "int64" || s.Format == "int32") {
		f := fakes.Int(name)
		if s.Format != "int32" || f != "$.fake.UnixTime" {
			return w.fake(f)
		}
	}
	lo, hi := bounds(s, true)
	if lo > hi {
		return lo
	}
	if math.Abs(lo) > 1<<53 || math.Abs(hi) > 1<<53 || w.plain {
		return json.Number(strconv.FormatFloat(lo, 'f', 0, 64))
	}
	return fmt.Sprintf("$.fake.IntBetween(%d, %d)", int64(lo), int64(hi))
}

func (w *sampler) number(s *openapi3.Schema, name string) any {
	constrained := s.Min != nil || s.Max != nil || s.ExclusiveMin.IsSet() || s.ExclusiveMax.IsSet()
	if s.MultipleOf != nil && *s.MultipleOf > 0 {
		return multiple(s, false)
	}
	if !constrained {
		return w.fake(fakes.Float(name))
	}
	lo, hi := bounds(s, false)
	if hi-lo < 0.02 || w.plain {
		return (lo + hi) / 2
	}
	return fmt.Sprintf("$.fake.FloatRange(%s, %s)", strconv.FormatFloat(lo, 'f', -1, 64), strconv.FormatFloat(hi, 'f', -1, 64))
}

// multiple is the first multiple of multipleOf in range.
func multiple(s *openapi3.Schema, integer bool) any {
	m := *s.MultipleOf
	lo, hi := bounds(s, integer)
	v := math.Ceil(lo/m) * m
	if v > hi || math.IsInf(v, 0) || math.IsNaN(v) {
		v = lo
	}
	if integer || v == math.Trunc(v) {
		return json.Number(strconv.FormatFloat(v, 'f', -1, 64))
	}
	return v
}

var staticFormats = map[string]string{
	"byte":      "bW9ja2FydHk=", // "mockarty"
	"binary":    "mockarty",
	"time":      "10:30:00Z",
	"duration":  "P1D",
	"date-time": "2024-01-15T10:30:00Z",
	"date":      "2024-01-15",
	"email":     "user@example.com",
	"uuid":      "3fa85f64-5717-4562-b3fc-2c963f66afa6",
	"uri":       "https://example.com/",
	"ipv4":      "192.0.2.1",
	"ipv6":      "2001:db8::1",
	"hostname":  "example.com",
}

func (w *sampler) text(s *openapi3.Schema, name string) any {
	if s.Pattern != "" {
		if v, ok := w.matching(s); ok {
			return v
		}
	}
	lengthBound := s.MinLength > 0 || s.MaxLength != nil
	if f := fakes.Format(s.Format); f != "" && !w.plain {
		if !lengthBound {
			return f
		}
		if v, ok := staticFormats[s.Format]; ok && Fits(s, v, w.dir) {
			return v
		}
	}
	if v, ok := staticFormats[s.Format]; ok {
		return v
	}
	if lengthBound {
		return w.fitLength(s, w.faker.Word())
	}
	return w.fake(fakes.String(name))
}

// plainFakes are fixed values for the templates fakes picks by name.
var plainFakes = map[string]any{
	"$.fake.Email": "user@example.com", "$.fake.UUID": staticFormats["uuid"], "$.fake.FirstName": "Jane",
	"$.fake.LastName": "Doe", "$.fake.Name": "Jane Doe", "$.fake.Username": "jdoe", "$.fake.Phone": "+1-202-555-0143",
	"$.fake.City": "Lisbon", "$.fake.CountryCode": "PT", "$.fake.Country": "Portugal", "$.fake.State": "California",
	"$.fake.ZipCode": "94105", "$.fake.StreetAddress": "1 Main Street", "$.fake.URL": staticFormats["uri"],
	"$.fake.DomainName": staticFormats["hostname"], "$.fake.IPv4": staticFormats["ipv4"], "$.fake.Company": "Example Inc.",
	"$.fake.JobTitle": "Engineer", "$.fake.Currency": "EUR", "$.fake.Color": "blue", "$.fake.Password": "S3cret-passw0rd",
	"$.fake.JWT":         "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
	"$.fake.DateTimeISO": staticFormats["date-time"], "$.fake.Sentence": "A sample text.", "$.fake.AppVersion": "1.0.0",
	"$.fake.Age": json.Number("30"), "$.fake.UnixTime": json.Number("1705314600"), "$.fake.PositiveInt": json.Number("1"),
	"$.fake.Latitude": 38.72, "$.fake.Longitude": -9.14, "$.fake.Price": 9.99,
}

var fakeRange = regexp.MustCompile(`^\$\.fake\.(IntBetween|FloatRange)\(([-0-9.]+), ([-0-9.]+)\)$`)

// fake is the template f, or for a plain sample a fixed value of its
// kind: a range's low end for integers, its middle for decimals.
func (w *sampler) fake(f string) any {
	if !w.plain {
		return f
	}
	if v, ok := plainFakes[f]; ok {
		return v
	}
	if m := fakeRange.FindStringSubmatch(f); m != nil {
		lo, _ := strconv.ParseFloat(m[2], 64)
		hi, _ := strconv.ParseFloat(m[3], 64)
		if m[1] == "IntBetween" {
			return json.Number(m[2])
		}
		return (lo + hi) / 2
	}
	return w.faker.Word()
}

// fitLength pads or cuts v to the schema's length bounds.
func (w *sampler) fitLength(s *openapi3.Schema, v string) string {
	if n := uint64(len([]rune(v))); n < s.MinLength {
		// A description may ask for any length: a sample stays bounded.
		v += strings.Repeat("x", int(min(s.MinLength-n, maxSampleText)))
	}
	if s.MaxLength != nil && uint64(len([]rune(v))) > *s.MaxLength {
		v = string([]rune(v)[:*s.MaxLength])
	}
	return v
}

// maxSampleText bounds one sampled string.
const maxSampleText = 64 << 10

// boundedPattern says whether a pattern's samples stay small: no repeat
// of more than maxRepeat, and a pattern of sane length.
func boundedPattern(p string) bool {
	if len(p) > 4096 {
		return false
	}
	re, err := syntax.Parse(p, syntax.Perl)
	if err != nil {
		return false
	}
	ok := true
	var walk func(r *syntax.Regexp, times int)
	walk = func(r *syntax.Regexp, times int) {
		if r.Op == syntax.OpRepeat {
			if r.Min > maxRepeat || r.Max > maxRepeat {
				ok = false
				return
			}
			times *= max(r.Min, r.Max, 1)
			if times > maxSampleText {
				ok = false // nested repeats multiply
				return
			}
		}
		for _, sub := range r.Sub {
			walk(sub, times)
		}
	}
	walk(re, 1)
	return ok
}

const maxRepeat = 256

// matching is a fixed string the pattern accepts (and that fits the
// lengths), when one is found.
func (w *sampler) matching(s *openapi3.Schema) (string, bool) {
	re, err := regexp.Compile(s.Pattern)
	if err != nil || !boundedPattern(s.Pattern) {
		return "", false
	}
	// \s would give tabs and line breaks: a space reads better.
	gen := strings.NewReplacer(`\s`, `[ ]`, `\S`, `[a-z]`).Replace(s.Pattern)
	for range 10 {
		v := w.faker.Regex(gen)
		if strings.IndexFunc(v, unicode.IsControl) < 0 && re.MatchString(v) && Fits(s, v, w.dir) {
			return v, true
		}
	}
	return "", false
}

// typeOf is the schema's type: the first that is not null, else what its
// keywords imply.
func typeOf(s *openapi3.Schema) string {
	if s.Type != nil {
		for _, t := range s.Type.Slice() {
			if t != "null" {
				return t
			}
		}
		if s.Type.Includes("null") {
			return "null"
		}
	}
	switch {
	case len(s.Properties) > 0 || s.AdditionalProperties.Schema != nil:
		return "object"
	case s.Items != nil:
		return "array"
	case s.Min != nil || s.Max != nil:
		return "number"
	}
	return "string"
}

// merged folds allOf into one schema: properties, required and the
// constraints of every part.
func merged(s *openapi3.Schema) *openapi3.Schema {
	out := withoutBranches(s)
	out.AllOf = nil
	out.Properties = openapi3.Schemas{}
	for k, v := range s.Properties {
		out.Properties[k] = v
	}
	seen := map[*openapi3.Schema]bool{}
	var add func(p *openapi3.Schema)
	add = func(p *openapi3.Schema) {
		if p == nil || seen[p] || len(seen) > 256 {
			return // an allOf that leads back to itself
		}
		seen[p] = true
		for _, sub := range p.AllOf {
			if sub != nil {
				add(sub.Value)
			}
		}
		for k, v := range p.Properties {
			out.Properties[k] = both(out.Properties[k], v)
		}
		out.Required = append(out.Required, p.Required...)
		if out.Type == nil || out.Type.IsEmpty() {
			out.Type = p.Type
		}
		out.Items = both(out.Items, p.Items)
		if out.AdditionalProperties.Has == nil && out.AdditionalProperties.Schema == nil {
			out.AdditionalProperties = p.AdditionalProperties
		}
		if p != s {
			for _, k := range []*openapi3.SchemaRefs{&out.OneOf, &out.AnyOf} {
				if len(*k) == 0 {
					if k == &out.OneOf {
						*k = p.OneOf
					} else {
						*k = p.AnyOf
					}
				}
			}
		}
		if out.Format == "" {
			out.Format = p.Format
		}
		if out.Pattern == "" {
			out.Pattern = p.Pattern
		}
		if len(out.Enum) == 0 {
			out.Enum = p.Enum
		}
		if out.Example == nil {
			out.Example = p.Example
		}
	}
	for _, sub := range s.AllOf {
		if sub != nil {
			add(sub.Value)
		}
	}
	if len(out.Properties) > 0 && (out.Type == nil || out.Type.IsEmpty()) {
		out.Type = &openapi3.Types{"object"}
	}
	return out
}

// both is a schema that two parts of an allOf give one property (or the
// items): each applies, so a generic part ("items: object") does not hide
// a precise one ("items: Station").
func both(a, b *openapi3.SchemaRef) *openapi3.SchemaRef {
	switch {
	case a == nil:
		return b
	case b == nil || a == b:
		return a
	}
	return &openapi3.SchemaRef{Value: &openapi3.Schema{AllOf: openapi3.SchemaRefs{a, b}}}
}

func withoutBranches(s *openapi3.Schema) *openapi3.Schema {
	c := *s
	c.OneOf, c.AnyOf = nil, nil
	return &c
}

// Package match is the matching core: compiled conditions and the in-memory
// index of mocks per namespace and protocol. It is pure Go: no HTTP server,
// no database.
package match

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/mockarty-oss/mockarty/host/internal/jpath"
	"github.com/mockarty-oss/mockarty/host/internal/limits"
	"github.com/mockarty-oss/mockarty/host/internal/model"
)

// Source says what part of a request a condition list looks at.
type Source int

// Sources of condition values.
const (
	SourceBody   Source = iota // a JSON document (body, gRPC message, tool arguments)
	SourceHeader               // a multi-valued map with case-insensitive names
	SourceQuery                // a multi-valued map with case-sensitive names
	SourceText                 // a whole string (SMTP sender, subject, body)
	SourceList                 // a list of strings (SMTP recipients)
	SourceSOAP                 // SourceBody, or XPath on Input.XML for paths starting with '/'
)

// FileReader reads the file a condition names in valueFromFile.
type FileReader func(namespace, name string) ([]byte, error)

// Condition is a compiled model.Condition.
type Condition struct {
	Src       model.Condition
	source    Source
	path      *jpath.Path // body conditions
	xpath     *xpathExpr  // SOAP conditions on the XML
	name      string      // header / query name
	action    string
	expected  any
	hasValue  bool
	re        *regexp.Regexp
	sortArray bool
	decode    bool
}

// DefaultMaxRegexInput is how many bytes of a value one matches condition
// gives its regular expression unless SetMaxRegexInput says otherwise.
const DefaultMaxRegexInput = 1 << 20

var maxRegexInput = limits.New(DefaultMaxRegexInput)

// SetMaxRegexInput sets how many bytes of text one matches condition may
// give its regular expression, over all the values it tries (n <= 0
// restores the default). RE2 is linear, but linear in a 5 MB body per
// candidate mock is still a cost worth bounding.
func SetMaxRegexInput(n int) {
	maxRegexInput.Set(n)
}

// regexps shares compiled patterns between mocks: thousands of mocks often
// use the same few patterns, and a compiled regexp is large.
var regexps sync.Map

func compileRegexp(pattern string) (*regexp.Regexp, error) {
	if re, ok := regexps.Load(pattern); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, err
	}
	actual, _ := regexps.LoadOrStore(pattern, re)
	return actual.(*regexp.Regexp), nil
}

// CompileConditions compiles one list of a mock; globalSort is the context's sortArray.
func CompileConditions(list []model.Condition, src Source, globalSort bool) ([]*Condition, error) {
	out := make([]*Condition, 0, len(list))
	for i := range list {
		c, err := compileCondition(list[i], src, globalSort)
		if err != nil {
			return nil, fmt.Errorf("condition %d: %w", i, err)
		}
		out = append(out, c)
	}
	return out, nil
}

func compileCondition(mc model.Condition, src Source, globalSort bool) (*Condition, error) {
	c := &Condition{Src: mc, source: src, action: mc.AssertAction, sortArray: globalSort, decode: mc.Decode == "base64"}
	if mc.SortArray != nil {
		c.sortArray = *mc.SortArray
	}
	if c.action == "match" {
		c.action = model.AssertMatches
	}
	if len(mc.Value) > 0 {
		v, err := decodeNumber(mc.Value)
		if err != nil {
			return nil, err
		}
		c.expected, c.hasValue = v, true
	}
	if c.action == model.AssertMatches && mc.ValueFromFile == "" {
		s, _ := c.expected.(string)
		re, err := compileRegexp(s)
		if err != nil {
			return nil, err
		}
		c.re = re
	}
	switch src {
	case SourceSOAP:
		if IsXPath(mc.Path) {
			xp, err := compileXPath(mc.Path)
			if err != nil {
				return nil, err
			}
			c.xpath = xp
			break
		}
		fallthrough
	case SourceBody:
		jp, err := jpath.Compile(bodyPath(mc.Path))
		if err != nil {
			return nil, fmt.Errorf("path %q: %v", mc.Path, err)
		}
		c.path = jp
	case SourceHeader, SourceQuery:
		c.name = fieldName(mc.Path)
		if src == SourceHeader {
			c.name = strings.ToLower(c.name)
		}
	}
	return c, nil
}

func decodeNumber(raw json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return normalise(v), nil
}

// normalise turns json.Number into float64 so values compare by value.
func normalise(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return x.String()
		}
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = normalise(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalise(e)
		}
	}
	return v
}

// bodyPath strips the accepted prefixes: "$.body.x", "$.req.x", "$.x" and
// "x" all mean the field x of the body; "" and "$" mean the whole body.
func bodyPath(p string) string {
	p = strings.TrimSpace(p)
	for _, pre := range []string{"$.body", "$.req", "$"} {
		if p == pre {
			return ""
		}
		if strings.HasPrefix(p, pre) && len(p) > len(pre) && (p[len(pre)] == '.' || p[len(pre)] == '[') {
			return p[len(pre):]
		}
	}
	if p == "" {
		return ""
	}
	if p[0] == '[' || p[0] == '.' {
		return p
	}
	return "." + p
}

// fieldName reads a header or query name: "Authorization", "$.Authorization",
// "$.reqHeader.Authorization[0]", "$.queryParams.limit".
func fieldName(p string) string {
	p = strings.TrimSpace(p)
	for _, pre := range []string{"$.reqHeader.", "$.headers.", "$.header.", "$.queryParams.", "$.query.", "$.meta.", "$."} {
		if strings.HasPrefix(p, pre) {
			p = p[len(pre):]
			break
		}
	}
	if i := strings.IndexByte(p, '['); i > 0 {
		p = p[:i]
	}
	return p
}

// Input is the request part a condition list looks at.
type Input struct {
	// Ctx, when set, stops JSONPath evaluation once it is cancelled (the
	// caller went away, the server is stopping).
	Ctx   context.Context
	Body  any                 // SourceBody: decoded JSON (numbers as float64) or a string
	Multi map[string][]string // SourceHeader (lower-case keys) or SourceQuery
	Text  string              // SourceText
	List  []string            // SourceList
	XML   *XMLDoc             // SourceSOAP: the envelope for XPath paths
}

// Failure explains why a condition did not hold (for near-miss reports).
type Failure struct {
	Path     string `json:"path"`
	Action   string `json:"assertAction"`
	Expected any    `json:"expected,omitempty"`
	Actual   any    `json:"actual,omitempty"`
	Reason   string `json:"reason"`
}

// Check evaluates the condition; on failure it says why.
func (c *Condition) Check(in *Input, files FileReader, namespace string) (bool, *Failure) {
	actual, found, err := c.extract(in)
	if err != nil {
		// The path stopped at the work limit or on cancellation: the
		// condition cannot be decided, so it does not hold.
		return false, c.fail(nil, err.Error())
	}
	if found && c.decode {
		actual, found = decodeB64(actual)
	}
	expected := c.expected
	re := c.re
	if c.Src.ValueFromFile != "" && files != nil {
		b, err := files(namespace, c.Src.ValueFromFile)
		if err != nil {
			return false, c.fail(actual, "valueFromFile: "+err.Error())
		}
		var v any
		if d, err := decodeNumber(b); err == nil {
			v = d
		} else {
			v = strings.TrimRight(string(b), "\r\n")
		}
		expected = v
		if c.action == model.AssertMatches {
			s, _ := v.(string)
			if re, err = regexp.Compile(s); err != nil {
				return false, c.fail(actual, "valueFromFile holds an invalid regular expression")
			}
		}
	}
	ok := false
	switch c.action {
	case model.AssertAny:
		ok = true
	case model.AssertNotEmpty:
		ok = found && !isEmpty(actual)
	case model.AssertEmpty:
		ok = !found || isEmpty(actual)
	case model.AssertEquals:
		ok = found && c.equal(actual, expected)
	case model.AssertNotEquals:
		ok = !found || !c.equal(actual, expected)
	case model.AssertContains:
		ok = found && contains(actual, expected)
	case model.AssertNotContains:
		ok = !found || !contains(actual, expected)
	case model.AssertMatches:
		if found && re != nil {
			var tooLong bool
			if ok, tooLong = matchRegex(re, actual, maxRegexInput.Get()); tooLong {
				return false, c.fail(nil, fmt.Sprintf("the value is longer than the %d bytes a regular expression may read (REGEX_MAX_INPUT_BYTES)", maxRegexInput.Get()))
			}
		}
	default:
		return false, c.fail(actual, fmt.Sprintf("operator %q is not available", c.action))
	}
	if ok {
		return true, nil
	}
	reason := "value does not satisfy " + c.action
	if !found {
		reason = "no value at this path"
	}
	return false, &Failure{Path: c.Src.Path, Action: c.action, Expected: expected, Actual: actual, Reason: reason}
}

func (c *Condition) fail(actual any, reason string) *Failure {
	return &Failure{Path: c.Src.Path, Action: c.action, Expected: c.expected, Actual: actual, Reason: reason}
}

func (c *Condition) extract(in *Input) (any, bool, error) {
	switch c.source {
	case SourceBody, SourceSOAP:
		if c.xpath != nil {
			v, ok := evalXPath(c.xpath, in.XML)
			return v, ok, nil
		}
		return c.path.Eval(in.Ctx, in.Body, false)
	case SourceHeader, SourceQuery:
		if c.name == "" {
			return nil, false, nil
		}
		vals, ok := in.Multi[c.name]
		if !ok || len(vals) == 0 {
			return nil, false, nil
		}
		if len(vals) == 1 {
			return vals[0], true, nil
		}
		out := make([]any, len(vals))
		for i, v := range vals {
			out[i] = v
		}
		return out, true, nil
	case SourceText:
		return in.Text, true, nil
	case SourceList:
		out := make([]any, len(in.List))
		for i, v := range in.List {
			out[i] = v
		}
		return out, len(out) > 0, nil
	}
	return nil, false, nil
}

func decodeB64(v any) (any, bool) {
	s, ok := v.(string)
	if !ok {
		return nil, false
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		if b, err = base64.RawStdEncoding.DecodeString(strings.TrimSpace(s)); err != nil {
			return nil, false
		}
	}
	if json.Valid(b) {
		if d, err := decodeNumber(b); err == nil {
			if _, isStr := d.(string); !isStr {
				return d, true
			}
		}
	}
	return string(b), true
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

func (c *Condition) equal(actual, expected any) bool {
	if c.sortArray {
		actual, expected = sortedCopy(actual), sortedCopy(expected)
	}
	return looseEqual(actual, expected)
}

// looseEqual is deep equality where a string equals a number or boolean
// with the same text (query parameters and headers are always strings).
func looseEqual(a, b any) bool {
	a, b = scalar(a), scalar(b)
	switch x := a.(type) {
	case string:
		switch y := b.(type) {
		case string:
			return x == y
		case float64:
			f, err := strconv.ParseFloat(x, 64)
			return err == nil && f == y
		case bool:
			return x == strconv.FormatBool(y)
		}
		return false
	case float64, bool, nil:
		if s, ok := b.(string); ok {
			return looseEqual(s, a)
		}
		return a == b
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !looseEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !looseEqual(v, w) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

// scalar turns a json.Number (bodies decoded with exact numbers) into float64.
func scalar(v any) any {
	if n, ok := v.(json.Number); ok {
		if f, err := n.Float64(); err == nil {
			return f
		}
		return n.String()
	}
	return v
}

// contains: substring for strings, subset for objects, element presence for arrays.
func contains(actual, expected any) bool {
	actual, expected = scalar(actual), scalar(expected)
	switch a := actual.(type) {
	case string:
		switch e := expected.(type) {
		case string:
			return strings.Contains(a, e)
		case nil:
			return false
		default:
			return strings.Contains(a, stringOf(e))
		}
	case map[string]any:
		e, ok := expected.(map[string]any)
		if !ok {
			return false
		}
		for k, ev := range e {
			av, ok := a[k]
			if !ok {
				return false
			}
			if !looseEqual(av, ev) && !contains(av, ev) {
				return false
			}
		}
		return true
	case []any:
		if e, ok := expected.([]any); ok {
			for _, ev := range e {
				if !containsElem(a, ev) {
					return false
				}
			}
			return true
		}
		return containsElem(a, expected)
	case float64, bool:
		return looseEqual(a, expected)
	}
	return false
}

func containsElem(list []any, e any) bool {
	for _, v := range list {
		if looseEqual(v, e) {
			return true
		}
		if _, ok := e.(map[string]any); ok && contains(v, e) {
			return true
		}
	}
	return false
}

func stringOf(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// matchRegex matches a value, or any element of a list. The text the
// expression reads is bounded by limit over all elements: tooLong reports
// a value (or list) past it, left undecided.
func matchRegex(re *regexp.Regexp, v any, limit int) (ok, tooLong bool) {
	if list, isList := v.([]any); isList {
		for _, e := range list {
			s := stringOf(e)
			if limit -= len(s); limit < 0 {
				return false, true
			}
			if re.MatchString(s) {
				return true, false
			}
		}
		return false, false
	}
	if v == nil {
		return false, false
	}
	s := stringOf(v)
	if len(s) > limit {
		return false, true
	}
	return re.MatchString(s), false
}

// sortedCopy sorts arrays at every level by their canonical JSON text.
func sortedCopy(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		keys := make([]string, len(x))
		for i, e := range x {
			out[i] = sortedCopy(e)
		}
		idx := make([]int, len(out))
		for i := range out {
			idx[i] = i
			keys[i] = stringOf(out[i])
		}
		sort.SliceStable(idx, func(i, j int) bool { return keys[idx[i]] < keys[idx[j]] })
		res := make([]any, len(out))
		for i, k := range idx {
			res[i] = out[k]
		}
		return res
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = sortedCopy(e)
		}
		return out
	}
	return v
}

// CheckAll checks a list in order and stops at the first failure.
func CheckAll(list []*Condition, in *Input, files FileReader, namespace string) (bool, *Failure) {
	for _, c := range list {
		if ok, f := c.Check(in, files, namespace); !ok {
			return false, f
		}
	}
	return true, nil
}

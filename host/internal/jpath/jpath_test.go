package jpath

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/PaesslerAG/gval"
	"github.com/PaesslerAG/jsonpath"
)

const store = `{"store":{"book":[
 {"category":"reference","author":"Nigel Rees","title":"Sayings of the Century","price":8.95},
 {"category":"fiction","author":"Evelyn Waugh","title":"Sword of Honour","price":12.99},
 {"category":"fiction","author":"Herman Melville","title":"Moby Dick","isbn":"0-553-21311-3","price":8.99},
 {"category":"fiction","author":"J. R. R. Tolkien","title":"The Lord of the Rings","isbn":"0-395-19395-8","price":122.99}],
 "bicycle":{"color":"red","price":19.95}},
 "expensive":10, "tags":["a","b","c"], "nested":{"a":{"a":{"b":1},"b":2}}}`

func decode(t testing.TB, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// canonical sorts a result list by its JSON text: object members come in
// map order, which neither evaluator fixes.
func canonical(v any) string {
	list, ok := v.([]any)
	if !ok {
		b, _ := json.Marshal(v)
		return string(b)
	}
	parts := make([]string, len(list))
	for i, e := range list {
		b, _ := json.Marshal(e)
		parts[i] = string(b)
	}
	sort.Strings(parts)
	return "[" + strings.Join(parts, ",") + "]"
}

// reference runs PaesslerAG/jsonpath, the evaluator this package replaced.
var reference = gval.Full(jsonpath.Language())

func TestSameAnswersAsTheReference(t *testing.T) {
	doc := decode(t, store)
	for _, p := range []string{
		"..author", "..price", ".store.book[*].author", ".store.*", "..book[2]", "..book[-1:]", "..book[0,1]",
		"..book[:2]", "..book[1:3]", "..book[::2]", ".store.book[?(@.isbn)]", "..book[?(@.price < 10)].title",
		"..book[?(@.price > $.expensive)].author", "..*", ".tags[?(@ == 'c')]", "..[?(@.price > 100)]",
		".store.book[0]['title','price']", ".store.book[(1+1)].title", ".missing", "..missing", ".store.book[9].title",
		".tags[1:]", ".tags[-2:]", ".tags[::-1]", ".tags[5]", `.store.book[?(@.category == "fiction" && @.price < 20)].title`,
		".nested..b", "..a", ".expensive", ".store.bicycle.color", "[?(@.color)]", ".store..price",
		`.store.book[?(@.author =~ "R\\.")].title`, `.store.book[?(@.price in [8.95, 8.99])].price`,
	} {
		got, gotOK := mustCompile(t, p).Get(doc, false)
		want, wantErr := evalReference(p, doc)
		if gotOK != (wantErr == nil) {
			t.Errorf("$%s: found=%v, reference error %v (got %v)", p, gotOK, wantErr, got)
			continue
		}
		if gotOK && canonical(got) != canonical(want) {
			t.Errorf("$%s:\n got %s\nwant %s", p, canonical(got), canonical(want))
		}
	}
}

func evalReference(p string, doc any) (any, error) {
	e, err := reference.NewEvaluable("$" + p)
	if err != nil {
		return nil, err
	}
	v, err := e(context.Background(), doc)
	if err == nil && v == nil {
		err = errors.New("nil")
	}
	return v, err
}

func mustCompile(t testing.TB, p string) *Path {
	t.Helper()
	c, err := Compile(p)
	if err != nil {
		t.Fatalf("compile $%s: %v", p, err)
	}
	return c
}

func TestCompileErrors(t *testing.T) {
	for _, p := range []string{".items[?(@.p >", "..[1:2]", ".a[", ".[", "..", ".a[1,2:3]", ".a(1", "..?"} {
		if _, err := Compile(p); err == nil {
			t.Errorf("$%s compiled", p)
		}
	}
}

func TestSimplePathsNeedNoJSONPath(t *testing.T) {
	p := mustCompile(t, ".a.b[0]['c d']")
	if keys, ok := p.Simple(); !ok || !reflect.DeepEqual(keys, []string{"a", "b", "0", "c d"}) {
		t.Fatalf("keys %v %v", keys, ok)
	}
	if _, ok := mustCompile(t, "..a").Simple(); ok {
		t.Fatal("..a is not simple")
	}
}

// Strings in single quotes, as JSONPath examples write them, are strings
// of any length (the reference read them as one character).
func TestSingleQuotedStrings(t *testing.T) {
	doc := decode(t, store)
	for p, want := range map[string]string{
		".store.book[?(@.category == 'fiction' && @.price < 20)].title": `["Moby Dick","Sword of Honour"]`,
		"..book[?(@.author == 'J. R. R. Tolkien')].price":               `[122.99]`,
		"..['color','missing']":                                         `["red"]`,
		`..book[?(@.title == 'It\'s')]`:                                 `[]`,
	} {
		v, ok := mustCompile(t, p).Get(doc, false)
		if !ok || canonical(v) != want {
			t.Errorf("$%s: %v %v, want %s", p, canonical(v), ok, want)
		}
	}
}

// A path in a wider expression still evaluates (through gval).
func TestPathInsideAnExpression(t *testing.T) {
	doc := decode(t, `{"a":2,"b":[1,2,3]}`)
	v, ok := mustCompile(t, ".a * 10").Get(doc, false)
	if !ok || v != 20.0 {
		t.Fatalf("%v %v", v, ok)
	}
	v, ok = mustCompile(t, ".b[?(@ > $.a)]").Get(doc, false)
	if !ok || canonical(v) != "[3]" {
		t.Fatalf("%v %v", v, ok)
	}
}

// deepDoc is {"x":n-1,"next":{"x":n-2,"next":...{"x":0}}}: n levels.
func deepDoc(n int) any {
	var v any = map[string]any{"x": 0.0}
	for i := 1; i < n; i++ {
		v = map[string]any{"x": float64(i), "next": v}
	}
	return v
}

// wideDoc is {"items":[{"x":0},...,{"x":n-1}]}.
func wideDoc(n int) any {
	items := make([]any, n)
	for i := range items {
		items[i] = map[string]any{"x": float64(i)}
	}
	return map[string]any{"items": items}
}

// The case of the issue: "$..x" over a body nested 10,000 levels deep is a
// normal answer (every x), well inside the work limit.
func TestRecursiveDescentDepth10000(t *testing.T) {
	doc := deepDoc(10000)
	v, ok, err := mustCompile(t, "..x").Eval(context.Background(), doc, false)
	if err != nil || !ok {
		t.Fatalf("%v %v", ok, err)
	}
	if list := v.([]any); len(list) != 10000 || list[0] != 9999.0 || list[9999] != 0.0 {
		t.Fatalf("%d values, first %v", len(list), list[0])
	}
	v, _, err = mustCompile(t, "..[?(@.x < 3)].x").Eval(context.Background(), doc, false)
	if err != nil || canonical(v) != "[0,1,2]" {
		t.Fatalf("filter: %v %v", canonical(v), err)
	}
}

// A chain of ".." walks each subtree once: with the reference's
// duplicates "$..a..b" over n nested a's costs n*n/2 visits, more than the
// work limit at n = 5000; here it is linear and each b comes once.
func TestChainedDescentIsLinear(t *testing.T) {
	const n = 5000
	var v any = map[string]any{"b": 0.0}
	for i := 1; i < n; i++ {
		v = map[string]any{"a": v, "b": float64(i)}
	}
	doc := map[string]any{"a": v}
	// 2n nodes; each of the two descents and the two names visit each at most once.
	SetWorkLimit(8 * n)
	defer SetWorkLimit(0)
	got, ok, err := mustCompile(t, "..a..b").Eval(nil, doc, false)
	if !ok || err != nil {
		t.Fatalf("%v %v", ok, err)
	}
	if len(got.([]any)) != n {
		t.Fatalf("%d values, want %d (each once)", len(got.([]any)), n)
	}
}

// A descent inside a filter inside a descent walks its own subtree (the
// filters compare the lists their descents select).
func TestNestedDescents(t *testing.T) {
	doc := decode(t, `{"a":{"b":{"y":1,"c":{"y":2}},"d":{"e":[{"y":3},{"z":4}]}},"f":[{"g":{"y":5}},{"h":6}]}`)
	for p, want := range map[string]string{
		"..[?(@..y == [2])]":                            `[{"y":2}]`,
		"..[?(@..y == [1,2])]..y":                       `[1,2]`,
		"..[?(@..z == [4])]":                            `[[{"y":3},{"z":4}],{"b":{"c":{"y":2},"y":1},"d":{"e":[{"y":3},{"z":4}]}},{"e":[{"y":3},{"z":4}]},{"z":4}]`,
		"..[?(@..y == [5])].g.y":                        `[5]`,
		"..[?(@.y == 2)]":                               `[{"y":2}]`,
		"..a..[?(@..y == [2])]":                         `[{"y":2}]`,
		"..d..[?(@..z == [4])]":                         `[[{"y":3},{"z":4}],{"z":4}]`,
		"..[?(@..[?(@.z == 4)] == [{\"z\":4}])].e[0].y": `[3]`,
	} {
		v, ok, err := mustCompile(t, p).Eval(context.Background(), doc, false)
		if !ok || err != nil || canonical(v) != want {
			t.Errorf("$%s: %s %v %v, want %s", p, canonical(v), ok, err, want)
		}
	}
}

// A filter that descends inside a descent is quadratic by nature; the
// work limit stops it with a clear error instead of running on.
func TestWorkLimitStopsQuadraticFilters(t *testing.T) {
	doc := deepDoc(10000)
	_, ok, err := mustCompile(t, "..[?(@..x)]").Eval(context.Background(), doc, false)
	if ok || !errors.Is(err, ErrWorkLimit) {
		t.Fatalf("ok=%v err=%v", ok, err)
	}
	if !strings.Contains(err.Error(), "JSONPATH_WORK_LIMIT") {
		t.Fatalf("the error names the setting: %v", err)
	}
	// Get reports the same evaluation as not found.
	if _, ok := mustCompile(t, "..[?(@..x)]").Get(doc, false); ok {
		t.Fatal("Get found a value past the work limit")
	}
	SetWorkLimit(100)
	defer SetWorkLimit(0)
	if _, _, err := mustCompile(t, "..x").Eval(nil, wideDoc(100), false); !errors.Is(err, ErrWorkLimit) {
		t.Fatalf("a lowered limit: %v", err)
	}
	if _, _, err := mustCompile(t, "..x").Eval(nil, wideDoc(10), false); err != nil {
		t.Fatalf("under the limit: %v", err)
	}
}

func TestCancelledContextStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, ok, err := mustCompile(t, "..x").Eval(ctx, wideDoc(5000), false)
	if ok || !errors.Is(err, context.Canceled) {
		t.Fatalf("ok=%v err=%v", ok, err)
	}
	// The first visit looks at the context; then every 1024 visits.
	if _, ok, err := mustCompile(t, "..x").Eval(ctx, wideDoc(3), false); ok || !errors.Is(err, context.Canceled) {
		t.Fatalf("small: %v %v", ok, err)
	}
	if _, ok, err := mustCompile(t, "..x").Eval(context.Background(), wideDoc(3), false); !ok || err != nil {
		t.Fatalf("live context: %v %v", ok, err)
	}
}

func TestTooDeep(t *testing.T) {
	SetMaxDepth(4)
	defer SetMaxDepth(0)
	for body, deep := range map[string]bool{
		`[[[[1]]]]`:                      false,
		`[[[[[1]]]]]`:                    true,
		`{"a":{"b":{"c":{"d":{}}}}}`:     true,
		`{"a":"[[[[[[[[[["}`:             false, // brackets in strings do not count
		`{"a":"\"[[[[[[[[","b":[[[1]]]}`: false,
		`{"a":"\\","b":[[[[1]]]]}`:       true, // an escaped backslash ends the string
		`[1],[2],[3],[4],[5]`:            false,
		`  [[[[[`:                        true,
		`text [[[[[[`:                    false, // not JSON: the first byte decides
	} {
		err := CheckDepth([]byte(body))
		if (err != nil) != deep {
			t.Errorf("%s: %v", body, err)
		}
		var de *DepthError
		if err != nil && (!errors.As(err, &de) || de.Limit != 4 || !strings.Contains(err.Error(), "MAX_BODY_DEPTH")) {
			t.Errorf("%s: %v", body, err)
		}
	}
	SetMaxDepth(0)
	if err := CheckDepth([]byte(strings.Repeat("[", DefaultMaxDepth) + strings.Repeat("]", DefaultMaxDepth))); err != nil {
		t.Fatalf("at the default limit: %v", err)
	}
	if err := CheckDepth([]byte(strings.Repeat("[", DefaultMaxDepth+1) + strings.Repeat("]", DefaultMaxDepth+1))); err == nil {
		t.Fatal("past the default limit")
	}
}

// FuzzEval checks the evaluator against the reference on small documents
// (where the reference's cost does not matter), and that no path or
// document makes it panic or run past its work limit.
func FuzzEval(f *testing.F) {
	for _, p := range []string{"..author", ".store.book[?(@.price < 10)].title", "..book[-1:]", "..*", ".tags[::-1]",
		"..[?(@.price > 100)]", ".store.book[0,1].title", ".nested..b", ".a * 2", "..book[(1)]", "[?(@)]"} {
		f.Add(p, store)
	}
	f.Add("..x", `{"x":1,"y":[{"x":2},{"z":{"x":3}}]}`)
	f.Add("..a..b", `{"a":{"a":{"b":1}}}`)
	f.Fuzz(func(t *testing.T, p, body string) {
		if len(body) > 2048 || len(p) > 200 {
			return
		}
		var doc any
		if json.Unmarshal([]byte(body), &doc) != nil {
			return
		}
		c, err := Compile(p)
		if err != nil {
			return
		}
		got, ok, err := c.Eval(context.Background(), doc, false)
		if err != nil {
			t.Fatalf("$%s on %s: %v", p, body, err)
		}
		if !ok || strings.Count(p, "..") > 1 || strings.Contains(p, "(") || strings.Contains(p, "?") {
			// Several ".." (the reference repeats nodes) and gval
			// expressions (operators on odd types) are only run for safety.
			return
		}
		want, werr := evalReference(p, doc)
		if werr != nil {
			return
		}
		if canonical(got) != canonical(want) {
			t.Fatalf("$%s on %s:\n got %s\nwant %s", p, body, canonical(got), canonical(want))
		}
	})
}

func ExamplePath_Eval() {
	p, _ := Compile("..book[?(@.price > 100)].title")
	var doc any
	_ = json.Unmarshal([]byte(store), &doc)
	v, ok, err := p.Eval(context.Background(), doc, false)
	fmt.Println(v, ok, err)
	// Output: [The Lord of the Rings] true <nil>
}

// Request bodies are decoded with json.Number (exact large integers): a
// filter still compares their numbers as numbers.
func TestFilterComparesJSONNumbersAsNumbers(t *testing.T) {
	dec := json.NewDecoder(strings.NewReader(`{"items": [{"id": "a", "price": 5}, {"id": "b", "price": 12.5}, {"id": "c", "price": 100}]}`))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	for expr, want := range map[string]string{
		".items[?(@.price > 10)].id":        `["b","c"]`,
		".items[?(@.price < 10)].id":        `["a"]`,
		".items[?(@.price == 100)].id":      `["c"]`,
		".items[?(@.price * 2 > 200)].id":   `[]`,
		".items[?(@.price + 1 >= 13.5)].id": `["b","c"]`,
	} {
		p, err := Compile(expr)
		if err != nil {
			t.Fatal(err)
		}
		v, _, err := p.Eval(context.Background(), doc, false)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		got, _ := json.Marshal(v)
		if string(got) != want {
			t.Errorf("%s: %s, want %s", expr, got, want)
		}
	}
}

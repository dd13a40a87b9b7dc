package api

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/host/internal/jpath"
	"github.com/mockarty-oss/mockarty/host/internal/render"
)

// deepBody is {"x":0,"next":{"x":1,"next":...{"x":"leaf"}}}: depth objects.
func deepBody(depth int) string {
	var b strings.Builder
	for i := 0; i < depth-1; i++ {
		fmt.Fprintf(&b, `{"x":%d,"next":`, i)
	}
	b.WriteString(`{"x":"leaf"}`)
	b.WriteString(strings.Repeat("}", depth-1))
	return b.String()
}

// deepMocks answer when "$..x" finds "leaf" anywhere in the body.
var deepMocks = map[string]string{
	"http":  `{"id":"deep-http","http":{"route":"/deep","httpMethod":"POST","conditions":[{"path":"$..x","assertAction":"contains","value":"leaf"}]},"response":{"payload":{"found":true}}}`,
	"grpc":  `{"id":"deep-grpc","grpc":{"service":"deep.Svc","method":"Find","conditions":[{"path":"$..x","assertAction":"contains","value":"leaf"}]},"response":{"payload":{"found":true}}}`,
	"kafka": `{"id":"deep-kafka","kafka":{"topic":"deep","conditions":[{"path":"$..x","assertAction":"contains","value":"leaf"}]},"response":{"payload":{"found":true}}}`,
}

// The case: a body nested 10,000 levels deep against a "$.." condition
// is refused at once with 413 body_too_deep in the one error shape, on
// /stubs and on /mock/find*; a body within MAX_BODY_DEPTH (500 levels)
// matches as usual.
func TestDeepBodiesAgainstRecursiveDescent(t *testing.T) {
	s := newTestServer(t)
	for _, doc := range deepMocks {
		s.expect(http.StatusCreated, "POST", "/api/v1/mocks", doc)
	}
	ok, deep := deepBody(500), deepBody(10000)

	if v := s.expect(http.StatusOK, "POST", "/stubs/sandbox/deep", ok); v["found"] != true {
		t.Fatalf("depth 500 on /stubs: %v", v)
	}
	e := s.expectError(http.StatusRequestEntityTooLarge, CodeBodyTooDeep, "", "POST", "/stubs/sandbox/deep", deep)
	if !strings.Contains(e["error"].(string), "MAX_BODY_DEPTH") {
		t.Fatalf("the message names the setting: %v", e)
	}

	find := func(data string) string {
		return `{"service":"deep.Svc","method":"Find","data":` + data + `}`
	}
	if v := s.expect(http.StatusOK, "POST", "/mock/findGrpc", find(ok)); v["data"].(map[string]any)["found"] != true {
		t.Fatalf("depth 500 on /mock/findGrpc: %v", v)
	}
	s.expectError(http.StatusRequestEntityTooLarge, CodeBodyTooDeep, "", "POST", "/mock/findGrpc", find(deep))
	// A message value is often a JSON string holding the document: one
	// that deep stays a string, so it is an ordinary miss.
	if v := s.expect(http.StatusOK, "POST", "/mock/findKafka", `{"topic":"deep","data":`+quote(ok)+`}`); v["data"].(map[string]any)["found"] != true {
		t.Fatalf("depth 500 in a string: %v", v)
	}
	r := s.do("POST", "/mock/findKafka", `{"topic":"deep","data":`+quote(deep)+`}`)
	if r.Status != http.StatusNotFound || r.JSON(t)["code"] != "no_match" {
		t.Fatalf("depth 10,000 in a string: %d %s", r.Status, r.Body)
	}
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }

// With MAX_BODY_DEPTH raised to 10,000 the same body reaches the "$.."
// condition, which walks it in linear time and answers normally.
func TestDepth10000MatchesWhenAllowed(t *testing.T) {
	jpath.SetMaxDepth(10000)
	defer jpath.SetMaxDepth(0)
	s := newTestServer(t)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", deepMocks["http"])
	if v := s.expect(http.StatusOK, "POST", "/stubs/sandbox/deep", deepBody(10000)); v["found"] != true {
		t.Fatalf("depth 10,000: %v", v)
	}
	r := s.do("POST", "/stubs/sandbox/deep", strings.Replace(deepBody(10000), `"leaf"`, `"other"`, 1))
	if r.Status != http.StatusNotFound || r.JSON(t)["code"] != "no_match" {
		t.Fatalf("no leaf: %d %s", r.Status, r.Body)
	}
}

// A template that repeats the request body stops at TEMPLATE_MAX_OUTPUT_MB
// with a clear 500, instead of multiplying the body.
func TestRenderedResponseLimit(t *testing.T) {
	render.SetMaxOutput(1000)
	defer render.SetMaxOutput(0)
	s := newTestServer(t)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"echo","http":{"route":"/echo","httpMethod":"POST"},
"response":{"payload":{"a":"$.req","b":"$.req","c":"$.req","d":"$.req"}}}`)
	if r := s.do("POST", "/stubs/sandbox/echo", `{"s":"short"}`); r.Status != http.StatusOK {
		t.Fatalf("small: %d %s", r.Status, r.Body)
	}
	r := s.do("POST", "/stubs/sandbox/echo", `{"s":"`+strings.Repeat("x", 400)+`"}`)
	v := r.JSON(t)
	if r.Status != http.StatusInternalServerError || v["code"] != render.CodeTooLarge || !strings.Contains(v["error"].(string), "TEMPLATE_MAX_OUTPUT_MB") {
		t.Fatalf("large: %d %s", r.Status, r.Body)
	}
}

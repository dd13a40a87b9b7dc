package api

import (
	"strings"
	"testing"
)

// TestValueFromFileTemplated: a condition's valueFromFile path is rendered
// per request (spec section 2: "the path supports template processing"):
// from the global store, and from the request itself. A name that renders
// to nothing or to a path outside the template folder matches nothing.
func TestValueFromFileTemplated(t *testing.T) {
	ts := newTestServer(t)
	ts.expect(201, "PUT", "/api/v1/templates/plan-gold.json?namespace=shop", `{"plan":"gold"}`)
	ts.expect(201, "PUT", "/api/v1/templates/plan-silver.json?namespace=shop", `{"plan":"silver"}`)
	ts.expect(201, "POST", "/api/v1/mocks", `{"id":"by-store","namespace":"shop",
	  "http":{"route":"/check","httpMethod":"POST","conditions":[
	    {"path":"$.body.payload","assertAction":"equals","valueFromFile":"/templates/$.gS.fname"}]},
	  "response":{"payload":{"matched":"by-store"}}}`)
	ts.expect(201, "POST", "/api/v1/mocks", `{"id":"by-query","namespace":"shop",
	  "http":{"route":"/by-query","httpMethod":"POST","conditions":[
	    {"path":"$.body.payload","assertAction":"equals","valueFromFile":"/templates/plan-$.queryParams.tier"}]},
	  "response":{"payload":{"matched":"by-query"}}}`)
	gold, silver := `{"payload":{"plan":"gold"}}`, `{"payload":{"plan":"silver"}}`

	// Unset: the name renders to no file, so nothing matches (and nothing breaks).
	r := ts.do("POST", "/stubs/shop/check", gold)
	if r.Status != 404 || !strings.Contains(string(r.Body), `renders to no name`) {
		t.Fatalf("no fname yet: %d %s", r.Status, r.Body)
	}
	ts.expect(200, "POST", "/api/v1/stores/global", map[string]any{"namespace": "shop", "key": "fname", "value": "plan-gold.json"})
	if v := ts.expect(200, "POST", "/stubs/shop/check", gold); v["matched"] != "by-store" {
		t.Fatalf("gold: %v", v)
	}
	if r := ts.do("POST", "/stubs/shop/check", silver); r.Status != 404 {
		t.Fatalf("silver against gold's file: %d %s", r.Status, r.Body)
	}
	// The store changes, and so does the file the next request compares with.
	ts.expect(200, "POST", "/api/v1/stores/global", map[string]any{"namespace": "shop", "key": "fname", "value": "plan-silver.json"})
	if v := ts.expect(200, "POST", "/stubs/shop/check", silver); v["matched"] != "by-store" {
		t.Fatalf("silver: %v", v)
	}
	// A store value that leaves the template folder reads nothing.
	for _, escape := range []string{"../db.sqlite", "/etc/passwd", "shop/../../db.sqlite"} {
		ts.expect(200, "POST", "/api/v1/stores/global", map[string]any{"namespace": "shop", "key": "fname", "value": escape})
		r := ts.do("POST", "/stubs/shop/check", silver)
		if r.Status != 404 || !strings.Contains(string(r.Body), "does not render to a plain file name") {
			t.Fatalf("fname %q: %d %s", escape, r.Status, r.Body)
		}
		// The public report names the template, not the store's value.
		if strings.Contains(string(r.Body), escape) {
			t.Fatalf("the near-miss report shows the rendered name %q: %s", escape, r.Body)
		}
	}

	// From the request: the query picks the file.
	if v := ts.expect(200, "POST", "/stubs/shop/by-query?tier=gold.json", gold); v["matched"] != "by-query" {
		t.Fatalf("by query gold: %v", v)
	}
	if r := ts.do("POST", "/stubs/shop/by-query?tier=gold.json", silver); r.Status != 404 {
		t.Fatalf("by query, silver against gold: %d %s", r.Status, r.Body)
	}
	if v := ts.expect(200, "POST", "/stubs/shop/by-query?tier=silver.json", silver); v["matched"] != "by-query" {
		t.Fatalf("by query silver: %v", v)
	}
	if r := ts.do("POST", "/stubs/shop/by-query?tier=bronze.json", silver); r.Status != 404 || !strings.Contains(string(r.Body), "names no template file") {
		t.Fatalf("by query, no such file: %d %s", r.Status, r.Body)
	}
	// The find contract renders the name the same way (the global store here).
	ts.expect(201, "POST", "/api/v1/mocks", `{"id":"tool","namespace":"shop","mcp":{"tool":"plan",
	  "conditions":[{"path":"$","assertAction":"equals","valueFromFile":"$.gS.toolfile"}]},
	  "response":{"payload":{"content":[{"type":"text","text":"ok"}]}}}`)
	ts.expect(200, "POST", "/api/v1/stores/global", map[string]any{"namespace": "shop", "key": "toolfile", "value": "plan-gold.json"})
	if v := ts.expect(200, "POST", "/mock/findMcp", `{"namespace":"shop","method":"tools/call","tool":"plan","arguments":{"plan":"gold"}}`); v["mockId"] != "tool" {
		t.Fatalf("findMcp: %v", v)
	}
	if r := ts.do("POST", "/mock/findMcp", `{"namespace":"shop","method":"tools/call","tool":"plan","arguments":{"plan":"silver"}}`); r.Status != 404 {
		t.Fatalf("findMcp silver: %d %s", r.Status, r.Body)
	}
}

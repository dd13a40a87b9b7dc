package engine

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const ordersSpec = `{"openapi": "3.0.3", "info": {"title": "orders", "version": "1"},
 "paths": {"/orders": {"post": {
   "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["sku", "quantity"],
     "properties": {"sku": {"type": "string", "minLength": 1, "maxLength": 8},
                    "quantity": {"type": "integer", "minimum": 1, "maximum": 1000},
                    "color": {"type": "string", "enum": ["red", "blue"]}}}}}},
   "responses": {"201": {"description": "created", "content": {"application/json": {"schema": {"type": "object"}}}},
                 "400": {"description": "refused", "content": {"application/json": {"schema": {"type": "object"}}}}}}}}}`

// ordersHandler checks an order: maxQty is the largest quantity it takes,
// lax skips the sku's and color's checks.
func ordersHandler(maxQty float64, lax bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var o map[string]any
		bad := func() {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"bad order"}`))
		}
		if json.NewDecoder(r.Body).Decode(&o) != nil {
			bad()
			return
		}
		q, ok := o["quantity"].(float64)
		if !ok || q != float64(int(q)) || q < 1 || q > maxQty {
			bad()
			return
		}
		sku, isStr := o["sku"].(string)
		color, hasColor := o["color"]
		if !lax && (!isStr || sku == "" || len(sku) > 8 || (hasColor && color != "red" && color != "blue")) {
			bad()
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":"o1"}`))
	}
}

// TestSchemaAware: values at the description's bounds, just inside and
// just outside, and required fields left out: a server that takes what
// the description forbids, and one that refuses what it allows, are each
// one finding; a server that keeps to it has none.
func TestSchemaAware(t *testing.T) {
	for _, c := range []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"correct", ordersHandler(1000, false), ""},
		{"lax", ordersHandler(1000, true), "POST /orders|schema_violation|201|accepts-invalid"},
		{"off by one", ordersHandler(999, false), "POST /orders|schema_violation|400|rejects-valid"},
	} {
		srv := httptest.NewServer(c.handler)
		res, err := Run(context.Background(), Config{TargetBaseURL: srv.URL, Strategy: "schema_aware", OpenAPISpec: []byte(ordersSpec),
			Seeds:   []Seed{{ID: "o", Method: "POST", Path: "/orders", Body: `{"sku":"A1","quantity":2,"color":"red"}`}},
			Options: Options{MaxRequests: 2000}}, noRedirects(), nil)
		srv.Close()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range res.Findings {
			got = append(got, f.Fingerprint)
		}
		if strings.Join(got, ",") != c.want {
			for _, f := range res.Findings {
				t.Log(f.Fingerprint, " ", f.MutationApplied)
			}
			t.Fatalf("%s server: findings %v, want %q", c.name, got, c.want)
		}
	}
	// The values at the bounds of each constraint.
	var names []string
	for _, p := range (&run{cats: map[string]bool{}}).schemaProbesOf(t) {
		names = append(names, p)
	}
	if s := strings.Join(names, "\n"); !strings.Contains(s, "body $.quantity: 1001 (maximum 1000 + 1) invalid") ||
		!strings.Contains(s, "body $.quantity: 1000 (maximum 1000) valid") || !strings.Contains(s, `body $.sku: "" (minLength 1 - 1) invalid`) ||
		!strings.Contains(s, "body $.sku: left out (required) invalid") || !strings.Contains(s, `body $.color: "mockarty-not-in-enum" (not one of the enum) invalid`) {
		t.Fatalf("probes:\n%s", s)
	}
}

// schemaProbesOf lists the schema_aware probes of the orders seed as
// "mutation valid|invalid".
func (r *run) schemaProbesOf(t *testing.T) []string {
	spec, err := loadSpec([]byte(ordersSpec))
	if err != nil {
		t.Fatal(err)
	}
	r.cfg = Config{TargetBaseURL: "http://127.0.0.1:1"}
	op, err := r.build(Seed{ID: "o", Method: "POST", Path: "/orders", Body: `{"sku":"A1","quantity":2,"color":"red"}`})
	if err != nil {
		t.Fatal(err)
	}
	op.spec = spec.find("POST", "/orders")
	var out []string
	for _, p := range r.schemaProbes(op) {
		v := "invalid"
		if p.valid {
			v = "valid"
		}
		out = append(out, p.mutation+" "+v)
	}
	return out
}

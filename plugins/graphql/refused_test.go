package main

import (
	"strings"
	"testing"
)

// TestE2EDeepArgumentsAreBadUserInput: with the real host, a root field
// whose arguments nest past the host's MAX_BODY_DEPTH (512) is refused by
// the host's find; the field's error says so with BAD_USER_INPUT (the code
// GraphQL servers give bad arguments), not MOCK_HOST_UNAVAILABLE.
func TestE2EDeepArgumentsAreBadUserInput(t *testing.T) {
	h, url := startHost(t)
	h.Post(t, "/api/v1/mocks", `{"id":"hero","graphql":{"operation":"query","field":"hero"},"response":{"payload":{"name":"R2-D2"}}}`, 201)
	var deep any = "leaf"
	for i := 0; i < 1000; i++ {
		deep = []any{deep}
	}
	a := post(t, url, `query Q($d: JSON) { hero(filter: $d) { name } }`, map[string]any{"d": deep})
	errs := a.errorsOf()
	if a.status != 200 || len(errs) != 1 || compact(t, errs[0]["path"]) != `["hero"]` ||
		compact(t, errs[0]["extensions"]) != `{"code":"BAD_USER_INPUT"}` ||
		!strings.Contains(errs[0]["message"].(string), "nested more than 512 levels deep") {
		t.Fatalf("deep arguments: %d %.600s", a.status, a.raw)
	}
	a = post(t, url, `query Q($d: JSON) { hero(filter: $d) { name } }`, map[string]any{"d": []any{[]any{"leaf"}}})
	if got := dataOf(t, a); a.status != 200 || got != `{"hero":{"name":"R2-D2"}}` {
		t.Fatalf("within the limit: %d %.600s", a.status, a.raw)
	}
}

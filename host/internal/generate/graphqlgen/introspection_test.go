package graphqlgen

import (
	"strings"
	"testing"
)

func TestFromIntrospectionKinds(t *testing.T) {
	ref := func(kind, name string) string {
		return `{"kind": "` + kind + `", "name": "` + name + `", "ofType": null}`
	}
	nonNull := func(inner string) string { return `{"kind": "NON_NULL", "name": null, "ofType": ` + inner + `}` }
	doc := `{"__schema": {"queryType": {"name": "Q"}, "mutationType": {"name": "M"}, "subscriptionType": null, "types": [
	  {"kind": "OBJECT", "name": "Q", "interfaces": [], "fields": [
	    {"name": "node", "args": [{"name": "id", "type": ` + nonNull(ref("SCALAR", "ID")) + `, "defaultValue": null}], "type": ` + ref("INTERFACE", "Node") + `},
	    {"name": "hits", "args": [], "type": {"kind": "LIST", "name": null, "ofType": ` + ref("UNION", "Hit") + `}}]},
	  {"kind": "OBJECT", "name": "M", "interfaces": [], "fields": [
	    {"name": "add", "args": [{"name": "in", "type": ` + ref("INPUT_OBJECT", "In") + `, "defaultValue": "{n: 2}"}], "type": ` + ref("OBJECT", "A") + `}]},
	  {"kind": "INTERFACE", "name": "Node", "fields": [{"name": "id", "args": [], "type": ` + nonNull(ref("SCALAR", "ID")) + `}], "possibleTypes": [` + ref("OBJECT", "A") + `]},
	  {"kind": "OBJECT", "name": "A", "interfaces": [` + ref("INTERFACE", "Node") + `], "fields": [{"name": "id", "args": [], "type": ` + nonNull(ref("SCALAR", "ID")) + `}]},
	  {"kind": "OBJECT", "name": "B", "interfaces": [], "fields": [{"name": "n", "args": [], "type": ` + ref("SCALAR", "Int") + `}]},
	  {"kind": "UNION", "name": "Hit", "possibleTypes": [` + ref("OBJECT", "A") + `, ` + ref("OBJECT", "B") + `]},
	  {"kind": "INPUT_OBJECT", "name": "In", "inputFields": [{"name": "n", "type": ` + ref("SCALAR", "Int") + `, "defaultValue": "1"}]},
	  {"kind": "SCALAR", "name": "Int"}, {"kind": "SCALAR", "name": "ID"},
	  {"kind": "ENUM", "name": "__TypeKind", "enumValues": [{"name": "SCALAR"}]}
	]}}`
	if !IsIntrospection([]byte("\n "+doc)) || IsIntrospection([]byte("type Query { a: Int }")) {
		t.Fatal("IsIntrospection")
	}
	sdl, err := FromIntrospection([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"schema { query: Q mutation: M }", "type A implements Node {", "union Hit = A | B",
		"add(in: In = {n: 2}): A", "input In {\n  n: Int = 1\n}", "hits: [Hit]"} {
		if !strings.Contains(sdl, want) {
			t.Errorf("SDL lacks %q:\n%s", want, sdl)
		}
	}
	if strings.Contains(sdl, "__TypeKind") || strings.Contains(sdl, "scalar Int") {
		t.Errorf("introspection types and built-in scalars are left out:\n%s", sdl)
	}
	schema, err := Load(map[string]string{"s.graphql": sdl})
	if err != nil {
		t.Fatalf("the SDL does not load: %v\n%s", err, sdl)
	}
	if schema.Query.Name != "Q" || schema.Mutation.Name != "M" || len(schema.GetPossibleTypes(schema.Types["Node"])) != 1 {
		t.Errorf("schema: %+v", schema.Query)
	}
}

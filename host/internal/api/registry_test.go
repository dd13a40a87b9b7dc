package api

import (
	"strings"
	"testing"
)

const starWarsSDL = `schema { query: Query }
type Query { hero(episode: Episode): Character droid(id: ID!): Droid }
enum Episode { NEWHOPE EMPIRE JEDI }
interface Character { id: ID! name: String! friends: [Character] }
type Droid implements Character { id: ID! name: String! friends: [Character] primaryFunction: String }
`

const extraSDL = `type Human implements Character { id: ID! name: String! friends: [Character] height: Float }
extend type Query { human(id: ID!): Human }
`

func TestGraphQLSchemaRegistry(t *testing.T) {
	ts := newTestServer(t)
	ts.expect(201, "POST", "/api/v1/graphql/schemas", map[string]any{"name": "starwars.graphql", "content": starWarsSDL})
	// A file that extends the first is checked together with it.
	ts.expect(201, "PUT", "/api/v1/graphql/schemas/human.graphql", extraSDL, "Content-Type", "application/graphql")
	// A broken file is refused with its name, line and column.
	v := ts.expectError(422, CodeValidation, "content", "POST", "/api/v1/graphql/schemas",
		map[string]any{"name": "broken.graphql", "content": "type Thing {\n  x: Unknown\n}\n"})
	if msg := v["error"].(string); !strings.Contains(msg, "broken.graphql:2:") || !strings.Contains(msg, "Unknown") {
		t.Fatalf("error: %v", v)
	}
	ts.expectError(422, CodeValidation, "name", "POST", "/api/v1/graphql/schemas", map[string]any{"name": "x.txt", "content": starWarsSDL})
	ts.expectError(422, CodeValidation, "content", "POST", "/api/v1/graphql/schemas", map[string]any{"name": "x.graphql"})
	list := ts.expect(200, "GET", "/api/v1/graphql/schemas", nil)
	if list["total"] != float64(2) {
		t.Fatalf("list: %v", list)
	}
	got := ts.expect(200, "GET", "/api/v1/graphql/schemas/human.graphql", nil)
	if got["content"] != extraSDL {
		t.Fatalf("get: %v", got)
	}
	if r := ts.do("GET", "/api/v1/graphql/schemas/starwars.graphql?raw=true", nil); r.Status != 200 || string(r.Body) != starWarsSDL {
		t.Fatalf("raw: %d %s", r.Status, r.Body)
	}
	// The base file cannot go while the extension needs it.
	ts.expectError(409, CodeConflict, "", "DELETE", "/api/v1/graphql/schemas/starwars.graphql", nil)
	ts.expect(200, "DELETE", "/api/v1/graphql/schemas/human.graphql", nil)
	ts.expect(200, "DELETE", "/api/v1/graphql/schemas/starwars.graphql", nil)
	ts.expectError(404, CodeNotFound, "", "GET", "/api/v1/graphql/schemas/starwars.graphql", nil)
}

const tinyWSDL = `<?xml version="1.0"?>
<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" name="Bank" targetNamespace="urn:bank"></definitions>`

func TestWSDLRegistry(t *testing.T) {
	ts := newTestServer(t)
	ts.expect(201, "POST", "/api/v1/soap/wsdls?name=bank.wsdl", tinyWSDL, "Content-Type", "text/xml")
	ts.expect(200, "PUT", "/api/v1/soap/wsdls/bank.wsdl", map[string]any{"content": tinyWSDL})
	v := ts.expectError(422, CodeValidation, "content", "POST", "/api/v1/soap/wsdls", map[string]any{"name": "bad.wsdl", "content": "<definitions>\n<oops></definitions>"})
	if !strings.Contains(v["error"].(string), "line 2") {
		t.Fatalf("bad xml: %v", v)
	}
	v = ts.expectError(422, CodeValidation, "content", "POST", "/api/v1/soap/wsdls", map[string]any{"name": "pom.xml", "content": "<project/>"})
	if !strings.Contains(v["error"].(string), "<project>") {
		t.Fatalf("not a wsdl: %v", v)
	}
	if got := ts.expect(200, "GET", "/api/v1/soap/wsdls", nil); got["total"] != float64(1) {
		t.Fatalf("list: %v", got)
	}
	ts.expect(200, "DELETE", "/api/v1/soap/wsdls/bank.wsdl", nil)
	ts.expectError(404, CodeNotFound, "", "DELETE", "/api/v1/soap/wsdls/bank.wsdl", nil)
}

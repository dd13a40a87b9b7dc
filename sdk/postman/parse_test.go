package postman

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "insomnia-importers", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// roundTrip checks Parse -> Marshal -> Parse gives the same collection.
func roundTrip(t *testing.T, name string, c *Collection) []byte {
	t.Helper()
	out, err := Marshal(c)
	if err != nil {
		t.Fatalf("%s: marshal: %v", name, err)
	}
	again, err := Parse(out)
	if err != nil {
		t.Fatalf("%s: the marshalled collection does not parse: %v\n%s", name, err, out)
	}
	if !reflect.DeepEqual(c, again) {
		a, _ := json.MarshalIndent(c, "", " ")
		b, _ := json.MarshalIndent(again, "", " ")
		t.Fatalf("%s: round trip changed the collection:\n%s\n---\n%s", name, a, b)
	}
	return out
}

// Every Postman fixture insomnia-importers ships parses, round-trips and
// is written as v2.1.
func TestInsomniaImporterFixturesParse(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "insomnia-importers", "postman", "*-input.json"))
	if err != nil || len(files) < 20 {
		t.Fatalf("fixtures: %v %d", err, len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c, err := Parse(data)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		if c.Info.Name == "" || len(c.Item) == 0 {
			t.Errorf("%s: info %+v, %d items", filepath.Base(f), c.Info, len(c.Item))
		}
		out := roundTrip(t, filepath.Base(f), c)
		var doc struct {
			Info struct{ Schema string } `json:"info"`
		}
		if json.Unmarshal(out, &doc) != nil || doc.Info.Schema != SchemaV21 {
			t.Errorf("%s: written with schema %q", filepath.Base(f), doc.Info.Schema)
		}
	}
}

// The v2.0 and v2.1 exports of the same collection read the same, once
// the v2.0 auth objects are lists.
func TestV20ReadsAsV21(t *testing.T) {
	for _, name := range []string{"basic-auth", "bearer-token", "digest-auth", "aws-signature-auth"} {
		v20, err := Parse(readFixture(t, "postman/"+name+"-v2_0-input.json"))
		if err != nil {
			t.Fatal(err)
		}
		v21, err := Parse(readFixture(t, "postman/"+name+"-v2_1-input.json"))
		if err != nil {
			t.Fatal(err)
		}
		a20, a21 := v20.Item[0].Request.Auth, v21.Item[0].Request.Auth
		if a20 == nil || a21 == nil || a20.Type != a21.Type || len(a20.Params[a20.Type]) == 0 {
			t.Fatalf("%s: %+v vs %+v", name, a20, a21)
		}
		for _, p := range a21.Params[a21.Type] {
			if got, _ := a20.Param(p.Key); !reflect.DeepEqual(got, p.Value) {
				t.Errorf("%s: %s is %v in v2.0, %v in v2.1", name, p.Key, got, p.Value)
			}
		}
	}
	basic, _ := Parse(readFixture(t, "postman/basic-auth-v2_0-input.json"))
	if a := basic.Item[0].Request.Auth; a.String("username") != "basic-username" || a.String("password") != "basic-password" {
		t.Errorf("basic auth: %+v", a)
	}
	oauth, _ := Parse(readFixture(t, "postman/oauth1_0-auth-v2_0-input.json"))
	for _, p := range oauth.Item[0].Request.Auth.Params["oauth1"] {
		if p.Key == "addParamsToHeader" && (p.Value != false || p.Type != "boolean") {
			t.Errorf("a v2.0 boolean attribute reads as %#v (%s)", p.Value, p.Type)
		}
	}
}

// What the complex fixtures hold survives: folders, events, form bodies
// with files, GraphQL, disabled fields, v2.0's "enabled", string hosts.
func TestComplexFixtures(t *testing.T) {
	c, err := Parse(readFixture(t, "postman/complex-v2_1-input.json"))
	if err != nil {
		t.Fatal(err)
	}
	folder := c.Item[0]
	if !folder.IsFolder() || folder.Name != "First Folder" || len(folder.Item) != 2 || folder.Description.String() != "The first folder" {
		t.Fatalf("folder: %+v", folder)
	}
	if len(folder.Event) != 2 || folder.Event[0].Listen != ListenPrerequest || folder.Event[1].Listen != ListenTest {
		t.Errorf("events: %+v", folder.Event)
	}
	fd := folder.Item[0].Request.Body
	if fd.Mode != ModeFormData || len(fd.FormData) != 3 || fd.FormData[0].Type != "file" ||
		!reflect.DeepEqual(fd.FormData[0].Src, []string{"/home/user/test.txt"}) || !fd.FormData[2].Disabled {
		t.Errorf("formdata: %+v", fd)
	}
	if u := folder.Item[0].Request.URL; u.String() != "{{base_url}}/api/users" || !reflect.DeepEqual(u.Host, []string{"{{base_url}}"}) {
		t.Errorf("url: %+v", u)
	}
	if g := c.Item[4].Request.Body; g.Mode != ModeGraphQL || !strings.HasPrefix(g.GraphQL.Query, "mutation loginUser") ||
		!strings.Contains(g.GraphQL.Variables, "{{password}}") {
		t.Errorf("graphql: %+v", g)
	}
	if b := c.Item[2].Request.Body; b.Mode != "unknown" {
		t.Errorf("an unknown mode is kept: %+v", b)
	}

	v20, err := Parse(readFixture(t, "postman/complex-v2_0-input.json"))
	if err != nil {
		t.Fatal(err)
	}
	if u := v20.Item[0].Item[0].Request.URL; u.Raw != "{{base_url}}/api/users" || !reflect.DeepEqual(u.Path, []string{"api", "users"}) {
		t.Errorf("a v2.0 string URL: %+v", u)
	}
	if f := v20.Item[0].Item[0].Request.Body.FormData; f[1].Disabled || f[1].Value != "bar" {
		t.Errorf("\"enabled\": true: %+v", f)
	}

	h, err := Parse(readFixture(t, "postman/complex-v2_0_fromHeaders-input.json"))
	if err != nil {
		t.Fatal(err)
	}
	u := h.Item[0].Item[1].Request.URL
	if !reflect.DeepEqual(u.Path, []string{"api", "v1", "projects"}) || u.Host[0] != "web" || !u.Query[2].Disabled ||
		u.Build() != "https://web.timingapp.com//api/v1/projects?title=root&hide_archived=true" {
		t.Errorf("string host and path: %+v %s", u, u.Build())
	}
}

// Postman's leniencies: headers as text, a request as a URL string, an
// item without a name, a URL object with only raw, exec as one string, a
// JSON body written as JSON.
func TestLenient(t *testing.T) {
	doc := `{"info": {"name": 7, "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
	 "item": [
	  {"request": {"method": "POST", "url": {"raw": "https://api.example.com:8443/v1/users/:id?verbose&x=1#top"},
	   "header": "Content-Type: application/json\n//X-Off: 1\nAccept:  */*",
	   "body": {"mode": "raw", "raw": {"a": 1}}}},
	  {"name": "plain", "request": "http://localhost:3000/health",
	   "event": [{"listen": "test", "script": {"exec": "pm.test('ok', () => {\n  pm.response.to.have.status(200);\n});"}}]},
	  {"name": "empty folder", "item": []}
	 ]}`
	c, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if c.Info.Name != "7" {
		t.Errorf("name: %q", c.Info.Name)
	}
	r := c.Item[0].Request
	want := []Header{{Key: "Content-Type", Value: "application/json"}, {Key: "X-Off", Value: "1", Disabled: true}, {Key: "Accept", Value: "*/*"}}
	if !reflect.DeepEqual(r.Header, want) {
		t.Errorf("headers: %+v", r.Header)
	}
	u := r.URL
	if u.Protocol != "https" || !reflect.DeepEqual(u.Host, []string{"api", "example", "com"}) || u.Port != "8443" ||
		!reflect.DeepEqual(u.Path, []string{"v1", "users", ":id"}) || u.Query[0].Value != nil || *u.Query[1].Value != "1" ||
		u.Hash != "top" || len(u.Variable) != 1 || u.Variable[0].Key != "id" {
		t.Errorf("raw-only url: %+v", u)
	}
	if u.Build() != u.Raw {
		t.Errorf("built %q from %q", u.Build(), u.Raw)
	}
	if r.Body.Raw != `{"a":1}` {
		t.Errorf("raw body: %q", r.Body.Raw)
	}
	p := c.Item[1]
	if p.Request.Method != "GET" || p.Request.URL.String() != "http://localhost:3000/health" || p.Request.URL.Port != "3000" {
		t.Errorf("string request: %+v", p.Request)
	}
	if s := p.Event[0].Script; len(s.Exec) != 3 || s.Source() != "pm.test('ok', () => {\n  pm.response.to.have.status(200);\n});" {
		t.Errorf("exec: %#v", s.Exec)
	}
	if !c.Item[2].IsFolder() || len(c.Item[2].Item) != 0 {
		t.Errorf("empty folder: %+v", c.Item[2])
	}
	out := roundTrip(t, "lenient", c)
	if !strings.Contains(string(out), `"name":"empty folder","item":[]`) {
		t.Errorf("an empty folder must stay a folder: %s", out)
	}
}

// The Postman API's wrapper is unwrapped, and its errors say so.
func TestAPIWrapper(t *testing.T) {
	c, err := Parse([]byte(`{"collection": {"info": {"name": "x", "schema": "` + SchemaV21 + `"}, "item": [{"name": "a", "request": {"url": "http://h/"}}]}}`))
	if err != nil || c.Info.Name != "x" || c.Item[0].Request.URL.String() != "http://h/" {
		t.Fatalf("%+v %v", c, err)
	}
	_, err = Parse([]byte(`{"collection": {"info": {"name": "x"}, "item": [{"request": {"url": 5}}]}}`))
	var pe *Error
	if !errors.As(err, &pe) || pe.Path != "collection.item[0].request.url" {
		t.Fatalf("%v", err)
	}
}

// Refusals name what is wrong and where.
func TestParseErrors(t *testing.T) {
	deep := `{"info":{"name":"d"},"item":[` + strings.Repeat(`{"name":"f","item":[`, MaxDepth+1) +
		strings.Repeat(`]}`, MaxDepth+1) + `]}`
	for name, c := range map[string]struct{ doc, path, want string }{
		"empty":        {"  ", "", "empty"},
		"not json":     {"{\n  \"info\": {,\n}", "", "line 2, column 12"},
		"truncated":    {`{"info": {"name": "x"}, "item": [`, "", "ends too early"},
		"trailing":     {`{"item": []} x`, "", "text after the JSON value"},
		"array":        {`[1, 2]`, "", "is a list, not a Postman collection"},
		"v1":           {`{"id": "1", "name": "old", "order": [], "folders": [], "requests": [{"url": "http://x"}]}`, "", "v1 collection"},
		"v1 schema":    {`{"info": {"schema": "https://schema.getpostman.com/json/collection/v1.0.0/collection.json"}, "item": []}`, "", "v1 collection"},
		"other schema": {`{"info": {"schema": "https://schema.getpostman.com/json/collection/v3.0.0/collection.json"}, "item": []}`, "info.schema", "not a supported collection format"},
		"insomnia":     {`{"_type": "export", "__export_format": 4, "resources": []}`, "", "Insomnia export"},
		"openapi":      {`{"openapi": "3.0.0", "paths": {}}`, "", "OpenAPI"},
		"environment":  {`{"name": "e", "values": [], "_postman_variable_scope": "environment"}`, "", "environment"},
		"no items":     {`{"info": {"name": "x"}}`, "", `no "item" list`},
		"item object":  {`{"item": {"name": "x"}}`, "item", "is an object, want a list"},
		"bad url":      {`{"item": [{"name": "a"}, {"name": "f", "item": [{"request": {"url": 12}}]}]}`, "item[1].item[0].request.url", "is a number, want an object (or a string)"},
		"bad header":   {`{"item": [{"request": {"header": 3}}]}`, "item[0].request.header", "want a list"},
		"bad exec":     {`{"item": [], "event": [{"listen": "test", "script": {"exec": 1}}]}`, "event[0].script.exec", "lines of code"},
		"bad auth":     {`{"item": [], "auth": {"type": "basic", "basic": "u:p"}}`, "auth.basic", "attributes"},
		"bad code":     {`{"item": [{"request": {}, "response": [{"code": "OK"}]}]}`, "item[0].response[0].code", "not an HTTP status"},
		"too deep":     {deep, "item[0]" + strings.Repeat(".item[0]", MaxDepth-1) + ".item", "nest more than 64"},
	} {
		_, err := Parse([]byte(c.doc))
		var pe *Error
		if !errors.As(err, &pe) || pe.Path != c.path || !strings.Contains(pe.Message, c.want) {
			t.Errorf("%s: %v (path %q), want path %q and %q", name, err, pathOf(pe), c.path, c.want)
		}
	}
}

func pathOf(e *Error) string {
	if e == nil {
		return ""
	}
	return e.Path
}

// The written document is v2.1 as Postman writes it: descriptions as
// strings, one file as a string src, auth attribute lists, no HTML
// escapes.
func TestMarshalShape(t *testing.T) {
	c := &Collection{Info: Info{Name: "m", Schema: SchemaV21, Description: Text("<b>x</b> & y")}, Item: []*Item{{
		Name: "r", Request: &Request{Method: "POST", URL: NewURL("{{base}}/up"),
			Auth: NewAuth("bearer", "token", "{{tok}}"),
			Body: &Body{Mode: ModeFormData, FormData: []FormParam{{Key: "f", Type: "file", Src: []string{"/tmp/a.txt"}}, {Key: "t", Value: "1", Type: "text"}}}},
		Event: []Event{{Listen: ListenTest, Script: NewScript("pm.test('a', () => {});")}},
	}}}
	out, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	info := doc["info"].(map[string]any)
	if info["schema"] != SchemaV21 || info["description"] != "<b>x</b> & y" {
		t.Errorf("info: %v", info)
	}
	req := doc["item"].([]any)[0].(map[string]any)["request"].(map[string]any)
	auth := req["auth"].(map[string]any)
	if auth["type"] != "bearer" || auth["bearer"].([]any)[0].(map[string]any)["value"] != "{{tok}}" {
		t.Errorf("auth: %v", auth)
	}
	fd := req["body"].(map[string]any)["formdata"].([]any)
	if fd[0].(map[string]any)["src"] != "/tmp/a.txt" {
		t.Errorf("formdata: %v", fd)
	}
	mine, _ := Marshal(c)
	if !strings.Contains(string(mine), `"<b>x</b> & y"`) {
		t.Errorf("Marshal escapes HTML: %s", mine)
	}
	roundTrip(t, "built", c)
}

// A collection, item, request and URL read through json.Unmarshal as
// through Parse, so the host can embed them in its own types.
func TestUnmarshalJSON(t *testing.T) {
	var holder struct {
		Collection Collection `json:"collection"`
		Request    *Request   `json:"request"`
		URL        URL        `json:"url"`
		Item       Item       `json:"item"`
	}
	doc := `{"collection": {"item": [{"name": "a", "request": "http://x/y"}]},
	 "request": "http://x/z", "url": "https://h/p?q=1", "item": {"name": "f", "item": []}}`
	if err := json.Unmarshal([]byte(doc), &holder); err != nil {
		t.Fatal(err)
	}
	if holder.Collection.Item[0].Request.URL.Path[0] != "y" || holder.Request.URL.Path[0] != "z" ||
		*holder.URL.Query[0].Value != "1" || !holder.Item.IsFolder() {
		t.Errorf("%+v", holder)
	}
	if err := json.Unmarshal([]byte(`{"collection": {"item": [{"request": {"url": []}}]}}`), &holder); err == nil ||
		!strings.Contains(err.Error(), "item[0].request.url") {
		t.Errorf("error: %v", err)
	}
}

// v2.0's "enabled": false disables a field; in v2.1 newman ignores
// "enabled", and so does Parse.
func TestEnabledByVersion(t *testing.T) {
	doc := func(schema string) []byte {
		return []byte(`{"info": {"schema": "https://schema.getpostman.com/json/collection/` + schema + `/collection.json"},
		 "item": [{"request": {"url": "http://h/", "header": [{"key": "a", "value": "1", "enabled": false}],
		  "body": {"mode": "urlencoded", "urlencoded": [{"key": "b", "value": "2", "enabled": false}]}}}]}`)
	}
	for schema, want := range map[string]bool{"v2.0.0": true, "v2.1.0": false} {
		c, err := Parse(doc(schema))
		if err != nil {
			t.Fatal(err)
		}
		r := c.Item[0].Request
		if r.Header[0].Disabled != want || r.Body.URLEncoded[0].Disabled != want {
			t.Errorf("%s: disabled %v %v, want %v", schema, r.Header[0].Disabled, r.Body.URLEncoded[0].Disabled, want)
		}
	}
}

// An auth object reads on its own (v2.0 or v2.1) and through
// json.Unmarshal.
func TestParseAuth(t *testing.T) {
	a, err := ParseAuth([]byte(`{"type": "apikey", "apikey": {"key": "X-Key", "value": "{{k}}", "in": "header"}}`))
	if err != nil || a.Type != "apikey" || a.String("key") != "X-Key" || a.String("in") != "header" {
		t.Fatalf("%+v %v", a, err)
	}
	var b Auth
	if err := json.Unmarshal([]byte(`{"type": "bearer", "bearer": [{"key": "token", "value": "t"}]}`), &b); err != nil || b.String("token") != "t" {
		t.Fatalf("%+v %v", b, err)
	}
	if a, err := ParseAuth([]byte(`{}`)); a != nil || err != nil {
		t.Errorf("empty: %+v %v", a, err)
	}
	if _, err := ParseAuth([]byte(`{"basic": [], "bearer": []}`)); err == nil || !strings.Contains(err.Error(), "type: is missing") {
		t.Errorf("ambiguous: %v", err)
	}
}

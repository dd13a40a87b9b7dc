package imports

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/sdk/postman"
)

func read(t *testing.T, path ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(path...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// valid checks that an import is a v2.1 document that reads back the
// same (what the tester plugin receives).
func valid(t *testing.T, name string, r *Result) {
	t.Helper()
	out, err := postman.Marshal(r.Collection)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	again, err := postman.Parse(out)
	if err != nil {
		t.Fatalf("%s: the import does not parse back: %v", name, err)
	}
	first, _ := postman.Marshal(again)
	if string(first) != string(out) {
		t.Fatalf("%s: the import changes when read back:\n%s\n%s", name, out, first)
	}
}

// inputErr checks err is an InputError on field with want in its message.
func wantInputErr(t *testing.T, name string, err error, field, want string) {
	t.Helper()
	var ie *generate.InputError
	if !errors.As(err, &ie) || ie.Field != field || !strings.Contains(ie.Message, want) {
		t.Errorf("%s: %v, want an error on %q saying %q", name, err, field, want)
	}
}

func hasWarning(r *Result, part string) bool {
	for _, w := range r.Warnings {
		if strings.Contains(w, part) {
			return true
		}
	}
	return false
}

func names(items []*postman.Item) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, it.Name)
	}
	return out
}

// Every importer refuses what is too large or empty, as the whole
// document.
func TestSizeAndEmpty(t *testing.T) {
	big := make([]byte, MaxBytes+1)
	for name, imp := range map[string]func([]byte) (*Result, error){
		"postman": Postman, "insomnia": Insomnia, "har": HAR,
		"openapi": func(b []byte) (*Result, error) { return OpenAPI(t.Context(), b) },
		"curl":    func(b []byte) (*Result, error) { return Curl([]string{string(b)}) },
	} {
		_, err := imp(big)
		var ie *generate.InputError
		if !errors.As(err, &ie) || !strings.Contains(ie.Message, "at most") {
			t.Errorf("%s, too large: %v", name, err)
		}
		if _, err := imp([]byte(" \n")); !errors.As(err, &ie) {
			t.Errorf("%s, empty: %v", name, err)
		}
	}
}

func TestPostman(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "..", "sdk", "postman", "testdata", "insomnia-importers", "postman")
	files, _ := filepath.Glob(filepath.Join(dir, "*-input.json"))
	if len(files) < 20 {
		t.Fatalf("fixtures: %d", len(files))
	}
	for _, f := range files {
		r, err := Postman(read(t, f))
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		valid(t, filepath.Base(f), r)
		if strings.Contains(f, "v2_0") != hasWarning(r, "converted to v2.1") {
			t.Errorf("%s: warnings %v", filepath.Base(f), r.Warnings)
		}
	}
	r, err := Postman(read(t, dir, "complex-v2_1-input.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !hasWarning(r, `form field "file" sends the file /home/user/test.txt`) || !hasWarning(r, `body mode "unknown"`) {
		t.Errorf("warnings: %v", r.Warnings)
	}
	if m, err := Postman(read(t, dir, "minimal-v2_0-input.json")); err != nil || !hasWarning(m, "request (unnamed) has no URL") {
		t.Errorf("minimal: %v %v", err, m)
	}

	for name, c := range map[string]struct{ doc, field, want string }{
		"not json": {"{\"item\": [\n}", DocumentField, "line 2"},
		"v1":       {`{"id": "x", "name": "old", "requests": []}`, DocumentField, "v1 collection, which is not supported"},
		"bad url":  {`{"item": [{"name": "a"}, {"request": {"url": true}}]}`, "item[1].request.url", "is true/false"},
		"wrapped":  {`{"collection": {"item": [{"request": {"header": 1}}]}}`, "collection.item[0].request.header", "want a list"},
	} {
		_, err := Postman([]byte(c.doc))
		wantInputErr(t, name, err, c.field, c.want)
	}
}

func TestInsomnia(t *testing.T) {
	r, err := Insomnia(read(t, "testdata", "insomnia", "export.json"))
	if err != nil {
		t.Fatal(err)
	}
	valid(t, "export.json", r)
	c := r.Collection
	if c.Info.Name != "Shop API" || c.Info.Description.String() != "The shop's public API" {
		t.Errorf("info: %+v", c.Info)
	}
	if got := names(c.Item); !reflect.DeepEqual(got, []string{"Users", "Upload avatar", "Query me"}) {
		t.Fatalf("top level: %v", got)
	}
	users := c.Item[0]
	if got := names(users.Item); !reflect.DeepEqual(got, []string{"List users", "Create user", "Admin"}) {
		t.Errorf("Users, by metaSortKey: %v", got)
	}
	if len(users.Variable) != 1 || users.Variable[0].Key != "resource" || users.Variable[0].Value != "users" {
		t.Errorf("folder variables: %+v", users.Variable)
	}
	create := users.Item[1].Request
	if create.URL.String() != "{{baseUrl}}/api/users?notify=true" || !create.URL.Query[1].Disabled ||
		create.Auth.Type != "bearer" || create.Auth.String("token") != "{{token}}" || len(create.Header) != 2 ||
		create.Header[1].Value != "{{tenant}}" || create.Body.Language() != "json" || !strings.Contains(create.Body.Raw, "{% uuid 'v4' %}") {
		t.Errorf("create: %+v %+v", create, create.URL)
	}
	if d := users.Item[1].Description.String(); d != "Creates a user in {{tenant}}." {
		t.Errorf("description: %q", d)
	}
	login := users.Item[2].Item[0].Request
	if login.Body.Mode != postman.ModeURLEncoded || len(login.Body.URLEncoded) != 3 || !login.Body.URLEncoded[2].Disabled ||
		login.Body.URLEncoded[1].Value != "{{password}}" || login.Auth.String("username") != "admin" {
		t.Errorf("login: %+v", login.Body)
	}
	up := c.Item[1].Request
	if up.Body.Mode != postman.ModeFormData || up.Body.FormData[1].Type != "file" || up.Body.FormData[1].Src[0] != "/Users/ana/Pictures/me.png" ||
		up.Auth.Type != "apikey" || up.Auth.String("in") != "header" || up.Auth.String("key") != "X-Api-Key" {
		t.Errorf("upload: %+v %+v", up.Body, up.Auth)
	}
	gql := c.Item[2].Request
	if gql.Body.Mode != postman.ModeGraphQL || !strings.HasPrefix(gql.Body.GraphQL.Query, "query Me") ||
		gql.Body.GraphQL.Variables != `{"id":"{{userId}}"}` || gql.Auth.Type != "oauth2" {
		t.Errorf("graphql: %+v %+v", gql.Body.GraphQL, gql.Auth)
	}
	vars := map[string]string{}
	for _, v := range c.Variable {
		vars[v.Key] = v.String()
	}
	if !reflect.DeepEqual(vars, map[string]string{"baseUrl": "http://localhost:8080", "tenant": "acme", "limits.page": "50"}) {
		t.Errorf("collection variables: %v", vars)
	}
	if len(r.Environments) != 1 || r.Environments[0].Name != "Staging" || r.Environments[0].Map()["token"] != "stg-token" {
		t.Errorf("environments: %+v", r.Environments)
	}
	for _, w := range []string{"template tags", `_type "grpc_request"`, "OAuth 2.0", "/Users/ana/Pictures/me.png"} {
		if !hasWarning(r, w) {
			t.Errorf("no warning about %s: %v", w, r.Warnings)
		}
	}

	// The YAML form Insomnia also writes; a request whose group is not in
	// the file goes at the top.
	y := "_type: export\n__export_format: 4\nresources:\n" +
		"  - _id: req_1\n    _type: request\n    parentId: fld_gone\n    name: Ping\n    method: get\n    url: '{{ _.host }}/ping'\n"
	r, err = Insomnia([]byte(y))
	if err != nil || len(r.Collection.Item) != 1 || r.Collection.Item[0].Request.Method != "GET" ||
		r.Collection.Item[0].Request.URL.String() != "{{host}}/ping" {
		t.Fatalf("yaml: %+v %v", r, err)
	}

	for name, c := range map[string]struct{ doc, field, want string }{
		"not json":     {"{\"_type\": \"export\",\n \"resources\": [}", DocumentField, "line 2"},
		"not insomnia": {`{"info": {}, "item": []}`, DocumentField, "not an Insomnia export"},
		"format 3":     {`{"_type": "export", "__export_format": 3, "resources": [{}]}`, "__export_format", "format 4"},
		"v5":           {"type: collection.insomnia.rest/5.0\nname: x\n", DocumentField, "Insomnia v5"},
		"bad resource": {`{"_type": "export", "__export_format": 4, "resources": [{"_id": "a", "_type": "request", "headers": "x"}]}`, "resources[0]", "headers"},
		"no id":        {`{"_type": "export", "__export_format": 4, "resources": [{"_type": "request"}]}`, "resources[0]._id", "missing"},
		"no requests":  {"_type: export\n__export_format: 4\nresources:\n  - _id: wrk_1\n    _type: workspace\n    name: Insomnia\n", DocumentField, "no HTTP request"},
	} {
		_, err := Insomnia([]byte(c.doc))
		wantInputErr(t, name, err, c.field, c.want)
	}
}

// A group that is its own ancestor (a broken export) is imported once,
// not forever.
func TestInsomniaLoopingGroups(t *testing.T) {
	doc := `{"_type": "export", "__export_format": 4, "resources": [
	 {"_id": "g1", "_type": "request_group", "parentId": "g2", "name": "A"},
	 {"_id": "g2", "_type": "request_group", "parentId": "g1", "name": "B"},
	 {"_id": "r1", "_type": "request", "parentId": "g2", "name": "R", "url": "http://h/"}]}`
	r, err := Insomnia([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	_ = r.Collection.Walk(func(_ []*postman.Item, it *postman.Item) error {
		if !it.IsFolder() {
			n++
		}
		return nil
	})
	if n != 1 {
		t.Errorf("%d requests", n)
	}
}

// Cut-off documents (a partial upload) give an input error or a result,
// never a panic or another kind of error.
func TestTruncatedInput(t *testing.T) {
	docs := map[string][]byte{
		"postman":  read(t, "..", "..", "..", "..", "sdk", "postman", "testdata", "insomnia-importers", "postman", "complex-v2_1-input.json"),
		"insomnia": read(t, "testdata", "insomnia", "export.json"),
		"har":      read(t, "..", "..", "generate", "hargen", "testdata", "browser.har"),
		"openapi":  read(t, "..", "..", "generate", "openapigen", "testdata", "oas-examples", "3.0", "petstore.yaml"),
		"curl":     read(t, "testdata", "insomnia-importers", "curl", "dollar-sign-input.sh"),
	}
	imps := map[string]func([]byte) (*Result, error){
		"postman": Postman, "insomnia": Insomnia, "har": HAR,
		"openapi": func(b []byte) (*Result, error) { return OpenAPI(t.Context(), b) },
		"curl":    func(b []byte) (*Result, error) { return Curl([]string{string(b)}) },
	}
	for name, doc := range docs {
		step := max(len(doc)/40, 1)
		for n := 1; n < len(doc); n += step {
			r, err := imps[name](doc[:n])
			var ie *generate.InputError
			switch {
			case err != nil && !errors.As(err, &ie):
				t.Errorf("%s, %d bytes: %T %v", name, n, err, err)
			case err == nil:
				valid(t, name, r)
			}
		}
	}
}

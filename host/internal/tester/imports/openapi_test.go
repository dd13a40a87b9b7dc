package imports

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/sdk/postman"
)

func oasFile(t *testing.T, name string) []byte {
	return read(t, "..", "..", "generate", "openapigen", "testdata", "oas-examples", name)
}

// Every description in the repo's testdata imports into a valid
// collection whose bodies are plain values, not mock templates.
func TestOpenAPITestdata(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "generate", "openapigen", "testdata", "oas-examples", "*", "*"))
	if len(files) < 10 {
		t.Fatalf("%d files", len(files))
	}
	for _, f := range files {
		r, err := OpenAPI(t.Context(), read(t, f))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		valid(t, f, r)
		_ = r.Collection.Walk(func(_ []*postman.Item, it *postman.Item) error {
			if it.IsFolder() {
				return nil
			}
			if b := it.Request.Body; b != nil && strings.Contains(b.Raw, "$.fake.") {
				t.Errorf("%s: %s: a template in the body: %s", f, it.Name, b.Raw)
			}
			if !strings.HasPrefix(it.Request.URL.String(), "{{baseUrl}}/") && !strings.Contains(it.Request.URL.String(), "://") {
				t.Errorf("%s: %s: url %s", f, it.Name, it.Request.URL.String())
			}
			return nil
		})
	}
}

func TestOpenAPITrainTravel(t *testing.T) {
	r, err := OpenAPI(t.Context(), oasFile(t, "3.1/train-travel.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	c := r.Collection
	if c.Info.Name != "Train Travel API" || c.Variable[0].Key != "baseUrl" || c.Variable[0].Value != "https://api.example.com" {
		t.Errorf("info and baseUrl: %+v %+v", c.Info, c.Variable)
	}
	if got := names(c.Item); !reflect.DeepEqual(got, []string{"Stations", "Trips", "Bookings", "Payments"}) {
		t.Errorf("folders in the tags' order: %v", got)
	}
	if !strings.Contains(c.Item[0].Description.String(), "train stations") {
		t.Errorf("a folder's description is its tag's: %q", c.Item[0].Description)
	}
	if c.Auth == nil || c.Auth.Type != "bearer" || c.Auth.String("token") != "{{bearerToken}}" || !hasWarning(r, `"OAuth2"`) {
		t.Errorf("auth: %+v %v", c.Auth, r.Warnings)
	}
	bookings := c.Item[2].Item
	if got := names(bookings); !reflect.DeepEqual(got, []string{"List existing bookings", "Create a booking", "Get a booking", "Delete a booking"}) {
		t.Errorf("operations in the document's order: %v", got)
	}
	get := bookings[2]
	if u := get.Request.URL; u.String() != "{{baseUrl}}/bookings/:bookingId" || len(u.Variable) != 1 || u.Variable[0].Key != "bookingId" ||
		u.Variable[0].Value == "" {
		t.Errorf("path variable: %+v", u)
	}
	if s := get.Event[0].Script.Source(); get.Event[0].Listen != postman.ListenTest || !strings.Contains(s, "pm.response.to.have.status(200)") {
		t.Errorf("test: %+v", get.Event)
	}
	create := bookings[1]
	if s := create.Event[0].Script.Source(); !strings.Contains(s, "have.status(201)") {
		t.Errorf("create's success is 201: %s", s)
	}
	var body map[string]any
	if b := create.Request.Body; b.Language() != "json" || json.Unmarshal([]byte(b.Raw), &body) != nil || body["passenger_name"] != "John Doe" ||
		header(create.Request, "Content-Type") != "application/json" {
		t.Errorf("the description's example is the body: %+v", create.Request.Body)
	}
	if len(create.Response) < 2 || create.Response[0].Code != 201 || !strings.Contains(create.Response[0].Body, `"id"`) {
		t.Errorf("examples: %+v", create.Response)
	}
	trips := c.Item[1].Item[0].Request.URL
	if len(trips.Query) != 5 || trips.Query[0].Disabled || !trips.Query[3].Disabled {
		t.Errorf("required query parameters on, optional ones off: %+v", trips.Query)
	}
}

// Swagger 2.0, server variables, parameter examples and plain samples.
func TestOpenAPIShapes(t *testing.T) {
	r, err := OpenAPI(t.Context(), oasFile(t, "2.0/petstore.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	valid(t, "petstore 2.0", r)
	if r.Collection.Variable[0].Value != "http://petstore.swagger.io/v2" {
		t.Errorf("baseUrl from host and basePath: %+v", r.Collection.Variable)
	}

	r, err = OpenAPI(t.Context(), oasFile(t, "3.0/server-variables.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Collection.Variable[0].Value != "https://demo.example.com:443/v2" {
		t.Errorf("server variables at their defaults: %+v", r.Collection.Variable)
	}

	r, err = OpenAPI(t.Context(), oasFile(t, "3.0/request-examples.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	it := r.Collection.Item[0].Item[0]
	if u := it.Request.URL; u.String() != "{{baseUrl}}/parameterExamples/:param1/:param2" || u.Variable[0].Value != "param1-example" {
		t.Errorf("parameter examples: %+v", u)
	}

	doc := `openapi: 3.0.3
info: {title: Shapes, version: '1'}
servers: [{url: /api}]
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: X-API-Key}
security: [{key: []}]
paths:
  /users/{id}/avatar.{ext}:
    parameters:
      - {name: id, in: path, required: true, schema: {type: integer, minimum: 10}}
      - {name: ext, in: path, required: true, schema: {type: string, enum: [png, jpg]}}
    put:
      security: []
      parameters:
        - {name: X-Trace, in: header, schema: {type: string, format: uuid}}
        - {name: tags, in: query, required: true, schema: {type: array, items: {type: string, enum: [a, b]}}}
      requestBody:
        content:
          multipart/form-data:
            schema:
              type: object
              properties:
                file: {type: string, format: binary}
                note: {type: string, example: hello}
      responses:
        2XX: {description: stored}
  /users:
    post:
      tags: [users]
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required: [email, age]
              properties:
                email: {type: string, format: email}
                age: {type: integer, minimum: 18}
                createdAt: {type: string, format: date-time, readOnly: true}
      responses:
        '201': {description: created, content: {application/json: {schema: {type: object, properties: {id: {type: integer}}}}}}
        default: {description: error}
`
	r, err = OpenAPI(t.Context(), []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	valid(t, "shapes", r)
	c := r.Collection
	if c.Variable[0].Value != "http://localhost/api" || !hasWarning(r, "relative") {
		t.Errorf("relative server: %+v %v", c.Variable, r.Warnings)
	}
	if c.Auth.Type != "apikey" || c.Auth.String("key") != "X-API-Key" || c.Auth.String("in") != "header" || c.Variable[1].Key != "apiKey" {
		t.Errorf("auth: %+v %+v", c.Auth, c.Variable)
	}
	if got := names(c.Item); !reflect.DeepEqual(got, []string{"users", "PUT /users/{id}/avatar.{ext}"}) {
		t.Fatalf("tagged first, then the rest: %v", got)
	}
	post := c.Item[0].Item[0]
	var body map[string]any
	if err := json.Unmarshal([]byte(post.Request.Body.Raw), &body); err != nil || body["email"] != "user@example.com" ||
		body["age"] != float64(18) || body["createdAt"] != nil {
		t.Errorf("a plain sample, readOnly left out: %s", post.Request.Body.Raw)
	}
	if post.Response[0].Body != "{\n  \"id\": 1\n}" || len(post.Response) != 1 {
		t.Errorf("response example: %+v", post.Response)
	}
	put := c.Item[1]
	if u := put.Request.URL; u.String() != "{{baseUrl}}/users/:id/avatar.png?tags=a" || u.Variable[0].Value != "10" {
		t.Errorf("path: %s %+v", u.String(), u.Variable)
	}
	if put.Request.Auth == nil || put.Request.Auth.Type != "noauth" {
		t.Errorf("security: [] turns auth off: %+v", put.Request.Auth)
	}
	if h := put.Request.Header[0]; h.Key != "X-Trace" || !h.Disabled || h.Value != "3fa85f64-5717-4562-b3fc-2c963f66afa6" {
		t.Errorf("optional header: %+v", h)
	}
	if b := put.Request.Body; b.Mode != postman.ModeFormData || b.FormData[0].Type != "file" || b.FormData[1].Value != "hello" || !hasWarning(r, `"file" is a file`) {
		t.Errorf("multipart: %+v", b)
	}
	if s := put.Event[0].Script.Source(); !strings.Contains(s, "within(200, 299)") {
		t.Errorf("2XX: %s", s)
	}
}

func TestOpenAPIErrors(t *testing.T) {
	for name, c := range map[string]struct{ doc, want string }{
		"broken yaml": {"openapi: 3.0.0\npaths:\n  /a: [\n", "line"},
		"not openapi": {`{"info": {}, "item": []}`, "neither"},
		"no paths":    {`{"openapi": "3.0.0", "info": {"title": "x", "version": "1"}, "paths": {}}`, "no paths"},
	} {
		_, err := OpenAPI(t.Context(), []byte(c.doc))
		wantInputErr(t, name, err, DocumentField, c.want)
	}
}

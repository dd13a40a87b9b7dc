package openapi

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/host/internal/generate"
)

func TestLoadRefusesClearly(t *testing.T) {
	for name, c := range map[string]struct{ spec, want string }{
		"too large":    {strings.Repeat(" ", MaxSpecBytes+1), "at most"},
		"empty":        {"  \n", "is empty"},
		"not openapi":  {`{"info": {}}`, `neither an "openapi" nor a "swagger"`},
		"swagger 1.2":  {`{"swagger": "1.2"}`, `swagger "1.2" is not supported`},
		"openapi 4":    {"openapi: 4.0.0\n", `openapi "4.0.0" is not supported`},
		"broken json":  {"{\n\"openapi\": \"3.0.0\",\n\"paths\": {,}}", "line 3"},
		"broken yaml":  {"openapi: 3.0.0\npaths:\n  /a: [\n", "line"},
		"no paths":     {`{"openapi":"3.0.0","info":{"title":"x","version":"1"},"paths":{}}`, "no paths"},
		"external ref": {`{"openapi":"3.0.0","info":{"title":"x","version":"1"},"paths":{"/a":{"$ref":"other.json#/a"}}}`, "other.json"},
		"missing ref (2.0)": {"swagger: '2.0'\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        200:\n          description: ok\n          schema: {$ref: '#/definitions/Nope'}\n",
			"Nope"},
	} {
		_, err := Load(context.Background(), []byte(c.spec))
		var ie *generate.InputError
		if !errors.As(err, &ie) || ie.Field != "spec" || !strings.Contains(ie.Message, c.want) {
			t.Errorf("%s: %v, want an error on spec saying %q", name, err, c.want)
		}
	}
}

func TestLoadVersions(t *testing.T) {
	for spec, want := range map[string]string{
		"swagger: '2.0'\ninfo: {title: x, version: '1'}\nbasePath: /v1\npaths:\n  /a:\n    get:\n      responses:\n        200: {description: ok}\n": "2.0",
		`{"openapi":"3.0.3","info":{"title":"x","version":"1"},"paths":{"/a":{"get":{"responses":{"200":{"description":"ok"}}}}}}`:                   "3.0",
		"openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200': {description: ok}\n":              "3.1",
	} {
		doc, err := Load(context.Background(), []byte(spec))
		if err != nil || doc.Version != want || doc.Paths.Value("/a") == nil {
			t.Errorf("%s: %v %+v", want, err, doc)
		}
	}
}

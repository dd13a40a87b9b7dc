// Package openapi reads API descriptions (Swagger 2.0, OpenAPI 3.0 and
// 3.1, JSON or YAML) into one form, OpenAPI 3 as kin-openapi models it,
// and builds sample values from their schemas. The OpenAPI generator uses
// it, and so can every tool that starts from a spec.
package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"gopkg.in/yaml.v3"
)

// MaxSpecBytes bounds one uploaded description.
const MaxSpecBytes = 16 << 20

// Doc is a loaded description.
type Doc struct {
	*openapi3.T
	// Version is the version as uploaded: "2.0", "3.0" or "3.1".
	Version string
	// Warnings are what the description gets wrong that loading forgave.
	Warnings []string
}

// Load reads one self-contained description. Errors are *generate.InputError
// on field "spec", naming the line or the JSON pointer where they can.
func Load(ctx context.Context, data []byte) (*Doc, error) {
	if len(data) > MaxSpecBytes {
		return nil, generate.Inputf("spec", "is %d bytes; at most %d (%d MiB) are read", len(data), MaxSpecBytes, MaxSpecBytes>>20)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, generate.Inputf("spec", "is empty: send an OpenAPI 3 or Swagger 2.0 document (JSON or YAML)")
	}
	head, err := readHead(data)
	if err != nil {
		return nil, err
	}
	doc := &Doc{}
	switch {
	case head.Swagger != "":
		if !strings.HasPrefix(head.Swagger, "2.") {
			return nil, generate.Inputf("spec", "swagger %q is not supported: Swagger 2.0 and OpenAPI 3.0 and 3.1 are", head.Swagger)
		}
		doc.Version = "2.0"
		if doc.T, err = loadV2(data); err != nil {
			return nil, err
		}
	case head.OpenAPI != "":
		switch {
		case strings.HasPrefix(head.OpenAPI, "3.0"):
			doc.Version = "3.0"
		case strings.HasPrefix(head.OpenAPI, "3.1"):
			doc.Version = "3.1"
		default:
			return nil, generate.Inputf("spec", "openapi %q is not supported: OpenAPI 3.0 and 3.1 and Swagger 2.0 are", head.OpenAPI)
		}
		if doc.T, err = loadV3(ctx, data); err != nil {
			return nil, err
		}
	default:
		return nil, generate.Inputf("spec", "has neither an \"openapi\" nor a \"swagger\" field: is it an OpenAPI description?")
	}
	if doc.Paths == nil || doc.Paths.Len() == 0 {
		return nil, generate.Inputf("spec", "has no paths: nothing to mock")
	}
	if err := doc.T.Validate(ctx, openapi3.DisableExamplesValidation(), openapi3.DisableSchemaDefaultsValidation(),
		openapi3.DisableSchemaPatternValidation(), openapi3.AllowExtraSiblingFields("description", "example", "examples")); err != nil {
		doc.Warnings = append(doc.Warnings, "the description does not validate (mocks are generated anyway): "+firstLine(err.Error()))
	}
	return doc, nil
}

type head struct {
	Swagger string `json:"swagger" yaml:"swagger"`
	OpenAPI string `json:"openapi" yaml:"openapi"`
}

// readHead checks the document's syntax, reporting where it breaks, and
// reads its version fields.
func readHead(data []byte) (head, error) {
	var h head
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if trimmed[0] == '{' {
		if err := json.Unmarshal(data, &h); err != nil {
			return h, generate.Inputf("spec", "is not valid JSON: %s", generate.JSONWhere(data, err))
		}
		return h, nil
	}
	var node yaml.Node
	if err := yaml.Unmarshal(data, &node); err != nil {
		return h, generate.Inputf("spec", "is not valid YAML or JSON: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(node.Content) == 0 || node.Content[0].Kind != yaml.MappingNode {
		return h, generate.Inputf("spec", "is not a JSON or YAML object")
	}
	for i := 0; i+1 < len(node.Content[0].Content); i += 2 {
		k, v := node.Content[0].Content[i], node.Content[0].Content[i+1]
		switch k.Value {
		case "swagger":
			h.Swagger = v.Value
		case "openapi":
			h.OpenAPI = v.Value
		}
	}
	return h, nil
}

func loader(ctx context.Context) *openapi3.Loader {
	l := openapi3.NewLoader()
	l.IsExternalRefsAllowed = false
	l.Context = ctx
	return l
}

func loadV3(ctx context.Context, data []byte) (*openapi3.T, error) {
	t, err := loader(ctx).LoadFromData(data)
	if err != nil {
		return nil, refErr(err)
	}
	return t, nil
}

func loadV2(data []byte) (*openapi3.T, error) {
	js, err := toJSON(data)
	if err != nil {
		return nil, err
	}
	var v2 openapi2.T
	if err := json.Unmarshal(js, &v2); err != nil {
		return nil, generate.Inputf("spec", "is not a Swagger 2.0 document: %v", err)
	}
	t, err := openapi2conv.ToV3WithLoader(&v2, loader(context.Background()), nil)
	if err != nil {
		return nil, refErr(err)
	}
	return t, nil
}

// refErr explains a failure to resolve the document's references.
func refErr(err error) error {
	var ext *openapi3.DisallowedExternalRefError
	if errors.As(err, &ext) {
		return generate.Inputf("spec", "refers to another document (%q): upload one self-contained file (bundle it first, e.g. with `redocly bundle`)", ext.Ref)
	}
	return generate.Inputf("spec", "%s", firstLine(err.Error()))
}

// toJSON converts a YAML (or JSON) document to JSON; YAML's non-string
// keys (response codes written as 200) become strings.
func toJSON(data []byte) ([]byte, error) {
	if bytes.TrimLeft(data, " \t\r\n")[0] == '{' {
		return data, nil
	}
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, generate.Inputf("spec", "is not valid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	b, err := json.Marshal(stringKeys(v, 0))
	if err != nil {
		return nil, generate.Inputf("spec", "cannot be read as JSON: %v", err)
	}
	return b, nil
}

func stringKeys(v any, depth int) any {
	if depth > 512 {
		return nil
	}
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = stringKeys(e, depth+1)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = stringKeys(e, depth+1)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = stringKeys(e, depth+1)
		}
	}
	return v
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 500 {
		s = s[:500] + "…"
	}
	return s
}

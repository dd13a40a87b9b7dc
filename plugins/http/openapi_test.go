package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

// Mocks generated from OpenAPI descriptions answer through this listener
// as through /stubs: every operation, with its default response and with
// each declared response picked by "Prefer: code=", and every body
// validates against the operation's response schema (kin-openapi).
func TestOpenAPIGeneratedMocksThroughTheListener(t *testing.T) {
	h := plugintest.StartHost(t, plugintest.HostOptions{Plugins: map[string]plugintest.PluginSpec{
		"http": {Dir: ".", Settings: `{"addresses": ["127.0.0.1:0"]}`}}})
	addr := h.Addresses(t, "http")[0]
	const dir = "../../host/internal/generate/openapigen/testdata/oas-examples/"
	for _, f := range []string{"3.0/petstore.yaml", "3.1/train-travel.yaml"} {
		spec, err := os.ReadFile(dir + f)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := json.Marshal(map[string]any{"spec": string(spec), "namespace": "sandbox", "idPrefix": strings.NewReplacer("/", "-", ".", "-").Replace(f)})
		var rep struct {
			Mocks []struct {
				PathPrefix string `json:"pathPrefix"`
			} `json:"mocks"`
		}
		if err := json.Unmarshal(h.Post(t, "/api/v1/generators/openapi", string(body), http.StatusCreated), &rep); err != nil {
			t.Fatal(err)
		}
		doc, err := openapi3.NewLoader().LoadFromData(spec)
		if err != nil {
			t.Fatal(err)
		}
		prefix := rep.Mocks[0].PathPrefix
		checked, bad := 0, []string{}
		paths := doc.Paths.InMatchingOrder()
		sort.Strings(paths)
		for _, path := range paths {
			item := doc.Paths.Value(path)
			for method, op := range item.Operations() {
				codes := []string{""}
				for code := range op.Responses.Map() {
					if code != "default" {
						codes = append(codes, code)
					}
				}
				for _, code := range codes {
					checked++
					if err := answerFits(addr, doc, prefix, path, method, item, op, code); err != nil {
						bad = append(bad, fmt.Sprintf("%s %s (code %q): %v", method, path, code, err))
					}
				}
			}
		}
		if checked < 10 {
			t.Fatalf("%s: only %d answers checked", f, checked)
		}
		if len(bad) > 0 {
			t.Errorf("%s: %d of %d answers wrong:\n%s", f, len(bad), checked, strings.Join(bad[:min(8, len(bad))], "\n"))
		}
	}
}

var pathParam = regexp.MustCompile(`\{[^{}]+\}`)

func answerFits(addr string, doc *openapi3.T, prefix, path, method string, item *openapi3.PathItem, op *openapi3.Operation, code string) error {
	url := "http://" + addr + prefix + pathParam.ReplaceAllString(path, "1")
	req, _ := http.NewRequest(method, url, nil)
	if code != "" {
		req.Header.Set("Prefer", "code="+code)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if code != "" && fmt.Sprint(res.StatusCode) != code {
		return fmt.Errorf("status %d: %s", res.StatusCode, b)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req,
			Route: &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op}},
		Status: res.StatusCode, Header: res.Header, Body: io.NopCloser(bytes.NewReader(b)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, ExcludeResponseBody: method == http.MethodHead,
			SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.EnableFormatValidation()}},
	}
	return openapi3filter.ValidateResponse(context.Background(), in)
}

// Mocks generated with validateRequests check requests through this
// listener as through /stubs: one that fits gets the mock's answer, one
// that does not a 422 naming each wrong field, in the API's error shape.
func TestOpenAPIRequestValidationThroughTheListener(t *testing.T) {
	h := plugintest.StartHost(t, plugintest.HostOptions{Plugins: map[string]plugintest.PluginSpec{
		"http": {Dir: ".", Settings: `{"addresses": ["127.0.0.1:0"]}`}}})
	addr := h.Addresses(t, "http")[0]
	spec, err := os.ReadFile("../../host/internal/generate/openapigen/testdata/oas-examples/3.0/petstore.yaml")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"spec": string(spec), "namespace": "sandbox", "idPrefix": "vr", "validateRequests": true})
	h.Post(t, "/api/v1/generators/openapi", string(body), http.StatusCreated)

	call := func(method, path, body string) (int, http.Header, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header, b
	}
	for _, c := range []struct {
		method, path, body string
		status             int
	}{
		{"GET", "/v2/pet/42", "", 200},
		{"GET", "/v2/pet/findByStatus?status=pending", "", 200},
		{"POST", "/v2/pet", `{"name":"rex","photoUrls":[]}`, 405},
	} {
		if st, _, b := call(c.method, c.path, c.body); st != c.status {
			t.Fatalf("%s %s: %d, want %d: %s", c.method, c.path, st, c.status, b)
		}
	}
	for _, c := range []struct {
		method, path, body string
		in, field          string
	}{
		{"GET", "/v2/pet/abc", "", "path", "petId"},
		{"GET", "/v2/pet/findByStatus", "", "query", "status"},
		{"POST", "/v2/pet", `{"photoUrls":[]}`, "body", "/name"},
	} {
		st, hdr, b := call(c.method, c.path, c.body)
		var rep struct {
			Error      string `json:"error"`
			Code       string `json:"code"`
			RequestID  string `json:"request_id"`
			Violations []struct {
				In, Field, Message string
			} `json:"violations"`
		}
		if err := json.Unmarshal(b, &rep); err != nil || st != http.StatusUnprocessableEntity {
			t.Fatalf("%s %s: %d %s", c.method, c.path, st, b)
		}
		if rep.Code != "validation" || rep.Error == "" || rep.RequestID == "" || rep.RequestID != hdr.Get("X-Request-Id") ||
			len(rep.Violations) != 1 || rep.Violations[0].In != c.in || rep.Violations[0].Field != c.field || rep.Violations[0].Message == "" {
			t.Fatalf("%s %s: %s (X-Request-Id %q)", c.method, c.path, b, hdr.Get("X-Request-Id"))
		}
	}
}

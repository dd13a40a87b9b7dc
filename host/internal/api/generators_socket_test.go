package api

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"
)

const asyncapiExamples = "../generate/asyncapigen/testdata/asyncapi-examples/"

func readAsyncAPI(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(asyncapiExamples + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// findSocket asks the find contract what a socket message gets.
func findSocket(ts *testServer, body map[string]any) map[string]any {
	ts.t.Helper()
	v := ts.expect(200, "POST", "/mock/findSocket", body)
	data, _ := v["data"].(map[string]any)
	return data
}

// The SDKs' request ({spec, namespace, pathPrefix, serverName}) makes
// mocks that answer through POST /mock/findSocket as the socket listener
// asks it: the event of a message, the message as data.
func TestSocketGeneratorAnswersThroughFindSocket(t *testing.T) {
	ts := newTestServer(t)
	kraken := readAsyncAPI(t, "kraken-websocket-request-reply-message-filter-in-reply-asyncapi.yml")
	res := ts.expect(201, "POST", "/api/v1/generators/socket", map[string]any{"spec": kraken, "namespace": "kraken",
		"serverName": "exchange", "pathPrefix": "/ignored"})
	for _, k := range []string{"created", "updated", "skipped", "mocks", "message", "warnings", "errors"} {
		if _, ok := res[k]; !ok {
			t.Errorf("the answer has no %q: %v", k, res)
		}
	}
	if res["created"] != float64(3) || len(res["mocks"].([]any)) != 3 {
		t.Fatalf("created %v: %v", res["created"], res["message"])
	}
	if got := ids(res["mocks"].([]any)); !reflect.DeepEqual(got, []string{"socket-kraken-currencyexchange-ping",
		"socket-kraken-currencyexchange-subscribe", "socket-kraken-currencyexchange-unsubscribe"}) {
		t.Errorf("ids %v", got)
	}
	warnings := strings.Join(toStrings(res["warnings"]), "\n")
	for _, w := range []string{"pathPrefix does not apply", "heartbeat, systemStatus"} {
		if !strings.Contains(warnings, w) {
			t.Errorf("warnings lack %q:\n%s", w, warnings)
		}
	}

	// ping answers pong with the request's reqid (the correlation id).
	pong := findSocket(ts, map[string]any{"namespace": "kraken", "serverName": "exchange", "socketType": "websocket",
		"event": "ping", "data": map[string]any{"event": "ping", "reqid": 42}})
	if !reflect.DeepEqual(pong, map[string]any{"event": "pong", "reqid": float64(42)}) {
		t.Errorf("ping got %v", pong)
	}
	status := findSocket(ts, map[string]any{"namespace": "kraken", "serverName": "exchange", "event": "subscribe",
		"data": map[string]any{"event": "subscribe", "pair": []string{"XBT/USD"}, "subscription": map[string]any{"name": "ticker"}}})
	if status["event"] != "subscriptionStatus" || strings.Contains(jsonText(status), "$.fake") {
		t.Errorf("subscribe got %v", status)
	}
	// Another server's messages are not these mocks'.
	if r := ts.do("POST", "/mock/findSocket", map[string]any{"namespace": "kraken", "serverName": "other", "event": "nope"}); r.Status != 404 {
		t.Errorf("unknown event: %d %s", r.Status, r.Body)
	}

	// A hand edit survives a re-run; nothing is added twice.
	ts.expect(200, "PATCH", "/api/v1/mocks/socket-kraken-currencyexchange-ping", map[string]any{"response": map[string]any{"payload": map[string]any{"event": "pong", "edited": true}}})
	again := ts.expect(200, "POST", "/api/v1/generators/socket", map[string]any{"spec": kraken, "namespace": "kraken", "serverName": "exchange"})
	if again["created"] != float64(0) || again["unchanged"] != float64(3) {
		t.Fatalf("re-run: %v", again["message"])
	}
	if v := findSocket(ts, map[string]any{"namespace": "kraken", "serverName": "exchange", "event": "ping", "data": map[string]any{"event": "ping"}}); v["edited"] != true {
		t.Errorf("hand edit lost: %v", v)
	}

	// Gemini's stream, as curl and the CLI send it (multipart "file"):
	// the preview saves nothing; the mock answers connect.
	gemini := readAsyncAPI(t, "websocket-gemini-asyncapi.yml")
	multi := func(path string, fields map[string]string, file string) *resp {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		for k, v := range fields {
			_ = w.WriteField(k, v)
		}
		fw, _ := w.CreateFormFile("file", "asyncapi.yml")
		_, _ = fw.Write([]byte(file))
		_ = w.Close()
		req, _ := http.NewRequest("POST", ts.URL+path, &buf)
		req.Header.Set("Content-Type", w.FormDataContentType())
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return &resp{Status: r.StatusCode, Header: r.Header, Body: b}
	}
	prev := multi("/api/v1/generators/socket/preview", map[string]string{"namespace": "gemini"}, gemini)
	if prev.Status != 200 {
		t.Fatalf("preview: %d %s", prev.Status, prev.Body)
	}
	if pv := prev.JSON(t); pv["preview"] != true || pv["count"] != float64(1) {
		t.Fatalf("preview: %v", pv)
	}
	ts.expectError(404, CodeNotFound, "", "GET", "/api/v1/mocks/socket-gemini-marketdatav1-marketdata-connect", nil)
	if r := multi("/api/v1/generators/socket", map[string]string{"namespace": "gemini"}, gemini); r.Status != 201 {
		t.Fatalf("gemini: %d %s", r.Status, r.Body)
	}
	hello := findSocket(ts, map[string]any{"namespace": "gemini", "serverName": "default", "socketType": "websocket",
		"event": "connect", "data": map[string]any{"event": "connect", "connectionId": "c1", "transport": "websocket"}})
	if hello["type"] != "heartbeat" && hello["type"] != "update" {
		t.Errorf("connect got %v", hello)
	}
	if r := ts.do("POST", "/mock/findSocket", map[string]any{"namespace": "gemini", "socketType": "tcp", "event": "connect"}); r.Status != 404 {
		t.Errorf("a wss document's mock answered tcp: %d %s", r.Status, r.Body)
	}

	// The raw document (YAML), namespace in the query: a receive without
	// a reply answers, and sends nothing.
	r := ts.do("POST", "/api/v1/generators/socket?namespace=lights", readAsyncAPI(t, "tutorial.yml"), "Content-Type", "application/yaml")
	if r.Status != 201 {
		t.Fatalf("raw yaml: %d %s", r.Status, r.Body)
	}
	if v := ts.expect(200, "POST", "/mock/findSocket", map[string]any{"namespace": "lights", "event": "LightMeasured",
		"data": map[string]any{"id": 1, "lumens": 300}}); v["data"] != nil {
		t.Errorf("LightMeasured got %v, want no data", v)
	}

	// By url (a loopback server: the test server allows private addresses).
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, gemini)
	}))
	defer src.Close()
	byURL := ts.expect(201, "POST", "/api/v1/generators/socket", map[string]any{"url": src.URL + "/asyncapi.yml", "namespace": "byurl"})
	if got := ids(byURL["mocks"].([]any)); !reflect.DeepEqual(got, []string{"socket-byurl-marketdatav1-marketdata-connect"}) {
		t.Errorf("by url: %v", got)
	}

	// The plain event list, as events.
	ts.expect(201, "POST", "/api/v1/generators/socket", map[string]any{"namespace": "ev", "events": []any{
		map[string]any{"event": "hello", "response": map[string]any{"hi": "$.req.name"}}}})
	if v := findSocket(ts, map[string]any{"namespace": "ev", "event": "hello", "data": map[string]any{"event": "hello", "name": "ann"}}); v["hi"] != "ann" {
		t.Errorf("hello got %v", v)
	}
}

func TestSocketGeneratorErrors(t *testing.T) {
	ts := newTestServer(t)
	gen := "/api/v1/generators/socket"
	ts.expectError(422, CodeValidation, "spec", "POST", gen, map[string]any{"namespace": "x"})
	v := ts.expectError(422, CodeValidation, "spec", "POST", gen, map[string]any{"spec": "asyncapi: 3.0.0\ninfo:\n  title: x\n version: 1\n"})
	if !strings.Contains(v["error"].(string), "line 3") {
		t.Errorf("yaml error: %v", v["error"])
	}
	v = ts.expectError(422, CodeValidation, "spec", "POST", gen, map[string]any{"spec": "asyncapi: 3.0.0\noperations:\n  a:\n    action: receive\n    channel: {$ref: '#/channels/nope'}\n"})
	if !strings.Contains(v["error"].(string), "#/channels/nope") || !strings.Contains(v["error"].(string), "line 5") {
		t.Errorf("missing $ref: %v", v["error"])
	}
	ts.expectError(422, CodeValidation, "url", "POST", gen, map[string]any{"spec": "asyncapi: 3.0.0", "url": "http://127.0.0.1:1/a.yml"})
	ts.expectError(422, CodeValidation, "events", "POST", gen, map[string]any{"spec": "asyncapi: 3.0.0", "events": []any{}})
	ts.expectError(422, CodeValidation, "serverName", "POST", gen, map[string]any{"spec": "asyncapi: 3.0.0", "serverName": "a b"})
	ts.expectError(422, CodeValidation, "eventField", "POST", gen, map[string]any{"spec": "asyncapi: 3.0.0", "eventField": "a..b"})
	ts.expectError(422, CodeValidation, "idPrefix", "POST", gen, map[string]any{"spec": "asyncapi: 3.0.0", "idPrefix": "a/b"})
	ts.expectError(422, CodeValidation, "spec", "POST", gen, map[string]any{"events": []any{map[string]any{"response": 1}}})
}

func toStrings(v any) []string {
	var out []string
	for _, s := range v.([]any) {
		out = append(out, s.(string))
	}
	return out
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

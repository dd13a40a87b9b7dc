package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

// fakeMock is a mock of the fake host: it answers operation/field when
// when (nil: always) accepts the request.
type fakeMock struct {
	op, field string
	when      func(req *find.GraphQLRequest) bool
	resp      find.GraphQLResponse
}

// mockTable answers FindGraphQL from a list of fake mocks, first match
// wins, and records the requests.
type mockTable struct {
	mu    sync.Mutex
	mocks []fakeMock
	reqs  []find.GraphQLRequest
}

func (m *mockTable) set(mocks ...fakeMock) {
	m.mu.Lock()
	m.mocks = mocks
	m.mu.Unlock()
}

func (m *mockTable) requests() []find.GraphQLRequest {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]find.GraphQLRequest(nil), m.reqs...)
}

func (m *mockTable) fake() *plugintest.FakeHost {
	return &plugintest.FakeHost{FindGraphQLFunc: func(_ context.Context, req *find.GraphQLRequest) (*find.GraphQLResponse, error) {
		m.mu.Lock()
		m.reqs = append(m.reqs, *req)
		mocks := m.mocks
		m.mu.Unlock()
		for _, fm := range mocks {
			if fm.op == req.Operation && fm.field == req.Field && (fm.when == nil || fm.when(req)) {
				resp := fm.resp
				return &resp, nil
			}
		}
		return nil, &sdk.NoMatch{Message: "no graphql mock matches " + req.Field, Code: "no_match",
			Namespace: req.Namespace, Method: req.Operation, Path: req.Field,
			Candidates: json.RawMessage(`[{"mockId":"hero-jedi","reason":"condition failed","where":"conditions",` +
				`"failedCondition":{"path":"$.episode","assertAction":"equals","expected":"JEDI","actual":"EMPIRE","reason":"values differ"}}]`)}
	}}
}

// args decodes a find request's arguments.
func args(t *testing.T, req *find.GraphQLRequest) map[string]any {
	t.Helper()
	var out map[string]any
	if len(req.Arguments) > 0 {
		if err := json.Unmarshal(req.Arguments, &out); err != nil {
			t.Fatalf("arguments %s: %v", req.Arguments, err)
		}
	}
	return out
}

// gqlAnswer is one HTTP answer of the listener.
type gqlAnswer struct {
	status int
	header http.Header
	raw    string
	body   map[string]any
}

// errorsOf returns the answer's errors.
func (a *gqlAnswer) errorsOf() []map[string]any {
	list, _ := a.body["errors"].([]any)
	out := make([]map[string]any, len(list))
	for i, e := range list {
		out[i], _ = e.(map[string]any)
	}
	return out
}

// post sends a GraphQL request as application/json.
func post(t *testing.T, url, query string, vars map[string]any, header ...string) *gqlAnswer {
	t.Helper()
	body := map[string]any{"query": query}
	if vars != nil {
		body["variables"] = vars
	}
	b, _ := json.Marshal(body)
	return send(t, http.MethodPost, url, "application/json", string(b), header...)
}

// send makes one HTTP request with header pairs and reads the answer.
func send(t *testing.T, method, url, contentType, body string, header ...string) *gqlAnswer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &http.Client{Timeout: 30 * time.Second}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := &gqlAnswer{status: res.StatusCode, header: res.Header, raw: string(raw)}
	if strings.Contains(res.Header.Get("Content-Type"), "json") {
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if err := d.Decode(&out.body); err != nil {
			t.Fatalf("%s %s: the answer is not JSON: %v\n%s", method, url, err, raw)
		}
	}
	return out
}

// compact re-encodes JSON without spaces, for comparing answers.
func compact(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// dataOf is the answer's data as compact JSON, keys in answer order.
func dataOf(t *testing.T, a *gqlAnswer) string {
	t.Helper()
	var raw struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal([]byte(a.raw), &raw); err != nil {
		t.Fatalf("answer %s: %v", a.raw, err)
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw.Data); err != nil {
		t.Fatalf("data %s: %v", raw.Data, err)
	}
	return b.String()
}

// sdl reads SDL files of testdata as host documents.
func sdl(t *testing.T, names ...string) []sdk.Document {
	t.Helper()
	var docs []sdk.Document
	for _, n := range names {
		b, err := os.ReadFile("testdata/" + n)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, sdk.Document{Name: n, Namespace: "sandbox", Content: b})
	}
	return docs
}

// readEvents posts a subscription asking for server-sent events and reads
// the stream to its end: "<event> <data>" per event.
func readEvents(t *testing.T, url, body string) []string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	return readStream(t, req)
}

// readStream sends req and reads its event stream to its end.
func readStream(t *testing.T, req *http.Request) []string {
	t.Helper()
	client := &http.Client{Timeout: 30 * time.Second}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		raw, _ := io.ReadAll(res.Body)
		t.Fatalf("%d, content type %q: %s", res.StatusCode, res.Header.Get("Content-Type"), raw)
	}
	var events []string
	sc := bufio.NewScanner(res.Body)
	var name string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			events = append(events, name+" "+strings.TrimPrefix(line, "data: "))
		case line == "data:":
			events = append(events, name)
		}
	}
	return events
}

package plugintest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/find"
)

// counter is a tool that counts to n, asking the host for a mock on the way.
type counter struct{}

func (counter) Info() sdk.Info {
	return sdk.Info{Name: "counter", Kind: sdk.KindTool, Version: "0.0.1",
		SettingsSchema: json.RawMessage(`{"type":"object"}`)}
}
func (counter) Configure(context.Context, json.RawMessage) error { return nil }
func (counter) Health(context.Context) error                     { return nil }

func (counter) Run(ctx context.Context, job sdk.Job, host sdk.Host, report func(sdk.Progress)) (json.RawMessage, error) {
	var p struct{ N int }
	if err := json.Unmarshal(job.Params, &p); err != nil || p.N <= 0 {
		return nil, errors.New("params: want {\"N\": a positive number}")
	}
	for i := 1; i <= p.N; i++ {
		report(sdk.Progress{Percent: float64(i) * 100 / float64(p.N), Done: int64(i), Total: int64(p.N), Message: "counting"})
	}
	resp, err := host.FindKafka(ctx, &find.KafkaRequest{Topic: "t", Data: json.RawMessage(`{}`)})
	if err != nil {
		return nil, fmt.Errorf("no mock for topic t: %w", err)
	}
	return json.Marshal(map[string]any{"counted": p.N, "reply": resp.Data})
}

func TestToolJobs(t *testing.T) {
	host := &FakeHost{FindKafkaFunc: func(_ context.Context, req *find.KafkaRequest) (*find.KafkaResponse, error) {
		return &find.KafkaResponse{Data: json.RawMessage(`{"ack":1}`)}, nil
	}}
	p := Start(t, counter{}, nil, host)
	res, steps, err := p.Run(t.Context(), sdk.Job{ID: "j1", Kind: "count", Params: json.RawMessage(`{"N":4}`)})
	if err != nil {
		t.Fatal(err)
	}
	if string(res) != `{"counted":4,"reply":{"ack":1}}` || len(steps) != 4 || steps[3].Percent != 100 || steps[1].Done != 2 {
		t.Fatalf("result %s, steps %+v", res, steps)
	}
	if calls := host.Calls(); len(calls) != 1 || calls[0].Protocol != "kafka" {
		t.Fatalf("the tool used the host: %+v", calls)
	}
	_, _, err = p.Run(t.Context(), sdk.Job{ID: "j2", Params: json.RawMessage(`{"N":0}`)})
	if !errors.Is(err, sdk.ErrJobFailed) {
		t.Fatalf("a failed job reports its error: %v", err)
	}
	// A listener is not a tool.
	info, err := p.Client.Info(t.Context())
	if err != nil || info.Kind != sdk.KindTool {
		t.Fatalf("info: %+v %v", info, err)
	}
}

// watcher is a listener that reads the host's data.
type watcher struct{ host sdk.Host }

func (*watcher) Info() sdk.Info {
	return sdk.Info{Name: "watcher", Kind: sdk.KindListener, Version: "0.0.1"}
}
func (*watcher) Configure(context.Context, json.RawMessage) error { return nil }
func (*watcher) Health(context.Context) error                     { return nil }
func (w *watcher) Start(_ context.Context, h sdk.Host) ([]string, error) {
	w.host = h
	return nil, nil
}
func (*watcher) Stop(context.Context) error { return nil }
func (*watcher) Call(_ context.Context, action string, params json.RawMessage) (json.RawMessage, error) {
	if action != "echo" {
		return nil, sdk.ErrUnknownAction
	}
	return params, nil
}

func TestHostDataOverTheContract(t *testing.T) {
	host := &FakeHost{}
	w := &watcher{}
	p := Start(t, w, nil, host)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changes, err := w.host.Watch(ctx, []string{sdk.MocksTopic("kafka"), sdk.DocumentsTopic(sdk.DocumentProto)})
	if err != nil {
		t.Fatal(err)
	}
	host.SetMocks("kafka", json.RawMessage(`{"id":"k1","kafka":{"topic":"orders"}}`))
	if got := <-changes; len(got) != 1 || got[0] != "mocks:kafka" {
		t.Fatalf("change: %v", got)
	}
	mocks, err := w.host.ListMocks(ctx, "kafka", "")
	if err != nil || len(mocks) != 1 || !strings.Contains(string(mocks[0]), `"orders"`) {
		t.Fatalf("mocks: %s %v", mocks, err)
	}
	host.SetMocks("grpc") // not watched: no event
	host.SetDocuments(sdk.DocumentProto, sdk.Document{Name: "a.proto", Content: []byte("syntax = \"proto3\";")})
	if got := <-changes; len(got) != 1 || got[0] != "documents:proto" {
		t.Fatalf("documents change: %v", got)
	}
	docs, err := w.host.ListDocuments(ctx, sdk.DocumentProto, "")
	if err != nil || len(docs) != 1 || docs[0].Name != "a.proto" {
		t.Fatalf("documents: %+v %v", docs, err)
	}
	id, err := w.host.Capture(ctx, &sdk.Captured{Protocol: "smtp", Summary: json.RawMessage(`{"subject":"hi"}`), Raw: []byte("Subject: hi\r\n\r\nbody")})
	if err != nil || id == "" || len(host.Captured()) != 1 || string(host.Captured()[0].Raw) != "Subject: hi\r\n\r\nbody" {
		t.Fatalf("capture: %q %v %+v", id, err, host.Captured())
	}
	// The host calls the plugin's actions.
	out, err := p.Client.Call(ctx, "echo", json.RawMessage(`{"x":1}`))
	if err != nil || string(out) != `{"x":1}` {
		t.Fatalf("call: %s %v", out, err)
	}
	if _, err := p.Client.Call(ctx, "nope", nil); !errors.Is(err, sdk.ErrUnknownAction) {
		t.Fatalf("unknown action: %v", err)
	}
}

// The handlers' answers reach the plugin over the contract, typed on both
// ends: a response, a miss (NoMatch, also from a nil handler), a refusal
// and an outage, for a protocol that travels typed (HTTP) and ones that
// travel as JSON.
func TestFakeHostAnswersOverTheContract(t *testing.T) {
	outage := errors.New("the database is read-only")
	host := &FakeHost{
		FindHTTPFunc: func(_ context.Context, req *find.HTTPRequest) (*find.HTTPResponse, error) {
			switch req.Path {
			case "/miss":
				return nil, &sdk.NoMatch{Message: "no mock matches GET /miss", Code: "no_match", Namespace: req.Namespace,
					Candidates: json.RawMessage(`[{"mockId":"near"}]`)}
			case "/bad":
				return nil, fmt.Errorf("http find request: %w", sdk.ErrBodyTooDeep)
			case "/down":
				return nil, outage
			case "/nothing":
				return nil, nil
			}
			resp := &find.HTTPResponse{MockID: "m-" + req.Namespace, StatusCode: 201, Headers: map[string][]string{"X-Q": req.Query["q"]}}
			resp.SetPayload(req.RawBody(), find.PayloadBinary)
			return resp, nil
		},
		FindSMTPFunc: func(_ context.Context, req *find.SMTPRequest) (*find.SMTPResponse, error) {
			return &find.SMTPResponse{Found: true, MockID: "mail", StatusCode: 250, StatusMessage: "to " + strings.Join(req.To, ","), StoreEmail: true}, nil
		},
		FindGraphQLFunc: func(_ context.Context, req *find.GraphQLRequest) (*find.GraphQLResponse, error) {
			return nil, &sdk.NoMatch{Message: "no graphql mock matches " + req.Field, Code: "no_match"}
		},
	}
	w := &watcher{}
	Start(t, w, nil, host)
	ctx := t.Context()
	req := &find.HTTPRequest{Namespace: "qa", Method: "POST", Path: "/ok", Query: find.MultiMap{"q": {"1"}}}
	req.SetBody([]byte{0xff, 0xfe})
	resp, err := w.host.FindHTTP(ctx, req)
	if err != nil || resp.MockID != "m-qa" || resp.StatusCode != 201 || resp.Headers["X-Q"][0] != "1" {
		t.Fatalf("http: %+v %v", resp, err)
	}
	if body, kind := resp.Payload(); string(body) != "\xff\xfe" || kind != find.PayloadBinary {
		t.Fatalf("http body: %q %v", body, kind)
	}
	var nm *sdk.NoMatch
	_, err = w.host.FindHTTP(ctx, &find.HTTPRequest{Namespace: "qa", Method: "GET", Path: "/miss"})
	if !errors.As(err, &nm) || nm.Code != "no_match" || nm.Namespace != "qa" || string(nm.Candidates) != `[{"mockId":"near"}]` ||
		err.Error() != "no mock matches GET /miss" {
		t.Fatalf("http miss: %v", err)
	}
	for path, want := range map[string]func(error) bool{
		"/bad": func(err error) bool { return errors.Is(err, sdk.ErrBodyTooDeep) && !errors.As(err, &nm) },
		"/down": func(err error) bool {
			return strings.Contains(err.Error(), outage.Error()) && !errors.Is(err, sdk.ErrInvalidInput) && !errors.As(err, &nm)
		},
		"/nothing": func(err error) bool { return errors.As(err, &nm) },
	} {
		if _, err := w.host.FindHTTP(ctx, &find.HTTPRequest{Method: "GET", Path: path}); err == nil || !want(err) {
			t.Errorf("http %s: %v", path, err)
		}
	}
	mail, err := w.host.FindSMTP(ctx, &find.SMTPRequest{From: "a@x", To: []string{"b@x", "c@x"}})
	if err != nil || mail.MockID != "mail" || mail.StatusMessage != "to b@x,c@x" || !mail.StoreEmail {
		t.Fatalf("smtp: %+v %v", mail, err)
	}
	if _, err := w.host.FindGraphQL(ctx, &find.GraphQLRequest{Operation: "query", Field: "user"}); !errors.As(err, &nm) ||
		nm.Message != "no graphql mock matches user" {
		t.Fatalf("graphql miss: %v", err)
	}
	if _, err := w.host.FindSOAP(ctx, &find.SOAPRequest{Operation: "Get"}); !errors.As(err, &nm) || nm.Code != "no_match" {
		t.Fatalf("a nil handler answers NoMatch: %v", err)
	}
	calls := host.Calls()
	if len(calls) != 8 || calls[0].Protocol != "http" || calls[5].Protocol != "smtp" || calls[7].Protocol != "soap" {
		t.Fatalf("calls: %+v", calls)
	}
	var first find.HTTPRequest
	if err := json.Unmarshal(calls[0].Body, &first); err != nil || first.Path != "/ok" || string(first.RawBody()) != "\xff\xfe" {
		t.Fatalf("the recorded call: %s %v", calls[0].Body, err)
	}
}

func TestFreePortsAreNeverRepeated(t *testing.T) {
	seen := map[int]bool{}
	for i := 0; i < 200; i++ {
		p := FreePort(t)
		if seen[p] {
			t.Fatalf("port %d given twice", p)
		}
		seen[p] = true
	}
}

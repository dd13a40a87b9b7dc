package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/httpserve"
	"github.com/mockarty-oss/mockarty/sdk/listen"
	player "github.com/mockarty-oss/mockarty/sdk/sse"
)

// Settings of the SSE listener.
type Settings struct {
	// Addresses to listen on (host:port; port 0 picks a free one).
	Addresses []string `json:"addresses"`
	// Namespace whose SSE mocks are served.
	Namespace string `json:"namespace"`
	// MaxStreams caps the requests served at once; more get 503.
	MaxStreams int64 `json:"maxStreams"`
}

// DefaultAddress is where the plugin listens when the settings name no
// address (the host uses 5770, the HTTP plugin 5781).
const DefaultAddress = "127.0.0.1:5783"

var settingsSchema = `{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "addresses": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1},
    "namespace": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"},
    "maxStreams": {"type": "integer", "minimum": 1, "maximum": 1000000}
  }
}`

// Listener serves SSE mocks on its own addresses: each request is resolved
// through the host's FindSSE and the mock's event chain is played by the
// player package (net/http, whose request context ends when the client
// goes away, so an abandoned stream stops at once).
type Listener struct {
	mu       sync.Mutex
	settings Settings
	// run is the servers; Stop cancels the base context of its requests
	// first, which ends every stream.
	run   httpserve.Service
	host  sdk.Host
	names *eventNames

	active atomic.Int64 // requests being served
}

// Info describes the plugin.
func (l *Listener) Info() sdk.Info {
	return sdk.Info{Name: "sse", Kind: sdk.KindListener, Version: "1.0.0", Protocols: []string{"sse"},
		Description:    "Serves a namespace's server-sent event mocks (sse.eventPath) on its own addresses.",
		SettingsSchema: json.RawMessage(settingsSchema)}
}

// Configure reads the settings (validated by the host against the schema).
func (l *Listener) Configure(_ context.Context, raw json.RawMessage) error {
	s := Settings{Addresses: []string{DefaultAddress}, Namespace: "sandbox", MaxStreams: 10000}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &s); err != nil {
			return fmt.Errorf("settings: %w", err)
		}
	}
	switch {
	case len(s.Addresses) == 0:
		return errors.New("settings: addresses must not be empty")
	case s.Namespace == "":
		return errors.New("settings: namespace must not be empty")
	case s.MaxStreams < 1:
		return errors.New("settings: maxStreams must be at least 1")
	}
	l.mu.Lock()
	l.settings = s
	l.mu.Unlock()
	return nil
}

// Health reports a problem when no address is being served.
func (l *Listener) Health(ctx context.Context) error { return l.run.Health(ctx) }

var pluginLog = sdk.Logger().Named("sse")

// Start listens on every address and serves until Stop.
func (l *Listener) Start(_ context.Context, host sdk.Host) ([]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	base, addrs, err := l.run.Start(l.settings.Addresses, l, pluginLog)
	if err != nil {
		return nil, err
	}
	// Requests wait for l.mu: they see what is set here.
	l.host = host
	l.names = newEventNames(host, l.settings.Namespace)
	go l.names.watch(base)
	return addrs, nil
}

// Stop ends every stream at once (graceful for SSE is a closed stream),
// then shuts the servers down.
func (l *Listener) Stop(ctx context.Context) error {
	return l.run.Stop(ctx, httpserve.CancelFirst)
}

// ServeHTTP resolves one request through the host and answers with the
// mock's event stream.
func (l *Listener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	s, host, names := l.settings, l.host, l.names
	l.mu.Unlock()
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "an event stream is requested with GET (or POST), not "+r.Method)
		return
	}
	if n := l.active.Add(1); n > s.MaxStreams {
		l.active.Add(-1)
		writeError(w, http.StatusServiceUnavailable, "unavailable", fmt.Sprintf("the SSE listener already serves %d streams (maxStreams)", s.MaxStreams))
		return
	}
	defer l.active.Add(-1)
	ctx := r.Context()

	headers := make(find.MultiMap, len(r.Header)+1)
	for k, v := range r.Header {
		headers[k] = v
	}
	if r.Host != "" {
		headers["Host"] = []string{r.Host}
	}
	var query find.MultiMap
	if r.URL.RawQuery != "" {
		query = find.MultiMap(r.URL.Query())
	}
	path := r.URL.Path
	if path == "" {
		path = "/"
	}
	resp, err := host.FindSSE(ctx, &find.SSERequest{Namespace: s.Namespace, Path: path, Query: query, Headers: headers})
	var nm *sdk.NoMatch
	switch {
	case errors.As(err, &nm):
		b, _ := json.Marshal(publicNoMatch(nm))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write(append(b, '\n'))
		return
	case err != nil:
		if ctx.Err() != nil {
			return // the client went away, or the listener stops
		}
		status, code, msg := httpserve.FindError(err)
		writeError(w, status, code, msg)
		return
	}
	reply, err := player.NewReply(resp, player.Options{
		LastEventID:  r.Header.Get("Last-Event-ID"),
		DefaultEvent: defaultEvent(ctx, resp, names),
		Log: func(msg string, kv ...any) {
			pluginLog.Debug(msg, append([]any{"mock", resp.MockID, "path", path}, kv...)...)
		},
	})
	if err != nil {
		writeError(w, http.StatusInternalServerError, "invalid_mock", err.Error())
		return
	}
	if !listen.Sleep(ctx, reply.Delay) {
		return // the client went away, or the listener stops
	}
	for k, v := range reply.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(reply.Status)
	if !reply.Streaming() {
		_, _ = w.Write(reply.Body)
		return
	}
	stream := player.HTTPStream(w)
	if err := stream.Flush(); err != nil { // the client sees the headers before the first event
		return
	}
	res, err := reply.Play(ctx, stream)
	pluginLog.Debug("sse stream ended", "mock", resp.MockID, "path", path, "end", res.End.String(),
		"events", res.Events, "heartbeats", res.Heartbeats, "loops", res.Loops, "error", err)
}

// publicNoMatch drops the expected values of failed conditions, as the
// host's /stubs does: the report is open to anyone, and a condition may hold
// a secret (an expected token). The host's Find answers plugins with them.
func publicNoMatch(nm *sdk.NoMatch) *sdk.NoMatch {
	out := *nm
	var cands []map[string]any
	if len(nm.Candidates) > 0 && json.Unmarshal(nm.Candidates, &cands) == nil {
		for _, c := range cands {
			if f, ok := c["failedCondition"].(map[string]any); ok {
				delete(f, "expected")
			}
		}
		out.Candidates, _ = json.Marshal(cands)
	}
	return &out
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	b, _ := json.Marshal(map[string]string{"error": msg, "code": code})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// defaultEvent is the mock's sse.eventName: from the host's answer, or,
// from a host that does not send it, from the mocks the plugin listed.
func defaultEvent(ctx context.Context, resp *find.SSEResponse, names *eventNames) string {
	if resp.EventName != "" {
		return resp.EventName
	}
	return names.lookup(ctx, resp.MockID)
}

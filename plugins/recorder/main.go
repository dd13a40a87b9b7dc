// Command mockarty-plugin-recorder is the traffic recorder's proxy: a
// recording session (recjob.KindSession) runs an HTTP proxy until the host
// cancels it, and reports every exchange through it as an item ("entry")
// the moment it completes. The host keeps sessions and entries.
//
// Modes:
//
//   - reverse: the app calls the proxy, which forwards every request to
//     TargetURL (the request's path and query appended to TargetURL's).
//   - forward: an HTTP proxy (HTTP_PROXY / HTTPS_PROXY). Absolute-URI
//     requests are forwarded. A CONNECT is decrypted when the job carries a
//     CA (CACertPEM, CAKeyPEM): the proxy answers TLS with a leaf for the
//     requested host signed by that CA, serves the inner HTTP/1.1 or
//     HTTP/2 (as the client negotiates with ALPN) requests and forwards them
//     to https://host. Without a CA a CONNECT is a blind tunnel: the bytes
//     pass both ways unread, and the tunnel is recorded as one entry with
//     method CONNECT, the "host:port" as its URL, status 200 (or 502/504
//     when the upstream cannot be reached), its timings and no bodies.
//
// Both modes pass WebSockets through (Upgrade: websocket) and record their
// messages in the entry, which is reported when the WebSocket closes.
//
// Every upstream connection goes through the network policy's dialer
// (sdk/outbound: AllowPrivate, AllowHosts). Upstream TLS is verified
// against the system roots plus, when the environment variable
// RECORDER_UPSTREAM_CA_FILE names a PEM file, the certificates in it (for
// tests, or an upstream signed by a private CA).
//
// See README.md beside this file for what an entry holds.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/recjob"
)

func main() { sdk.Serve(&Recorder{}) }

// ActionPortCheck is the Call action that tells whether an address is free
// to listen on: params {"address"}, answer {"available": bool, "error"?}.
const ActionPortCheck = "port-check"

// Recorder is the tool plugin.
type Recorder struct{}

// Info describes the plugin; it takes no settings.
func (*Recorder) Info() sdk.Info {
	return sdk.Info{Name: "recorder", Kind: sdk.KindTool, Version: "0.1.0",
		Description: "Records HTTP, HTTPS and WebSocket traffic through a reverse or forward (MITM) proxy, with header rewrites and injected faults."}
}

// Configure accepts no settings.
func (*Recorder) Configure(context.Context, json.RawMessage) error { return nil }

// Health is always fine: the plugin holds nothing between sessions.
func (*Recorder) Health(context.Context) error { return nil }

// PortCheck is the port-check action's params.
type PortCheck struct {
	Address string `json:"address"`
}

// PortCheckResult is the port-check action's answer.
type PortCheckResult struct {
	Available bool   `json:"available"`
	Error     string `json:"error,omitempty"`
}

// Call answers the host's actions (sdk.Caller): port-check, and replay
// (recorded requests sent again).
func (*Recorder) Call(ctx context.Context, action string, params json.RawMessage) (json.RawMessage, error) {
	switch action {
	case recjob.ActionReplay:
		var p recjob.Replay
		if err := json.Unmarshal(params, &p); err != nil {
			return nil, sdk.InvalidInput(fmt.Errorf("replay: %v", err))
		}
		out, err := replay(ctx, &p)
		if err != nil {
			return nil, sdk.InvalidInput(err)
		}
		return json.Marshal(out)
	case ActionPortCheck:
		var p PortCheck
		if err := json.Unmarshal(params, &p); err != nil {
			return nil, fmt.Errorf("%w: port-check: %v", sdk.ErrInvalidInput, err)
		}
		if p.Address == "" {
			return nil, fmt.Errorf("%w: port-check: address is required", sdk.ErrInvalidInput)
		}
		ln, err := net.Listen("tcp", p.Address)
		if err != nil {
			return json.Marshal(PortCheckResult{Error: listenError(p.Address, err).Error()})
		}
		_ = ln.Close()
		return json.Marshal(PortCheckResult{Available: true})
	}
	return nil, sdk.ErrUnknownAction
}

// Run runs one recording session until ctx ends: it reports "listening"
// once the proxy is up, then one "entry" per exchange; the result is
// {"entries": n}.
func (*Recorder) Run(ctx context.Context, job sdk.Job, _ sdk.Host, report func(sdk.Progress)) (json.RawMessage, error) {
	if job.Kind != recjob.KindSession {
		return nil, fmt.Errorf("unknown job kind %q (want %q)", job.Kind, recjob.KindSession)
	}
	var j recjob.Job
	if err := json.Unmarshal(job.Params, &j); err != nil {
		return nil, fmt.Errorf("unreadable job: %w", err)
	}
	s, err := newSession(j, report)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", j.Address)
	if err != nil {
		return nil, listenError(j.Address, err)
	}
	n, err := s.serve(ctx, ln)
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]int64{"entries": n})
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/mockarty-oss/mockarty/plugins/perf/engine"
	"github.com/mockarty-oss/mockarty/sdk"
)

// Actions of the perf plugin (sdk.Caller): the host's script endpoints ask
// the plugin, so what k6 scripts look like is known here only.
const (
	actionScriptFromConfig   = "script-from-config"
	actionScriptFromRequests = "script-from-requests"
	actionSnippets           = "snippets"
)

// Call answers the host's actions: script generators and the snippets.
// Bad input is an error (the host shows its message).
func (*Perf) Call(ctx context.Context, action string, params json.RawMessage) (json.RawMessage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	switch action {
	case actionScriptFromConfig:
		var p configParams
		if err := decodeParams(params, &p); err != nil {
			return nil, err
		}
		d, err := p.Duration.value()
		if err != nil {
			return nil, err
		}
		script, err := engine.ScriptFromConfig(engine.ScriptConfig{URL: p.URL, Method: p.Method, Headers: p.Headers, Body: p.Body,
			VUs: p.VUs, Duration: d, RPS: p.RPS, Thresholds: p.Thresholds})
		if err != nil {
			return nil, err
		}
		return json.Marshal(scriptAnswer{Script: script})
	case actionScriptFromRequests:
		var p requestsParams
		if err := decodeParams(params, &p); err != nil {
			return nil, err
		}
		d, err := p.Duration.value()
		if err != nil {
			return nil, err
		}
		script, err := scriptFromRequests(requestsScript{Requests: p.Requests, VUs: p.VUs, Duration: d, Thresholds: p.Thresholds,
			Sleep: p.Sleep})
		if err != nil {
			return nil, err
		}
		return json.Marshal(scriptAnswer{Script: script})
	case actionSnippets:
		return json.Marshal(snippets)
	}
	return nil, sdk.ErrUnknownAction
}

// configParams are script-from-config's parameters.
type configParams struct {
	URL        string              `json:"url"`
	Method     string              `json:"method"`
	Headers    map[string]string   `json:"headers"`
	Body       string              `json:"body"`
	VUs        int                 `json:"vus"`
	Duration   durationParam       `json:"duration"`
	RPS        int                 `json:"rps"`
	Thresholds map[string][]string `json:"thresholds"`
}

// requestsParams are script-from-requests' parameters.
type requestsParams struct {
	Requests   []requestSpec       `json:"requests"`
	VUs        int                 `json:"vus"`
	Duration   durationParam       `json:"duration"`
	Thresholds map[string][]string `json:"thresholds"`
	// Sleep is seconds of think time after each request.
	Sleep float64 `json:"sleep"`
}

// scriptAnswer is what the generators answer.
type scriptAnswer struct {
	Script string `json:"script"`
}

// decodeParams reads an action's parameters; an empty object is fine.
func decodeParams(params json.RawMessage, v any) error {
	if len(bytes.TrimSpace(params)) == 0 {
		return nil
	}
	if err := json.Unmarshal(params, v); err != nil {
		return fmt.Errorf("unreadable parameters: %v", err)
	}
	return nil
}

// durationParam is a run length: "30s", "5m", or a number of seconds.
type durationParam string

// UnmarshalJSON reads a string or a number of seconds.
func (d *durationParam) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*d = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*d = durationParam(s)
	default:
		n, err := strconv.ParseFloat(string(b), 64)
		if err != nil {
			return fmt.Errorf("duration: want \"30s\" or a number of seconds")
		}
		*d = durationParam(strconv.FormatFloat(n, 'f', -1, 64) + "s")
	}
	return nil
}

// value is the duration; "" is none (the generator's default).
func (d durationParam) value() (time.Duration, error) {
	if d == "" {
		return 0, nil
	}
	v, err := time.ParseDuration(string(d))
	if err != nil || v < 0 {
		return 0, fmt.Errorf("duration %q: want a duration such as \"30s\" or \"5m\"", string(d))
	}
	if v > maxScriptDuration {
		return 0, fmt.Errorf("duration %q: at most %s", string(d), maxScriptDuration)
	}
	return v, nil
}

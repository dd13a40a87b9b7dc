package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/grafana/sobek"
)

// ScriptConfig describes a one-request load test without a script.
type ScriptConfig struct {
	URL     string            `json:"url"`
	Method  string            `json:"method"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
	// VUs is the number of VUs (with RPS: the pre-allocated ones).
	VUs      int           `json:"vus"`
	Duration time.Duration `json:"duration"`
	// RPS, when set, starts that many requests a second (constant-arrival-rate).
	RPS int `json:"rps"`
	// Thresholds are k6 threshold expressions by metric, e.g.
	// {"http_req_duration": ["p(95)<500"]}.
	Thresholds map[string][]string `json:"thresholds"`
}

// Limits of generated scripts.
const (
	scriptlessMaxVUs = 10_000
	scriptlessMaxRPS = 100_000
)

// ScriptFromConfig writes a k6 script that sends the configured request, so
// the same engine runs it. Values are embedded as JSON literals.
func ScriptFromConfig(cfg ScriptConfig) (string, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("url must be an absolute http or https URL, got %q", cfg.URL)
	}
	method := strings.ToUpper(strings.TrimSpace(cfg.Method))
	if method == "" {
		method = "GET"
	}
	for _, c := range method {
		if c < 'A' || c > 'Z' {
			return "", fmt.Errorf("invalid method %q", cfg.Method)
		}
	}
	if cfg.VUs < 0 || cfg.VUs > scriptlessMaxVUs {
		return "", fmt.Errorf("vus must be 0..%d", scriptlessMaxVUs)
	}
	if cfg.RPS < 0 || cfg.RPS > scriptlessMaxRPS {
		return "", fmt.Errorf("rps must be 0..%d", scriptlessMaxRPS)
	}
	if cfg.Duration < 0 {
		return "", fmt.Errorf("duration must not be negative")
	}
	vus := cfg.VUs
	if vus == 0 {
		vus = 1
	}
	dur := cfg.Duration
	if dur == 0 {
		dur = 30 * time.Second
	}
	options := map[string]any{}
	if cfg.RPS > 0 {
		maxVUs := max(vus, min(cfg.RPS, scriptlessMaxVUs))
		options["scenarios"] = map[string]any{
			"default": map[string]any{
				"executor":        execConstantArrivalRate,
				"rate":            cfg.RPS,
				"timeUnit":        "1s",
				"duration":        dur.String(),
				"preAllocatedVUs": vus,
				"maxVUs":          maxVUs,
			},
		}
	} else {
		options["vus"] = vus
		options["duration"] = dur.String()
	}
	if len(cfg.Thresholds) > 0 {
		for k, exprs := range cfg.Thresholds {
			if _, _, err := parseMetricKey(k); err != nil {
				return "", err
			}
			for _, e := range exprs {
				if _, _, _, err := parseThreshold(e); err != nil {
					return "", err
				}
			}
		}
		options["thresholds"] = cfg.Thresholds
	}
	headers := map[string]string{}
	keys := make([]string, 0, len(cfg.Headers))
	for k := range cfg.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		headers[k] = cfg.Headers[k]
	}
	lit := func(v any) string {
		b, _ := json.Marshal(v) // escapes <, >, &, U+2028 and U+2029, so the literal is safe JS
		return string(b)
	}
	var body string
	if cfg.Body != "" {
		body = lit(cfg.Body)
	} else {
		body = "null"
	}
	var b strings.Builder
	b.WriteString("import http from 'k6/http';\n\n")
	fmt.Fprintf(&b, "export const options = %s;\n\n", lit(options))
	fmt.Fprintf(&b, "const params = { headers: %s };\n\n", lit(headers))
	b.WriteString("export default function () {\n")
	fmt.Fprintf(&b, "  http.request(%s, %s, %s, params);\n", lit(method), lit(cfg.URL), body)
	b.WriteString("}\n")
	return b.String(), nil
}

// CompileConfig compiles the script ScriptFromConfig writes for cfg, and
// marks the Program so that each iteration sends the request from Go: the
// executors, metrics, thresholds and summary are the script's, but no
// JavaScript runs per iteration. The script is returned for the user to see
// or edit.
func CompileConfig(cfg ScriptConfig) (*Program, string, error) {
	src, err := ScriptFromConfig(cfg)
	if err != nil {
		return nil, "", err
	}
	p, err := Compile(src, "scriptless.js", nil)
	if err != nil {
		return nil, "", err
	}
	method := strings.ToUpper(strings.TrimSpace(cfg.Method))
	if method == "" {
		method = "GET"
	}
	p.goRequest = &nativeRequest{method: method, url: cfg.URL, body: cfg.Body, headers: cfg.Headers}
	return p, src, nil
}

// nativeRequest is the one request of a scriptless Program.
type nativeRequest struct {
	method, url, body string
	headers           map[string]string
}

// nativeIteration is one iteration of a scriptless Program: the request the
// generated script would send, prepared once per VU as that script's
// http.request call would prepare it.
func (v *vu) nativeIteration(ctx context.Context) error {
	if ctx.Err() != nil {
		return errInterrupted
	}
	if v.nativePR == nil {
		n := v.prog.goRequest
		params := v.rt.NewObject()
		headers := v.rt.NewObject()
		for k, val := range n.headers {
			_ = headers.Set(k, val)
		}
		_ = params.Set("headers", headers)
		body := sobek.Null()
		if n.body != "" {
			body = v.rt.ToValue(n.body)
		}
		v.nativePR = v.prepare(v.rt.ToValue(n.method), v.rt.ToValue(n.url), body, params)
		v.nativePR.goOnly = true
		v.nativePR.responseType = "none" // read from the wire and counted, not kept
	}
	if v.nativeRes == nil {
		v.nativeRes = &httpResult{}
	}
	v.client().executeInto(ctx, v.nativePR, v.nativeRes)
	if ctx.Err() != nil {
		return errInterrupted
	}
	v.recordRequest(v.nativePR, v.nativeRes)
	return nil
}

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
	options, err := optionsOf(cfg)
	if err != nil {
		return "", err
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

// optionsOf writes the k6 options of a config: VUs for Duration, or a
// constant arrival rate of RPS, and the thresholds.
func optionsOf(cfg ScriptConfig) (map[string]any, error) {
	if cfg.VUs < 0 || cfg.VUs > scriptlessMaxVUs {
		return nil, fmt.Errorf("vus must be 0..%d", scriptlessMaxVUs)
	}
	if cfg.RPS < 0 || cfg.RPS > scriptlessMaxRPS {
		return nil, fmt.Errorf("rps must be 0..%d", scriptlessMaxRPS)
	}
	if cfg.Duration < 0 {
		return nil, fmt.Errorf("duration must not be negative")
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
				return nil, err
			}
			for _, e := range exprs {
				if _, _, _, err := parseThreshold(e); err != nil {
					return nil, err
				}
			}
		}
		options["thresholds"] = cfg.Thresholds
	}
	return options, nil
}

// ScriptForIterations writes the script of a run whose iterations run in
// Go (CompileWith): cfg's options, and a default function that does
// nothing; what says in a comment what each iteration runs.
func ScriptForIterations(cfg ScriptConfig, what string) (string, error) {
	options, err := optionsOf(cfg)
	if err != nil {
		return "", err
	}
	b, _ := json.Marshal(options)
	return fmt.Sprintf("// Each iteration runs %s.\nexport const options = %s;\n\nexport default function () {}\n",
		strings.ReplaceAll(what, "\n", " "), b), nil
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
	p.iterations = &requestIterations{method: method, url: cfg.URL, body: cfg.Body, headers: cfg.Headers}
	return p, src, nil
}

// requestIterations send the one request of a scriptless Program.
type requestIterations struct {
	method, url, body string
	headers           map[string]string
}

// NewVU prepares the request as the generated script's http.request call
// would, once per VU.
func (n *requestIterations) NewVU(h *VU) (Iterator, error) {
	v := h.v
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
	pr := v.prepare(v.rt.ToValue(n.method), v.rt.ToValue(n.url), body, params)
	pr.goOnly = true
	pr.responseType = "none" // read from the wire and counted, not kept
	return &requestIterator{pr: pr, res: &httpResult{}}, nil
}

// requestIterator is one VU's prepared request and its reused result.
type requestIterator struct {
	pr  *preparedRequest
	res *httpResult
}

// Iterate sends the request and records its metrics.
func (r *requestIterator) Iterate(ctx context.Context, h *VU) error {
	h.v.client().executeInto(ctx, r.pr, r.res)
	if ctx.Err() != nil {
		return errInterrupted
	}
	h.v.recordRequest(r.pr, r.res)
	return nil
}

// Close has nothing to release.
func (*requestIterator) Close() {}

package engine

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"
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

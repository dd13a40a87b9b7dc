package engine

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ThresholdResult is the outcome of one threshold expression.
type ThresholdResult struct {
	// Metric is the key as written: "http_req_duration" or "http_req_duration{name:x}".
	Metric string `json:"metric"`
	// Threshold is the expression, e.g. "p(95)<500".
	Threshold string `json:"threshold"`
	// OK is false when the expression does not hold.
	OK bool `json:"ok"`
	// Actual is the aggregate the expression compared.
	Actual float64 `json:"actual"`
	// AbortOnFail is true when the threshold stopped (or could stop) the run.
	AbortOnFail bool `json:"abortOnFail,omitempty"`
}

// thresholdDef is a threshold as the script writes it: a string or
// {threshold, abortOnFail, delayAbortEval}.
type thresholdDef struct {
	Threshold      string
	AbortOnFail    bool
	DelayAbortEval time.Duration
}

// UnmarshalJSON reads a string or an object threshold.
func (t *thresholdDef) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		t.Threshold = s
		return nil
	}
	var o struct {
		Threshold      string          `json:"threshold"`
		AbortOnFail    bool            `json:"abortOnFail"`
		DelayAbortEval json.RawMessage `json:"delayAbortEval"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return fmt.Errorf("a threshold is a string or {threshold, abortOnFail, delayAbortEval}")
	}
	t.Threshold, t.AbortOnFail = o.Threshold, o.AbortOnFail
	if len(o.DelayAbortEval) > 0 {
		var d jsonDuration
		if err := d.UnmarshalJSON(o.DelayAbortEval); err != nil {
			return fmt.Errorf("delayAbortEval: %w", err)
		}
		t.DelayAbortEval = time.Duration(d)
	}
	return nil
}

// thresholdList accepts one threshold or an array of them.
type thresholdList []thresholdDef

// UnmarshalJSON reads one threshold or an array of them.
func (l *thresholdList) UnmarshalJSON(b []byte) error {
	var many []thresholdDef
	if err := json.Unmarshal(b, &many); err == nil {
		*l = many
		return nil
	}
	var one thresholdDef
	if err := one.UnmarshalJSON(b); err != nil {
		return err
	}
	*l = thresholdList{one}
	return nil
}

var thresholdRe = regexp.MustCompile(`^\s*(avg|min|max|med|count|rate|value|p\(\s*[0-9]+(?:\.[0-9]+)?\s*\))\s*(<=|>=|===|==|!=|<|>)\s*(-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)\s*$`)

// threshold is a parsed, bound threshold.
type threshold struct {
	key      string
	expr     string
	agg      string
	op       string
	value    float64
	abort    bool
	delay    time.Duration
	m        *metric
	sub      *submetric
	lastOK   bool
	lastSeen float64
}

// parseThreshold reads "<aggregation> <operator> <value>".
func parseThreshold(expr string) (agg, op string, value float64, err error) {
	mm := thresholdRe.FindStringSubmatch(expr)
	if mm == nil {
		return "", "", 0, fmt.Errorf("threshold %q: expected <aggregation> <operator> <number>, e.g. p(95)<500 or rate<0.01", expr)
	}
	agg = strings.ReplaceAll(mm[1], " ", "")
	value, err = strconv.ParseFloat(mm[3], 64)
	if err != nil {
		return "", "", 0, fmt.Errorf("threshold %q: %w", expr, err)
	}
	return agg, mm[2], value, nil
}

// validAgg reports whether an aggregation applies to a metric kind, as k6 allows.
func validAgg(t metricType, agg string) bool {
	switch t {
	case kindCounter:
		return agg == "count" || agg == "rate"
	case kindGauge:
		return agg == "value" || agg == "min" || agg == "max"
	case kindRate:
		return agg == "rate"
	default:
		if _, ok := parsePercentile(agg); ok {
			return true
		}
		return agg == "avg" || agg == "min" || agg == "max" || agg == "med" || agg == "count"
	}
}

// bindThresholds parses every threshold against the registry; metrics must
// exist (built-in or declared in the init context).
func bindThresholds(reg *registry, defs map[string]thresholdList) ([]*threshold, error) {
	keys := make([]string, 0, len(defs))
	for k := range defs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []*threshold
	for _, key := range keys {
		name, _, err := parseMetricKey(key)
		if err != nil {
			return nil, fmt.Errorf("thresholds: %w", err)
		}
		m := reg.lookup(name)
		if m == nil {
			return nil, fmt.Errorf("thresholds: no metric %q (built-in metrics or ones the script declares in its init code)", name)
		}
		sub, err := reg.addSubmetric(key)
		if err != nil {
			return nil, fmt.Errorf("thresholds: %w", err)
		}
		for _, d := range defs[key] {
			agg, op, v, err := parseThreshold(d.Threshold)
			if err != nil {
				return nil, fmt.Errorf("thresholds on %s: %w", key, err)
			}
			if !validAgg(m.typ, agg) {
				return nil, fmt.Errorf("thresholds on %s: %q does not apply to a %s metric", key, agg, m.typ)
			}
			out = append(out, &threshold{key: key, expr: d.Threshold, agg: agg, op: op, value: v, abort: d.AbortOnFail, delay: d.DelayAbortEval, m: m, sub: sub, lastOK: true})
		}
	}
	return out, nil
}

func compare(a float64, op string, b float64) bool {
	switch op {
	case "<":
		return a < b
	case "<=":
		return a <= b
	case ">":
		return a > b
	case ">=":
		return a >= b
	case "==", "===":
		return a == b
	default:
		return a != b
	}
}

// evalThresholds checks every threshold; it returns the first abortOnFail
// threshold that fails after its delay (nil if none).
func evalThresholds(reg *registry, ths []*threshold, elapsed time.Duration) *threshold {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	var abort *threshold
	for _, t := range ths {
		s := t.m.sink
		if t.sub != nil {
			s = t.sub.sink
		}
		v, _ := s.agg(t.agg, elapsed)
		t.lastSeen = v
		t.lastOK = compare(v, t.op, t.value)
		if !t.lastOK && t.abort && elapsed >= t.delay && abort == nil {
			abort = t
		}
	}
	return abort
}

func thresholdResults(ths []*threshold) []ThresholdResult {
	out := make([]ThresholdResult, len(ths))
	for i, t := range ths {
		out[i] = ThresholdResult{Metric: t.key, Threshold: t.expr, OK: t.lastOK, Actual: t.lastSeen, AbortOnFail: t.abort}
	}
	return out
}

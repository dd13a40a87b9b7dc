package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/grafana/sobek"
)

const maxSummaryOutput = 16 << 20

// summaryData is the object handleSummary receives (k6's shape).
func summaryData(res *Result, opts *scriptOptions) map[string]any {
	return map[string]any{
		"metrics":    res.Metrics,
		"root_group": res.RootGroup,
		"options": map[string]any{
			"summaryTrendStats": trendStats(opts),
			"summaryTimeUnit":   "",
			"noColor":           true,
		},
		"state": map[string]any{
			"isStdOutTTY":       false,
			"isStdErrTTY":       false,
			"testRunDurationMs": ms(res.Duration),
		},
	}
}

// summarize calls handleSummary when the script has one and returns its
// outputs; otherwise (or when it fails) "stdout" holds a text summary.
func summarize(v *vu, res *Result, opts *scriptOptions) (map[string]string, string) {
	if _, ok := v.export("handleSummary"); !ok {
		return map[string]string{"stdout": TextSummary(res)}, ""
	}
	b, err := json.Marshal(summaryData(res, opts))
	if err != nil {
		return map[string]string{"stdout": TextSummary(res)}, err.Error()
	}
	data, err := v.fromJSON(string(b))
	if err != nil {
		return map[string]string{"stdout": TextSummary(res)}, describeError(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), summaryTimeout)
	defer cancel()
	val, err := v.call(ctx, "handleSummary", data)
	if err != nil {
		return map[string]string{"stdout": TextSummary(res)}, "handleSummary: " + describeError(err)
	}
	obj, ok := val.(*sobek.Object)
	if !ok {
		return map[string]string{"stdout": TextSummary(res)}, "handleSummary must return an object of {name: content}"
	}
	out := map[string]string{}
	total := 0
	for _, k := range obj.Keys() {
		item := obj.Get(k)
		var s string
		switch x := item.Export().(type) {
		case string:
			s = x
		case sobek.ArrayBuffer:
			s = string(x.Bytes())
		default:
			js, err := v.toJSON(item)
			if err != nil {
				return map[string]string{"stdout": TextSummary(res)}, "handleSummary: " + describeError(err)
			}
			s = js
		}
		total += len(s)
		if total > maxSummaryOutput {
			return map[string]string{"stdout": TextSummary(res)}, fmt.Sprintf("handleSummary outputs exceed %d bytes", maxSummaryOutput)
		}
		out[k] = s
	}
	return out, ""
}

// TextSummary renders a result as k6's end-of-test text.
func TextSummary(res *Result) string {
	var b strings.Builder
	if len(res.Thresholds) > 0 {
		b.WriteString("  THRESHOLDS\n\n")
		last := ""
		for _, t := range res.Thresholds {
			if t.Metric != last {
				fmt.Fprintf(&b, "    %s\n", t.Metric)
				last = t.Metric
			}
			mark := "✓"
			if !t.OK {
				mark = "✗"
			}
			agg, _, _, _ := parseThreshold(t.Threshold)
			fmt.Fprintf(&b, "    %s '%s' %s=%s\n", mark, t.Threshold, agg, formatNumber(t.Actual))
		}
		b.WriteString("\n")
	}
	var checks func(g Group)
	var lines []string
	checks = func(g Group) {
		for _, c := range g.Checks {
			mark := "✓"
			if c.Fails > 0 {
				mark = "✗"
			}
			name := c.Name
			if g.Path != "" {
				name = strings.TrimPrefix(g.Path, "::") + " › " + name
			}
			lines = append(lines, fmt.Sprintf("    %s %s (%d passed, %d failed)", mark, name, c.Passes, c.Fails))
		}
		for _, s := range g.Groups {
			checks(s)
		}
	}
	checks(res.RootGroup)
	if len(lines) > 0 {
		b.WriteString("  CHECKS\n\n")
		b.WriteString(strings.Join(lines, "\n"))
		b.WriteString("\n\n")
	}
	b.WriteString("  METRICS\n\n")
	keys := make([]string, 0, len(res.Metrics))
	for k := range res.Metrics {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		m := res.Metrics[k]
		label := k
		if i := strings.IndexByte(k, '{'); i >= 0 {
			label = "  " + k[i:]
		}
		dots := max(3, 40-len(label))
		fmt.Fprintf(&b, "    %s%s: %s\n", label, strings.Repeat(".", dots), formatValues(m))
	}
	fmt.Fprintf(&b, "\n  status: %s", res.Status)
	if res.AbortReason != "" {
		fmt.Fprintf(&b, " (%s)", res.AbortReason)
	}
	fmt.Fprintf(&b, ", duration %s\n", res.Duration.Round(1e6))
	return b.String()
}

func formatValues(m MetricSummary) string {
	v := m.Values
	unit := func(x float64) string {
		switch m.Contains {
		case "time":
			return formatMs(x)
		case "data":
			return formatBytes(x)
		}
		return formatNumber(x)
	}
	switch m.Type {
	case "counter":
		return fmt.Sprintf("%s %s/s", unit(v["count"]), formatNumber(v["rate"]))
	case "gauge":
		return fmt.Sprintf("%s min=%s max=%s", unit(v["value"]), unit(v["min"]), unit(v["max"]))
	case "rate":
		return fmt.Sprintf("%.2f%% %d out of %d", v["rate"]*100, int64(v["passes"]), int64(v["passes"]+v["fails"]))
	}
	parts := []string{}
	for _, k := range []string{"avg", "min", "med", "max", "p(90)", "p(95)", "p(99)"} {
		if x, ok := v[k]; ok {
			parts = append(parts, k+"="+unit(x))
		}
	}
	return strings.Join(parts, " ")
}

func formatNumber(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) < 1e15 {
		return fmt.Sprintf("%d", int64(x))
	}
	return fmt.Sprintf("%.4g", x)
}

func formatMs(x float64) string {
	switch {
	case x >= 1000:
		return fmt.Sprintf("%.2fs", x/1000)
	case x >= 1:
		return fmt.Sprintf("%.2fms", x)
	default:
		return fmt.Sprintf("%.2fµs", x*1000)
	}
}

func formatBytes(x float64) string {
	switch {
	case x >= 1e6:
		return fmt.Sprintf("%.1f MB", x/1e6)
	case x >= 1e3:
		return fmt.Sprintf("%.1f kB", x/1e3)
	}
	return fmt.Sprintf("%d B", int64(x))
}

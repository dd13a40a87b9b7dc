package engine

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// metricType is one of k6's four metric kinds.
type metricType int

// The k6 metric kinds.
const (
	kindCounter metricType = iota
	kindGauge
	kindRate
	kindTrend
)

// String gives k6's lower-case name of the kind.
func (t metricType) String() string {
	switch t {
	case kindCounter:
		return "counter"
	case kindGauge:
		return "gauge"
	case kindRate:
		return "rate"
	default:
		return "trend"
	}
}

// valueType says what a metric's numbers are (k6's "contains").
type valueType int

// The k6 value types.
const (
	valueDefault valueType = iota
	valueTime
	valueData
)

// String gives k6's name of the value type.
func (v valueType) String() string {
	switch v {
	case valueTime:
		return "time"
	case valueData:
		return "data"
	default:
		return "default"
	}
}

// Histogram bounds: values are kept in thousandths (microseconds for time
// metrics in ms), three significant digits, up to 10 hours; the counts array
// is allocated once, so a trend's memory does not grow with the run.
const (
	histScale    = 1000
	histHighest  = int64(36_000_000_000)
	histSigFigs  = 3
	seriesDigits = 2 // per-second histograms need less precision and are reset every second
	maxMetrics   = 500
	maxSubs      = 200
)

// defaultTrendStats are the trend aggregates always reported (k6's names).
var defaultTrendStats = []string{"avg", "min", "med", "max", "p(90)", "p(95)", "p(99)"}

var metricNameRe = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]{0,127}$`)

// sink aggregates the samples of one metric (or submetric).
type sink interface {
	add(v float64)
	// values returns k6's aggregates; elapsed gives counters their rate.
	values(elapsed time.Duration, stats []string) map[string]float64
	// agg returns one aggregate by its threshold name ("p(95)", "rate", ...).
	agg(name string, elapsed time.Duration) (float64, bool)
}

type counterSink struct{ sum float64 }

func (s *counterSink) add(v float64) { s.sum += v }

func (s *counterSink) values(elapsed time.Duration, _ []string) map[string]float64 {
	c, _ := s.agg("count", elapsed)
	r, _ := s.agg("rate", elapsed)
	return map[string]float64{"count": c, "rate": r}
}

func (s *counterSink) agg(name string, elapsed time.Duration) (float64, bool) {
	switch name {
	case "count":
		return s.sum, true
	case "rate":
		if elapsed <= 0 {
			return 0, true
		}
		return s.sum / elapsed.Seconds(), true
	}
	return 0, false
}

type gaugeSink struct {
	value, min, max float64
	set             bool
}

func (s *gaugeSink) add(v float64) {
	s.value = v
	if !s.set || v < s.min {
		s.min = v
	}
	if !s.set || v > s.max {
		s.max = v
	}
	s.set = true
}

func (s *gaugeSink) values(time.Duration, []string) map[string]float64 {
	return map[string]float64{"value": s.value, "min": s.min, "max": s.max}
}

func (s *gaugeSink) agg(name string, _ time.Duration) (float64, bool) {
	switch name {
	case "value":
		return s.value, true
	case "min":
		return s.min, true
	case "max":
		return s.max, true
	}
	return 0, false
}

type rateSink struct{ trues, total int64 }

func (s *rateSink) add(v float64) {
	s.total++
	if v != 0 {
		s.trues++
	}
}

func (s *rateSink) rate() float64 {
	if s.total == 0 {
		return 0
	}
	return float64(s.trues) / float64(s.total)
}

func (s *rateSink) values(time.Duration, []string) map[string]float64 {
	return map[string]float64{"rate": s.rate(), "passes": float64(s.trues), "fails": float64(s.total - s.trues)}
}

func (s *rateSink) agg(name string, _ time.Duration) (float64, bool) {
	if name == "rate" {
		return s.rate(), true
	}
	return 0, false
}

// trendSink keeps count, sum, exact min and max, and an HDR histogram for
// percentiles.
type trendSink struct {
	h                  *hdrhistogram.Histogram
	count              int64
	sum, minV, maxV    float64
	lowClamp, highClip int64
}

func newTrendSink(digits int) *trendSink {
	return &trendSink{h: hdrhistogram.New(1, histHighest, digits)}
}

func (s *trendSink) add(v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	if s.count == 0 || v < s.minV {
		s.minV = v
	}
	if s.count == 0 || v > s.maxV {
		s.maxV = v
	}
	s.count++
	s.sum += v
	_ = s.h.RecordValue(scaleForHist(v))
}

// scaleForHist maps a value to the histogram's integer unit, clamped into
// its range (negative values count as zero for percentiles only; min, max
// and avg stay exact).
func scaleForHist(v float64) int64 {
	x := math.Round(v * histScale)
	if x < 0 {
		return 0
	}
	if x > float64(histHighest) {
		return histHighest
	}
	return int64(x)
}

func (s *trendSink) percentile(p float64) float64 {
	if s.count == 0 {
		return 0
	}
	v := float64(s.h.ValueAtPercentile(p)) / histScale
	// A histogram bucket's upper edge can overshoot the exact extremes.
	return math.Min(math.Max(v, s.minV), s.maxV)
}

func (s *trendSink) agg(name string, _ time.Duration) (float64, bool) {
	switch name {
	case "avg":
		if s.count == 0 {
			return 0, true
		}
		return s.sum / float64(s.count), true
	case "min":
		return s.minV, true
	case "max":
		return s.maxV, true
	case "med":
		return s.percentile(50), true
	case "count":
		return float64(s.count), true
	}
	if p, ok := parsePercentile(name); ok {
		return s.percentile(p), true
	}
	return 0, false
}

func (s *trendSink) values(elapsed time.Duration, stats []string) map[string]float64 {
	out := make(map[string]float64, len(stats))
	for _, st := range stats {
		if v, ok := s.agg(st, elapsed); ok {
			out[st] = v
		}
	}
	return out
}

// parsePercentile reads "p(95)" or "p(99.9)".
func parsePercentile(s string) (float64, bool) {
	if !strings.HasPrefix(s, "p(") || !strings.HasSuffix(s, ")") {
		return 0, false
	}
	p, err := strconv.ParseFloat(s[2:len(s)-1], 64)
	if err != nil || p < 0 || p > 100 {
		return 0, false
	}
	return p, true
}

func newSink(t metricType) sink {
	switch t {
	case kindCounter:
		return &counterSink{}
	case kindGauge:
		return &gaugeSink{}
	case kindRate:
		return &rateSink{}
	default:
		return newTrendSink(histSigFigs)
	}
}

// metric is one registered metric with its overall sink and the tag-filtered
// submetrics that thresholds (or the summary) ask for.
type metric struct {
	name     string
	typ      metricType
	contains valueType
	sink     sink
	subs     []*submetric
	seen     bool
}

type submetric struct {
	key    string // "http_req_duration{name:x}"
	filter [][2]string
	sink   sink
}

func (s *submetric) matches(tags map[string]string) bool {
	for _, kv := range s.filter {
		if tags[kv[0]] != kv[1] {
			return false
		}
	}
	return true
}

// sample is one observation; tags may be nil when no submetric can use them.
type sample struct {
	m    *metric
	v    float64
	tags map[string]string
}

// SeriesPoint is one second of the run for charts.
type SeriesPoint struct {
	// Second counts from the start of the measured run (0 = first second).
	Second int `json:"second"`
	// Time is the wall-clock end of the interval.
	Time time.Time `json:"time"`
	// Requests is the number of HTTP requests that completed in the interval.
	Requests int64 `json:"reqs"`
	// Errors is the number of those counted as failed (http_req_failed).
	Errors int64 `json:"errors"`
	// Iterations completed in the interval.
	Iterations int64 `json:"iterations"`
	// P50 and P95 of http_req_duration in the interval, in ms.
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	// VUs active at the end of the interval.
	VUs int64 `json:"vus"`
}

// maxSeriesPoints bounds the time series (one day at one point a second).
const maxSeriesPoints = 86_400

// registry holds every metric of a run.
type registry struct {
	mu      sync.Mutex
	metrics map[string]*metric
	order   []*metric

	// built-in metrics used on hot paths
	httpReqs, httpReqDuration, httpReqBlocked, httpReqConnecting, httpReqTLS *metric
	httpReqSending, httpReqWaiting, httpReqReceiving, httpReqFailed          *metric
	iterations, iterationDuration, vus, vusMax, dataSent, dataReceived       *metric
	checks, groupDuration, droppedIterations                                 *metric

	// the current second
	secReqs, secErrors, secIters int64
	secHist                      *trendSink
	series                       []SeriesPoint
	seriesTruncated              bool

	// response-time scores of the HTTP requests
	apdex apdexBook

	// live counters for Progress
	totalReqs, totalFailed, totalIters, totalDropped int64
}

func newRegistry() *registry {
	r := &registry{metrics: map[string]*metric{}, secHist: newTrendSink(seriesDigits)}
	must := func(name string, t metricType, c valueType) *metric {
		m, err := r.get(name, t, c)
		if err != nil {
			panic(err) // built-in names are valid by construction
		}
		return m
	}
	r.httpReqs = must("http_reqs", kindCounter, valueDefault)
	r.httpReqDuration = must("http_req_duration", kindTrend, valueTime)
	r.httpReqBlocked = must("http_req_blocked", kindTrend, valueTime)
	r.httpReqConnecting = must("http_req_connecting", kindTrend, valueTime)
	r.httpReqTLS = must("http_req_tls_handshaking", kindTrend, valueTime)
	r.httpReqSending = must("http_req_sending", kindTrend, valueTime)
	r.httpReqWaiting = must("http_req_waiting", kindTrend, valueTime)
	r.httpReqReceiving = must("http_req_receiving", kindTrend, valueTime)
	r.httpReqFailed = must("http_req_failed", kindRate, valueDefault)
	r.iterations = must("iterations", kindCounter, valueDefault)
	r.iterationDuration = must("iteration_duration", kindTrend, valueTime)
	r.vus = must("vus", kindGauge, valueDefault)
	r.vusMax = must("vus_max", kindGauge, valueDefault)
	r.dataSent = must("data_sent", kindCounter, valueData)
	r.dataReceived = must("data_received", kindCounter, valueData)
	r.checks = must("checks", kindRate, valueDefault)
	r.groupDuration = must("group_duration", kindTrend, valueTime)
	r.droppedIterations = must("dropped_iterations", kindCounter, valueDefault)
	// k6 always reports durations of requests whose status was expected.
	_, _ = r.addSubmetric("http_req_duration{expected_response:true}")
	return r
}

// get returns the named metric, creating it if new; the kind must agree
// with an existing one.
func (r *registry) get(name string, t metricType, c valueType) (*metric, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m, ok := r.metrics[name]; ok {
		if m.typ != t || m.contains != c {
			return nil, fmt.Errorf("metric %q already exists as a %s of %s values", name, m.typ, m.contains)
		}
		return m, nil
	}
	if !metricNameRe.MatchString(name) {
		return nil, fmt.Errorf("invalid metric name %q: letters, digits and _ only, up to 128 characters, not starting with a digit", name)
	}
	if len(r.metrics) >= maxMetrics {
		return nil, fmt.Errorf("too many metrics (limit %d)", maxMetrics)
	}
	m := &metric{name: name, typ: t, contains: c, sink: newSink(t)}
	r.metrics[name] = m
	r.order = append(r.order, m)
	return m, nil
}

// lookup finds a metric by name.
func (r *registry) lookup(name string) *metric {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.metrics[name]
}

// parseMetricKey splits "name{tag:value,tag2:value}" into the name and its
// tag filter; values may hold colons ("group:::a::b").
func parseMetricKey(key string) (string, [][2]string, error) {
	key = strings.TrimSpace(key)
	i := strings.IndexByte(key, '{')
	if i < 0 {
		return key, nil, nil
	}
	if !strings.HasSuffix(key, "}") {
		return "", nil, fmt.Errorf("metric %q: missing closing }", key)
	}
	name := strings.TrimSpace(key[:i])
	body := key[i+1 : len(key)-1]
	var filter [][2]string
	for _, part := range strings.Split(body, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, ":")
		if !ok {
			return "", nil, fmt.Errorf("metric %q: tag filter %q is not tag:value", key, part)
		}
		k, v = strings.TrimSpace(k), strings.Trim(strings.TrimSpace(v), `"'`)
		if k == "" {
			return "", nil, fmt.Errorf("metric %q: empty tag name", key)
		}
		filter = append(filter, [2]string{k, v})
	}
	if len(filter) == 0 {
		return "", nil, fmt.Errorf("metric %q: empty tag filter", key)
	}
	sort.Slice(filter, func(a, b int) bool { return filter[a][0] < filter[b][0] })
	return name, filter, nil
}

func filterKey(name string, filter [][2]string) string {
	parts := make([]string, len(filter))
	for i, kv := range filter {
		parts[i] = kv[0] + ":" + kv[1]
	}
	return name + "{" + strings.Join(parts, ",") + "}"
}

// addSubmetric registers (or finds) the submetric a key names; a key
// without a filter returns nil and the parent metric's sink is used.
func (r *registry) addSubmetric(key string) (*submetric, error) {
	name, filter, err := parseMetricKey(key)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.metrics[name]
	if !ok {
		return nil, fmt.Errorf("unknown metric %q", name)
	}
	if filter == nil {
		return nil, nil
	}
	k := filterKey(name, filter)
	for _, s := range m.subs {
		if s.key == k {
			return s, nil
		}
	}
	if len(m.subs) >= maxSubs {
		return nil, fmt.Errorf("too many tag filters on %q", name)
	}
	s := &submetric{key: k, filter: filter, sink: newSink(m.typ)}
	m.subs = append(m.subs, s)
	return s, nil
}

// push records samples under one lock.
func (r *registry) push(samples ...sample) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range samples {
		m := s.m
		m.seen = true
		m.sink.add(s.v)
		for _, sub := range m.subs {
			if sub.matches(s.tags) {
				sub.sink.add(s.v)
			}
		}
		switch m {
		case r.httpReqs:
			r.secReqs++
			r.totalReqs++
		case r.httpReqFailed:
			if s.v != 0 {
				r.secErrors++
				r.totalFailed++
			}
		case r.httpReqDuration:
			r.secHist.add(s.v)
		case r.iterations:
			r.secIters++
			r.totalIters++
		case r.droppedIterations:
			r.totalDropped += int64(s.v)
		}
	}
}

// closeSecond turns the current second into a series point.
func (r *registry) closeSecond(second int, now time.Time, vus int64) SeriesPoint {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := SeriesPoint{Second: second, Time: now, Requests: r.secReqs, Errors: r.secErrors, Iterations: r.secIters, VUs: vus}
	if r.secHist.count > 0 {
		p.P50 = r.secHist.percentile(50)
		p.P95 = r.secHist.percentile(95)
	}
	r.secReqs, r.secErrors, r.secIters = 0, 0, 0
	r.secHist.h.Reset()
	r.secHist.count, r.secHist.sum = 0, 0
	if len(r.series) < maxSeriesPoints {
		r.series = append(r.series, p)
	} else {
		r.seriesTruncated = true
	}
	return p
}

// MetricSummary is one metric's aggregates, shaped as k6's summary data.
type MetricSummary struct {
	// Type is counter, gauge, rate or trend.
	Type string `json:"type"`
	// Contains is default, time or data.
	Contains string `json:"contains"`
	// Values holds k6's aggregate names: count/rate, value/min/max,
	// rate/passes/fails, or avg/min/med/max/p(90)/p(95)/p(99).
	Values map[string]float64 `json:"values"`
	// Thresholds maps each threshold expression on this key to whether it passed.
	Thresholds map[string]ThresholdOK `json:"thresholds,omitempty"`
}

// ThresholdOK is k6's per-expression threshold state in summary data.
type ThresholdOK struct {
	OK bool `json:"ok"`
}

// snapshot summarizes every metric that received samples, plus every
// submetric (keyed "name{tag:value}").
func (r *registry) snapshot(elapsed time.Duration, trendStats []string) map[string]MetricSummary {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]MetricSummary{}
	for _, m := range r.order {
		if !m.seen {
			continue
		}
		out[m.name] = MetricSummary{Type: m.typ.String(), Contains: m.contains.String(), Values: m.sink.values(elapsed, trendStats)}
		for _, s := range m.subs {
			out[s.key] = MetricSummary{Type: m.typ.String(), Contains: m.contains.String(), Values: s.sink.values(elapsed, trendStats)}
		}
	}
	return out
}

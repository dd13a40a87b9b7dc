package engine

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grafana/sobek"
	"github.com/mockarty-oss/mockarty/sdk/outbound"
)

// RunConfig overrides a script's options and sets the run's limits.
type RunConfig struct {
	// VUs, Duration and Iterations override the script's shortcut options as
	// k6's --vus/--duration/--iterations do; a Duration or Iterations
	// override replaces the script's stages and scenarios.
	VUs        int
	Duration   time.Duration
	Iterations int
	// Env is the script's __ENV.
	Env map[string]string
	// Thresholds are added to the script's own, e.g.
	// {"http_req_duration": ["p(95)<500"]} from a saved perf config.
	Thresholds map[string][]string
	// Outbound is the dial policy for every connection the script makes.
	Outbound outbound.Policy
	// MaxBodyBytes bounds each response body read (default 16 MiB).
	MaxBodyBytes int64
	// MaxVUs bounds the VUs a run may create (default 1000).
	MaxVUs int
	// MaxDuration, when set, stops the run gracefully after it.
	MaxDuration time.Duration
	// MaxMemoryBytes aborts the run when the plugin's heap passes it
	// (default DefaultMaxMemoryBytes; negative: no limit).
	MaxMemoryBytes int64
}

// Defaults of RunConfig.
const (
	DefaultMaxBodyBytes = 16 << 20
	DefaultMaxVUs       = 1000
	// DefaultMaxMemoryBytes is the heap a run may grow the plugin to.
	DefaultMaxMemoryBytes = 2 << 30
	defaultSetupTimeout   = 60 * time.Second
	summaryTimeout        = 60 * time.Second
)

// Progress is the live state reported about once a second.
type Progress struct {
	Elapsed           time.Duration `json:"-"`
	ElapsedMs         int64         `json:"elapsedMs"`
	VUs               int64         `json:"vus"`
	VUsMax            int64         `json:"vusMax"`
	Iterations        int64         `json:"iterations"`
	Requests          int64         `json:"requests"`
	FailedRequests    int64         `json:"failedRequests"`
	DroppedIterations int64         `json:"droppedIterations"`
	// Point is the last second of the time series.
	Point SeriesPoint `json:"point"`
}

// Run statuses.
const (
	StatusPassed  = "passed"
	StatusFailed  = "failed"
	StatusAborted = "aborted"
)

// Result is a finished run.
type Result struct {
	// Status is passed, failed (a threshold or exec.test.fail) or aborted
	// (test.abort, an abortOnFail threshold, or setup failing).
	Status      string    `json:"status"`
	AbortReason string    `json:"abortReason,omitempty"`
	Started     time.Time `json:"started"`
	Ended       time.Time `json:"ended"`
	// Duration is the measured run, from setup to teardown.
	Duration time.Duration `json:"-"`
	// DurationMs is Duration in milliseconds.
	DurationMs int64 `json:"durationMs"`
	// Metrics is keyed by k6 metric name, submetrics as "name{tag:value}".
	Metrics    map[string]MetricSummary `json:"metrics"`
	Thresholds []ThresholdResult        `json:"thresholds"`
	// RootGroup holds the groups and checks with their pass and fail counts.
	RootGroup       Group         `json:"root_group"`
	Series          []SeriesPoint `json:"series"`
	SeriesTruncated bool          `json:"seriesTruncated,omitempty"`
	// Errors are the distinct script and request errors with their counts.
	Errors      []ErrorCount `json:"errors"`
	Logs        []LogLine    `json:"logs"`
	LogsDropped int          `json:"logsDropped,omitempty"`
	// Outputs are handleSummary's results by name ("stdout", "summary.json",
	// ...); without handleSummary, "stdout" holds a text summary.
	Outputs map[string]string `json:"outputs"`
	// SummaryError is set when handleSummary threw; Outputs then holds the
	// default text summary.
	SummaryError string `json:"summaryError,omitempty"`
	// Scenarios lists the scenarios as run.
	Scenarios []string `json:"scenarios"`
	// Apdex scores the HTTP requests' response times (nil without any).
	Apdex *Apdex `json:"apdex,omitempty"`
}

// ThresholdsFailed reports whether any threshold failed.
func (r *Result) ThresholdsFailed() bool {
	for _, t := range r.Thresholds {
		if !t.OK {
			return true
		}
	}
	return false
}

// runState is what every VU of a run shares.
type runState struct {
	prog *Program
	cfg  RunConfig
	reg  *registry
	opts *scriptOptions
	// optionsJSON is the consolidated options for exec.test.options.
	optionsJSON string
	env         map[string]string
	shared      *sharedArrays
	groups      *groupTree
	errs        *errorLog
	logs        *logBuffer

	softCtx    context.Context // new iterations may start
	softCancel context.CancelFunc
	hardCtx    context.Context // running iterations may continue
	hardCancel context.CancelFunc

	abortOnce   sync.Once
	abortReason atomic.Pointer[string]
	testFailed  atomic.Bool

	start        time.Time
	setupData    string
	hasSetupData bool

	iterCompleted   atomic.Int64
	iterInterrupted atomic.Int64
	vusActive       atomic.Int64
	vusPeak         atomic.Int64 // most active VUs since the last tick
	pool            *vuPool
}

// activeVU counts a VU in (+1) or out (-1) of work.
func (rs *runState) activeVU(delta int64) {
	n := rs.vusActive.Add(delta)
	for {
		p := rs.vusPeak.Load()
		if n <= p || rs.vusPeak.CompareAndSwap(p, n) {
			return
		}
	}
}

// abort stops the run now: no new iterations, running ones interrupted.
func (rs *runState) abort(reason string) {
	rs.abortOnce.Do(func() {
		rs.abortReason.Store(&reason)
		rs.softCancel()
		rs.hardCancel()
	})
}

func (rs *runState) aborted() (string, bool) {
	p := rs.abortReason.Load()
	if p == nil {
		return "", false
	}
	return *p, true
}

// Run executes a compiled program. It returns an error when the test cannot
// start (bad options, init or setup failing); otherwise the Result, whose
// Status says whether thresholds passed. progress, if set, is called about
// once a second from another goroutine. Cancelling ctx stops the run
// gracefully: no new iterations, running ones get their gracefulStop.
func Run(ctx context.Context, p *Program, cfg RunConfig, progress func(Progress)) (*Result, error) {
	if p == nil {
		return nil, errors.New("nil program")
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxVUs <= 0 {
		cfg.MaxVUs = DefaultMaxVUs
	}
	if cfg.VUs < 0 || cfg.Iterations < 0 || cfg.Duration < 0 {
		return nil, errors.New("vus, iterations and duration must not be negative")
	}
	env := map[string]string{}
	for k, v := range cfg.Env {
		env[k] = v
	}
	rs := &runState{prog: p, cfg: cfg, reg: newRegistry(), env: env, shared: newSharedArrays(), groups: newGroupTree(), errs: newErrorLog(), logs: newLogBuffer()}
	if cfg.MaxDuration > 0 {
		rs.softCtx, rs.softCancel = context.WithTimeout(ctx, cfg.MaxDuration)
	} else {
		rs.softCtx, rs.softCancel = context.WithCancel(ctx)
	}
	rs.hardCtx, rs.hardCancel = context.WithCancel(context.Background())
	defer rs.softCancel()
	defer rs.hardCancel()
	defer watchMemory(rs, cfg.MaxMemoryBytes)()
	rs.pool = &vuPool{rs: rs, limit: cfg.MaxVUs}
	defer rs.pool.closeAll()

	// The first VU's init code gives the options, evaluated with this run's __ENV.
	first, err := rs.pool.newVU()
	if err != nil {
		return nil, err
	}
	rs.pool.put(first)
	raw, err := first.optionsJSON()
	if err != nil {
		return nil, err
	}
	opts, err := parseOptions(raw)
	if err != nil {
		return nil, err
	}
	applyOverrides(opts, cfg)
	for k, exprs := range cfg.Thresholds {
		if opts.Thresholds == nil {
			opts.Thresholds = map[string]thresholdList{}
		}
		for _, e := range exprs {
			opts.Thresholds[k] = append(opts.Thresholds[k], thresholdDef{Threshold: e})
		}
	}
	rs.opts = opts
	if b, err := consolidatedOptions(raw, opts); err == nil {
		rs.optionsJSON = b
	}
	scenarios, err := buildScenarios(opts)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(scenarios))
	total, initial := 0, 0
	for i, sc := range scenarios {
		names[i] = sc.name
		if _, ok := first.export(sc.exec); !ok {
			return nil, fmt.Errorf("scenario %q: the script exports no function %q", sc.name, sc.exec)
		}
		total += sc.maxVUsEver()
		initial += sc.maxInitVUs()
	}
	if total > cfg.MaxVUs {
		return nil, fmt.Errorf("the scenarios need up to %d VUs, more than the limit of %d", total, cfg.MaxVUs)
	}
	ths, err := bindThresholds(rs.reg, opts.Thresholds)
	if err != nil {
		return nil, err
	}
	if err := rs.pool.prepare(initial); err != nil {
		return nil, err
	}

	res := &Result{Started: time.Now(), Scenarios: names}
	rs.start = res.Started

	// setup and teardown run in a VU of their own, as in k6.
	setupVU, err := newVU(p, rs, 0, env)
	if err != nil {
		return nil, err
	}
	defer setupVU.close()
	if _, ok := setupVU.export("setup"); ok {
		sctx, cancel := context.WithTimeout(rs.softCtx, durOr(opts.SetupTimeout, defaultSetupTimeout))
		val, err := setupVU.call(sctx, "setup")
		cancel()
		if err != nil {
			return nil, fmt.Errorf("setup: %s", describeError(err))
		}
		if val != nil && !sobek.IsUndefined(val) {
			s, err := setupVU.toJSON(val)
			if err != nil {
				return nil, fmt.Errorf("setup data: %s", describeError(err))
			}
			rs.setupData, rs.hasSetupData = s, true
		}
	}

	tick := newTicker(rs, ths, progress)
	go tick.loop()
	var wg sync.WaitGroup
	for _, sc := range scenarios {
		sr := &scenarioRun{scenario: sc, rs: rs}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sr.run()
		}()
	}
	wg.Wait()
	tick.stop()

	if _, ok := setupVU.export("teardown"); ok {
		tctx, cancel := context.WithTimeout(context.Background(), durOr(opts.TeardownTimeout, defaultSetupTimeout))
		var arg []sobek.Value
		if rs.hasSetupData {
			d, err := setupVU.fromJSON(rs.setupData)
			if err == nil {
				arg = append(arg, d)
			}
		}
		if _, err := setupVU.call(tctx, "teardown", arg...); err != nil {
			rs.errs.add("teardown: " + describeError(err))
		}
		cancel()
	}

	res.Ended = time.Now()
	res.Duration = res.Ended.Sub(res.Started)
	res.DurationMs = res.Duration.Milliseconds()
	evalThresholds(rs.reg, ths, res.Duration)
	res.Thresholds = thresholdResults(ths)
	res.Metrics = rs.reg.snapshot(res.Duration, trendStats(opts))
	res.Apdex = rs.reg.apdex.result()
	for _, t := range res.Thresholds {
		ms, ok := res.Metrics[t.Metric]
		if !ok {
			m := rs.reg.lookup(metricBase(t.Metric))
			ms = MetricSummary{Type: m.typ.String(), Contains: m.contains.String(), Values: map[string]float64{}}
		}
		if ms.Thresholds == nil {
			ms.Thresholds = map[string]ThresholdOK{}
		}
		ms.Thresholds[t.Threshold] = ThresholdOK{OK: t.OK}
		res.Metrics[t.Metric] = ms
	}
	rs.reg.mu.Lock()
	res.Series = append([]SeriesPoint(nil), rs.reg.series...)
	res.SeriesTruncated = rs.reg.seriesTruncated
	rs.reg.mu.Unlock()
	res.RootGroup = rs.groups.snapshot()
	res.Errors = rs.errs.list()
	res.Logs, res.LogsDropped = rs.logs.list()
	switch reason, aborted := rs.aborted(); {
	case aborted:
		res.Status, res.AbortReason = StatusAborted, reason
	case res.ThresholdsFailed() || rs.testFailed.Load():
		res.Status = StatusFailed
	default:
		res.Status = StatusPassed
	}
	res.Outputs, res.SummaryError = summarize(setupVU, res, opts)
	return res, nil
}

func metricBase(key string) string {
	name, _, _ := parseMetricKey(key)
	return name
}

// applyOverrides applies RunConfig's vus/duration/iterations as k6's CLI
// flags do.
func applyOverrides(o *scriptOptions, cfg RunConfig) {
	if cfg.VUs > 0 {
		v := cfg.VUs
		o.VUs = &v
	}
	if cfg.Duration > 0 || cfg.Iterations > 0 {
		o.Scenarios, o.Stages = nil, nil
		o.Duration, o.Iterations = nil, nil
		if cfg.Duration > 0 {
			d := jsonDuration(cfg.Duration)
			o.Duration = &d
		}
		if cfg.Iterations > 0 {
			n := cfg.Iterations
			o.Iterations = &n
		}
	}
}

// consolidatedOptions is the script's options with the overrides applied.
func consolidatedOptions(raw []byte, o *scriptOptions) (string, error) {
	m := map[string]any{}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil || m == nil {
			m = map[string]any{}
		}
	}
	delete(m, "vus")
	delete(m, "duration")
	delete(m, "iterations")
	if o.VUs != nil {
		m["vus"] = *o.VUs
	}
	if o.Duration != nil {
		m["duration"] = time.Duration(*o.Duration).String()
	}
	if o.Iterations != nil {
		m["iterations"] = *o.Iterations
	}
	if o.Scenarios == nil {
		delete(m, "scenarios")
	}
	if o.Stages == nil {
		delete(m, "stages")
	}
	b, err := json.Marshal(m)
	return string(b), err
}

func trendStats(o *scriptOptions) []string {
	stats := append([]string(nil), defaultTrendStats...)
	for _, s := range o.SummaryTrendStats {
		known := false
		for _, d := range stats {
			if d == s {
				known = true
			}
		}
		_, isP := parsePercentile(s)
		if !known && (isP || s == "count") {
			stats = append(stats, s)
		}
	}
	return stats
}

// vuPool owns every VU of a run.
type vuPool struct {
	rs     *runState
	mu     sync.Mutex
	free   []*vu
	all    []*vu
	nextID int64
	limit  int
}

// newVU initializes one more VU, within the limit.
func (p *vuPool) newVU() (*vu, error) {
	p.mu.Lock()
	if len(p.all) >= p.limit {
		p.mu.Unlock()
		return nil, fmt.Errorf("VU limit of %d reached", p.limit)
	}
	p.nextID++
	id := p.nextID
	p.all = append(p.all, nil) // reserve the place while initializing
	p.mu.Unlock()
	v, err := newVU(p.rs.prog, p.rs, id, p.rs.env)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		p.all = p.all[:len(p.all)-1]
		return nil, err
	}
	for i := len(p.all) - 1; i >= 0; i-- {
		if p.all[i] == nil {
			p.all[i] = v
			break
		}
	}
	return v, nil
}

// prepare initializes VUs in parallel until n exist.
func (p *vuPool) prepare(n int) error {
	p.mu.Lock()
	missing := n - len(p.all)
	p.mu.Unlock()
	if missing <= 0 {
		return nil
	}
	workers := runtime.GOMAXPROCS(0)
	jobs := make(chan struct{}, missing)
	for i := 0; i < missing; i++ {
		jobs <- struct{}{}
	}
	close(jobs)
	var wg sync.WaitGroup
	var firstErr error
	var errMu sync.Mutex
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				if p.rs.softCtx.Err() != nil {
					return
				}
				v, err := p.newVU()
				if err != nil {
					errMu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					errMu.Unlock()
					return
				}
				p.put(v)
			}
		}()
	}
	wg.Wait()
	if firstErr == nil && p.rs.softCtx.Err() != nil {
		return fmt.Errorf("run stopped while initializing VUs: %w", p.rs.softCtx.Err())
	}
	return firstErr
}

// take returns up to n free VUs, initializing more if needed.
func (p *vuPool) take(n int) ([]*vu, error) {
	p.mu.Lock()
	k := min(n, len(p.free))
	out := append([]*vu(nil), p.free[len(p.free)-k:]...)
	p.free = p.free[:len(p.free)-k]
	p.mu.Unlock()
	for len(out) < n {
		v, err := p.newVU()
		if err != nil {
			p.put(out...)
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (p *vuPool) put(vs ...*vu) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.free = append(p.free, vs...)
}

func (p *vuPool) size() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return int64(len(p.all))
}

func (p *vuPool) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, v := range p.all {
		if v != nil {
			v.close()
		}
	}
}

// ticker closes each second: vus gauges, a time-series point, thresholds
// with abortOnFail, and progress.
type ticker struct {
	rs       *runState
	ths      []*threshold
	progress func(Progress)
	done     chan struct{}
	finished chan struct{}
	second   int
}

func newTicker(rs *runState, ths []*threshold, progress func(Progress)) *ticker {
	return &ticker{rs: rs, ths: ths, progress: progress, done: make(chan struct{}), finished: make(chan struct{})}
}

func (t *ticker) loop() {
	defer close(t.finished)
	tk := time.NewTicker(time.Second)
	defer tk.Stop()
	for {
		select {
		case <-t.done:
			t.tick(true)
			return
		case <-tk.C:
			t.tick(false)
		}
	}
}

func (t *ticker) tick(final bool) {
	rs := t.rs
	now := time.Now()
	vus, vusMax := rs.vusActive.Load(), rs.pool.size()
	peak := rs.vusPeak.Swap(vus)
	rs.reg.push(sample{m: rs.reg.vus, v: float64(peak)}, sample{m: rs.reg.vus, v: float64(vus)}, sample{m: rs.reg.vusMax, v: float64(vusMax)})
	pt := rs.reg.closeSecond(t.second, now, max(peak, vus))
	t.second++
	elapsed := now.Sub(rs.start)
	if !final {
		if th := evalThresholds(rs.reg, t.ths, elapsed); th != nil {
			rs.abort(fmt.Sprintf("threshold %q on %s failed (abortOnFail)", th.expr, th.key))
		}
	}
	if t.progress != nil {
		rs.reg.mu.Lock()
		pr := Progress{Elapsed: elapsed, ElapsedMs: elapsed.Milliseconds(), VUs: vus, VUsMax: vusMax, Iterations: rs.reg.totalIters, Requests: rs.reg.totalReqs,
			FailedRequests: rs.reg.totalFailed, DroppedIterations: rs.reg.totalDropped, Point: pt}
		rs.reg.mu.Unlock()
		t.progress(pr)
	}
}

func (t *ticker) stop() {
	close(t.done)
	<-t.finished
}

// Group is a group of the script with its checks and subgroups (k6's
// root_group shape).
type Group struct {
	Name   string  `json:"name"`
	Path   string  `json:"path"`
	ID     string  `json:"id"`
	Groups []Group `json:"groups"`
	Checks []Check `json:"checks"`
}

// Check is one named check with its counts.
type Check struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	ID     string `json:"id"`
	Passes int64  `json:"passes"`
	Fails  int64  `json:"fails"`
}

type groupNode struct {
	name, path string
	groups     []*groupNode
	gmap       map[string]*groupNode
	checks     []*checkNode
	cmap       map[string]*checkNode
}

type checkNode struct {
	name, path    string
	passes, fails atomic.Int64
}

// groupTree records groups and checks as the script meets them.
type groupTree struct {
	mu    sync.Mutex
	root  *groupNode
	paths map[string]*groupNode
	count int
}

const maxGroupsAndChecks = 10_000

func newGroupTree() *groupTree {
	root := &groupNode{gmap: map[string]*groupNode{}, cmap: map[string]*checkNode{}}
	return &groupTree{root: root, paths: map[string]*groupNode{"": root}}
}

// group returns the node of path parent::name, creating it.
func (g *groupTree) group(parent, name string) string {
	p := parent + "::" + name
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.paths[p]; ok {
		return p
	}
	pn := g.paths[parent]
	if pn == nil || g.count >= maxGroupsAndChecks {
		return p
	}
	n := &groupNode{name: name, path: p, gmap: map[string]*groupNode{}, cmap: map[string]*checkNode{}}
	pn.groups = append(pn.groups, n)
	pn.gmap[name] = n
	g.paths[p] = n
	g.count++
	return p
}

// check returns the counters of a check in a group.
func (g *groupTree) check(groupPath, name string) *checkNode {
	g.mu.Lock()
	defer g.mu.Unlock()
	gn := g.paths[groupPath]
	if gn == nil {
		gn = g.root
	}
	if c, ok := gn.cmap[name]; ok {
		return c
	}
	c := &checkNode{name: name, path: groupPath + "::" + name}
	if g.count < maxGroupsAndChecks {
		gn.cmap[name] = c
		gn.checks = append(gn.checks, c)
		g.count++
	}
	return c
}

func pathID(p string) string {
	sum := md5.Sum([]byte(p))
	return hex.EncodeToString(sum[:])
}

func (g *groupTree) snapshot() Group {
	g.mu.Lock()
	defer g.mu.Unlock()
	var walk func(n *groupNode) Group
	walk = func(n *groupNode) Group {
		out := Group{Name: n.name, Path: n.path, ID: pathID(n.path), Groups: []Group{}, Checks: []Check{}}
		for _, c := range n.checks {
			out.Checks = append(out.Checks, Check{Name: c.name, Path: c.path, ID: pathID(c.path), Passes: c.passes.Load(), Fails: c.fails.Load()})
		}
		for _, sub := range n.groups {
			out.Groups = append(out.Groups, walk(sub))
		}
		return out
	}
	return walk(g.root)
}

// ErrorCount is one distinct error message and how often it happened.
type ErrorCount struct {
	Message string `json:"message"`
	Count   int64  `json:"count"`
}

const (
	maxDistinctErrors = 100
	maxErrorLen       = 1000
	maxLogLines       = 1000
	maxLogLen         = 4000
)

type errorLog struct {
	mu     sync.Mutex
	counts map[string]int64
	order  []string
	other  int64
}

func newErrorLog() *errorLog { return &errorLog{counts: map[string]int64{}} }

func (e *errorLog) add(msg string) {
	if len(msg) > maxErrorLen {
		msg = msg[:maxErrorLen] + "…"
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.counts[msg]; !ok {
		if len(e.order) >= maxDistinctErrors {
			e.other++
			return
		}
		e.order = append(e.order, msg)
	}
	e.counts[msg]++
}

func (e *errorLog) list() []ErrorCount {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]ErrorCount, 0, len(e.order)+1)
	for _, m := range e.order {
		out = append(out, ErrorCount{Message: m, Count: e.counts[m]})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	if e.other > 0 {
		out = append(out, ErrorCount{Message: "other errors", Count: e.other})
	}
	return out
}

// LogLine is one console message of the script.
type LogLine struct {
	Time    time.Time `json:"time"`
	Level   string    `json:"level"`
	Message string    `json:"message"`
}

type logBuffer struct {
	mu      sync.Mutex
	lines   []LogLine
	dropped int
}

func newLogBuffer() *logBuffer { return &logBuffer{} }

func (l *logBuffer) add(level, msg string) {
	if len(msg) > maxLogLen {
		msg = msg[:maxLogLen] + "…"
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.lines) >= maxLogLines {
		l.dropped++
		return
	}
	l.lines = append(l.lines, LogLine{Time: time.Now(), Level: level, Message: msg})
}

func (l *logBuffer) list() ([]LogLine, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]LogLine{}, l.lines...), l.dropped
}

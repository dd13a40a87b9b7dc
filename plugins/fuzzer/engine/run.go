package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Event is what a run reports as it goes: progress, a new finding, its end.
type Event struct {
	Kind      string // progress, finding, complete
	Total     int64  // requests planned so far
	Completed int64  // requests answered (or failed)
	Finding   *Finding
}

// Result is a run's outcome.
type Result struct {
	TotalRequests int64      `json:"totalRequests"`
	SuccessCount  int64      `json:"successCount"`
	ErrorCount    int64      `json:"errorCount"`
	Findings      []*Finding `json:"findings"`
	// Unverified counts the re-sends of options.verifyFindings that did
	// not show their finding again (those findings are left out).
	Unverified int64 `json:"unverified,omitempty"`
	// StoppedBy says why the run ended early ("" when it did all its work):
	// maxRequests, maxDuration, stopOnFinding, stopOnCritical, cancelled.
	StoppedBy string `json:"stoppedBy,omitempty"`
	// Warnings are things the run skipped (unknown categories, seeds it
	// could not build).
	Warnings []string `json:"warnings,omitempty"`
}

// maxBody bounds the response bytes read for judging.
const maxBody = 1 << 20

// errBudget: the run's request budget is spent.
var errBudget = errors.New("request budget spent")

// run is one running Config.
type run struct {
	cfg    Config
	client *http.Client
	emit   func(Event)
	cats   map[string]bool

	ctx    context.Context
	cancel context.CancelCauseFunc

	planned, sent, done, ok, failed atomic.Int64
	limiter                         *limiter

	mu       sync.Mutex
	findings map[string]*Finding
	order    []*Finding
	seq      atomic.Int64 // markers and canary tokens

	verifying  map[string]int // fingerprint -> verifications sent (under mu)
	unverified atomic.Int64   // findings a verification did not reproduce
}

// Run fuzzes the config's target until its work is done, its budget is
// spent or ctx ends. client sends the requests (its transport carries the
// network policy); emit, when set, hears progress and findings as they come.
func Run(ctx context.Context, cfg Config, client *http.Client, emit func(Event)) (*Result, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	if emit == nil {
		emit = func(Event) {}
	}
	res := &Result{}
	names := cfg.Categories
	if len(names) == 0 {
		names = strategyCategories(cfg.Strategy)
	}
	cats, unknown := resolveCategories(names)
	for _, u := range unknown {
		res.Warnings = append(res.Warnings, fmt.Sprintf("unknown payload category %q: skipped", u))
	}
	r := &run{cfg: cfg, client: client, emit: emit, cats: map[string]bool{}, findings: map[string]*Finding{}}
	for _, c := range cats {
		r.cats[c] = true
	}
	if cfg.Options.MaxRPS > 0 {
		r.limiter = newLimiter(cfg.Options.MaxRPS)
	}
	var cancel context.CancelFunc
	ctx, cancel = context.WithTimeoutCause(ctx, cfg.Options.MaxDuration, errors.New("maxDuration"))
	defer cancel()
	r.ctx, r.cancel = context.WithCancelCause(ctx)
	defer r.cancel(nil)

	ops, warnings, err := r.operations()
	if err != nil {
		return nil, err
	}
	res.Warnings = append(res.Warnings, warnings...)

	// Baselines first: every check compares with them.
	r.parallel(len(ops), func(i int) { ops[i].baseline = r.send(ops[i].base) })
	for _, op := range ops {
		if b := op.baseline; b != nil && b.err == nil {
			r.judge(&probe{op: op, req: op.base}, b)
		}
	}
	// The timing checks first: they wait on the target while the other
	// workers go on with the rest.
	var slow, fast []func()
	for _, op := range ops {
		s, f := r.tasks(op)
		slow, fast = append(slow, s...), append(fast, f...)
	}
	tasks := append(slow, fast...)
	r.parallel(len(tasks), func(i int) { tasks[i]() })

	res.TotalRequests, res.SuccessCount, res.ErrorCount = r.sent.Load(), r.ok.Load(), r.failed.Load()
	res.Unverified = r.unverified.Load()
	r.mu.Lock()
	res.Findings = append(res.Findings, r.order...)
	r.mu.Unlock()
	switch cause := context.Cause(r.ctx); {
	case cause == nil:
	case errors.Is(cause, errBudget):
		res.StoppedBy = "maxRequests"
	case ctx.Err() != nil && context.Cause(ctx) != nil && context.Cause(ctx).Error() == "maxDuration":
		res.StoppedBy = "maxDuration"
	case errors.Is(cause, errStopFinding):
		res.StoppedBy = "stopOnFinding"
	case errors.Is(cause, errStopCritical):
		res.StoppedBy = "stopOnCritical"
	default:
		res.StoppedBy = "cancelled"
	}
	emit(Event{Kind: "complete", Total: r.planned.Load(), Completed: r.done.Load()})
	return res, nil
}

var (
	errStopFinding  = errors.New("stopOnFinding")
	errStopCritical = errors.New("stopOnCritical")
)

// parallel runs n jobs on the run's workers until they are done or the run stops.
func (r *run) parallel(n int, job func(i int)) {
	r.planned.Add(int64(n))
	next := atomic.Int64{}
	var wg sync.WaitGroup
	for w := 0; w < min(r.cfg.Options.Concurrency, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r.ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				job(i)
			}
		}()
	}
	wg.Wait()
}

// request is one request to send.
type request struct {
	method  string
	url     string
	header  http.Header
	body    []byte
	timeout time.Duration
}

func (q *request) clone() *request {
	c := *q
	c.header = q.header.Clone()
	return &c
}

// response is what came back.
type response struct {
	status   int
	header   http.Header
	body     []byte
	duration time.Duration
	err      error
	timedOut bool
}

// send sends one request within the budget, the rate and the timeout.
func (r *run) send(q *request) *response {
	if r.sent.Add(1) > r.cfg.Options.MaxRequests {
		r.sent.Add(-1)
		r.cancel(errBudget)
		return nil
	}
	if r.limiter != nil && !r.limiter.wait(r.ctx) {
		return nil
	}
	defer func() {
		if d := r.done.Add(1); d%50 == 0 {
			r.emit(Event{Kind: "progress", Total: r.planned.Load(), Completed: d})
		}
	}()
	ctx, cancel := context.WithTimeout(r.ctx, r.cfg.Options.TimeoutPerReq)
	defer cancel()
	if tr := r.cfg.Transports.of(q.url); tr != nil {
		return r.sendVia(ctx, tr, q)
	}
	req, err := http.NewRequestWithContext(ctx, q.method, q.url, bytes.NewReader(q.body))
	if err != nil {
		r.failed.Add(1)
		return &response{err: err}
	}
	req.Header = q.header.Clone()
	if len(q.body) == 0 {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	start := time.Now()
	res, err := r.client.Do(req)
	out := &response{duration: time.Since(start)}
	if err != nil {
		r.failed.Add(1)
		out.err = err
		out.timedOut = errors.Is(err, context.DeadlineExceeded) && r.ctx.Err() == nil
		return out
	}
	defer res.Body.Close()
	out.status, out.header = res.StatusCode, res.Header
	out.body, err = io.ReadAll(io.LimitReader(res.Body, maxBody))
	if err != nil && r.ctx.Err() == nil {
		out.err = err
	}
	out.duration = time.Since(start)
	r.ok.Add(1)
	return out
}

// sendVia sends a request through a source's transport.
func (r *run) sendVia(ctx context.Context, tr Transport, q *request) *response {
	start := time.Now()
	rep, err := tr.Send(ctx, &Request{Method: q.method, URL: q.url, Header: q.header.Clone(), Body: q.body})
	out := &response{duration: time.Since(start)}
	if err != nil {
		r.failed.Add(1)
		out.err = err
		out.timedOut = errors.Is(err, context.DeadlineExceeded) && r.ctx.Err() == nil
		return out
	}
	out.status, out.header, out.body = rep.Status, rep.Header, rep.Body
	if out.header == nil {
		out.header = http.Header{}
	}
	if len(out.body) > maxBody {
		out.body = out.body[:maxBody]
	}
	r.ok.Add(1)
	return out
}

// operation is one seed, built.
type operation struct {
	name     string // METHOD /path, the fingerprint's operation
	seedID   string
	base     *request
	query    url.Values
	rawURL   *url.URL
	jsonBody any      // the body decoded, when it is JSON
	fixed    []string // top-level body fields left alone
	// template is the URL before its path parameters (pathParams) were
	// put in; xmlText are the byte ranges of an XML body's text nodes.
	template   string
	pathParams map[string]string
	xmlText    [][2]int
	spec       *specOp
	baseline   *response
}

// operations builds the seeds (from the spec when there are none).
func (r *run) operations() ([]*operation, []string, error) {
	var spec *specDoc
	if len(r.cfg.OpenAPISpec) > 0 {
		var err error
		if spec, err = loadSpec(r.cfg.OpenAPISpec); err != nil {
			return nil, nil, err
		}
	}
	seeds := r.cfg.Seeds
	if len(seeds) == 0 && spec != nil {
		seeds = spec.seeds()
	}
	var ops []*operation
	var warnings []string
	for _, s := range seeds {
		o := r.cfg.Options
		if route := seedRoute(s); (len(o.IncludeRoutes) > 0 && !routeMatch(o.IncludeRoutes, route)) || routeMatch(o.ExcludeRoutes, route) {
			continue
		}
		op, err := r.build(s)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("seed %q: %v", s.ID, err))
			continue
		}
		if spec != nil {
			op.spec = spec.find(op.base.method, op.rawURL.Path)
		}
		ops = append(ops, op)
	}
	if len(ops) == 0 {
		return nil, warnings, errors.New("no seed request could be built: " + strings.Join(warnings, "; "))
	}
	return ops, warnings, nil
}

// seedRoute is the path a seed names, as written.
func seedRoute(s Seed) string {
	if s.Path != "" {
		return "/" + strings.TrimLeft(s.Path, "/")
	}
	if u, err := url.Parse(s.URL); err == nil {
		return u.Path
	}
	return s.URL
}

// build makes a seed's request.
func (r *run) build(s Seed) (*operation, error) {
	method := strings.ToUpper(s.Method)
	if method == "" {
		method = http.MethodGet
	}
	raw := s.URL
	if raw == "" {
		raw = strings.TrimRight(r.cfg.TargetBaseURL, "/") + "/" + strings.TrimLeft(s.Path, "/")
	} else if !strings.Contains(raw, "://") {
		raw = strings.TrimRight(r.cfg.TargetBaseURL, "/") + "/" + strings.TrimLeft(raw, "/")
	}
	template := raw
	raw = withPathParams(template, s.PathParams)
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https" && r.cfg.Transports.of(raw) == nil) || u.Host == "" {
		return nil, fmt.Errorf("url %q: an http or https URL with a host is needed", raw)
	}
	q := u.Query()
	for k, v := range s.QueryParams {
		q.Set(k, v)
	}
	h := http.Header{}
	for k, v := range r.cfg.Options.CustomHeaders {
		h.Set(k, v)
	}
	for k, v := range s.Headers {
		h.Set(k, v)
	}
	if a := r.cfg.Options.AuthHeader; a != "" && h.Get("Authorization") == "" {
		h.Set("Authorization", a)
	}
	body := []byte(s.Body)
	if len(body) > 0 {
		ct := s.ContentType
		if ct == "" && json.Valid(body) {
			ct = "application/json"
		}
		if ct != "" && h.Get("Content-Type") == "" {
			h.Set("Content-Type", ct)
		}
	}
	op := &operation{name: method + " " + u.Path, seedID: s.ID, query: q, rawURL: u, fixed: s.Fixed, template: template, pathParams: s.PathParams}
	if s.Operation != "" {
		op.name = s.Operation
	}
	u2 := *u
	u2.RawQuery = q.Encode()
	op.base = &request{method: method, url: u2.String(), header: h, body: body}
	if len(body) > 0 && json.Valid(body) {
		_ = json.Unmarshal(body, &op.jsonBody)
	} else if isXML(h.Get("Content-Type"), body) {
		op.xmlText = xmlTextRanges(body)
	}
	return op, nil
}

// withQuery is the operation's request with one query value replaced.
func (op *operation) withQuery(name, value string) *request {
	q := url.Values{}
	for k, v := range op.query {
		q[k] = append([]string(nil), v...)
	}
	q.Set(name, value)
	u := *op.rawURL
	u.RawQuery = q.Encode()
	c := op.base.clone()
	c.url = u.String()
	return c
}

// withJSON is the operation's request with the body value at path replaced.
func (op *operation) withJSON(path []string, value any) *request {
	doc := setJSON(cloneJSON(op.jsonBody), path, value)
	b, _ := json.Marshal(doc)
	c := op.base.clone()
	c.body = b
	return c
}

// withoutJSON is the operation's request with the body field at path
// left out.
func (op *operation) withoutJSON(path []string) *request {
	doc := cloneJSON(op.jsonBody)
	if parent, ok := walkJSON(doc, path[:len(path)-1]); ok {
		if obj, isObj := parent.(map[string]any); isObj {
			delete(obj, path[len(path)-1])
		}
	}
	b, _ := json.Marshal(doc)
	c := op.base.clone()
	c.body = b
	return c
}

// walkJSON is the value at path in doc.
func walkJSON(doc any, path []string) (any, bool) {
	for _, k := range path {
		switch x := doc.(type) {
		case map[string]any:
			v, ok := x[k]
			if !ok {
				return nil, false
			}
			doc = v
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			doc = x[i]
		default:
			return nil, false
		}
	}
	return doc, true
}

// points are the operation's insertion points: query values and JSON
// body leaves, with their current values.
type point struct {
	name  string // "query q", "body $.quantity"
	value any
	set   func(v any) *request
}

func (op *operation) points() []point {
	var out []point
	keys := make([]string, 0, len(op.query))
	for k := range op.query {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if strings.HasPrefix(op.rawURL.Scheme, "amqp") {
		keys = nil // an AMQP URL's query is where to publish, not input
	}
	for _, k := range keys {
		name := k
		out = append(out, point{name: "query " + k, value: op.query.Get(k), set: func(v any) *request { return op.withQuery(name, text(v)) }})
	}
	for _, p := range jsonLeaves(op.jsonBody, nil) {
		path := p.path
		if len(path) > 0 && slices.Contains(op.fixed, path[0]) {
			continue
		}
		out = append(out, point{name: "body $." + strings.Join(path, "."), value: p.value,
			set: func(v any) *request { return op.withJSON(path, v) }})
	}
	return append(out, op.morePoints()...)
}

func text(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// tasks are the operation's probes: the credential checks, the boolean
// pairs and one request per payload and insertion point (fast), and the
// time-based SQL checks (slow: they wait on the target). The credential
// checks run when their category is on and the original request is
// answered 2xx: auth_bypass with options.authHeader, jwt_none_alg when
// the request carries a signed bearer JWT (from the seed or authHeader).
func (r *run) tasks(op *operation) (slow, fast []func()) {
	b := op.baseline
	if b == nil || b.err != nil {
		return nil, nil
	}
	accepted := b.status >= 200 && b.status < 300
	if r.cats["auth_bypass"] && r.cfg.Options.AuthHeader != "" && accepted {
		fast = append(fast, func() { r.authCheck(op) })
	}
	if tok, ok := bearerJWT(op.base.header.Get("Authorization")); ok && r.cats["jwt_none_alg"] && accepted &&
		tok.signature != "" && !strings.EqualFold(tok.alg, "none") {
		fast = append(fast, func() { r.jwtCheck(op, tok) })
	}
	timed := r.cfg.Options.TimeoutPerReq >= 3*sleepDelay
	if r.cats["xxe"] && r.cfg.Canary != nil && len(op.xmlText) > 0 {
		fast = append(fast, func() { r.xxeProbe(op) })
	}
	if r.cats["schema_violation"] {
		for _, pr := range r.schemaProbes(op) {
			fast = append(fast, func() { r.probe(pr) })
		}
	}
	for _, p := range op.points() {
		if r.cats["sqli"] {
			if s, ok := p.value.(string); ok {
				fast = append(fast, func() { r.booleanCheck(op, p, s) })
				if timed {
					slow = append(slow, func() { r.timeCheck(op, p, s) })
				}
			}
		}
		for _, cat := range Categories() {
			if !r.cats[cat] {
				continue
			}
			if cat == "type_confusion" || cat == "schema_violation" {
				for _, v := range typeConfusions {
					if sameJSONType(v, p.value) || !strings.HasPrefix(p.name, "body") {
						continue
					}
					fast = append(fast, func() {
						q := p.set(v)
						r.probe(&probe{op: op, req: q, category: cat, mutation: fmt.Sprintf("%s: %s", p.name, text(v)),
							invalid: op.spec != nil})
					})
				}
				continue
			}
			for _, payload := range payloadLists[cat] {
				fast = append(fast, func() {
					pr := &probe{op: op, category: cat}
					pl := payload
					if strings.Contains(pl, markerPH) {
						pr.marker = fmt.Sprintf("mkz%dq", r.seq.Add(1))
						pl = strings.ReplaceAll(pl, markerPH, pr.marker)
					}
					if strings.Contains(pl, canaryPH) {
						if r.cfg.Canary == nil {
							return
						}
						pr.token = fmt.Sprintf("c%d", r.seq.Add(1))
						pl = strings.ReplaceAll(pl, canaryPH, r.cfg.Canary.URL(pr.token))
					}
					pr.payload = pl
					pr.mutation = p.name + ": " + pl
					pr.req = p.set(pl)
					r.probe(pr)
				})
			}
		}
	}
	return slow, fast
}

// probe is one mutated request and what it was for.
type probe struct {
	op       *operation
	req      *request
	category string
	payload  string
	mutation string
	marker   string // unique text an XSS payload carries
	token    string // the canary token an SSRF payload points at
	invalid  bool   // the value breaks the declared type: accepting it is a finding
	valid    bool   // the value fits the description: refusing it is a finding
}

func (r *run) probe(p *probe) {
	res := r.send(p.req)
	if res == nil {
		return
	}
	r.judge(p, res)
}

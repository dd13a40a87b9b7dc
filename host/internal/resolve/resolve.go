// Package resolve is the one pipeline every protocol goes through:
// match -> extract -> render -> log. It keeps the index in step with the
// database and persists counters, logs and unmatched requests in the
// background, so answering a request never waits for the database.
package resolve

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/mockarty-oss/mockarty/host/internal/match"
	"github.com/mockarty-oss/mockarty/host/internal/metrics"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/render"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/host/internal/templatefiles"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/outbound"
)

// Resolver answers requests from the in-memory index.
type Resolver struct {
	Index   *match.Index
	Stores  *Stores
	Metrics *metrics.Metrics

	st       *store.Store
	client   *http.Client
	tpl      *templatefiles.Dir
	log      hclog.Logger
	logLimit int

	quit chan struct{}
	wg   sync.WaitGroup

	// Request logs and unmatched requests wait here and are written in
	// batches: a flood of requests costs memory bounded by the log limit
	// per mock and the number of distinct unmatched requests, never a
	// database write per request.
	pendingMu    sync.Mutex
	pendingLogs  map[string][]pendingLog
	pendingUndef map[string]*store.UndefinedRequest
	droppedUndef int64

	persistedMu sync.Mutex
	persisted   map[string]int64 // use counters as last written

	namespaces sync.Map // created namespaces, for /stubs routing and metric labels

	hooks  chan func() // async webhooks
	hookWG sync.WaitGroup

	watchMu  sync.Mutex
	watchers map[*sdk.Topics]struct{} // plugins watching mock and document changes
}

// Options configure a Resolver.
type Options struct {
	Store     *store.Store
	Templates *templatefiles.Dir
	Logger    hclog.Logger
	LogLimit  int
	// AllowPrivate lets webhooks reach private and loopback addresses.
	AllowPrivate bool
}

// New builds a resolver and loads every live mock into the index.
func New(ctx context.Context, o Options) (*Resolver, error) {
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	r := &Resolver{st: o.Store, client: outbound.NewClient(o.AllowPrivate), tpl: o.Templates, log: o.Logger, logLimit: o.LogLimit,
		quit: make(chan struct{}), persisted: map[string]int64{},
		pendingLogs: map[string][]pendingLog{}, pendingUndef: map[string]*store.UndefinedRequest{}}
	r.Index = match.NewIndex(compileMock)
	r.Metrics = metrics.New(func() float64 { return float64(r.Index.Len()) })
	stores, err := NewStores(ctx, o.Store, o.Logger.Named("stores"))
	if err != nil {
		return nil, fmt.Errorf("load stores: %w", err)
	}
	r.Stores = stores
	r.Stores.metrics = r.Metrics
	mocks, _, err := o.Store.ListMocks(ctx, store.MockFilter{})
	if err != nil {
		return nil, err
	}
	if err := r.Index.Load(mocks); err != nil {
		return nil, err
	}
	for _, m := range mocks {
		r.persisted[m.ID] = m.UseCounter
	}
	names, err := o.Store.Namespaces(ctx)
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		r.AddNamespace(n)
	}
	r.startWebhookWorkers()
	r.wg.Add(1)
	go r.flusher()
	return r, nil
}

// Close flushes counters, logs and store writes.
func (r *Resolver) Close() {
	close(r.hooks)
	r.hookWG.Wait()
	close(r.quit)
	r.wg.Wait()
	r.flushCounters()
	r.flushRings(r.Index.Entries())
	r.flushPending()
	r.Stores.Close()
}

func (r *Resolver) flusher() {
	defer r.wg.Done()
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for tick := 1; ; tick++ {
		select {
		case <-t.C:
			// Counters and request logs are written once a second: a ring
			// keeps only the newest REPO_LOG_LIMIT calls of each mock, so a
			// longer interval writes fewer rows under load (profiled: with
			// 1,000 mocks called at random the writes were half the host's
			// CPU at 250 ms). Unmatched requests and TTLs keep 250 ms.
			if tick%4 == 0 {
				r.flushCounters()
				r.flushRings(r.Index.Entries())
			}
			r.flushPending()
			r.expire()
		case <-r.quit:
			return
		}
	}
}

func (r *Resolver) flushCounters() {
	var list []store.Usage
	r.persistedMu.Lock()
	for _, e := range r.Index.Entries() {
		n := e.Usage.Count.Load()
		if old, ok := r.persisted[e.Mock.ID]; ok && old == n {
			continue
		}
		list = append(list, store.Usage{ID: e.Mock.ID, Counter: n, LastUse: e.Usage.LastUse.Load()})
	}
	r.persistedMu.Unlock()
	if len(list) == 0 {
		return
	}
	// One transaction for every counter that moved since the last flush.
	if _, err := r.st.SetUsages(context.Background(), list); err != nil {
		r.log.Error("persist use counters", "mocks", len(list), "error", err)
		return
	}
	r.persistedMu.Lock()
	for _, u := range list {
		r.persisted[u.ID] = u.Counter
	}
	r.persistedMu.Unlock()
}

// expire soft-deletes mocks whose ttl has run out, in the database and the index.
func (r *Resolver) expire() {
	now := time.Now().UnixMilli()
	var ids []string
	for _, e := range r.Index.Entries() {
		if e.Mock.ExpireAt > 0 && e.Mock.ExpireAt <= now {
			ids = append(ids, e.Mock.ID)
		}
	}
	if len(ids) == 0 {
		return
	}
	if _, err := r.st.SoftDeleteMocks(context.Background(), ids); err != nil {
		r.log.Error("expire mocks", "error", err)
		return
	}
	r.Removed(ids...)
	r.log.Debug("expired mocks", "ids", ids)
}

// Changed keeps the index in step after a write to the database.
func (r *Resolver) Changed(mocks ...*model.Mock) {
	defer r.notifyMocks(mocks)
	for _, m := range mocks {
		if err := r.Index.Upsert(m); err != nil {
			r.log.Error("index mock", "mock", m.ID, "error", err)
			r.Index.Remove(m.ID)
			continue
		}
		r.persistedMu.Lock()
		r.persisted[m.ID] = m.UseCounter
		r.persistedMu.Unlock()
	}
}

// Edited keeps the index in step after a change that keeps usage (patch,
// tags, folder): live counters carry over.
func (r *Resolver) Edited(mocks ...*model.Mock) {
	defer r.notifyMocks(mocks)
	for _, m := range mocks {
		if err := r.Index.Edit(m); err != nil {
			r.log.Error("index mock", "mock", m.ID, "error", err)
			r.Index.Remove(m.ID)
		}
	}
}

// Removed drops mocks from the index.
func (r *Resolver) Removed(ids ...string) {
	var gone []*model.Mock
	for _, id := range ids {
		if m := r.Index.Get(id); m != nil {
			gone = append(gone, m)
		}
		r.Index.Remove(id)
	}
	r.notifyMocks(gone)
}

// Notify tells the plugins watching these topics (sdk.MocksTopic,
// sdk.DocumentsTopic) that they changed.
func (r *Resolver) Notify(topics ...string) {
	r.watchMu.Lock()
	defer r.watchMu.Unlock()
	for t := range r.watchers {
		t.Add(topics...)
	}
}

func (r *Resolver) notifyMocks(mocks []*model.Mock) {
	seen := map[string]bool{}
	var topics []string
	for _, m := range mocks {
		if p := m.Protocol(); !seen[p] {
			seen[p] = true
			topics = append(topics, sdk.MocksTopic(p))
		}
	}
	if len(topics) > 0 {
		r.Notify(topics...)
	}
}

// watch registers a watcher until ctx ends.
func (r *Resolver) watch(ctx context.Context, topics []string) <-chan []string {
	t := sdk.NewTopics(topics)
	r.watchMu.Lock()
	if r.watchers == nil {
		r.watchers = map[*sdk.Topics]struct{}{}
	}
	r.watchers[t] = struct{}{}
	r.watchMu.Unlock()
	go func() {
		<-ctx.Done()
		r.watchMu.Lock()
		delete(r.watchers, t)
		r.watchMu.Unlock()
	}()
	return t.Channel(ctx)
}

// compiled is what the index keeps per mock for rendering.
type compiled struct {
	responses []*compiledResponse
	// needsRequest: templates, webhooks or extraction may read headers or query.
	needsRequest bool
	extract      *compiledExtract
	logs         logRing
}

type compiledResponse struct {
	src     *model.ContentResponse
	payload *render.Template
	headers map[string][]*render.Template
}

func compileMock(m *model.Mock) (any, error) {
	c := &compiled{}
	add := func(r *model.ContentResponse) error {
		cr := &compiledResponse{src: r}
		if len(r.Payload) > 0 && r.Decode != "base64" {
			t, err := render.CompileJSON(r.Payload)
			if err != nil {
				return err
			}
			cr.payload = t
		}
		if len(r.Headers) > 0 {
			cr.headers = map[string][]*render.Template{}
			for k, vals := range r.Headers {
				for _, v := range vals {
					t, err := render.CompileText(v)
					if err != nil {
						return err
					}
					cr.headers[k] = append(cr.headers[k], t)
				}
			}
		}
		c.responses = append(c.responses, cr)
		return nil
	}
	if m.Response != nil {
		if err := add(m.Response); err != nil {
			return nil, err
		}
	}
	if m.OneOf != nil {
		for i := range m.OneOf.Responses {
			if err := add(&m.OneOf.Responses[i]); err != nil {
				return nil, err
			}
		}
	}
	for _, cr := range c.responses {
		if (cr.payload != nil && cr.payload.Dynamic()) || len(cr.headers) > 0 || cr.src.PayloadTemplatePath != "" {
			c.needsRequest = true
		}
	}
	if m.Extract != nil || len(m.Webhooks) > 0 {
		c.needsRequest = true
	}
	x, err := compileExtract(m.Extract)
	if err != nil {
		return nil, err
	}
	c.extract = x
	return c, nil
}

// Rendered is the response a matched mock gives.
type Rendered struct {
	Status   int
	Headers  map[string][]string
	Body     []byte
	IsText   bool
	Delay    time.Duration
	Error    string
	Response *model.ContentResponse
	Proxy    *model.Proxy
}

// pick chooses the response of a matched entry (response, or oneOf in turn or at random).
func pick(e *match.Entry) *compiledResponse {
	c, _ := e.Compiled.(*compiled)
	if c == nil || len(c.responses) == 0 {
		return nil
	}
	if e.Mock.OneOf == nil {
		return c.responses[0]
	}
	n := int64(len(c.responses))
	if e.Mock.OneOf.Order == "random" {
		return c.responses[rand.Int64N(n)]
	}
	i := e.Usage.OneOfPos.Add(1) - 1
	return c.responses[((i%n)+n)%n]
}

// renderResponse renders a chosen response for one request.
func (r *Resolver) renderResponse(e *match.Entry, cr *compiledResponse, d *render.Data) *Rendered {
	out := &Rendered{}
	r.renderInto(out, e, cr, d)
	return out
}

// renderInto renders a chosen response into out.
func (r *Resolver) renderInto(out *Rendered, e *match.Entry, cr *compiledResponse, d *render.Data) {
	out.Proxy = e.Mock.Proxy
	if cr == nil {
		return
	}
	src := cr.src
	out.Response = src
	out.Status = src.StatusCode
	out.Delay = time.Duration(src.Delay) * time.Millisecond
	out.Error = src.Error
	switch {
	case src.PayloadTemplatePath != "":
		var found bool
		out.Body, out.IsText, found = r.renderTemplateFile(e.Mock.Namespace, src.PayloadTemplatePath, d)
		if !found {
			// The mock names a template nobody uploaded: say so, as a server-side fault.
			out.Status, out.Headers = http.StatusInternalServerError, nil
			return
		}
	case src.Decode == "base64":
		var s string
		_ = json.Unmarshal(src.Payload, &s)
		b, err := base64.StdEncoding.DecodeString(s)
		if err == nil {
			out.Body, out.IsText = b, true
		}
	case cr.payload != nil:
		out.Body, out.IsText = cr.payload.Render(d), cr.payload.IsText()
	}
	if len(cr.headers) > 0 {
		out.Headers = make(map[string][]string, len(cr.headers))
		for k, ts := range cr.headers {
			for _, t := range ts {
				out.Headers[k] = append(out.Headers[k], string(t.Render(d)))
			}
		}
	}
}

// renderTemplateFile applies the same substitution as an inline payload; the
// result is JSON when it parses, text otherwise (model.md section 9).
func (r *Resolver) renderTemplateFile(ns, name string, d *render.Data) (body []byte, text, found bool) {
	b, err := r.readTemplate(ns, name)
	if err != nil {
		r.log.Warn("payload template missing", "namespace", ns, "template", name, "error", err)
		msg, _ := json.Marshal(map[string]string{"error": fmt.Sprintf("payload template %q not found in namespace %q", name, ns), "code": "template_not_found"})
		return msg, false, false
	}
	t, err := render.CompileAny(b)
	if err != nil {
		return b, !json.Valid(b), true
	}
	return t.Render(d), t.IsText(), true
}

// readTemplate reads a template of the namespace, then of the default namespace.
func (r *Resolver) readTemplate(ns, name string) ([]byte, error) {
	name = model.TemplateName(name)
	if r.tpl == nil {
		return nil, os.ErrNotExist
	}
	b, err := r.tpl.Read(ns, name)
	if err != nil && ns != model.DefaultNamespace {
		b, err = r.tpl.Read(model.DefaultNamespace, name)
	}
	return b, err
}

// FileReader gives conditions access to valueFromFile templates.
func (r *Resolver) FileReader() match.FileReader {
	return func(ns, name string) ([]byte, error) { return r.readTemplate(ns, name) }
}

// extract runs the mock's extract block into the stores, before rendering,
// so the response can read what this very request stored.
func (r *Resolver) extract(e *match.Entry, d *render.Data, v *view) {
	c, _ := e.Compiled.(*compiled)
	if c == nil || c.extract == nil {
		return
	}
	m := e.Mock
	for k, t := range c.extract.mStore {
		v.mock[k] = t.Value(d)
	}
	// Each store is updated under its own lock, so read-modify-write values
	// such as $.increment($.gS.n || 0) count every request.
	if len(c.extract.gStore) > 0 {
		r.Stores.Update(m.Namespace, "", func(set func(key string, v any)) {
			for k, t := range c.extract.gStore {
				set(k, t.Value(d))
			}
		})
	}
	if m.ChainID != "" && len(c.extract.cStore) > 0 {
		r.Stores.Update(m.Namespace, m.ChainID, func(set func(key string, v any)) {
			for k, t := range c.extract.cStore {
				set(k, t.Value(d))
			}
		})
	}
}

// compiledExtract holds a mock's extract values, compiled once.
type compiledExtract struct {
	mStore, cStore, gStore map[string]*render.Template
}

func compileExtract(x *model.Extract) (*compiledExtract, error) {
	if x == nil {
		return nil, nil
	}
	one := func(in map[string]json.RawMessage) (map[string]*render.Template, error) {
		out := make(map[string]*render.Template, len(in))
		for k, raw := range in {
			t, err := render.CompileJSON(raw)
			if err != nil {
				return nil, fmt.Errorf("extract %s: %w", k, err)
			}
			out[k] = t
		}
		return out, nil
	}
	var c compiledExtract
	var err error
	if c.mStore, err = one(x.MStore); err != nil {
		return nil, err
	}
	if c.cStore, err = one(x.CStore); err != nil {
		return nil, err
	}
	if c.gStore, err = one(x.GStore); err != nil {
		return nil, err
	}
	return &c, nil
}

func (r *Resolver) newView(m *model.Mock) *view {
	v := &view{}
	r.fillView(v, m)
	return v
}

// fillView prepares the stores a request of mock m sees; the mock store is
// a fresh copy of the mock's mStore, so requests never share it.
func (r *Resolver) fillView(v *view, m *model.Mock) {
	v.s, v.ns, v.chain = r.Stores, m.Namespace, m.ChainID
	if len(m.MStore) == 0 && (m.Extract == nil || len(m.Extract.MStore) == 0) {
		return
	}
	v.mock = map[string]any{}
	for k, raw := range m.MStore {
		var val any
		if json.Unmarshal(raw, &val) == nil {
			v.mock[k] = val
		}
	}
}

// Bounds on what unmatched requests and request logs may hold in memory.
const (
	maxPendingUndefined = 2000     // distinct unmatched requests between flushes
	maxLoggedBody       = 64 << 10 // bytes of a body kept in a request log
	maxUndefinedBody    = 16 << 10 // bytes of a body kept for an unmatched request
	maxUndefinedRows    = 10000    // unmatched requests kept in the database
)

// truncate cuts s to n bytes, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "...(truncated)"
}

// pendingLog is a call waiting to be logged; it is encoded only if it is
// still among the newest when the flush comes.
type pendingLog struct {
	at, seq   int64
	req, resp any
}

// logCall keeps a request log for the next flush (the newest logLimit per mock).
func (r *Resolver) logCall(mockID string, req any, resp any) {
	l := pendingLog{at: time.Now().UnixMilli(), seq: store.NextLogSeq(), req: req, resp: resp}
	r.pendingMu.Lock()
	list := append(r.pendingLogs[mockID], l)
	if r.logLimit > 0 && len(list) > r.logLimit {
		list = append(list[:0:0], list[len(list)-r.logLimit:]...)
	}
	r.pendingLogs[mockID] = list
	r.pendingMu.Unlock()
}

// recordUndefined counts an unmatched request for the next flush.
func (r *Resolver) recordUndefined(u store.UndefinedRequest) {
	u.LastSeen = time.Now().UnixMilli()
	u.Body, u.Headers = truncate(u.Body, maxUndefinedBody), truncate(u.Headers, maxUndefinedBody)
	if !json.Valid([]byte(u.Headers)) {
		u.Headers = "{}"
	}
	key := u.Namespace + "\x00" + u.Protocol + "\x00" + u.Method + "\x00" + u.Path
	r.pendingMu.Lock()
	defer r.pendingMu.Unlock()
	if p, ok := r.pendingUndef[key]; ok {
		p.Count++
		p.LastSeen, p.Body, p.Headers = u.LastSeen, u.Body, u.Headers
		return
	}
	if len(r.pendingUndef) >= maxPendingUndefined {
		r.droppedUndef++
		return
	}
	u.Count, u.FirstSeen = 1, u.LastSeen
	r.pendingUndef[key] = &u
}

// flushPending writes the waiting request logs and unmatched requests.
func (r *Resolver) flushPending() {
	r.pendingMu.Lock()
	logs, undef, dropped := r.pendingLogs, r.pendingUndef, r.droppedUndef
	if len(logs) == 0 && len(undef) == 0 && dropped == 0 {
		r.pendingMu.Unlock()
		return
	}
	r.pendingLogs, r.pendingUndef, r.droppedUndef = map[string][]pendingLog{}, map[string]*store.UndefinedRequest{}, 0
	r.pendingMu.Unlock()
	ctx := context.Background()
	for id, list := range logs {
		for _, p := range list {
			reqB, _ := json.Marshal(p.req)
			respB, _ := json.Marshal(p.resp)
			l := store.RequestLog{CalledAt: p.at, Seq: p.seq, Req: reqB, Response: respB}
			if err := r.st.AppendMockLog(ctx, id, l, r.logLimit); err != nil {
				r.log.Debug("persist request log", "mock", id, "error", err)
				break
			}
		}
	}
	for _, u := range undef {
		if _, err := r.st.RecordUndefined(ctx, *u); err != nil {
			r.log.Error("record undefined request", "error", err)
		}
	}
	if len(undef) > 0 {
		if n, err := r.st.PruneUndefined(ctx, maxUndefinedRows); err != nil {
			r.log.Error("prune undefined requests", "error", err)
		} else if n > 0 {
			r.log.Debug("pruned old undefined requests", "count", n)
		}
	}
	if dropped > 0 {
		r.log.Warn("too many distinct unmatched requests between flushes; some were not recorded", "dropped", dropped)
	}
}

// decodeBody reads a body as JSON when it parses, as text otherwise.
func decodeBody(b []byte) any {
	t := bytes.TrimSpace(b)
	if len(t) == 0 {
		return nil
	}
	if t[0] == '{' || t[0] == '[' || t[0] == '"' || json.Valid(t) {
		dec := json.NewDecoder(bytes.NewReader(t))
		var v any
		if err := dec.Decode(&v); err == nil && !dec.More() {
			return v
		}
	}
	return string(b)
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// metricNamespace keeps metric labels to namespaces that exist: a request
// naming any other counts under "_other", so callers cannot grow the series.
func (r *Resolver) metricNamespace(ns string) string {
	if r.KnownNamespace(ns) {
		return ns
	}
	return metrics.OtherNamespace
}

// KnownNamespace reports a namespace that has mocks or was created.
func (r *Resolver) KnownNamespace(ns string) bool {
	if ns == model.DefaultNamespace || r.Index.HasNamespace(ns) {
		return true
	}
	_, ok := r.namespaces.Load(ns)
	return ok
}

// AddNamespace records a namespace created without mocks.
func (r *Resolver) AddNamespace(ns string) { r.namespaces.Store(ns, struct{}{}) }

// ChainCleared forgets a chain store that the database no longer has.
func (r *Resolver) ChainCleared(namespace, chainID string) { r.Stores.DropChain(namespace, chainID) }

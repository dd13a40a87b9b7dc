// Package resolve is the one pipeline every protocol goes through:
// match -> extract -> render -> log. It keeps the index in step with the
// database. What changes how mocks answer (store writes, counters of
// limited mocks) is durable before a response is sent, through a group
// commit; the request journal (logs, unmatched requests, other counters)
// is written in batches every 100 ms and read through at once.
package resolve

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/go-hclog"
	"github.com/mockarty-oss/mockarty/host/internal/jpath"
	"github.com/mockarty-oss/mockarty/host/internal/match"
	"github.com/mockarty-oss/mockarty/host/internal/metrics"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/render"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/host/internal/templatefiles"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/outbound"
	"github.com/mockarty-oss/mockarty/sdk/pluginhost"
)

// Resolver answers requests from the in-memory index.
type Resolver struct {
	Index   *match.Index
	Stores  *Stores
	Metrics *metrics.Metrics

	recent recent // the newest HTTP requests, whole (the /__admin journal)

	st       *store.Store
	client   *http.Client
	tpl      *templatefiles.Dir
	log      hclog.Logger
	logLimit int

	dur     *durable // group commit of store writes and limited counters
	journal *journal // request logs, unmatched requests, other counters
	// usageMu orders counter writes with index changes: a counter is read
	// and written under it, and a change of the index writes the counter
	// the new entry starts from, so a write of a replaced entry's counter
	// never lands over it.
	usageMu     sync.Mutex
	expireTicks int // journal ticks, counted by expire (one goroutine)

	namespaces sync.Map // created namespaces, for /stubs routing and metric labels

	hooks  chan func() // async webhooks
	hookWG sync.WaitGroup

	watchMu  sync.Mutex
	watchers map[*pluginhost.Topics]struct{} // plugins watching mock and document changes

	serverDir atomic.Pointer[serverDir] // the listeners' servers (SetServers)

	specs specCache // OpenAPI descriptions HTTP mocks validate requests against

	cache     *pluginhost.ReplyCache // the plugins' reply caches (see static)
	cacheStop context.CancelFunc
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
	r := &Resolver{st: o.Store, client: outbound.NewClient(o.AllowPrivate), tpl: o.Templates, log: o.Logger, logLimit: o.LogLimit}
	r.Index = match.NewIndex(r.compileMock)
	cctx, stop := context.WithCancel(context.Background())
	r.cache, r.cacheStop = pluginhost.NewReplyCache(cctx), stop
	r.cache.OnTimeout = func(err error) { r.log.Warn("plugin reply cache", "error", err) }
	r.Metrics = metrics.New(func() float64 { return float64(r.Index.Len()) })
	r.Metrics.CountReplyCacheHits(r.cache.Hits)
	r.dur = newDurable(o.Store, o.Logger.Named("durable"), &r.usageMu)
	r.dur.metrics, r.dur.index = r.Metrics, r.Index
	r.journal = newJournal(o.Store, o.Logger.Named("journal"), r.Index, &r.usageMu, o.LogLimit)
	r.journal.metrics = r.Metrics
	fail := func() { r.dur.close(); stop() } // what New started
	stores, err := NewStores(ctx, o.Store, o.Logger.Named("stores"), r.dur)
	if err != nil {
		fail()
		return nil, fmt.Errorf("load stores: %w", err)
	}
	r.Stores = stores
	r.Stores.metrics = r.Metrics
	mocks, _, err := o.Store.ListMocks(ctx, store.MockFilter{})
	if err != nil {
		fail()
		return nil, err
	}
	if err := r.Index.Load(mocks); err != nil {
		fail()
		return nil, err
	}
	names, err := o.Store.Namespaces(ctx)
	if err != nil {
		fail()
		return nil, err
	}
	for _, n := range names {
		r.AddNamespace(n)
	}
	r.startWebhookWorkers()
	r.journal.start(r.expire)
	return r, nil
}

// Close writes what is journalled and pending, then stops the writers.
func (r *Resolver) Close() {
	r.cacheStop()
	close(r.hooks)
	r.hookWG.Wait()
	r.journal.close()
	r.dur.close()
}

// Sync writes the request journal now: the API calls it before it reads
// request logs, counters or unmatched requests, so a call is visible the
// moment its response was sent.
func (r *Resolver) Sync(ctx context.Context) error {
	// Calls the plugins answered from their reply caches first.
	if err := r.cache.Settle(ctx); err != nil {
		r.log.Warn("settle plugin reply caches", "error", err)
	}
	return r.journal.sync(ctx)
}

// SettleCaches returns once the plugins have reported the calls they
// answered from their reply caches so far and, when changed, have
// dropped every reply cached before now (the API calls it before each
// request, and with changed after each write).
func (r *Resolver) SettleCaches(ctx context.Context, changed bool) {
	if changed {
		r.cache.Invalidate()
	}
	if err := r.cache.Settle(ctx); err != nil {
		r.log.Warn("settle plugin reply caches", "error", err)
	}
}

// DeleteLogs runs del, which deletes the logs of a mock from the database
// (purge: the mock too), on the journal's goroutine after a flush and with
// the calls of the mock not yet written dropped: no flush can write them
// back after del.
func (r *Resolver) DeleteLogs(ctx context.Context, id string, purge bool, del func() error) error {
	var err error
	if jerr := r.journal.do(ctx, func() {
		r.journal.forget(id, purge)
		err = del()
	}); jerr != nil && !errors.Is(jerr, ErrNotSaved) {
		// The flush before del failed: del still ran, on what is stored.
		r.log.Debug("flush before deleting logs", "mock", id, "error", jerr)
	}
	return err
}

// used records a use of a matched mock. A limited mock's counter joins
// the group commit, and v waits for it before the response is sent; other
// counters go to the journal.
func (r *Resolver) used(e *match.Entry, v *view) {
	if e.Mock.UseLimiter > 0 {
		v.gen = later(v.gen, r.dur.use(e))
		return
	}
	r.journal.usedUnlimited(e)
}

// writeUsages writes counters now (an index change; r.usageMu held).
func (r *Resolver) writeUsages(list []store.Usage) {
	if len(list) == 0 {
		return
	}
	if err := r.st.SetUsages(context.Background(), list); err != nil {
		r.log.Warn("persist use counters", "mocks", len(list), "error", err)
		r.Metrics.PersistFailed("counters")
	}
}

func usageOf(e *match.Entry) store.Usage {
	return store.Usage{ID: e.Mock.ID, Counter: e.Usage.Count.Load(), LastUse: e.Usage.LastUse.Load()}
}

// expire soft-deletes mocks whose ttl has run out, in the database and the index.
func (r *Resolver) expire() {
	// Every third journal tick: a mock past its ttl is passed over at once
	// anyway (passOver), this only makes it a deleted mock.
	if r.expireTicks++; r.expireTicks%3 != 0 {
		return
	}
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

// Changed keeps the index in step after a write to the database. A mock
// that replaces one in the index starts from the counter it was saved
// with; that counter is written again, over any write of the old one that
// landed after the save.
func (r *Resolver) Changed(mocks ...*model.Mock) {
	defer r.notifyMocks(mocks)
	r.usageMu.Lock()
	defer r.usageMu.Unlock()
	var rewrite []store.Usage
	for _, m := range mocks {
		replaced := r.Index.Entry(m.ID) != nil
		if err := r.Index.Upsert(m); err != nil {
			r.log.Error("index mock", "mock", m.ID, "error", err)
			r.Index.Remove(m.ID)
			continue
		}
		if e := r.Index.Entry(m.ID); replaced && e != nil {
			rewrite = append(rewrite, usageOf(e))
		}
	}
	r.writeUsages(rewrite)
}

// Edited keeps the index in step after a change that keeps usage (patch,
// tags, folder): live counters carry over, and are written, since the
// saved copy may predate uses still in flight.
func (r *Resolver) Edited(mocks ...*model.Mock) {
	defer r.notifyMocks(mocks)
	r.usageMu.Lock()
	defer r.usageMu.Unlock()
	var rewrite []store.Usage
	for _, m := range mocks {
		if err := r.Index.Edit(m); err != nil {
			r.log.Error("index mock", "mock", m.ID, "error", err)
			r.Index.Remove(m.ID)
			continue
		}
		if e := r.Index.Entry(m.ID); e != nil {
			rewrite = append(rewrite, usageOf(e))
		}
	}
	r.writeUsages(rewrite)
}

// Removed drops mocks from the index, writing their live counters first,
// so a restored mock goes on from where it was.
func (r *Resolver) Removed(ids ...string) {
	var gone []*model.Mock
	var last []store.Usage
	r.usageMu.Lock()
	for _, id := range ids {
		if e := r.Index.Entry(id); e != nil {
			gone = append(gone, e.Mock)
			last = append(last, usageOf(e))
		}
		r.Index.Remove(id)
		// Its calls not yet written are flushed from the ring all the same
		// (a ring with calls is on the journal's list); a restored mock
		// starts a new one.
		r.journal.rings.Delete(id)
	}
	r.writeUsages(last)
	r.usageMu.Unlock()
	r.notifyMocks(gone)
}

// Notify tells the plugins watching these topics (sdk.MocksTopic,
// sdk.DocumentsTopic) that they changed.
func (r *Resolver) Notify(topics ...string) {
	r.cache.Invalidate() // what answers depend on changed
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
	t := pluginhost.NewTopics(topics)
	r.watchMu.Lock()
	if r.watchers == nil {
		r.watchers = map[*pluginhost.Topics]struct{}{}
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
	// needsRequest: templates (the response's, Kafka's output key and
	// headers), webhooks or extraction may read the body, headers or query.
	needsRequest bool
	extract      *compiledExtract
	logs         *logRing // the mock's calls, shared by its versions
	kafka        *compiledKafka
	// static: the mock answers every call it matches alike, and changes
	// nothing but its log and counters (no template, extract, webhook,
	// limit, ttl, proxy, oneOf, file or OpenAPI check), so a plugin may
	// answer the same call again from its reply cache.
	static bool
}

// compiledKafka holds a Kafka mock's output key and header templates.
type compiledKafka struct {
	key     *textOut
	headers map[string]*textOut
}

// textOut is an output value: a compiled template, or the text as written
// when it is not a valid template.
type textOut struct {
	t   *render.Template
	raw string
}

func newTextOut(s string) *textOut {
	t, err := render.CompileText(s)
	if err != nil {
		return &textOut{raw: s}
	}
	return &textOut{t: t}
}

func (o *textOut) dynamic() bool { return o.t != nil && o.t.Dynamic() }

func (o *textOut) render(d *render.Data) string {
	if o.t == nil {
		return o.raw
	}
	return string(o.t.Render(d))
}

// compileKafka compiles the output templates once, when the mock is saved.
func compileKafka(k *model.KafkaContext) *compiledKafka {
	if k == nil || (k.OutputKey == "" && len(k.OutputHeaders) == 0) {
		return nil
	}
	c := &compiledKafka{}
	if k.OutputKey != "" {
		c.key = newTextOut(k.OutputKey)
	}
	if len(k.OutputHeaders) > 0 {
		c.headers = make(map[string]*textOut, len(k.OutputHeaders))
		for name, v := range k.OutputHeaders {
			c.headers[name] = newTextOut(v)
		}
	}
	return c
}

type compiledResponse struct {
	src     *model.ContentResponse
	payload *render.Template
	headers map[string][]*render.Template
	// chain holds the data templates of an SSE event chain's events, by
	// index (nil: an event without data, read from its templatePath, or
	// whose data is no template and is sent as written).
	chain []*render.Template
}

func (r *Resolver) compileMock(m *model.Mock) (any, error) {
	c := &compiled{logs: r.journal.ring(m.ID), kafka: compileKafka(m.Kafka)}
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
		if ch := r.SSEEventChain; ch != nil {
			cr.chain = make([]*render.Template, len(ch.Events))
			for i, ev := range ch.Events {
				if ev.TemplatePath == "" && len(ev.Data) > 0 {
					cr.chain[i], _ = render.CompileJSON(ev.Data)
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
	if m.Extract != nil || len(m.Webhooks) > 0 || c.kafka != nil {
		c.needsRequest = true
	}
	x, err := compileExtract(m.Extract)
	if err != nil {
		return nil, err
	}
	c.extract = x
	c.static = staticMock(m, c)
	return c, nil
}

// staticMock says whether m's answer to a call depends on the call alone
// (see compiled.static). Only the protocols whose finds are cached are
// considered: HTTP, gRPC and Kafka.
func staticMock(m *model.Mock, c *compiled) bool {
	if (m.HTTP == nil && m.GRPC == nil && m.Kafka == nil) || m.OneOf != nil || m.Proxy != nil || len(m.Webhooks) > 0 ||
		m.Extract != nil || m.TTL > 0 || m.ExpireAt > 0 || m.UseLimiter > 0 || m.ChainID != "" ||
		(m.HTTP != nil && m.HTTP.ValidateRequest != nil) {
		return false
	}
	for _, cr := range c.responses {
		if cr.src.PayloadTemplatePath != "" || cr.chain != nil || (cr.payload != nil && cr.payload.Dynamic()) {
			return false
		}
		for _, ts := range cr.headers {
			for _, t := range ts {
				if t.Dynamic() {
					return false
				}
			}
		}
	}
	if k := c.kafka; k != nil {
		if k.key != nil && k.key.dynamic() {
			return false
		}
		for _, h := range k.headers {
			if h.dynamic() {
				return false
			}
		}
	}
	if p := match.ProtocolOf(m); p != nil {
		for _, l := range p.Lists {
			list, _ := l.Of(m)
			for _, cond := range list {
				if cond.ValueFromFile != "" {
					return false
				}
			}
		}
	}
	return true
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

// Kind is what the body is, the one rule for the Content-Type a reply gets
// when its mock sets none (/stubs and every listener): JSON, text, or
// bytes that are not UTF-8 text (a decoded base64 payload, say).
func (out *Rendered) Kind() find.PayloadKind {
	switch {
	case !out.IsText:
		return find.PayloadJSON
	case utf8.Valid(out.Body):
		return find.PayloadText
	}
	return find.PayloadBinary
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
			// The mock names a template nobody uploaded, or its rendering is
			// over TEMPLATE_MAX_OUTPUT_MB: say so, as a server-side fault.
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
		body, err := cr.payload.RenderChecked(d)
		if oe, ok := err.(*render.OutputError); ok {
			// Larger than TEMPLATE_MAX_OUTPUT_MB: a server-side fault, said in the body.
			r.log.Warn("rendered response too large", "mock", e.Mock.ID, "error", err)
			out.Body, out.IsText, out.Status, out.Headers = oe.Document(), false, http.StatusInternalServerError, nil
			return
		}
		out.Body, out.IsText = body, cr.payload.IsText()
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
	out, err := t.RenderChecked(d)
	if oe, ok := err.(*render.OutputError); ok {
		r.log.Warn("rendered template too large", "namespace", ns, "template", name, "error", err)
		return oe.Document(), false, false
	}
	return out, t.IsText(), true
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
	// such as $.increment($.gS.n || 0) count every request; the view keeps
	// what this request wrote, so its response shows its own values.
	if len(c.extract.gStore) > 0 {
		v.gen = later(v.gen, r.Stores.Update(m.Namespace, "", func(set func(key string, v any) any) {
			for k, t := range c.extract.gStore {
				v.wrote("gS", k, set(k, t.Value(d)))
			}
		}))
	}
	if m.ChainID != "" && len(c.extract.cStore) > 0 {
		v.gen = later(v.gen, r.Stores.Update(m.Namespace, m.ChainID, func(set func(key string, v any) any) {
			for k, t := range c.extract.cStore {
				v.wrote("cS", k, set(k, t.Value(d)))
			}
		}))
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
	*v = view{s: r.Stores, ns: m.Namespace, chain: m.ChainID}
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

// decodeBody reads a body as JSON when it parses, as text otherwise. A body
// nested deeper than MAX_BODY_DEPTH stays text: the entry points refuse it,
// and no condition walks a tree that deep.
func decodeBody(b []byte) any {
	t := bytes.TrimSpace(b)
	if len(t) == 0 {
		return nil
	}
	if jpath.CheckDepth(t) != nil {
		return string(b)
	}
	if t[0] == '{' || t[0] == '[' || t[0] == '"' || json.Valid(t) {
		if v, err := decodeExact(t); err == nil {
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

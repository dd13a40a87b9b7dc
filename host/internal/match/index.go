package match

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mockarty-oss/mockarty/host/internal/model"
)

// Entry is one compiled mock in the index. The mock itself is read-only;
// counters that change per request are atomic.
type Entry struct {
	Mock     *model.Mock
	Lists    map[string][]*Condition // condition lists by context key ("conditions", "header", ...)
	Compiled any                     // what the resolver prepared for this mock
	// Usage is shared by the versions of an edited mock, so a use taken on
	// the old version while the new one is swapped in still counts.
	Usage *Usage

	fullRoute   string
	conditions  int // how many conditions: a more specific mock goes first
	paramNames  []string
	staticSegs  int
	routeRegexp *regexp.Regexp
}

// Usage counts the uses of a mock.
type Usage struct {
	Count    atomic.Int64
	LastUse  atomic.Int64
	OneOfPos atomic.Int64
	// Dirty is set by the first use since the counter was last persisted,
	// so the writer learns of a used mock once per flush, not per use.
	Dirty atomic.Bool
}

// TryUse takes one use of the mock's limit; false when it is used up.
// It stays exact under any number of concurrent callers.
func (e *Entry) TryUse(nowMs int64) bool {
	limit := e.Mock.UseLimiter
	for {
		n := e.Usage.Count.Load()
		if limit > 0 && n >= limit {
			return false
		}
		if e.Usage.Count.CompareAndSwap(n, n+1) {
			e.Usage.LastUse.Store(nowMs)
			return true
		}
	}
}

// Exhausted reports whether the use limit is reached.
func (e *Entry) Exhausted() bool {
	return e.Mock.UseLimiter > 0 && e.Usage.Count.Load() >= e.Mock.UseLimiter
}

// Route is the full HTTP-style route (pathPrefix + route) of the entry.
func (e *Entry) Route() string { return e.fullRoute }

// Compiler prepares resolver data (templates) for a mock when it is indexed.
type Compiler func(m *model.Mock) (any, error)

// Index holds the live mocks of every namespace, compiled and keyed per protocol.
type Index struct {
	mu      sync.RWMutex
	byID    map[string]*Entry
	spaces  map[string]*space
	compile Compiler
}

type space struct {
	routes   map[string]*node    // protocol (http, sse) -> route tree
	patterns map[string][]*Entry // protocol -> mocks selected by routePattern
	keyed    map[string]map[string][]*Entry
}

type node struct {
	static   map[string]*node
	param    *node
	wildcard []*Entry
	entries  []*Entry
}

// NewIndex makes an empty index; compile may be nil.
func NewIndex(compile Compiler) *Index {
	return &Index{byID: map[string]*Entry{}, spaces: map[string]*space{}, compile: compile}
}

// Len is the number of indexed mocks.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.byID)
}

// Entries returns every entry (for persistence of counters and for stats).
func (ix *Index) Entries() []*Entry {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	out := make([]*Entry, 0, len(ix.byID))
	for _, e := range ix.byID {
		out = append(out, e)
	}
	return out
}

// Upsert compiles a mock and puts it in the index, replacing the previous
// version of the same ID (whose usage starts again from the mock's
// useCounter). Deleted mocks are removed instead.
func (ix *Index) Upsert(m *model.Mock) error { return ix.upsert(m, false) }

// Edit is Upsert for a changed mock that keeps its live usage: counters,
// last use and oneOf position carry over, uses in flight included.
func (ix *Index) Edit(m *model.Mock) error { return ix.upsert(m, true) }

func (ix *Index) upsert(m *model.Mock, keepUsage bool) error {
	if m.ClosedAt > 0 {
		ix.Remove(m.ID)
		return nil
	}
	e, err := ix.build(m)
	if err != nil {
		return err
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if old, ok := ix.byID[m.ID]; ok {
		if keepUsage {
			e.Usage = old.Usage
		}
		ix.removeLocked(old)
	}
	ix.insertLocked(e)
	return nil
}

// Load replaces the whole index (at start).
func (ix *Index) Load(mocks []*model.Mock) error {
	entries := make([]*Entry, 0, len(mocks))
	for _, m := range mocks {
		if m.ClosedAt > 0 {
			continue
		}
		e, err := ix.build(m)
		if err != nil {
			return fmt.Errorf("mock %s: %w", m.ID, err)
		}
		entries = append(entries, e)
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.byID = make(map[string]*Entry, len(entries))
	ix.spaces = map[string]*space{}
	for _, e := range entries {
		ix.insertLocked(e)
	}
	return nil
}

// Get returns the indexed mock with this id, or nil.
func (ix *Index) Get(id string) *model.Mock {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if e, ok := ix.byID[id]; ok {
		return e.Mock
	}
	return nil
}

// Entry returns the indexed entry with this id, or nil.
func (ix *Index) Entry(id string) *Entry {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.byID[id]
}

// Remove drops a mock from the index.
func (ix *Index) Remove(id string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if e, ok := ix.byID[id]; ok {
		ix.removeLocked(e)
	}
}

func (ix *Index) build(m *model.Mock) (*Entry, error) {
	e := &Entry{Mock: m, Lists: map[string][]*Condition{}, Usage: &Usage{}}
	e.Usage.Count.Store(m.UseCounter)
	e.Usage.LastUse.Store(m.LastUse)
	if m.OneOf != nil {
		e.Usage.OneOfPos.Store(m.OneOf.Offset)
	}
	if err := compileLists(e); err != nil {
		return nil, err
	}
	for _, l := range e.Lists {
		e.conditions += len(l)
	}
	switch {
	case m.HTTP != nil:
		if m.HTTP.RoutePattern != "" && m.HTTP.Route == "" {
			re, err := regexp.Compile(m.HTTP.RoutePattern)
			if err != nil {
				return nil, err
			}
			e.routeRegexp = re
		} else {
			e.fullRoute = joinRoute(m.PathPrefix, m.HTTP.Route)
		}
	case m.SSE != nil:
		e.fullRoute = joinRoute(m.PathPrefix, m.SSE.EventPath)
	}
	if e.fullRoute != "" {
		for _, seg := range splitPath(e.fullRoute) {
			switch {
			case strings.HasPrefix(seg, ":"):
				e.paramNames = append(e.paramNames, seg[1:])
			case strings.HasPrefix(seg, "*"):
			default:
				e.staticSegs++
			}
		}
	}
	if ix.compile != nil {
		c, err := ix.compile(m)
		if err != nil {
			return nil, err
		}
		e.Compiled = c
	}
	return e, nil
}

func compileLists(e *Entry) error {
	p := ProtocolOf(e.Mock)
	if p == nil {
		return nil
	}
	for _, l := range p.Lists {
		list, sortAll := l.Of(e.Mock)
		if len(list) == 0 {
			continue
		}
		cs, err := CompileConditions(list, l.Source, sortAll)
		if err != nil {
			return fmt.Errorf("%s: %w", l.Name, err)
		}
		e.Lists[l.Name] = cs
	}
	return nil
}

func joinRoute(prefix, route string) string {
	p := strings.TrimRight(prefix, "/") + "/" + strings.TrimLeft(route, "/")
	return NormalisePath(p)
}

// NormalisePath is a path as routes are matched: "/" for none, a leading
// '/', no trailing one.
func NormalisePath(p string) string {
	if p == "" {
		return "/"
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	for len(p) > 1 && strings.HasSuffix(p, "/") {
		p = p[:len(p)-1]
	}
	return p
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// keysOf lists the lookup keys of a keyed protocol's mock.
func keysOf(m *model.Mock) (proto string, keys []string) {
	p := ProtocolOf(m)
	if p == nil || p.Keys == nil {
		return "", nil
	}
	return p.Name, p.Keys(m)
}

func (ix *Index) spaceLocked(ns string) *space {
	s, ok := ix.spaces[ns]
	if !ok {
		s = &space{routes: map[string]*node{}, patterns: map[string][]*Entry{}, keyed: map[string]map[string][]*Entry{}}
		ix.spaces[ns] = s
	}
	return s
}

func routeProto(m *model.Mock) string {
	if m.SSE != nil {
		return model.ProtoSSE
	}
	return model.ProtoHTTP
}

func (ix *Index) insertLocked(e *Entry) {
	ix.byID[e.Mock.ID] = e
	sp := ix.spaceLocked(e.Mock.Namespace)
	switch {
	case e.routeRegexp != nil:
		p := routeProto(e.Mock)
		sp.patterns[p] = insertSorted(sp.patterns[p], e)
	case e.fullRoute != "":
		p := routeProto(e.Mock)
		root := sp.routes[p]
		if root == nil {
			root = &node{}
			sp.routes[p] = root
		}
		n := root
		for _, seg := range splitPath(e.fullRoute) {
			switch {
			case strings.HasPrefix(seg, ":"):
				if n.param == nil {
					n.param = &node{}
				}
				n = n.param
			case strings.HasPrefix(seg, "*"):
				n.wildcard = insertSorted(n.wildcard, e)
				return
			default:
				if n.static == nil {
					n.static = map[string]*node{}
				}
				c := n.static[seg]
				if c == nil {
					c = &node{}
					n.static[seg] = c
				}
				n = c
			}
		}
		n.entries = insertSorted(n.entries, e)
	default:
		proto, keys := keysOf(e.Mock)
		if sp.keyed[proto] == nil {
			sp.keyed[proto] = map[string][]*Entry{}
		}
		for _, k := range keys {
			sp.keyed[proto][k] = insertSorted(sp.keyed[proto][k], e)
		}
	}
}

func (ix *Index) removeLocked(e *Entry) {
	delete(ix.byID, e.Mock.ID)
	sp := ix.spaces[e.Mock.Namespace]
	if sp == nil {
		return
	}
	switch {
	case e.routeRegexp != nil:
		p := routeProto(e.Mock)
		sp.patterns[p] = without(sp.patterns[p], e)
	case e.fullRoute != "":
		n := sp.routes[routeProto(e.Mock)]
		for _, seg := range splitPath(e.fullRoute) {
			if n == nil {
				return
			}
			switch {
			case strings.HasPrefix(seg, ":"):
				n = n.param
			case strings.HasPrefix(seg, "*"):
				n.wildcard = without(n.wildcard, e)
				return
			default:
				n = n.static[seg]
			}
		}
		if n != nil {
			n.entries = without(n.entries, e)
		}
	default:
		proto, keys := keysOf(e.Mock)
		for _, k := range keys {
			list := without(sp.keyed[proto][k], e)
			if len(list) == 0 {
				delete(sp.keyed[proto], k)
			} else {
				sp.keyed[proto][k] = list
			}
		}
	}
}

// before orders candidates: higher priority, then the more specific route,
// then the mock with more conditions (a catch-all never shadows a specific
// mock), then the newer one.
func before(a, b *Entry) bool {
	if a.Mock.Priority != b.Mock.Priority {
		return a.Mock.Priority > b.Mock.Priority
	}
	if a.staticSegs != b.staticSegs {
		return a.staticSegs > b.staticSegs
	}
	if len(a.paramNames) != len(b.paramNames) {
		return len(a.paramNames) > len(b.paramNames)
	}
	if a.conditions != b.conditions {
		return a.conditions > b.conditions
	}
	if a.Mock.CreatedAt != b.Mock.CreatedAt {
		return a.Mock.CreatedAt > b.Mock.CreatedAt
	}
	return a.Mock.ID < b.Mock.ID
}

// SortEntries puts entries in the order the selection step tries them:
// priority first, then the more specific route, the more conditions, the
// newer mock, the id.
func SortEntries(list []*Entry) {
	sort.SliceStable(list, func(i, j int) bool { return before(list[i], list[j]) })
}

// insertSorted returns a new slice (readers may hold the old one).
func insertSorted(list []*Entry, e *Entry) []*Entry {
	i := sort.Search(len(list), func(i int) bool { return before(e, list[i]) })
	out := make([]*Entry, 0, len(list)+1)
	out = append(out, list[:i]...)
	out = append(out, e)
	return append(out, list[i:]...)
}

func without(list []*Entry, e *Entry) []*Entry {
	out := make([]*Entry, 0, len(list))
	for _, x := range list {
		if x != e {
			out = append(out, x)
		}
	}
	return out
}

// maxInlineParams path parameters are kept without allocating.
const maxInlineParams = 6

// Hit is a candidate for a routed request, with its path parameter values
// (substrings of the request path, kept inline).
type Hit struct {
	Entry    *Entry
	vals     [maxInlineParams]string
	nvals    int
	more     []string // beyond maxInlineParams
	wildcard string
	hasWild  bool
}

// Params builds the path parameters by name (only for the hit that answers).
func (h *Hit) Params() map[string]string {
	names := h.Entry.paramNames
	if len(names) == 0 && !h.hasWild {
		return nil
	}
	p := make(map[string]string, len(names)+1)
	for i, name := range names {
		switch {
		case i < h.nvals:
			p[name] = h.vals[i]
		case i-maxInlineParams < len(h.more) && i >= maxInlineParams:
			p[name] = h.more[i-maxInlineParams]
		}
	}
	if h.hasWild {
		p["*"] = h.wildcard
	}
	return p
}

func newHit(e *Entry, vals []string) Hit {
	h := Hit{Entry: e}
	n := copy(h.vals[:], vals)
	h.nvals = n
	if len(vals) > n {
		h.more = append([]string(nil), vals[n:]...)
	}
	return h
}

// LookupRoute returns the candidates of a routed protocol (http, sse) for a
// path, best first, appended to buf (which may be nil). Method filtering is
// the caller's: every method's mocks are returned so a near-miss report can
// name them.
func (ix *Index) LookupRoute(buf []Hit, ns, proto, path string) []Hit {
	// The tree is changed in place by writes, so the whole walk holds the read lock.
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	sp := ix.spaces[ns]
	var root *node
	var patterns []*Entry
	if sp != nil {
		root = sp.routes[proto]
		patterns = sp.patterns[proto]
	}
	hits := buf[:0]
	if root != nil {
		var vals [16]string
		collect(root, strings.Trim(path, "/"), vals[:0], &hits)
	}
	for _, e := range patterns {
		if e.routeRegexp.MatchString(path) {
			hits = append(hits, Hit{Entry: e})
		}
	}
	if len(hits) > 1 {
		slices.SortStableFunc(hits, func(a, b Hit) int {
			switch {
			case before(a.Entry, b.Entry):
				return -1
			case before(b.Entry, a.Entry):
				return 1
			}
			return 0
		})
	}
	return hits
}

// collect walks the tree over the remaining path (no leading or trailing
// slash) without splitting it into a slice.
func collect(n *node, rest string, vals []string, hits *[]Hit) {
	if rest == "" {
		for _, e := range n.entries {
			*hits = append(*hits, newHit(e, vals))
		}
		for _, e := range n.wildcard {
			*hits = append(*hits, newHit(e, vals))
		}
		return
	}
	seg, tail := rest, ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		seg, tail = rest[:i], strings.TrimLeft(rest[i+1:], "/")
	}
	if c := n.static[seg]; c != nil {
		collect(c, tail, vals, hits)
	}
	if n.param != nil {
		collect(n.param, tail, append(vals, seg), hits)
	}
	for _, e := range n.wildcard {
		h := newHit(e, vals)
		h.wildcard, h.hasWild = rest, true
		*hits = append(*hits, h)
	}
}

// The condition lists of a mock, by the name of their field in its
// protocol block; a near-miss names the list that failed the same way.
const (
	ListConditions       = "conditions"
	ListHeader           = "header"
	ListHeaders          = "headers"
	ListMeta             = "meta"
	ListHeaderConditions = "headerConditions"
	ListQueryParams      = "queryParams"
	ListSender           = "senderConditions"
	ListRecipient        = "recipientConditions"
	ListSubject          = "subjectConditions"
	ListBody             = "bodyConditions"
)

// ListOrder is the order a mock's lists are checked in: headers and
// metadata first (cheap), the body last.
var ListOrder = []string{ListHeader, ListHeaders, ListMeta, ListHeaderConditions, ListQueryParams, ListSender,
	ListRecipient, ListSubject, ListBody, ListConditions}

// MailKey is the one lookup key of SMTP mocks.
const MailKey = "mail"

// LookupKey returns the candidates of a keyed protocol, best first.
func (ix *Index) LookupKey(ns, proto, key string) []*Entry {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	sp := ix.spaces[ns]
	if sp == nil {
		return nil
	}
	return sp.keyed[proto][key]
}

// DefaultGraphQLPath is where a GraphQL mock without a path is served.
const DefaultGraphQLPath = "/graphql"

// GraphQLPath is the endpoint path of a GraphQL mock.
func GraphQLPath(m *model.Mock) string {
	if m.GraphQL == nil || m.GraphQL.Path == "" {
		return joinRoute(m.PathPrefix, DefaultGraphQLPath)
	}
	return joinRoute(m.PathPrefix, m.GraphQL.Path)
}

// EndpointKey is the key saying a keyed protocol has an endpoint at path.
func EndpointKey(path string) string { return "at:" + path }

// EndpointAt reports whether a keyed protocol served over HTTP (SOAP,
// GraphQL) has a mock at path in namespace ns.
func (ix *Index) EndpointAt(ns, proto, path string) bool {
	return len(ix.LookupKey(ns, proto, EndpointKey(path))) > 0
}

// HasKeyed reports whether namespace ns has live mocks of a keyed protocol.
func (ix *Index) HasKeyed(ns, proto string) bool {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	sp := ix.spaces[ns]
	return sp != nil && len(sp.keyed[proto]) > 0
}

// HasNamespace reports whether a namespace has indexed mocks.
func (ix *Index) HasNamespace(ns string) bool {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	_, ok := ix.spaces[ns]
	return ok
}

// HasRoute reports whether a route-keyed protocol (http, sse) has a mock
// whose route matches path in namespace ns; it costs a map lookup when the
// namespace has no mock of that protocol.
func (ix *Index) HasRoute(ns, proto, path string) bool {
	ix.mu.RLock()
	sp := ix.spaces[ns]
	empty := sp == nil || (sp.routes[proto] == nil && len(sp.patterns[proto]) == 0)
	ix.mu.RUnlock()
	if empty {
		return false
	}
	return len(ix.LookupRoute(nil, ns, proto, path)) > 0
}

// maxSimilarScan bounds the work a miss may cost when looking for similar routes.
const maxSimilarScan = 5000

// SimilarRoutes returns up to n mocks of a namespace whose routes look most
// like path (shared leading segments, then a small edit distance), for the
// report of a request that matched no route at all. It looks at no more
// than maxSimilarScan mocks, so a flood of misses stays cheap.
func (ix *Index) SimilarRoutes(ns, proto, path string, n int) []*Entry {
	want := splitPath(NormalisePath(path))
	type scored struct {
		e     *Entry
		score int
	}
	var best []scored
	ix.mu.RLock()
	seen := 0
	for _, e := range ix.byID {
		if seen >= maxSimilarScan {
			break
		}
		if e.Mock.Namespace != ns || e.fullRoute == "" || routeProto(e.Mock) != proto {
			continue
		}
		seen++
		s := routeSimilarity(splitPath(e.fullRoute), want)
		if s <= 0 {
			continue
		}
		best = append(best, scored{e, s})
	}
	ix.mu.RUnlock()
	sort.Slice(best, func(i, j int) bool {
		if best[i].score != best[j].score {
			return best[i].score > best[j].score
		}
		return best[i].e.Mock.ID < best[j].e.Mock.ID
	})
	out := make([]*Entry, 0, n)
	for i := 0; i < len(best) && i < n; i++ {
		out = append(out, best[i].e)
	}
	return out
}

// routeSimilarity scores a route against a path: 10 per matching leading
// segment (a :param matches anything), plus up to 5 for a last differing
// segment that is one or two edits away.
func routeSimilarity(route, path []string) int {
	score := 0
	for i := 0; i < len(route) && i < len(path); i++ {
		r, p := route[i], path[i]
		switch {
		case r == p || strings.HasPrefix(r, ":") || strings.HasPrefix(r, "*"):
			score += 10
			continue
		case editDistance(r, p) <= 2:
			score += 5
		}
		break
	}
	if len(route) != len(path) {
		score -= 2
	}
	return score
}

// editDistance is the Levenshtein distance of two short strings.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// HandOff names the protocol whose listener serves a /stubs request for
// route in namespace ns: soap or graphql when one of their mocks is served
// at that path, mcp when the namespace has MCP mocks and route is an MCP
// endpoint ("/", "/mcp", "/sse", "/message", or those under a serverName);
// "" when the request is plain HTTP. It costs map lookups under one read
// lock, so the HTTP path pays next to nothing.
func (ix *Index) HandOff(ns, route string) string {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	sp := ix.spaces[ns]
	if sp == nil || len(sp.keyed) == 0 {
		return ""
	}
	if k := sp.keyed[model.ProtoSOAP]; len(k) > 0 && len(k[EndpointKey(route)]) > 0 {
		return model.ProtoSOAP
	}
	if k := sp.keyed[model.ProtoGraphQL]; len(k) > 0 && len(k[EndpointKey(route)]) > 0 {
		return model.ProtoGraphQL
	}
	if k := sp.keyed[model.ProtoMCP]; len(k) > 0 {
		if server, ok := mcpRoute(route); ok && (server == "" || len(k["server:"+server]) > 0) {
			return model.ProtoMCP
		}
	}
	return ""
}

// mcpRoute says whether route is an endpoint of the MCP listener, and
// under which server name ("" for the namespace's server).
func mcpRoute(route string) (server string, ok bool) {
	if route == "/" {
		return "", true
	}
	p := strings.TrimPrefix(route, "/")
	if i := strings.IndexByte(p, '/'); i >= 0 {
		if i == 0 || strings.Contains(p[i+1:], "/") {
			return "", false
		}
		server, p = p[:i], p[i+1:] // /<serverName>/<endpoint>
	}
	return server, p == "mcp" || p == "sse" || p == "message"
}

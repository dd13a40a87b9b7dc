package resolve

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mockarty-oss/mockarty/host/internal/match"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/render"
	"github.com/mockarty-oss/mockarty/host/internal/store"
)

// HTTPRequest is a plain HTTP request to resolve. Query and Header may be
// left nil with loaders given instead: they are then built only when a
// condition or template needs them.
type HTTPRequest struct {
	Namespace string
	// ServerName is the server the request came to: the serverName rule
	// (sdk.ServerSet) decides which mocks it serves.
	ServerName string
	// AllServers says the request came to the host's /stubs/<namespace>,
	// the namespace's own endpoint, which serves every mock whatever its
	// serverName.
	AllServers bool
	Method     string
	Path       string              // the route part, after /stubs/<namespace>
	Query      map[string][]string // as received
	Header     map[string][]string // lower-case names
	Body       []byte

	// Source builds Query and Header on demand when they are nil.
	Source RequestSource
	// Ctx, when set, ends the resolution early once it is done (the server
	// is stopping; a caller that can tell, went away).
	Ctx context.Context
	// RawQuery describes the query for the request log when Query was never built.
	RawQuery string
	// Cacheable, when set, hears whether the answer may be cached by the
	// plugin that asked (compiled.static).
	Cacheable *bool

	body     any // Body decoded, once a condition or template reads it
	bodyDone bool
	in       match.Input // what input last gave a condition list
}

// RequestSource reads the parts of a request that are costly to copy; it is
// only used while the resolution runs.
type RequestSource interface {
	QueryMap() map[string][]string
	HeaderMap() map[string][]string // lower-case names
	RawHeader() []byte              // the raw header block, for logs
}

func (r *HTTPRequest) headers() map[string][]string {
	if r.Header == nil && r.Source != nil {
		r.Header = r.Source.HeaderMap()
	}
	return r.Header
}

func (r *HTTPRequest) query() map[string][]string {
	if r.Query == nil && r.Source != nil {
		r.Query = r.Source.QueryMap()
	}
	return r.Query
}

func (r *HTTPRequest) decoded() any {
	if !r.bodyDone {
		r.body, r.bodyDone = decodeBody(r.Body), true
	}
	return r.body
}

// skip passes over mocks of another method.
func (r *HTTPRequest) skip(e *match.Entry) string {
	if want := e.Mock.HTTP.HTTPMethod; !methodMatches(want, r.Method) {
		return "method " + r.Method + " does not match " + want
	}
	return ""
}

// input reuses one Input: a list's checks are done before the next list's
// input is asked for.
func (r *HTTPRequest) input(list string) *match.Input {
	switch list {
	case match.ListHeader:
		r.in = match.Input{Multi: r.headers()}
	case match.ListQueryParams:
		r.in = match.Input{Multi: r.query()}
	case match.ListConditions:
		r.in = match.Input{Ctx: r.Ctx, Body: r.decoded()}
	default:
		return nil
	}
	return &r.in
}

func (r *HTTPRequest) logCall(l *logRing, limit int, now int64, a *answer) {
	l.addHTTP(limit, now, r, a.d.PathParams, a.out.Status)
}

// HTTPResult is the outcome: a rendered response, or a near-miss report.
type HTTPResult struct {
	Matched  bool
	MockID   string
	Rendered *Rendered
	NearMiss *NearMiss
	answer   *answer // pooled storage of a match, see Release
}

// NearMiss explains why no mock answered: the closest candidates and the
// first check each one failed.
type NearMiss struct {
	Error      string      `json:"error"`
	Code       string      `json:"code"`
	Namespace  string      `json:"namespace"`
	Method     string      `json:"method"`
	Path       string      `json:"path"`
	Candidates []Candidate `json:"candidates"`
}

// Candidate is one mock that nearly matched.
type Candidate struct {
	MockID  string         `json:"mockId"`
	Route   string         `json:"route,omitempty"`
	Method  string         `json:"method,omitempty"`
	Reason  string         `json:"reason"`
	Failure *match.Failure `json:"failedCondition,omitempty"`
	Where   string         `json:"where,omitempty"`
}

const maxCandidates = 5

// PublicCandidates is the near-miss list as callers of mock traffic see
// it: the expected values of failed conditions (a token a header must
// carry, say) are left out; the preview endpoint is where they are shown.
func PublicCandidates(list []Candidate) []Candidate {
	out := make([]Candidate, len(list))
	for i, c := range list {
		if c.Failure != nil {
			f := *c.Failure
			f.Expected = nil
			c.Failure = &f
		}
		out[i] = c
	}
	return out
}

// Public is the report with expected values left out.
func (nm *NearMiss) Public() *NearMiss {
	out := *nm
	out.Candidates = PublicCandidates(nm.Candidates)
	return &out
}

// Why a candidate is passed over before its conditions are checked.
const (
	reasonExpired = "expired (ttl)"
	reasonLimit   = "use limit reached (useLimiter)"
)

// newNearMiss builds the report of a miss from the candidates passed over.
func newNearMiss(what, ns, method, path string, near []Candidate) *NearMiss {
	if len(near) > maxCandidates {
		near = near[:maxCandidates]
	}
	if near == nil {
		near = []Candidate{}
	}
	msg := what + " in namespace " + ns
	if len(near) > 0 {
		msg += "; closest: " + near[0].MockID + " (" + near[0].Reason + ")"
	}
	return &NearMiss{Error: msg, Code: "no_match", Namespace: ns, Method: method, Path: path, Candidates: near}
}

// passOver says why a candidate cannot answer now, or "" when it may be tried.
func passOver(e *match.Entry, now int64) string {
	switch {
	case e.Mock.ExpireAt > 0 && e.Mock.ExpireAt <= now:
		return reasonExpired
	case e.Exhausted():
		return reasonLimit
	}
	return ""
}

// hitPool recycles candidate lists so a lookup allocates nothing.
var hitPool = sync.Pool{New: func() any { b := make([]match.Hit, 0, 8); return &b }}

func methodMatches(want, got string) bool {
	return want == "" || want == "ANY" || want == "*" || strings.EqualFold(want, got)
}

// ResolveHTTP finds and renders the mock for an HTTP request.
func (r *Resolver) ResolveHTTP(req *HTTPRequest) *HTTPResult {
	start := time.Now()
	res := r.resolveHTTP(req, start.UnixMilli())
	r.Metrics.Resolved(model.ProtoHTTP, r.metricNamespace(req.Namespace), res.Matched, start)
	return res
}

func (r *Resolver) resolveHTTP(req *HTTPRequest, now int64) *HTTPResult {
	bufp := hitPool.Get().(*[]match.Hit)
	hits := r.Index.LookupRoute((*bufp)[:0], req.Namespace, model.ProtoHTTP, req.Path)
	defer func() {
		clear(hits) // drop entry references before pooling
		*bufp = hits[:0]
		hitPool.Put(bufp)
	}()
	s := selection{proto: model.ProtoHTTP, namespace: req.Namespace, path: req.Path, server: req.ServerName,
		ctx: req.Ctx, req: req, cacheable: req.Cacheable}
	if !req.AllServers {
		s.servers = r.serverSet(model.ProtoHTTP)
	}
	i, near, stopped := s.choose(hits, now, r.FileReader(req))
	switch {
	case i >= 0:
		res := r.answerHTTP(&s, &hits[i], req, now)
		if res.Matched && r.recent.journaling(req.Namespace) {
			r.recent.add(req, true, res.MockID, res.Rendered.Status)
		}
		return res
	case stopped != nil:
		return &HTTPResult{NearMiss: newNearMiss("resolution stopped ("+stopped.Error()+") before a mock matched "+req.Method+" "+req.Path,
			req.Namespace, req.Method, req.Path, near)}
	case len(hits) == 0:
		// No route matched: name the mocks whose routes look most like the path.
		for _, e := range r.Index.SimilarRoutes(req.Namespace, model.ProtoHTTP, req.Path, 3) {
			near = append(near, Candidate{MockID: e.Mock.ID, Route: e.Route(), Method: e.Mock.HTTP.HTTPMethod,
				Reason: "route " + e.Route() + " does not match " + req.Path})
		}
	}
	r.recent.add(req, false, "", http.StatusNotFound)
	nm := r.miss(&s, store.UndefinedRequest{Method: req.Method, Path: req.Path, Body: string(req.Body), Headers: headersJSON(req.headers())},
		"no mock matches "+req.Method+" "+req.Path, near)
	return &HTTPResult{NearMiss: nm}
}

// Release returns a matched result to the pool once its reply is written.
func (r *Resolver) Release(res *HTTPResult) {
	if res != nil {
		release(res.answer)
	}
}

func (r *Resolver) answerHTTP(s *selection, hit *match.Hit, req *HTTPRequest, now int64) *HTTPResult {
	e := hit.Entry
	d := render.Data{Body: req.decoded(), PathParams: hit.Params(), Namespace: req.Namespace}
	if e.Compiled.(*compiled).needsRequest {
		d.Headers, d.Query = req.headers(), req.query()
	}
	if e.Mock.HTTP.ValidateRequest != nil {
		// The one place /stubs and every listener's find decide an HTTP
		// answer: a request that does not fit the mock's OpenAPI
		// operation is answered 422 by that mock.
		s.refused = r.checkRequest(e.Mock, d.PathParams, req)
	}
	a, nm := r.respond(s, e, d, now, http.StatusOK, nil)
	if nm != nil {
		return &HTTPResult{NearMiss: nm}
	}
	a.res = HTTPResult{Matched: true, MockID: e.Mock.ID, Rendered: &a.out, answer: a}
	return &a.res
}

// codeNotSaved marks a report of a request whose change could not be saved.
const codeNotSaved = "unavailable"

// NotSaved reports a request that matched but whose change (a store write,
// a use of a limited mock) could not be saved: it is not acknowledged.
func (nm *NearMiss) NotSaved() bool { return nm != nil && nm.Code == codeNotSaved }

func notSaved(ns, path string, err error) *NearMiss {
	return &NearMiss{Error: "the change this request made could not be saved: " + err.Error(), Code: codeNotSaved,
		Namespace: ns, Path: path, Candidates: []Candidate{}}
}

func headersJSON(h map[string][]string) string {
	b, err := jsonMarshal(h)
	if err != nil {
		return "{}"
	}
	return string(b)
}

// parseRawHeader reads "Name: value" lines after the request line.
func parseRawHeader(raw []byte) map[string][]string {
	out := map[string][]string{}
	lines := strings.Split(string(raw), "\r\n")
	for i, line := range lines {
		if i == 0 || line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		out[k] = append(out[k], strings.TrimSpace(v))
	}
	return out
}

// Preview is a dry run of ResolveHTTP: which mock would answer, in what
// order the candidates are tried, and why each one would be passed over. It
// uses no limit, writes no store, log or counter.
type Preview struct {
	Namespace  string      `json:"namespace"`
	Method     string      `json:"method"`
	Path       string      `json:"path"`
	Found      bool        `json:"found"`
	MockID     string      `json:"mockId,omitempty"`
	Candidates []Candidate `json:"candidates"`
}

// PreviewHTTP runs the selection of ResolveHTTP without side effects.
func (r *Resolver) PreviewHTTP(req *HTTPRequest) *Preview {
	s := selection{proto: model.ProtoHTTP, namespace: req.Namespace, path: req.Path, req: req}
	p := &Preview{Namespace: req.Namespace, Method: req.Method, Path: req.Path}
	hits := r.Index.LookupRoute(nil, req.Namespace, model.ProtoHTTP, req.Path)
	p.MockID, p.Candidates = s.preview(hits, time.Now().UnixMilli(), r.FileReader(req))
	p.Found = p.MockID != ""
	return p
}

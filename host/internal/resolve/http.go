package resolve

import (
	"net/http"
	"strings"
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
	Method    string
	Path      string              // the route part, after /stubs/<namespace>
	Query     map[string][]string // as received
	Header    map[string][]string // lower-case names
	Body      []byte

	LoadQuery  func() map[string][]string
	LoadHeader func() map[string][]string
	// RawQuery and RawHeader describe the request for its log when the maps
	// were never built; they are copied before the call returns.
	RawQuery  string
	RawHeader func() []byte
}

func (r *HTTPRequest) headers() map[string][]string {
	if r.Header == nil && r.LoadHeader != nil {
		r.Header = r.LoadHeader()
	}
	return r.Header
}

func (r *HTTPRequest) query() map[string][]string {
	if r.Query == nil && r.LoadQuery != nil {
		r.Query = r.LoadQuery()
	}
	return r.Query
}

// HTTPResult is the outcome: a rendered response, or a near-miss report.
type HTTPResult struct {
	Matched  bool
	MockID   string
	Rendered *Rendered
	NearMiss *NearMiss
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

func methodMatches(want, got string) bool {
	return want == "" || want == "ANY" || want == "*" || strings.EqualFold(want, got)
}

// ResolveHTTP finds and renders the mock for an HTTP request.
func (r *Resolver) ResolveHTTP(req *HTTPRequest) *HTTPResult {
	start := time.Now()
	res := r.resolveHTTP(req, start.UnixMilli())
	r.Metrics.Resolved(model.ProtoHTTP, req.Namespace, res.Matched, start)
	return res
}

func (r *Resolver) resolveHTTP(req *HTTPRequest, now int64) *HTTPResult {
	var buf [8]match.Hit
	hits := r.Index.LookupRoute(buf[:0], req.Namespace, model.ProtoHTTP, req.Path)
	var body any
	bodyDone := false
	var near []Candidate
	files := r.FileReader()
	for i := range hits {
		e := hits[i].Entry
		m := e.Mock
		cand := Candidate{MockID: m.ID, Route: e.Route(), Method: m.HTTP.HTTPMethod}
		if !methodMatches(m.HTTP.HTTPMethod, req.Method) {
			cand.Reason = "method " + req.Method + " does not match " + m.HTTP.HTTPMethod
			near = append(near, cand)
			continue
		}
		if m.ExpireAt > 0 && m.ExpireAt <= now {
			cand.Reason = "expired (ttl)"
			near = append(near, cand)
			continue
		}
		if e.Exhausted() {
			cand.Reason = "use limit reached (useLimiter)"
			near = append(near, cand)
			continue
		}
		if !bodyDone {
			body, bodyDone = decodeBody(req.Body), true
		}
		if ok, f, where := checkHTTP(e, req, body, files); !ok {
			cand.Reason, cand.Failure, cand.Where = "condition failed", f, where
			near = append(near, cand)
			continue
		}
		if !e.TryUse(now) {
			cand.Reason = "use limit reached (useLimiter)"
			near = append(near, cand)
			continue
		}
		return r.answerHTTP(e, hits[i].Params(), req, body)
	}
	r.recordUndefined(store.UndefinedRequest{Namespace: req.Namespace, Protocol: model.ProtoHTTP, Method: req.Method,
		Path: req.Path, Body: string(req.Body), Headers: headersJSON(req.headers())})
	if len(near) > maxCandidates {
		near = near[:maxCandidates]
	}
	if near == nil {
		near = []Candidate{}
	}
	msg := "no mock matches " + req.Method + " " + req.Path + " in namespace " + req.Namespace
	if len(near) > 0 {
		msg += "; closest: " + near[0].MockID + " (" + near[0].Reason + ")"
	}
	return &HTTPResult{NearMiss: &NearMiss{Error: msg, Code: "no_match", Namespace: req.Namespace, Method: req.Method,
		Path: req.Path, Candidates: near}}
}

func checkHTTP(e *match.Entry, req *HTTPRequest, body any, files match.FileReader) (bool, *match.Failure, string) {
	ns := e.Mock.Namespace
	if list := e.Lists["header"]; len(list) > 0 {
		if ok, f := match.CheckAll(list, &match.Input{Multi: req.headers()}, files, ns); !ok {
			return false, f, "header"
		}
	}
	if list := e.Lists["queryParams"]; len(list) > 0 {
		if ok, f := match.CheckAll(list, &match.Input{Multi: req.query()}, files, ns); !ok {
			return false, f, "queryParams"
		}
	}
	if list := e.Lists["conditions"]; len(list) > 0 {
		if ok, f := match.CheckAll(list, &match.Input{Body: body}, files, ns); !ok {
			return false, f, "conditions"
		}
	}
	return true, nil, ""
}

func (r *Resolver) answerHTTP(e *match.Entry, params map[string]string, req *HTTPRequest, body any) *HTTPResult {
	m := e.Mock
	v := r.newView(m)
	d := &render.Data{Body: body, PathParams: params, Namespace: req.Namespace, Stores: v}
	if e.Compiled.(*compiled).needsRequest {
		d.Headers, d.Query = req.headers(), req.query()
	}
	r.extract(m, d, v)
	out := r.renderResponse(e, pick(e), d)
	if out.Status == 0 {
		out.Status = http.StatusOK
	}
	if len(m.Webhooks) > 0 {
		d.Response = responseValue(out)
		r.fireWebhooks(m, d, out.Status >= 400 || out.Error != "")
	}
	e.Compiled.(*compiled).logs.add(r.logLimit, time.Now().UnixMilli(), req, params, out.Status)
	return &HTTPResult{Matched: true, MockID: m.ID, Rendered: out}
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

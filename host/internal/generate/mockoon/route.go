package mockoon

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/generate/imports"
	"github.com/mockarty-oss/mockarty/host/internal/model"
)

// routeT translates one route.
type routeT struct {
	t      *translator
	r      *route
	rep    *StubReport
	method string
	path   pathInfo
}

// route translates route i. rank (the number of routes for the first one
// Mockoon tries, down to 1) sets its priorities: Mockoon tries routes in
// order and a route's responses in order, so route k's mocks rank above
// route k+1's, and within a route the first rule response above the next,
// the default response last.
func (t *translator) route(i, rank int) {
	r := &t.env.Routes[i]
	rep := imports.NewReport(i, routeName(r))
	t.reps = append(t.reps, rep)
	switch r.Type {
	case "", "http":
	case "crud":
		rep.Skip("a CRUD route (it serves and changes a data bucket): no mock made")
		return
	case "ws":
		rep.Skip("a WebSocket route: no mock made (Mockarty's WebSocket mocks are socket mocks, another protocol)")
		return
	default:
		rep.Skip("a route of type %q: no mock made", r.Type)
		return
	}
	method, ok := imports.Method(r.Method)
	if !ok {
		rep.Skip("method %q is not one Mockarty serves: no mock made", r.Method)
		return
	}
	p, ok := t.path(r.Endpoint, rep)
	if !ok {
		return
	}
	if len(r.Responses) == 0 {
		rep.Skip("the route has no responses: no mock made")
		return
	}
	rt := &routeT{t: t, r: r, rep: rep, method: method, path: p}
	base := int64(rank * (t.maxResponses + 1))
	mode := ""
	if r.ResponseMode != nil {
		mode = *r.ResponseMode
	}
	switch mode {
	case "RANDOM", "SEQUENTIAL":
		rt.oneOf(mode, base)
	case "DISABLE_RULES":
		rt.defaultOnly(base)
	case "", "FALLBACK":
		rt.byRules(mode == "FALLBACK", base)
	default:
		rep.Skip("responseMode %q is not translated: rules decide", mode)
		rt.byRules(false, base)
	}
}

// pathInfo is where a route's mocks are served.
type pathInfo struct {
	route, pattern, prefix string
	segs                   []imports.Segment // nil for a pattern
}

var paramName = regexp.MustCompile(`^:[A-Za-z_][A-Za-z0-9_]*$`)

// path turns an endpoint (Express syntax: users/:id, files/*,
// path/with/pattern(s)?) and the endpoint prefix into a route with a path
// prefix, or into an anchored routePattern when a segment is more than a
// literal, a parameter or a final wildcard.
func (t *translator) path(endpoint string, rep *StubReport) (pathInfo, bool) {
	prefix := strings.Trim(t.env.EndpointPrefix, "/")
	if prefix != "" {
		prefix = "/" + prefix
	}
	ep := "/" + strings.Trim(strings.ReplaceAll(endpoint, " ", "%20"), "/")
	for strings.Contains(ep, "//") {
		ep = strings.ReplaceAll(ep, "//", "/")
	}
	segs := strings.Split(strings.TrimPrefix(ep, "/"), "/")
	plain, wildcard := true, false
	for i, seg := range segs {
		switch {
		case seg == "*" && i == len(segs)-1:
			wildcard = true
		case paramName.MatchString(seg) && model.NamePattern.MatchString(seg[1:]):
		case strings.ContainsAny(seg, `:*?()+{}\`):
			plain = false
		}
	}
	if plain {
		if wildcard {
			rep.Note("the final * also matches the path without anything after it (Mockoon wants at least one character)")
		}
		return pathInfo{route: ep, prefix: prefix, segs: imports.Segments(ep)}, true
	}
	re := "^" + regexp.QuoteMeta(prefix) + expressPattern(ep) + "/?$"
	if err := imports.CheckRegexp(re); err != nil {
		rep.Skip("endpoint %q: no regular expression for it (%v): no mock made", endpoint, err)
		return pathInfo{}, false
	}
	rep.Note("endpoint %q became the routePattern %s: templates cannot read its parameters", endpoint, re)
	return pathInfo{pattern: re}, true
}

// expressPattern is the regular expression of an Express 4 route path
// (as Mockoon reads it): :param, :param?, (group), x?, x+, * and {optional}.
func expressPattern(p string) string {
	var sb strings.Builder
	for i := 0; i < len(p); {
		c := p[i]
		if c == '/' && i+1 < len(p) && p[i+1] == ':' {
			if j := identEnd(p, i+2); j > i+2 && j < len(p) && p[j] == '?' {
				sb.WriteString(`(?:/[^/]+?)?`) // /:id? makes the slash optional too
				i = j + 1
				continue
			}
		}
		switch {
		case c == '\\' && i+1 < len(p):
			sb.WriteString(regexp.QuoteMeta(p[i+1 : i+2]))
			i += 2
			continue
		case c == ':' && identEnd(p, i+1) > i+1:
			sb.WriteString(`(?:[^/]+?)`)
			i = identEnd(p, i+1)
			continue
		case c == '*':
			sb.WriteString(`.+`)
		case c == '(' || c == '{':
			sb.WriteString(`(?:`)
		case c == ')':
			sb.WriteString(`)`)
		case c == '}':
			sb.WriteString(`)?`)
		case c == '?' || c == '+':
			sb.WriteByte(c)
		default:
			sb.WriteString(regexp.QuoteMeta(p[i : i+1]))
		}
		i++
	}
	return sb.String()
}

func identEnd(s string, i int) int {
	for i < len(s) && (s[i] == '_' || s[i] == '$' || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')) {
		i++
	}
	return i
}

// oneOf serves all the responses in turn or at random, as Mockoon does in
// these modes (where it does not read rules either).
func (rt *routeT) oneOf(mode string, base int64) {
	o := &model.OneOf{Order: "order"}
	if mode == "RANDOM" {
		o.Order = "random"
	}
	for j := range rt.r.Responses {
		resp := &rt.r.Responses[j]
		where := rt.responseName(j)
		cr, _ := rt.content(resp, nil, where)
		o.Responses = append(o.Responses, cr)
		if len(resp.Callbacks) > 0 {
			rt.rep.Skip("%s: callbacks of one response among several served in turn (Mockarty webhooks belong to the whole mock)", where)
		}
	}
	m := rt.mock(nil, alt{}, base)
	m.OneOf = o
	rt.add(m)
}

// defaultOnly serves the default response alone (DISABLE_RULES).
func (rt *routeT) defaultOnly(base int64) {
	d := rt.defaultIndex()
	for j := range rt.r.Responses {
		if j != d {
			rt.rep.Note("%s is not served in DISABLE_RULES mode (by Mockoon either)", rt.responseName(j))
		}
	}
	rt.respond(d, alt{}, base, "")
}

// byRules makes a mock of each response with rules, then, unless in
// FALLBACK mode, one of the default response without conditions. In
// FALLBACK mode a request no rule matches goes on to the next route, as a
// request goes on to the mocks of lower priority here.
func (rt *routeT) byRules(fallback bool, base int64) {
	n := len(rt.r.Responses)
	d := rt.defaultIndex()
	for j := range rt.r.Responses {
		resp := &rt.r.Responses[j]
		where := rt.responseName(j)
		if len(resp.Rules) == 0 {
			if j != d || fallback {
				rt.rep.Note("%s is never served: it has no rules and is not the default response", where)
			}
			continue
		}
		alts := rt.alternatives(resp, where)
		if len(alts) == 0 {
			rt.rep.Skip("%s: none of its rules could be translated: no mock made for it", where)
			continue
		}
		for k, a := range alts {
			suffix := fmt.Sprintf("r%d", j+1)
			if len(alts) > 1 {
				suffix = fmt.Sprintf("r%d-%d", j+1, k+1)
			}
			rt.respond(j, a, base+int64(n-j), suffix)
		}
	}
	if !fallback {
		rt.respond(d, alt{}, base, "default")
	}
}

// defaultIndex is the response Mockoon serves when no rule matches.
func (rt *routeT) defaultIndex() int {
	for j, resp := range rt.r.Responses {
		if resp.Default {
			return j
		}
	}
	return 0
}

func (rt *routeT) responseName(j int) string {
	if l := rt.r.Responses[j].Label; l != "" {
		return fmt.Sprintf("response %d (%q)", j+1, l)
	}
	return fmt.Sprintf("response %d", j+1)
}

// respond adds the mock of response j under the conditions of a.
func (rt *routeT) respond(j int, a alt, prio int64, suffix string) {
	resp := &rt.r.Responses[j]
	where := rt.responseName(j)
	cr, ok := rt.content(resp, a.fixed, where)
	if !ok {
		return
	}
	m := rt.mock([]string{suffix}, a, prio)
	m.Response = &cr
	m.Webhooks = rt.t.webhooks(resp, rt.tpl(resp, a.fixed), rt.rep, where)
	rt.add(m)
}

func (rt *routeT) add(m *model.Mock) {
	rt.t.mocks = append(rt.t.mocks, m)
	rt.rep.MockIDs = append(rt.rep.MockIDs, m.ID)
}

// mock is the mock skeleton: route (with the parameters a fixes), method,
// conditions, priority.
func (rt *routeT) mock(suffix []string, a alt, prio int64) *model.Mock {
	// "*" would leave "--" in the id: it is "any" there.
	parts := append([]string{strings.ToLower(rt.method), strings.ReplaceAll(rt.r.Endpoint, "*", "any")}, suffix...)
	h := &model.HTTPContext{HTTPMethod: rt.method, RoutePattern: rt.path.pattern}
	if rt.path.route != "" {
		h.Route = fixRoute(rt.path.route, a.fixed)
	}
	for _, c := range a.conds {
		switch c.list {
		case listHeader:
			h.Header = append(h.Header, c.c)
		case listQuery:
			h.QueryParams = append(h.QueryParams, c.c)
		default:
			h.Conditions = append(h.Conditions, c.c)
		}
	}
	m := &model.Mock{
		ID:         rt.t.ids.Make(parts...),
		Namespace:  rt.t.opts.Namespace,
		Tags:       []string{"imported", "mockoon"},
		PathPrefix: rt.path.prefix,
		HTTP:       h,
		Priority:   prio,
	}
	if h.Route == "" {
		m.PathPrefix = "" // a routePattern holds the prefix itself
	}
	return m
}

// fixRoute puts the values rules fix into the route's parameters.
func fixRoute(route string, fixed map[string]string) string {
	if len(fixed) == 0 {
		return route
	}
	segs := strings.Split(route, "/")
	for i, s := range segs {
		if v, ok := fixed[strings.TrimPrefix(s, ":")]; ok && strings.HasPrefix(s, ":") {
			segs[i] = v
		}
	}
	return strings.Join(segs, "/")
}

// content is the response: status, headers (the environment's, then the
// response's), body and delay.
func (rt *routeT) content(resp *response, fixed map[string]string, where string) (model.ContentResponse, bool) {
	env := rt.t.env
	tp := rt.tpl(resp, fixed)
	cr := model.ContentResponse{StatusCode: resp.StatusCode}
	if cr.StatusCode == 0 {
		cr.StatusCode = 200
	}
	if cr.StatusCode < 100 || cr.StatusCode > 599 {
		rt.rep.Skip("%s: status %d is no HTTP status Mockarty sends: the mock answers 500", where, resp.StatusCode)
		cr.StatusCode = 500
	}
	headers := map[string][]string{}
	own := headerMap(resp.Headers)
	for k, v := range headerMap(env.Headers) {
		if !hasKey(own, k) {
			headers[k] = v
		}
	}
	for k, v := range own {
		headers[k] = v
	}
	for k, vals := range headers {
		out := make([]string, len(vals))
		for i, v := range vals {
			out[i] = tp.text(v, fmt.Sprintf("%s header %s", where, k))
		}
		headers[k] = out
	}
	if len(headers) > 0 {
		cr.Headers = headers
	}
	switch resp.BodyType {
	case "", "INLINE":
		if resp.Body != "" {
			// Sent as text, byte for byte, as Mockoon sends it.
			cr.Payload = imports.JSON(tp.text(resp.Body, where+" body"))
		}
	case "FILE":
		rt.rep.Skip("%s: the body file %q is not carried; put its content in the mock's payload", where, resp.FilePath)
	case "DATABUCKET":
		rt.rep.Skip("%s: the body is the data bucket %q, which is not carried", where, resp.DatabucketID)
	default:
		rt.rep.Skip("%s: body type %q is not translated", where, resp.BodyType)
	}
	delay, note := imports.Delay(env.Latency + resp.Latency)
	cr.Delay = delay
	if note != "" {
		rt.rep.Note("%s: %s", where, note)
	}
	return cr, true
}

func hasKey(h map[string][]string, name string) bool {
	for k := range h {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

func (rt *routeT) tpl(resp *response, fixed map[string]string) *tpl {
	return &tpl{rep: rt.rep, segs: rt.path.segs, fixed: fixed, on: !resp.DisableTemplating}
}

// webhooks are the callbacks a response triggers, sent after the reply
// as Mockoon sends them.
func (t *translator) webhooks(resp *response, tp *tpl, rep *StubReport, where string) []model.Callback {
	var out []model.Callback
	for _, rc := range resp.Callbacks {
		var cb *callback
		for i := range t.env.Callbacks {
			if t.env.Callbacks[i].UUID == rc.UUID {
				cb = &t.env.Callbacks[i]
			}
		}
		if cb == nil {
			rep.Skip("%s: callback %s is not in the environment", where, rc.UUID)
			continue
		}
		cw := fmt.Sprintf("%s: callback %q", where, cb.Name)
		if u, err := url.Parse(cb.URI); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			rep.Skip("%s: the uri %q is no absolute http(s) URL (Mockarty webhooks have no base URL)", cw, cb.URI)
			continue
		}
		method, ok := imports.Method(cb.Method)
		if !ok || method == "ANY" {
			rep.Skip("%s: method %q is not one Mockarty sends", cw, cb.Method)
			continue
		}
		w := model.Callback{Type: "http", URL: cb.URI, Method: method, Async: true}
		if h := headerMap(cb.Headers); len(h) > 0 {
			w.Headers = map[string]string{}
			for k, v := range h {
				w.Headers[k] = tp.text(v[0], cw+" header "+k)
			}
		}
		switch cb.BodyType {
		case "", "INLINE":
			if cb.Body != "" {
				w.Body = imports.JSON(tp.text(cb.Body, cw+" body"))
			}
		default:
			rep.Skip("%s: a body of type %s is not carried", cw, cb.BodyType)
		}
		if rc.Latency > 0 {
			rep.Skip("%s: its latency of %v ms (Mockarty sends webhooks at once)", cw, rc.Latency)
		}
		out = append(out, w)
	}
	return out
}

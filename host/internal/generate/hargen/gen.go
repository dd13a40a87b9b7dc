package hargen

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/host/internal/match"
	"github.com/mockarty-oss/mockarty/host/internal/model"
)

var methods = map[string]bool{"GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "HEAD": true,
	"OPTIONS": true, "TRACE": true, "CONNECT": true}

// maxWarnings bounds the report: a file of 5,000 odd entries says the
// first problems, not all of them.
const maxWarnings = 200

type gen struct {
	in     Input
	prefix string
	res    *Result
	// groups in the order of their first request; byKey finds them.
	groups []*group
	byKey  map[string]*group
	// hostsOf lists the hosts a request (method, path, query, body) was
	// recorded from; pathHosts the hosts of a method and path.
	hostsOf   map[string][]string
	pathHosts map[string][]string
	pathOrder []string
	// redacted gathers what was redacted, by kind, for one warning.
	redacted map[string]map[string]bool
	// counts of entries skipped for the same reason, reported once each.
	tooLarge, notHTTP, noBody int
}

// group is one distinct request and its recorded answers.
type group struct {
	method, host, path, query, bodyHash string
	req                                 *request
	answers                             []model.ContentResponse
	first                               int // the entry's index, for warnings
}

// request is what a mock matches, from the first entry of its group.
type request struct {
	route, pattern string
	queryParams    []model.Condition
	conditions     []model.Condition
}

func (g *gen) warn(format string, args ...any) {
	if len(g.res.Warnings) < maxWarnings {
		g.res.Warnings = append(g.res.Warnings, fmt.Sprintf(format, args...))
	}
}

// summary adds a warning that sums up many entries: never left out.
func (g *gen) summary(format string, args ...any) {
	g.res.Warnings = append(g.res.Warnings, fmt.Sprintf(format, args...))
}

// noteRedacted records that a secret of kind ("response header", "JSON
// field", "query parameter", "form field") named name was redacted.
func (g *gen) noteRedacted(kind, name string) {
	if g.redacted[kind] == nil {
		g.redacted[kind] = map[string]bool{}
	}
	g.redacted[kind][name] = true
}

func (g *gen) entry(x Recorded) {
	e := x.Entry
	at := fmt.Sprintf("log.entries[%d]", x.Index)
	method, u, ok := g.usable(at, e)
	if !ok {
		return
	}
	path := match.NormalisePath(u.Path)
	var reqBody []byte
	if pd := e.Request.PostData; pd != nil {
		reqBody = []byte(pd.Text)
		if pd.Text == "" && len(pd.Params) > 0 {
			g.warn("%s: %s %s: the recorder kept the form's fields but not its body; the mock matches any body", at, method, path)
		}
	}
	respBody, err := e.Response.Content.Bytes()
	if err != nil {
		g.warn("%s: %s %s: response.content: %v; skipped", at, method, path, err)
		return
	}
	if len(reqBody) > MaxBodyBytes || len(respBody) > MaxBodyBytes {
		g.tooLarge++
		return
	}
	query, queryConds, nsParam := g.query(u.RawQuery)
	body := g.requestBody(reqBody)
	key := method + " " + path + "?" + query + "#" + body.hash
	g.noteHost(key, method+" "+path, u.Host)
	gr := g.byKey[u.Host+" "+key]
	if gr == nil {
		if body.warning != "" {
			g.warn("%s: %s %s: %s", at, method, path, body.warning)
		}
		if nsParam {
			g.warn("%s: %s %s: its query parameter \"namespace\" is not matched: on /stubs ?namespace= chooses the namespace and is no query parameter of a mock", at, method, path)
		}
		route, pattern := g.route(path)
		gr = &group{method: method, host: u.Host, path: path, query: query, bodyHash: body.hash, first: x.Index,
			req: &request{route: route, pattern: pattern, queryParams: queryConds, conditions: body.conditions}}
		g.byKey[u.Host+" "+key] = gr
		g.groups = append(g.groups, gr)
	}
	if e.Response.Content.Text == nil && e.Response.Content.Size > 0 {
		g.noBody++
	}
	gr.answers = append(gr.answers, g.answer(at, method, path, e.Response, respBody))
}

// usable says whether an entry is a plain HTTP exchange a mock can
// replay, and if not, why (in a warning).
func (g *gen) usable(at string, e Entry) (method string, u *url.URL, ok bool) {
	method = strings.ToUpper(strings.TrimSpace(e.Request.Method))
	u, err := url.Parse(e.Request.URL)
	switch {
	case err != nil:
		g.warn("%s: request.url %q is not a URL; skipped", at, e.Request.URL)
		return "", nil, false
	case u.Scheme != "http" && u.Scheme != "https":
		g.notHTTP++ // data:, blob:, ws:, chrome-extension: ...
		return "", nil, false
	case !methods[method]:
		g.warn("%s: request.method %q is not an HTTP method a mock selects; skipped", at, e.Request.Method)
		return "", nil, false
	}
	switch st := e.Response.Status; {
	case st == 0:
		g.warn("%s: %s %s has no response (status 0: aborted, blocked or failed); skipped", at, method, u.Path)
	case st < 200 && st >= 100:
		g.warn("%s: %s %s answered %d (a protocol switch, such as a WebSocket), which a plain HTTP mock cannot answer; skipped", at, method, u.Path, st)
	case st < 100 || st > 599:
		g.warn("%s: %s %s has response.status %d, not an HTTP status; skipped", at, method, u.Path, st)
	default:
		return method, u, true
	}
	return "", nil, false
}

// noteHost records the host a request (key) and its method and path
// (pk) were recorded from.
func (g *gen) noteHost(key, pk, host string) {
	if !contains(g.hostsOf[key], host) {
		g.hostsOf[key] = append(g.hostsOf[key], host)
	}
	if _, ok := g.pathHosts[pk]; !ok {
		g.pathOrder = append(g.pathOrder, pk)
	}
	if !contains(g.pathHosts[pk], host) {
		g.pathHosts[pk] = append(g.pathHosts[pk], host)
	}
}

// route is the mock's route for a recorded path, or, when the path has
// what a route reads as syntax (":name" and "*" segments, spaces), an
// anchored routePattern that matches it literally.
func (g *gen) route(path string) (route, pattern string) {
	literal := !strings.ContainsAny(path, " \t\r\n?#")
	for _, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, ":") || strings.HasPrefix(seg, "*") {
			literal = false
		}
	}
	if literal {
		return path, ""
	}
	full := g.prefix + path
	if path == "/" && g.prefix != "" {
		full = g.prefix
	}
	return "", "^" + regexp.QuoteMeta(full) + "$"
}

// query normalises a query (keys sorted, each key's values sorted,
// secrets redacted) and makes its conditions: equals for each parameter
// (a list, compared sorted, for a repeated one), notEmpty for a secret.
// "namespace" is left out (nsParam): /stubs reads it as the namespace.
func (g *gen) query(raw string) (norm string, conds []model.Condition, nsParam bool) {
	if raw == "" {
		return "", nil, false
	}
	vals, err := url.ParseQuery(raw)
	if err != nil && len(vals) == 0 {
		return "", nil, false
	}
	if _, nsParam = vals["namespace"]; nsParam {
		delete(vals, "namespace")
	}
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		vs := append([]string(nil), vals[k]...)
		sort.Strings(vs)
		if isSecret(k) {
			g.noteRedacted("query parameter", k)
			parts = append(parts, url.QueryEscape(k)+"="+Redacted)
			conds = append(conds, model.Condition{Path: k, AssertAction: "notEmpty"})
			continue
		}
		for _, v := range vs {
			parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(v))
		}
		c := model.Condition{Path: k, AssertAction: "equals"}
		if len(vs) == 1 {
			c.Value, _ = json.Marshal(vs[0])
		} else {
			c.Value, _ = json.Marshal(vs)
			sorted := true
			c.SortArray = &sorted // the order of a repeated parameter is not kept
		}
		conds = append(conds, c)
	}
	return strings.Join(parts, "&"), conds, nsParam
}

// reqBody is what a mock matches of a request body.
type reqBody struct {
	hash       string // of the body as matched (secrets redacted); "" for none
	conditions []model.Condition
	warning    string
}

// requestBody makes the body conditions. /stubs reads a body that parses
// as JSON as JSON, anything else as one string (docs/mocks.md): a JSON
// object gets a condition per top-level field, other JSON and text one
// condition on the whole body ("$"; contains, without them, for JSON
// holding secrets), a form body with a secret a regular expression,
// binary bytes none (no condition compares bytes).
func (g *gen) requestBody(b []byte) reqBody {
	t := bytes.TrimSpace(b)
	if len(t) == 0 {
		return reqBody{}
	}
	if json.Valid(t) {
		if t[0] == '{' {
			conds, matched := g.objectConditions(t)
			return reqBody{hash: hashOf(matched), conditions: conds}
		}
		if red := g.redactJSON(t, true); !bytes.Equal(red, t) {
			return reqBody{hash: hashOf(red), conditions: []model.Condition{{Path: "$", AssertAction: "contains", Value: red}}}
		}
		return reqBody{hash: hashOf(t), conditions: []model.Condition{{Path: "$", AssertAction: "equals", Value: t}}}
	}
	if !utf8Text(b) {
		return reqBody{hash: hashOf(b), warning: "the request body is binary, which no condition compares: the mock matches any body"}
	}
	if re, red, ok := g.formSecrets(string(b)); ok {
		v, _ := json.Marshal(re)
		return reqBody{hash: hashOf([]byte(red)), conditions: []model.Condition{{Path: "$", AssertAction: "matches", Value: v}}}
	}
	v, _ := json.Marshal(string(b))
	return reqBody{hash: hashOf(b), conditions: []model.Condition{{Path: "$", AssertAction: "equals", Value: v}}}
}

// objectConditions is a condition per top-level field of a JSON object,
// in key order: equals, or for a secret notEmpty (asking for a value
// without storing it), or contains for a field whose value holds secrets
// deeper down (the value without them). matched is the object as the
// conditions see it, for the request's hash.
func (g *gen) objectConditions(obj []byte) (conds []model.Condition, matched []byte) {
	fields := objectFields(obj)
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].key < fields[j].key })
	var h bytes.Buffer
	for _, f := range fields {
		path, ok := fieldPath(f.key)
		if !ok {
			g.warn("the request body's field %q has a name no JSONPath reads: it is not matched", f.key)
		}
		h.WriteString(f.key)
		h.WriteByte(0)
		var c model.Condition
		switch {
		case secretValue(f.key, f.raw):
			g.noteRedacted("JSON field", f.key)
			c = model.Condition{Path: path, AssertAction: "notEmpty"}
			h.WriteString(Redacted)
		default:
			red := g.redactJSON(f.raw, true)
			if bytes.Equal(red, f.raw) {
				c = model.Condition{Path: path, AssertAction: "equals", Value: f.raw}
			} else {
				c = model.Condition{Path: path, AssertAction: "contains", Value: red}
			}
			h.Write(red)
		}
		if ok {
			conds = append(conds, c)
		}
		h.WriteByte(0)
	}
	return conds, h.Bytes()
}

var plainField = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// fieldPath is the JSONPath of a top-level field: $.name, or for other
// names a bracketed one, checked with the matcher itself so that quotes,
// brackets and backslashes in a name cannot make it read another field.
func fieldPath(k string) (string, bool) {
	var cands []string
	if plainField.MatchString(k) {
		cands = append(cands, "$."+k)
	}
	cands = append(cands, `$["`+k+`"]`, "$['"+k+"']")
	for _, p := range cands {
		if readsField(p, k) {
			return p, true
		}
	}
	return "", false
}

func readsField(path, key string) bool {
	c := model.Condition{Path: path, AssertAction: "equals", Value: json.RawMessage(`"\u0000probe"`)}
	cs, err := match.CompileConditions([]model.Condition{c}, match.SourceBody, false)
	if err != nil || len(cs) != 1 {
		return false
	}
	ok, _ := cs[0].Check(&match.Input{Body: map[string]any{key: "\x00probe"}}, nil, "")
	return ok
}

// formSecrets reads a urlencoded form body: when a field is a secret, a
// regular expression matching the body with any value there, and the
// body with the secret redacted. ok is false for other bodies.
func (g *gen) formSecrets(body string) (re, redacted string, ok bool) {
	if !strings.Contains(body, "=") || strings.ContainsAny(body, " \r\n") {
		return "", "", false
	}
	pairs := strings.Split(body, "&")
	parts, red := make([]string, len(pairs)), make([]string, len(pairs))
	found := false
	for i, p := range pairs {
		name, _, _ := strings.Cut(p, "=")
		n, err := url.QueryUnescape(name)
		if err != nil {
			return "", "", false
		}
		if isSecret(n) {
			g.noteRedacted("form field", n)
			parts[i], red[i], found = regexp.QuoteMeta(name+"=")+"[^&]*", name+"="+Redacted, true
			continue
		}
		parts[i], red[i] = regexp.QuoteMeta(p), p
	}
	if !found {
		return "", "", false
	}
	return "^" + strings.Join(parts, "&") + "$", strings.Join(red, "&"), true
}

func hashOf(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	h := fnv.New64a()
	h.Write(b)
	return fmt.Sprintf("%016x", h.Sum64())
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Bytes is the recorded body: text as written, base64 content decoded.
func (c Content) Bytes() ([]byte, error) {
	if c.Text == nil {
		return nil, nil
	}
	if strings.EqualFold(c.Encoding, "base64") {
		b, err := base64.StdEncoding.DecodeString(*c.Text)
		if err != nil {
			return nil, fmt.Errorf("encoding is base64 but the text is not: %v", err)
		}
		return b, nil
	}
	return []byte(*c.Text), nil
}

// finish turns the groups into mocks and adds the warnings said once.
func (g *gen) finish() {
	for _, pk := range g.pathOrder {
		if hosts := g.pathHosts[pk]; len(hosts) > 1 {
			g.warn("%s was recorded from %d hosts (%s): their mocks share the path, and each gets its own id; where the same request got different hosts' answers, /stubs serves one of them (use pathPrefix to generate each host into its own prefix)",
				pk, len(hosts), strings.Join(hosts, ", "))
		}
	}
	for _, gr := range g.groups {
		g.res.Mocks = append(g.res.Mocks, g.mock(gr))
	}
	if g.tooLarge > 0 {
		g.summary("%d entries have a request or response body over %d bytes; skipped", g.tooLarge, MaxBodyBytes)
	}
	if g.notHTTP > 0 {
		g.summary("%d entries are not http or https requests (data:, blob:, ws: ...); skipped", g.notHTTP)
	}
	if g.noBody > 0 {
		g.summary("%d responses have a body the recorder did not keep (no content.text): answered without a body", g.noBody)
	}
	if len(g.redacted) > 0 {
		kinds := make([]string, 0, len(g.redacted))
		for k := range g.redacted {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		var parts []string
		for _, k := range kinds {
			names := make([]string, 0, len(g.redacted[k]))
			for n := range g.redacted[k] {
				names = append(names, n)
			}
			sort.Strings(names)
			if len(names) > 20 {
				names = append(names[:20], fmt.Sprintf("and %d more", len(names)-20))
			}
			parts = append(parts, k+" "+strings.Join(names, ", "))
		}
		g.summary("secrets redacted (%s): responses carry %q in their place, and a request's secrets are matched by presence, not by value",
			strings.Join(parts, "; "), Redacted)
	}
}

func (g *gen) mock(gr *group) *model.Mock {
	parts := []string{gr.method}
	if p := strings.Trim(gr.path, "/"); p != "" {
		parts = append(parts, p)
	}
	if gr.query != "" || gr.bodyHash != "" {
		h := fnv.New32a()
		h.Write([]byte(gr.query + "\x00" + gr.bodyHash))
		parts = append(parts, fmt.Sprintf("%08x", h.Sum32()))
	}
	key := gr.method + " " + gr.path + "?" + gr.query + "#" + gr.bodyHash
	if len(g.hostsOf[key]) > 1 {
		parts = append(parts, gr.host) // the same request from several hosts: one mock each
	}
	m := &model.Mock{
		ID:         generate.MockID(g.in.IDPrefix, parts...),
		Namespace:  g.in.Namespace,
		ServerName: g.in.ServerName,
		HTTP: &model.HTTPContext{Route: gr.req.route, RoutePattern: gr.req.pattern, HTTPMethod: gr.method,
			QueryParams: gr.req.queryParams, Conditions: gr.req.conditions},
		Tags: []string{"har"},
	}
	if gr.req.pattern == "" {
		m.PathPrefix = g.prefix
	}
	answers := distinct(gr.answers)
	switch {
	case answers == 1:
		m.Response = &gr.answers[0]
	case g.in.OneOf:
		m.OneOf = &model.OneOf{Order: "order", Responses: gr.answers}
	default:
		m.Response = &gr.answers[0]
		g.warn("log.entries[%d]: %s %s was recorded %d times with %d different answers: the first is served and %d later ones are dropped (oneOf: true serves them all in the recorded order)",
			gr.first, gr.method, gr.path, len(gr.answers), answers, len(gr.answers)-1)
	}
	return m
}

// distinct counts the different answers.
func distinct(list []model.ContentResponse) int {
	seen := map[string]bool{}
	for i := range list {
		b, _ := json.Marshal(&list[i])
		seen[string(b)] = true
	}
	return len(seen)
}

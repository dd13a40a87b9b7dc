package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/auth"
	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/host/internal/generate/hargen"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/host/internal/tester"
	"github.com/mockarty-oss/mockarty/sdk/postman"
)

// Mocks from the API tester: one request and response (generate-mock), or
// every request of a collection with its saved example responses or the
// responses a stored run got (generate-mocks-from-collection). The pairs
// are written as a HAR recording and handed to the HAR generator, which
// de-duplicates them, drops volatile response headers, redacts secrets
// and makes query parameters conditions; the mocks are saved by the
// generators' smart merge, so generating again keeps hand edits.

func (s *server) testerGenerateRoutes(t fiber.Router) {
	t.Post("/generate-mock", s.testerGenerateMock)
	t.Post("/generate-mocks-from-collection", s.testerGenerateMocks)
}

// genTags mark the mocks made from the API tester.
var genTags = []string{"generated", "api-tester"}

// exchange is one request and its answer.
type exchange struct {
	// label names it in warnings ("request \"Get user\", example \"Ann\"").
	label             string
	method, url       string
	reqHeaders        []postman.Header
	reqBody, reqType  string
	status            int
	statusText        string
	respHeaders       []postman.Header
	respBody          string
	respType          string
	bodyKnown, isJSON bool
}

// pairHeaders reads headers sent as an object ({"K": "v"} or {"K": ["v"]})
// or a list ([{"key"|"name", "value"}]), as tester.KVList does; disabled
// ones are left out.
type pairHeaders []postman.Header

func (h *pairHeaders) UnmarshalJSON(b []byte) error {
	var list tester.KVList
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("want an object of header values or a list of {key, value}")
	}
	out := make(pairHeaders, 0, len(list))
	for _, kv := range list {
		if !kv.Disabled {
			out = append(out, postman.Header{Key: kv.Key, Value: kv.Value})
		}
	}
	*h = out
	return nil
}

type genMockBody struct {
	Namespace string `json:"namespace"`
	RequestID string `json:"requestId"`
	Request   *struct {
		Method  string          `json:"method"`
		URL     string          `json:"url"`
		Headers pairHeaders     `json:"headers"`
		Body    json.RawMessage `json:"body"`
	} `json:"request"`
	Response *struct {
		StatusCode int             `json:"statusCode"`
		Status     json.RawMessage `json:"status"`
		Headers    pairHeaders     `json:"headers"`
		Body       json.RawMessage `json:"body"`
	} `json:"response"`
	ID         string `json:"id"`
	Name       string `json:"name"`
	MatchBody  bool   `json:"matchBody"`
	PathPrefix string `json:"pathPrefix"`
}

// testerGenerateMock makes one HTTP mock answering a request with a
// response, and answers the mock.
func (s *server) testerGenerateMock(c *fiber.Ctx) error {
	var b genMockBody
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	ns, err := namespaceFor(c, b.Namespace, auth.Write)
	if err != nil {
		return err
	}
	switch {
	case b.ID != "" && !model.NamePattern.MatchString(b.ID):
		return fieldErr("id", "use 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit")
	case b.PathPrefix != "" && !strings.HasPrefix(b.PathPrefix, "/"):
		return fieldErr("pathPrefix", "must start with '/'")
	case b.Request == nil && b.RequestID == "":
		return fieldErr("request", "give the request ({method, url, headers, body}) or the requestId of a stored request")
	}
	rs := &resolver{vars: map[string]string{}}
	var ex exchange
	var examples []postman.Response
	if b.Request != nil {
		if strings.TrimSpace(b.Request.URL) == "" {
			return fieldErr("request.url", "is required")
		}
		ex = exchange{method: strings.ToUpper(strings.TrimSpace(b.Request.Method)), url: rs.url(b.Request.URL, nil),
			reqHeaders: b.Request.Headers, reqBody: bodyJSONText(b.Request.Body)}
		if ex.method == "" {
			ex.method = http.MethodGet
		}
		ex.reqType = headerOf(ex.reqHeaders, "Content-Type")
	} else {
		r, err := s.needRequest(c, b.RequestID, auth.Read)
		if err != nil {
			return err
		}
		col, err := s.testerSvc().Collection(c.UserContext(), r.CollectionID, false)
		if err != nil {
			return err
		}
		if err := s.collectionVars(c, col, "", rs); err != nil {
			return err
		}
		pc := tester.ToPostman(&tester.Collection{}, nil, []tester.Request{*r})
		if len(pc.Item) == 0 || pc.Item[0].Request == nil {
			return fieldErr("requestId", "request %q has nothing to send", b.RequestID)
		}
		it := pc.Item[0]
		ex = requestExchange(it.Request, rs)
		ex.label = fmt.Sprintf("request %q", it.Name)
		examples = it.Response
	}
	switch {
	case b.Response != nil:
		if b.Response.StatusCode == 0 {
			var n int
			if json.Unmarshal(b.Response.Status, &n) == nil {
				b.Response.StatusCode = n
			}
		}
		if b.Response.StatusCode == 0 {
			b.Response.StatusCode = http.StatusOK
		}
		if b.Response.StatusCode < 100 || b.Response.StatusCode > 599 {
			return fieldErr("response.statusCode", "%d is not an HTTP status (100-599)", b.Response.StatusCode)
		}
		ex.status, ex.respHeaders = b.Response.StatusCode, b.Response.Headers
		ex.respBody, ex.bodyKnown = bodyJSONText(b.Response.Body), true
		raw := bytes.TrimSpace(b.Response.Body)
		ex.isJSON = len(raw) > 0 && (raw[0] == '{' || raw[0] == '[')
	case len(examples) > 0:
		withExample(&ex, preferSuccess(examples)[0])
	default:
		return fieldErr("response", "give the response ({statusCode, headers, body}): request %q has no saved example", b.RequestID)
	}
	ex.respType = headerOf(ex.respHeaders, "Content-Type")
	idPrefix := "tester-" + ns
	if b.Name != "" {
		idPrefix = generate.MockID(idPrefix, b.Name)
	}
	mocks, warnings, err := s.harMocks(ns, idPrefix, b.PathPrefix, []exchange{ex}, b.MatchBody, rs, "request")
	if err != nil {
		return err
	}
	m := mocks[0]
	switch {
	case b.ID != "":
		m.ID = b.ID
	case b.Name != "":
		m.ID = idPrefix
	}
	if b.Name != "" {
		m.Tags = append(m.Tags, truncateTag(b.Name))
	}
	return s.mergeThen(c, ns, mocks, warnings, func(status int, out map[string]json.RawMessage) (int, any, error) {
		var saved []json.RawMessage
		_ = json.Unmarshal(out["mocks"], &saved)
		if ids := mergedIDs(out); len(ids) == 0 || len(saved) == 0 {
			return 0, nil, apiErr(http.StatusConflict, CodeConflict, "mock id %q is taken by a mock of another namespace, or by one that was deleted: give another id", m.ID)
		}
		return status, saved[0], nil
	})
}

type genFromCollectionBody struct {
	CollectionID  string `json:"collectionId"`
	Namespace     string `json:"namespace"`
	Prefix        string `json:"prefix"`
	PathPrefix    string `json:"pathPrefix"`
	UseExamples   *bool  `json:"useExamples"`
	FromRunID     string `json:"fromRunId"`
	EnvironmentID string `json:"environmentId"`
	MatchBody     bool   `json:"matchBody"`
}

// testerGenerateMocks makes a mock per request of a collection from its
// example responses, or from the responses of one of its runs.
func (s *server) testerGenerateMocks(c *fiber.Ctx) error {
	var b genFromCollectionBody
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	if b.CollectionID == "" {
		return fieldErr("collectionId", "is required")
	}
	col, err := s.needCollection(c, b.CollectionID, auth.Read)
	if err != nil {
		return err
	}
	ns, err := namespaceFor(c, nonEmptyString(b.Namespace, col.Namespace), auth.Write)
	if err != nil {
		return err
	}
	switch {
	case b.Prefix != "" && !model.NamePattern.MatchString(b.Prefix):
		return fieldErr("prefix", "use letters, digits, '.', '_' or '-'")
	case b.PathPrefix != "" && !strings.HasPrefix(b.PathPrefix, "/"):
		return fieldErr("pathPrefix", "must start with '/'")
	case b.FromRunID == "" && b.UseExamples != nil && !*b.UseExamples:
		return fieldErr("useExamples", "with useExamples false, give fromRunId: there is nothing else to generate from")
	}
	prefix := b.Prefix
	if prefix == "" {
		// Ids are unique across namespaces: the collection's id keeps two
		// collections' mocks apart, and a re-run finds the same ids.
		short := strings.ReplaceAll(col.ID, "-", "")
		prefix = generate.MockID("tester", short[:min(8, len(short))])
	}
	rs := &resolver{vars: map[string]string{}}
	var exchanges []exchange
	var warnings []string
	none := 0
	if b.FromRunID != "" {
		exchanges, none, warnings, err = s.runExchanges(c, col, b.FromRunID)
	} else {
		if err := s.collectionVars(c, col, b.EnvironmentID, rs); err != nil {
			return err
		}
		exchanges, none, warnings, err = s.exampleExchanges(c, col, rs)
	}
	if err != nil {
		return err
	}
	if len(exchanges) == 0 {
		from := "no request of the collection has a saved example response"
		if b.FromRunID != "" {
			from = fmt.Sprintf("no step of run %q got an HTTP response", b.FromRunID)
		}
		return fieldErr("collectionId", "nothing to generate from: %s", from)
	}
	mocks, more, err := s.harMocks(ns, prefix, b.PathPrefix, exchanges, b.MatchBody, rs, "collectionId")
	if err != nil {
		return err
	}
	warnings = append(warnings, more...)
	if none > 0 {
		what := "have no example response"
		if b.FromRunID != "" {
			what = "got no complete HTTP response in the run"
		}
		warnings = append(warnings, fmt.Sprintf("%d requests %s: no mock is made for them", none, what))
	}
	return s.mergeThen(c, ns, mocks, warnings, func(status int, out map[string]json.RawMessage) (int, any, error) {
		out["mockIds"], _ = json.Marshal(mergedIDs(out))
		var skipped int
		_ = json.Unmarshal(out["skipped"], &skipped)
		out["skipped"], _ = json.Marshal(skipped + none)
		out["collectionId"], _ = json.Marshal(col.ID)
		if none > 0 {
			var msg string
			_ = json.Unmarshal(out["message"], &msg)
			out["message"], _ = json.Marshal(fmt.Sprintf("%s; %d requests had no response to mock", msg, none))
		}
		return status, out, nil
	})
}

// mergeThen saves mocks with the generators' smart merge and lets edit
// reshape its answer (status and JSON) before it is sent.
func (s *server) mergeThen(c *fiber.Ctx, ns string, mocks []*model.Mock, warnings []string,
	edit func(status int, out map[string]json.RawMessage) (int, any, error)) error {
	if err := s.merge(c, ns, mocks, false, harIdentity, warnings...); err != nil {
		return err
	}
	var out map[string]json.RawMessage
	if err := json.Unmarshal(c.Response().Body(), &out); err != nil {
		return fmt.Errorf("reading the merge's answer: %w", err)
	}
	status, v, err := edit(c.Response().StatusCode(), out)
	if err != nil {
		return err
	}
	return c.Status(status).JSON(v)
}

// mergedIDs are the ids of the mocks the merge made or kept (not those it
// skipped: ids taken in another namespace or deleted).
func mergedIDs(out map[string]json.RawMessage) []string {
	var items []struct {
		ID     string `json:"id"`
		Action string `json:"action"`
	}
	_ = json.Unmarshal(out["items"], &items)
	ids := make([]string, 0, len(items))
	for _, it := range items {
		if it.Action != "skip" {
			ids = append(ids, it.ID)
		}
	}
	return ids
}

// collectionVars fills rs with the collection's variables, overridden by
// the environment's (environmentId, else the namespace's active one), as
// a run resolves them.
func (s *server) collectionVars(c *fiber.Ctx, col *tester.Collection, envID string, rs *resolver) error {
	for _, v := range col.Variables {
		if !v.Disabled {
			rs.vars[v.Key] = v.Value
		}
	}
	var env *tester.Environment
	if envID != "" {
		e, err := s.testerSvc().Environment(c.UserContext(), envID)
		if err != nil {
			return err
		}
		if !principal(c).Allows(e.Namespace, auth.Read) {
			return notFoundErr("environment %q not found", envID)
		}
		env = e
	} else if e, err := s.testerSvc().ActiveEnvironment(c.UserContext(), col.Namespace); err == nil {
		env = e
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if env != nil {
		for k, v := range env.Variables {
			rs.vars[k] = v
		}
	}
	return nil
}

// exampleExchanges are the collection's requests with their examples (a
// success first); none counts requests without one.
func (s *server) exampleExchanges(c *fiber.Ctx, col *tester.Collection, rs *resolver) ([]exchange, int, []string, error) {
	full, err := s.testerSvc().Collection(c.UserContext(), col.ID, true)
	if err != nil {
		return nil, 0, nil, err
	}
	pc := tester.ToPostman(full, full.Folders, full.Requests)
	var out []exchange
	var warnings []string
	none := 0
	err = pc.Walk(func(_ []*postman.Item, it *postman.Item) error {
		if it.IsFolder() || it.Request == nil {
			return nil
		}
		if len(it.Response) == 0 || it.Request.URL.String() == "" {
			none++
			return nil
		}
		for _, ex := range preferSuccess(it.Response) {
			if len(out) >= hargen.MaxEntries {
				warnings = append(warnings, fmt.Sprintf("the collection has more than %d example responses: the first %d are used", hargen.MaxEntries, hargen.MaxEntries))
				return errStopWalk
			}
			req := it.Request
			if ex.OriginalRequest != nil && ex.OriginalRequest.URL != nil {
				req = ex.OriginalRequest // what the example answered
			}
			e := requestExchange(req, rs)
			e.label = fmt.Sprintf("request %q, example %q", it.Name, ex.Name)
			withExample(&e, ex)
			out = append(out, e)
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStopWalk) {
		return nil, 0, nil, err
	}
	return out, none, warnings, nil
}

var errStopWalk = errors.New("stop")

// runExchanges are the requests and responses of a stored run of the
// collection; none counts steps without a complete response.
func (s *server) runExchanges(c *fiber.Ctx, col *tester.Collection, runID string) ([]exchange, int, []string, error) {
	t, err := s.testerSvc().Store().GetTask(c.UserContext(), runID)
	if err != nil || !principal(c).Allows(t.Namespace, auth.Read) || t.Mode != tester.ModeFunctional {
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, 0, nil, err
		}
		return nil, 0, nil, fieldErr("fromRunId", "test run %q not found", runID)
	}
	if ids := tester.CountsOf(t).CollectionIDs; len(ids) > 0 && !containsString(ids, col.ID) {
		return nil, 0, nil, fieldErr("fromRunId", "test run %q is a run of %s, not of collection %q", runID, strings.Join(ids, ", "), col.ID)
	}
	var out []exchange
	var warnings []string
	none, truncated := 0, 0
	err = s.testerSvc().EachStep(c.UserContext(), t.ID, func(i int, st *postman.Step) error {
		if len(out) >= hargen.MaxEntries {
			warnings = append(warnings, fmt.Sprintf("the run has more than %d steps: the first %d are used", hargen.MaxEntries, hargen.MaxEntries))
			return errStopWalk
		}
		switch {
		case st.Request == nil || st.Response == nil || st.Response.Code == 0:
			none++
			return nil
		case st.Response.BodyTruncated:
			truncated++
			none++
			return nil
		}
		e := exchange{label: fmt.Sprintf("run step %d (%q)", i+1, st.Name),
			method: strings.ToUpper(st.Request.Method), url: st.Request.URL, reqHeaders: st.Request.Headers,
			reqBody: st.Request.Body, status: st.Response.Code, statusText: st.Response.Status,
			respHeaders: st.Response.Headers, respBody: st.Response.Body, bodyKnown: true}
		e.reqType = headerOf(e.reqHeaders, "Content-Type")
		e.respType = headerOf(e.respHeaders, "Content-Type")
		out = append(out, e)
		return nil
	})
	if err != nil && !errors.Is(err, errStopWalk) {
		return nil, 0, nil, err
	}
	if truncated > 0 {
		warnings = append(warnings, fmt.Sprintf("%d responses were kept cut short by the run (bodies over its maxBodyBytes): no mock is made for them", truncated))
	}
	return out, none, warnings, nil
}

// harMocks writes the exchanges as a HAR file and has the HAR generator
// make the mocks; field is where a failure is reported.
func (s *server) harMocks(ns, prefix, pathPrefix string, exchanges []exchange, matchBody bool, rs *resolver, field string) ([]*model.Mock, []string, error) {
	entries := make([]hargen.Entry, 0, len(exchanges))
	for _, ex := range exchanges {
		entries = append(entries, rs.entry(ex, matchBody))
	}
	doc, err := json.Marshal(map[string]any{"log": map[string]any{"version": "1.2", "entries": entries}})
	if err != nil {
		return nil, nil, err
	}
	res, err := hargen.Generate(hargen.Input{Namespace: ns, IDPrefix: prefix, PathPrefix: pathPrefix, HAR: doc})
	if err != nil {
		var ie *generate.InputError
		if errors.As(err, &ie) {
			return nil, nil, fieldErr(field, "%s", strings.TrimPrefix(ie.Message, "log.entries holds "))
		}
		return nil, nil, err
	}
	for _, m := range res.Mocks {
		rs.restoreParams(m)
		m.Tags = append([]string{}, genTags...)
	}
	// The generator names entries by their place in the HAR file it was
	// given: name them as the user knows them.
	warnings := rs.warnings()
	for _, w := range res.Warnings {
		if m := entryRef.FindStringSubmatch(w); m != nil {
			if i, err := strconv.Atoi(m[1]); err == nil && i < len(exchanges) && exchanges[i].label != "" {
				w = exchanges[i].label + w[len(m[0]):]
			}
		}
		warnings = append(warnings, w)
	}
	return res.Mocks, warnings, nil
}

var entryRef = regexp.MustCompile(`^log\.entries\[(\d+)\]`)

// resolver fills {{variables}} in URLs and bodies, and turns path
// variables without a value into route parameters.
type resolver struct {
	vars map[string]string
	// params are the path variables written as placeholder segments.
	params map[string]bool
	// unresolved counts what stayed unresolved, for one warning each.
	noHost, queryDropped int
	unknown              map[string]bool
}

// maxVarPasses bounds nested {{variables}} (a value naming another).
const maxVarPasses = 4

var varRef = regexp.MustCompile(`\{\{\s*([^{}]+?)\s*\}\}`)

// fill replaces the known variables of text.
func (rs *resolver) fill(text string) string {
	for i := 0; i < maxVarPasses && strings.Contains(text, "{{"); i++ {
		next := varRef.ReplaceAllStringFunc(text, func(m string) string {
			name := strings.TrimSpace(m[2 : len(m)-2])
			if v, ok := rs.vars[name]; ok {
				return v
			}
			return m
		})
		if next == text {
			break
		}
		text = next
	}
	return text
}

var paramName = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// placeholder is the path segment standing for the route parameter name
// while the HAR generator sees the path (it reads ":name" literally).
func placeholder(name string) string { return "__mkparam_" + name + "__" }

// url resolves a request's URL to an absolute http(s) URL; pathVars are
// the values of its :name segments.
func (rs *resolver) url(raw string, pathVars map[string]string) string {
	u := postman.NewURL(rs.fill(strings.TrimSpace(raw)))
	host := strings.Join(u.Host, ".")
	scheme := strings.ToLower(u.Protocol)
	if scheme == "" {
		scheme = "http"
	}
	if host == "" || strings.Contains(host, "{{") {
		if host != "" {
			rs.noHost++
		}
		host, scheme = "localhost", "http"
	}
	if u.Port != "" && !strings.Contains(u.Port, "{{") {
		host += ":" + u.Port
	}
	segs := make([]string, 0, len(u.Path))
	for _, seg := range u.Path {
		name := ""
		switch {
		case len(seg) > 1 && seg[0] == ':':
			if v, ok := pathVars[seg[1:]]; ok && v != "" {
				seg = rs.fill(v)
				break
			}
			name = seg[1:]
		case strings.HasPrefix(seg, "{{") && strings.HasSuffix(seg, "}}"):
			name = strings.TrimSpace(seg[2 : len(seg)-2])
		case strings.Contains(seg, "{{"):
			rs.note(seg)
		}
		if name != "" && paramName.MatchString(name) {
			if rs.params == nil {
				rs.params = map[string]bool{}
			}
			rs.params[name] = true
			seg = placeholder(name)
		}
		segs = append(segs, seg)
	}
	out := scheme + "://" + host + "/" + strings.Join(segs, "/")
	var query []string
	for _, q := range u.Query {
		if q.Disabled {
			continue
		}
		if strings.Contains(q.Key, "{{") || (q.Value != nil && strings.Contains(*q.Value, "{{")) {
			rs.queryDropped++
			continue
		}
		if q.Value == nil {
			query = append(query, q.Key)
			continue
		}
		query = append(query, q.Key+"="+*q.Value)
	}
	if len(query) > 0 {
		out += "?" + strings.Join(query, "&")
	}
	return out
}

func (rs *resolver) note(seg string) {
	if rs.unknown == nil {
		rs.unknown = map[string]bool{}
	}
	if len(rs.unknown) < 20 {
		rs.unknown[seg] = true
	}
}

// restoreParams turns placeholder segments back into route parameters
// (and placeholders in the id into the parameter's name).
func (rs *resolver) restoreParams(m *model.Mock) {
	if m.HTTP == nil {
		return
	}
	for name := range rs.params {
		ph := placeholder(name)
		m.HTTP.Route = strings.ReplaceAll(m.HTTP.Route, ph, ":"+name)
		m.HTTP.RoutePattern = strings.ReplaceAll(m.HTTP.RoutePattern, regexp.QuoteMeta(ph), "[^/]+")
		m.ID = strings.ReplaceAll(m.ID, strings.ToLower(ph), strings.ToLower(name))
	}
}

// warnings say what could not be resolved.
func (rs *resolver) warnings() []string {
	var out []string
	if rs.noHost > 0 {
		out = append(out, fmt.Sprintf("%d request URLs have a host that is an unset variable: their paths are mocked as they are", rs.noHost))
	}
	if rs.queryDropped > 0 {
		out = append(out, fmt.Sprintf("%d query parameters hold unset variables: they are not matched", rs.queryDropped))
	}
	if len(rs.unknown) > 0 {
		segs := make([]string, 0, len(rs.unknown))
		for s := range rs.unknown {
			segs = append(segs, s)
		}
		sort.Strings(segs)
		out = append(out, "path segments with unset variables are matched literally: "+strings.Join(segs, ", "))
	}
	return out
}

// entry is an exchange as a HAR entry. Without matchBody a JSON request
// body is left out, so that the mock answers whatever is posted.
func (rs *resolver) entry(ex exchange, matchBody bool) hargen.Entry {
	e := hargen.Entry{Request: hargen.EntryRequest{Method: ex.method, URL: ex.url},
		Response: hargen.EntryResponse{Status: ex.status, StatusText: ex.statusText}}
	for _, h := range ex.reqHeaders {
		if !h.Disabled {
			e.Request.Headers = append(e.Request.Headers, hargen.NameValue{Name: h.Key, Value: h.Value})
		}
	}
	if body := strings.TrimSpace(ex.reqBody); body != "" && (matchBody || !json.Valid([]byte(body))) {
		e.Request.PostData = &hargen.PostData{MimeType: ex.reqType, Text: ex.reqBody}
	}
	for _, h := range ex.respHeaders {
		if !h.Disabled {
			e.Response.Headers = append(e.Response.Headers, hargen.NameValue{Name: h.Key, Value: h.Value})
		}
	}
	mt := ex.respType
	if mt == "" && ex.respBody != "" {
		mt = "text/plain; charset=utf-8"
		if ex.isJSON || json.Valid([]byte(ex.respBody)) {
			mt = "application/json"
		}
	}
	e.Response.Content = hargen.Content{Size: int64(len(ex.respBody)), MimeType: mt}
	if ex.bodyKnown {
		body := ex.respBody
		e.Response.Content.Text = &body
	}
	return e
}

// requestExchange is a collection request with its variables resolved.
func requestExchange(r *postman.Request, rs *resolver) exchange {
	method := strings.ToUpper(strings.TrimSpace(r.Method))
	if method == "" {
		method = http.MethodGet
	}
	pathVars := map[string]string{}
	if r.URL != nil {
		for _, v := range r.URL.Variable {
			pathVars[v.Key] = v.String()
		}
	}
	ex := exchange{method: method, url: rs.url(r.URL.String(), pathVars)}
	for _, h := range r.Header {
		if !h.Disabled {
			ex.reqHeaders = append(ex.reqHeaders, postman.Header{Key: h.Key, Value: rs.fill(h.Value)})
		}
	}
	text, ct := postmanBodyText(r.Body)
	ex.reqBody = rs.fill(text)
	ex.reqType = headerOf(ex.reqHeaders, "Content-Type")
	if ex.reqType == "" {
		ex.reqType = ct
	}
	return ex
}

// postmanBodyText is what a Postman body sends, and its media type
// (multipart and file bodies: none, their bytes are not in the document).
func postmanBodyText(b *postman.Body) (string, string) {
	if b == nil || b.Disabled {
		return "", ""
	}
	switch b.Mode {
	case postman.ModeRaw, "":
		switch b.Language() {
		case "json":
			return b.Raw, "application/json"
		case "xml":
			return b.Raw, "application/xml"
		case "html":
			return b.Raw, "text/html"
		}
		return b.Raw, "text/plain"
	case postman.ModeURLEncoded:
		var parts []string
		for _, f := range b.URLEncoded {
			if !f.Disabled {
				parts = append(parts, url.QueryEscape(f.Key)+"="+url.QueryEscape(f.Value))
			}
		}
		return strings.Join(parts, "&"), "application/x-www-form-urlencoded"
	case postman.ModeGraphQL:
		if b.GraphQL == nil {
			return "", ""
		}
		payload := map[string]any{"query": b.GraphQL.Query}
		var vars any
		if json.Unmarshal([]byte(b.GraphQL.Variables), &vars) == nil {
			payload["variables"] = vars
		}
		out, _ := json.Marshal(payload)
		return string(out), "application/json"
	}
	return "", ""
}

// withExample sets an exchange's answer from a saved example.
func withExample(ex *exchange, r postman.Response) {
	ex.status, ex.statusText = r.Code, r.Status
	if ex.status == 0 {
		ex.status = http.StatusOK // an example saved without a code
	}
	ex.respHeaders, ex.respBody, ex.bodyKnown = r.Header, r.Body, true
	ex.respType = headerOf(r.Header, "Content-Type")
	if ex.respType == "" {
		switch r.PreviewLanguage {
		case "json":
			ex.respType = "application/json"
		case "xml":
			ex.respType = "application/xml"
		case "html":
			ex.respType = "text/html"
		}
	}
}

// preferSuccess orders examples with the successes (2xx) first: the HAR
// generator serves the first answer of a request answered several ways.
func preferSuccess(list []postman.Response) []postman.Response {
	out := append([]postman.Response(nil), list...)
	sort.SliceStable(out, func(i, j int) bool { return ok2xx(out[i].Code) && !ok2xx(out[j].Code) })
	return out
}

func ok2xx(code int) bool { return code == 0 || (code >= 200 && code < 300) }

// bodyJSONText is a body given in a JSON request: a string as its text,
// any other value as its JSON.
func bodyJSONText(raw json.RawMessage) string { return tester.Stringify(raw) }

func headerOf(hs []postman.Header, name string) string {
	for _, h := range hs {
		if !h.Disabled && strings.EqualFold(h.Key, name) {
			return h.Value
		}
	}
	return ""
}

func nonEmptyString(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

// truncateTag keeps a tag within the 100 characters a mock's tag may have.
func truncateTag(s string) string {
	if r := []rune(s); len(r) > 100 {
		return string(r[:100])
	}
	return s
}

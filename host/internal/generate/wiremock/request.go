package wiremock

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/generate/imports"
	"github.com/mockarty-oss/mockarty/host/internal/match"
	"github.com/mockarty-oss/mockarty/host/internal/model"
)

// routeCtx is what the response templates may read of the route.
type routeCtx struct {
	route string            // the route; "" for a routePattern
	segs  []imports.Segment // its segments; nil for a routePattern
	// fixed are path parameters of a urlPathTemplate that pathParameters
	// fixed to one value: the route holds the value, templates use it.
	fixed  map[string]string
	method string // the one method; "" for any
}

// request translates the request object: nil when no mock can be made.
func (s *stubT) request(o *obj) (*model.HTTPContext, *routeCtx) {
	h := &model.HTTPContext{}
	rc := &routeCtx{fixed: map[string]string{}}
	method, _ := o.str("method")
	m, ok := imports.Method(method)
	if !ok {
		s.rep.Skip("method %q is not one Mockarty serves: the mock answers any method", method)
		m = "ANY"
	}
	h.HTTPMethod = m
	if m != "ANY" {
		rc.method = m
	}
	if !s.url(o, h, rc) {
		return nil, nil
	}
	for _, part := range []struct {
		key  string
		kind targetKind
	}{{"headers", tHeader}, {"queryParameters", tQuery}, {"cookies", tCookie}} {
		if !o.has(part.key) {
			continue
		}
		set := o.sub(part.key)
		if set == nil {
			s.rep.Skip("%s is not an object of matchers", part.key)
			continue
		}
		for _, name := range set.keys() {
			tg := target{kind: part.kind, name: name, where: fmt.Sprintf("%s %q", part.key, name)}
			s.add(h, tg, newObj(set.raw(name)))
		}
	}
	if o.has("basicAuthCredentials") {
		s.basicAuth(o.sub("basicAuthCredentials"), h)
	}
	if o.has("bodyPatterns") {
		pats, ok := o.list("bodyPatterns")
		if !ok {
			s.rep.Skip("bodyPatterns is not an array of matchers")
		}
		for i, raw := range pats {
			s.add(h, target{kind: tBody, name: "$", where: fmt.Sprintf("bodyPatterns[%d]", i)}, newObj(raw))
		}
	}
	why := map[string]string{
		"formParameters":    "Mockarty does not parse form bodies into fields",
		"multipartPatterns": "Mockarty does not parse multipart bodies",
		"customMatcher":     "custom matchers are Java extensions of WireMock",
		"host":              "Mockarty does not match the host",
		"port":              "Mockarty does not match the port",
		"scheme":            "Mockarty does not match the scheme",
		"clientIp":          "Mockarty does not match the client address",
	}
	for _, k := range o.rest() {
		if w, ok := why[k]; ok {
			s.rep.Skip("request %s: %s", k, w)
			continue
		}
		s.rep.Skip("the request field %q is not translated", k)
	}
	return h, rc
}

var urlKeys = []string{"url", "urlPath", "urlPattern", "urlPathPattern", "urlPathTemplate"}

// url sets the route from the one URL matcher of the request.
func (s *stubT) url(o *obj, h *model.HTTPContext, rc *routeCtx) bool {
	var set []string
	for _, k := range urlKeys {
		if o.has(k) {
			set = append(set, k)
		}
	}
	if len(set) > 1 {
		s.rep.Skip("%s are set together: only %s is used", strings.Join(set, ", "), set[0])
		o.ignore(set[1:]...)
	}
	params := o.sub("pathParameters")
	if params != nil && (len(set) == 0 || set[0] != "urlPathTemplate") {
		s.rep.Skip("pathParameters without urlPathTemplate")
		params = nil
	}
	if len(set) == 0 {
		h.Route = "/*" // WireMock's anyUrl
		rc.route, rc.segs = h.Route, imports.Segments(h.Route)
		return true
	}
	key := set[0]
	u, ok := o.str(key)
	if !ok {
		s.rep.Skip("%s is not a string: no mock made", key)
		return false
	}
	switch key {
	case "url":
		path, query, hasQuery := strings.Cut(u, "?")
		h.Route, h.RoutePattern = imports.LiteralRoute(path)
		if hasQuery && !s.exactQuery(query, h) {
			return false
		}
		if hasQuery {
			s.rep.Note("url %q: a request with further query parameters matches too (Mockarty cannot refuse unnamed ones)", u)
		} else {
			s.rep.Note("url %q: a request with a query matches too (Mockarty cannot refuse unnamed parameters)", u)
		}
	case "urlPath":
		h.Route, h.RoutePattern = imports.LiteralRoute(u)
	case "urlPathPattern":
		if err := imports.CheckRegexp(u); err != nil {
			s.rep.Skip("urlPathPattern: %v: no mock made", err)
			return false
		}
		s.pathPattern(u, h)
	case "urlPattern":
		if !s.urlPattern(u, h) {
			return false
		}
	case "urlPathTemplate":
		if !s.pathTemplate(u, params, h, rc) {
			return false
		}
	}
	if h.Route != "" {
		rc.route, rc.segs = h.Route, imports.Segments(h.Route)
	}
	return true
}

// exactQuery turns the query of an exact url into one condition per name.
func (s *stubT) exactQuery(query string, h *model.HTTPContext) bool {
	q, err := url.ParseQuery(query)
	if err != nil {
		s.rep.Skip("url: the query %q does not parse (%v): no mock made", query, err)
		return false
	}
	for _, name := range sortedKeys(q) {
		var v any = q[name][0]
		if len(q[name]) > 1 {
			v = q[name] // a repeated name is a list, and compares as one
		}
		h.QueryParams = append(h.QueryParams, imports.Cond(name, model.AssertEquals, v))
	}
	return true
}

// urlPattern is a regular expression over the path and the query; a
// routePattern sees the path alone. A query part after an escaped "\?"
// made of name=pattern pieces becomes one query condition per name.
func (s *stubT) urlPattern(re string, h *model.HTTPContext) bool {
	if err := imports.CheckRegexp(re); err != nil {
		s.rep.Skip("urlPattern: %v: no mock made", err)
		return false
	}
	path, query, hasQuery := splitQueryPattern(re)
	if err := imports.CheckRegexp(path); err != nil {
		s.rep.Skip("urlPattern %q: the path part does not stand alone (%v): no mock made", re, err)
		return false
	}
	s.pathPattern(path, h)
	if !hasQuery {
		s.rep.Note("urlPattern %q is matched against the path alone (a routePattern does not see the query): a request with a query matches too", re)
		return true
	}
	conds, ok := queryPattern(query)
	if !ok {
		s.rep.Skip("urlPattern %q: the query part %q is not checked (it is no list of name=pattern)", re, query)
		return true
	}
	h.QueryParams = append(h.QueryParams, conds...)
	s.rep.Note("urlPattern %q: the query part is checked name by name, in any order", re)
	return true
}

// pathPattern is the routePattern of a path expression, or the route of
// one that matches a single path.
func (s *stubT) pathPattern(re string, h *model.HTTPContext) {
	if lit, ok := imports.LiteralPattern(re); ok && strings.HasPrefix(lit, "/") {
		h.Route, h.RoutePattern = imports.LiteralRoute(lit)
		return
	}
	h.RoutePattern = imports.Anchored(re)
}

// splitQueryPattern splits a URL pattern at its first escaped "\?"
// outside groups and character classes.
func splitQueryPattern(re string) (path, query string, ok bool) {
	depth, class := 0, false
	for i := 0; i < len(re); i++ {
		c := re[i]
		switch {
		case c == '\\' && i+1 < len(re):
			if re[i+1] == '?' && depth == 0 && !class {
				return re[:i], re[i+2:], true
			}
			i++
		case class:
			if c == ']' {
				class = false
			}
		case c == '[':
			class = true
		case c == '(':
			depth++
		case c == ')':
			depth--
		}
	}
	return re, "", false
}

var plainName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// queryPattern reads "a=[0-9]+&b=x.*" as conditions; a piece ".*" (any
// further parameters) adds none.
func queryPattern(q string) ([]model.Condition, bool) {
	var out []model.Condition
	for _, piece := range splitTop(q, '&') {
		if piece == "" || piece == ".*" {
			continue
		}
		name, val, ok := strings.Cut(piece, "=")
		if !ok || !plainName.MatchString(name) || imports.CheckRegexp(val) != nil {
			return nil, false
		}
		out = append(out, imports.Cond(name, model.AssertMatches, imports.Anchored(val)))
	}
	return out, len(out) > 0
}

// splitTop splits s at sep outside groups, classes and escapes.
func splitTop(s string, sep byte) []string {
	var out []string
	depth, class, start := 0, false, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			i++
		case class:
			if c == ']' {
				class = false
			}
		case c == '[':
			class = true
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == sep && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

var templateParam = regexp.MustCompile(`\{([^{}/]+)\}`)

// pathTemplate turns /users/{id} into /users/:id. pathParameters that fix
// a parameter to one value put the value in the route; a pattern, or a
// parameter inside a segment (/files/{name}.json), makes a routePattern.
func (s *stubT) pathTemplate(tpl string, params *obj, h *model.HTTPContext, rc *routeCtx) bool {
	if !strings.HasPrefix(tpl, "/") {
		tpl = "/" + tpl
	}
	var route, pattern strings.Builder
	usePattern := false
	for _, seg := range strings.Split(tpl[1:], "/") {
		route.WriteString("/")
		pattern.WriteString("/")
		if m := templateParam.FindStringSubmatch(seg); m != nil && m[0] == seg {
			name := m[1]
			lit, re, fixed := s.pathParam(name, params)
			switch {
			case fixed:
				rc.fixed[name] = lit
				route.WriteString(lit)
				pattern.WriteString(regexp.QuoteMeta(lit))
				if strings.HasPrefix(lit, ":") || strings.HasPrefix(lit, "*") || strings.Contains(lit, "/") {
					usePattern = true
				}
			case re != "":
				usePattern = true
				pattern.WriteString("(?:" + re + ")")
			case !model.NamePattern.MatchString(name):
				usePattern = true
				pattern.WriteString("[^/]+")
			default:
				route.WriteString(":" + name)
				pattern.WriteString("[^/]+")
			}
			continue
		}
		if strings.Contains(seg, "{") {
			usePattern = true
			last := 0
			for _, loc := range templateParam.FindAllStringSubmatchIndex(seg, -1) {
				pattern.WriteString(regexp.QuoteMeta(seg[last:loc[0]]))
				lit, re, fixed := s.pathParam(seg[loc[2]:loc[3]], params)
				switch {
				case fixed:
					pattern.WriteString(regexp.QuoteMeta(lit))
				case re != "":
					pattern.WriteString("(?:" + re + ")")
				default:
					pattern.WriteString("[^/]+")
				}
				last = loc[1]
			}
			pattern.WriteString(regexp.QuoteMeta(seg[last:]))
			continue
		}
		if strings.HasPrefix(seg, ":") || strings.HasPrefix(seg, "*") {
			usePattern = true
		}
		route.WriteString(seg)
		pattern.WriteString(regexp.QuoteMeta(seg))
	}
	if params != nil {
		for _, k := range params.rest() {
			s.rep.Skip("pathParameters %q: the template has no such parameter", k)
		}
	}
	if usePattern {
		h.RoutePattern = "^" + pattern.String() + "$"
		s.rep.Note("urlPathTemplate %q became a routePattern: templates cannot read its parameters by name", tpl)
		return true
	}
	h.Route = route.String()
	return true
}

// pathParam reads the matcher pathParameters has for one parameter: a
// value it is fixed to, or a regular expression (else neither).
func (s *stubT) pathParam(name string, params *obj) (lit, re string, fixed bool) {
	if params == nil || !params.has(name) {
		return "", "", false
	}
	pat := newObj(params.raw(name))
	where := fmt.Sprintf("pathParameters %q", name)
	if pat == nil {
		s.rep.Skip("%s is not a matcher object", where)
		return "", "", false
	}
	op, val := operator(pat)
	str := stringOf(val)
	switch {
	case op == "equalTo" && !pat.boolean("caseInsensitive"):
		return str, "", true
	case op == "matches":
		if err := imports.CheckRegexp(str); err != nil {
			s.rep.Skip("%s: %v", where, err)
			return "", "", false
		}
		return "", str, false
	}
	s.rep.Skip("%s: %s is not translated (only equalTo and matches are, for a path parameter)", where, op)
	return "", "", false
}

func (s *stubT) basicAuth(o *obj, h *model.HTTPContext) {
	if o == nil {
		s.rep.Skip("basicAuthCredentials is not an object")
		return
	}
	user, _ := o.str("username")
	pass, _ := o.str("password")
	token := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	h.Header = append(h.Header, imports.Cond("Authorization", model.AssertEquals, "Basic "+token))
}

// targetKind is what part of the request a matcher reads.
type targetKind int

const (
	tHeader   targetKind = iota
	tQuery               // a query parameter
	tCookie              // a cookie (read from the Cookie header)
	tBody                // the whole body
	tJSONPath            // a value of a JSON body (name: the JSONPath)
)

// target is the request part one matcher reads.
type target struct {
	kind  targetKind
	name  string // header, query or cookie name; the JSONPath of the body
	where string // for the report
}

// add translates one matcher and appends its conditions to their list.
func (s *stubT) add(h *model.HTTPContext, tg target, pat *obj) {
	if pat == nil {
		s.rep.Skip("%s is not a matcher object", tg.where)
		return
	}
	for _, c := range s.matcher(tg, pat) {
		list, src := &h.Conditions, match.SourceBody
		switch tg.kind {
		case tHeader, tCookie:
			list, src = &h.Header, match.SourceHeader
		case tQuery:
			list, src = &h.QueryParams, match.SourceQuery
		}
		if err := imports.CheckCondition(c, src); err != nil {
			s.rep.Skip("%s: %v", tg.where, err)
			continue
		}
		*list = append(*list, c)
	}
}

// modifiers qualify a matcher's operator.
var modifiers = map[string]bool{
	"caseInsensitive": true, "ignoreArrayOrder": true, "ignoreExtraElements": true, "enablePlaceholders": true,
	"placeholderOpeningDelimiterRegex": true, "placeholderClosingDelimiterRegex": true, "exemptedComparisons": true,
	"expression": true, "xPathNamespaces": true, "actualFormat": true, "expectedOffset": true,
	"expectedOffsetUnit": true, "truncateExpected": true, "truncateActual": true, "applyTruncationLast": true,
	"schemaVersion": true,
}

// operator finds the matcher's operator and its value.
func operator(pat *obj) (string, json.RawMessage) {
	for _, k := range pat.keys() {
		if !modifiers[k] {
			return k, pat.raw(k)
		}
	}
	return "", nil
}

// stringOf is a JSON string's text, or the JSON text of another value.
func stringOf(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return strings.TrimSpace(string(raw))
}

// path is the condition path of a target.
func (tg target) path() string {
	if tg.kind == tCookie {
		return imports.CookieHeader
	}
	return tg.name
}

// matcher translates one WireMock matcher (StringValuePattern,
// ContentPattern, MultiValuePattern) into conditions.
func (s *stubT) matcher(tg target, pat *obj) []model.Condition {
	op, val := operator(pat)
	ci := pat.boolean("caseInsensitive")
	for _, k := range pat.rest() {
		if !modifiers[k] {
			s.rep.Skip("%s: only one operator per matcher is read; %q is not", tg.where, k)
		}
	}
	str := stringOf(val)
	switch op {
	case "":
		s.rep.Skip("%s: the matcher has no operator", tg.where)
	case "equalTo":
		return s.equalTo(tg, str, ci)
	case "contains":
		return s.contains(tg, str, ci)
	case "doesNotContain":
		switch {
		case tg.kind == tCookie:
			s.rep.Skip("%s: doesNotContain on a cookie (Mockarty has no negated regular expression)", tg.where)
			return nil
		case ci:
			s.rep.Note("%s: doesNotContain ignores case in WireMock, not here", tg.where)
		}
		s.bodyText(tg, "doesNotContain")
		return []model.Condition{imports.Cond(tg.path(), model.AssertNotContains, str)}
	case "matches":
		if tg.kind == tCookie {
			return []model.Condition{imports.Cookie(tg.name, imports.CookieMatches, str, false)}
		}
		s.bodyText(tg, "matches")
		return []model.Condition{imports.Cond(tg.path(), model.AssertMatches, imports.Anchored(str))}
	case "doesNotMatch":
		s.rep.Skip("%s: doesNotMatch (Mockarty has no negated regular expression)", tg.where)
	case "absent":
		var absent bool
		_ = json.Unmarshal(val, &absent)
		return s.absent(tg, absent)
	case "equalToJson":
		return s.equalToJSON(tg, val, pat)
	case "matchesJsonPath":
		return s.matchesJSONPath(tg, val)
	case "and":
		var out []model.Condition
		for i, sub := range s.subPatterns(tg, val, "and") {
			out = append(out, s.matcher(target{kind: tg.kind, name: tg.name, where: fmt.Sprintf("%s and[%d]", tg.where, i)}, sub)...)
		}
		return out
	case "or":
		s.rep.Skip("%s: or (the conditions of a mock must all hold; make one stub per alternative)", tg.where)
	case "not":
		return s.not(tg, newObj(val))
	case "includes", "hasExactly":
		return s.multi(tg, op, val)
	case "equalToXml", "matchesXPath":
		s.rep.Skip("%s: %s (Mockarty's HTTP conditions read JSON and text, not XML: no XPath outside SOAP mocks)", tg.where, op)
	case "binaryEqualTo":
		s.rep.Skip("%s: binaryEqualTo (Mockarty compares text and JSON, not bytes)", tg.where)
	case "matchesJsonSchema":
		s.rep.Skip("%s: matchesJsonSchema (Mockarty has no JSON Schema condition)", tg.where)
	case "before", "after", "equalToDateTime":
		s.rep.Skip("%s: %s (Mockarty has no date comparison)", tg.where, op)
	default:
		s.rep.Skip("%s: the matcher %q is not translated", tg.where, op)
	}
	return nil
}

func (s *stubT) equalTo(tg target, v string, ci bool) []model.Condition {
	switch {
	case tg.kind == tCookie:
		return []model.Condition{imports.Cookie(tg.name, imports.CookieEquals, v, ci)}
	case ci:
		s.bodyText(tg, "equalTo")
		return []model.Condition{imports.Cond(tg.path(), model.AssertMatches, imports.Exact(v, true))}
	case tg.kind == tBody:
		if doc, ok := jsonDocument(v); ok {
			s.rep.Note("%s: equalTo on a JSON text compares the decoded documents (Mockarty decodes JSON bodies): spacing and key order do not matter", tg.where)
			return []model.Condition{imports.Cond("$", model.AssertEquals, doc)}
		}
		s.bodyText(tg, "equalTo")
	}
	return []model.Condition{imports.Cond(tg.path(), model.AssertEquals, v)}
}

func (s *stubT) contains(tg target, v string, ci bool) []model.Condition {
	switch {
	case tg.kind == tCookie:
		return []model.Condition{imports.Cookie(tg.name, imports.CookieContains, v, ci)}
	case ci:
		s.bodyText(tg, "contains")
		return []model.Condition{imports.Cond(tg.path(), model.AssertMatches, "(?i)"+regexp.QuoteMeta(v))}
	}
	s.bodyText(tg, "contains")
	return []model.Condition{imports.Cond(tg.path(), model.AssertContains, v)}
}

func (s *stubT) absent(tg target, absent bool) []model.Condition {
	switch {
	case tg.kind == tCookie && absent:
		s.rep.Note("%s: absent is checked as a Cookie header without %q (a cookie whose name ends in it counts too)", tg.where, tg.name+"=")
		return []model.Condition{imports.Cookie(tg.name, imports.CookieAbsent, "", false)}
	case tg.kind == tCookie:
		return []model.Condition{imports.Cookie(tg.name, imports.CookiePresent, "", false)}
	case absent:
		return []model.Condition{imports.Cond(tg.path(), model.AssertEmpty, nil)}
	}
	return []model.Condition{imports.Cond(tg.path(), model.AssertNotEmpty, nil)}
}

// bodyText notes that a text operator on the whole body reads the raw text
// only when the body is not JSON.
func (s *stubT) bodyText(tg target, op string) {
	if tg.kind != tBody {
		return
	}
	if op == "matches" {
		s.rep.Note("%s: matches reads the raw body only when it is not JSON; a JSON body is decoded first and matched re-encoded without spaces", tg.where)
		return
	}
	s.rep.Note("%s: %s reads the raw body only when it is not JSON; a JSON body is decoded first, and %s then compares the document, not its text", tg.where, op, op)
}

// jsonDocument decodes text that is a JSON object or array.
func jsonDocument(s string) (json.RawMessage, bool) {
	t := strings.TrimSpace(s)
	if t == "" || (t[0] != '{' && t[0] != '[') || !json.Valid([]byte(t)) {
		return nil, false
	}
	return json.RawMessage(t), true
}

func (s *stubT) subPatterns(tg target, val json.RawMessage, op string) []*obj {
	var list []json.RawMessage
	if json.Unmarshal(val, &list) != nil {
		s.rep.Skip("%s: %s is not a list of matchers", tg.where, op)
		return nil
	}
	var out []*obj
	for i, raw := range list {
		if o := newObj(raw); o != nil {
			out = append(out, o)
		} else {
			s.rep.Skip("%s: %s[%d] is not a matcher", tg.where, op, i)
		}
	}
	return out
}

// not negates what has a negated condition.
func (s *stubT) not(tg target, sub *obj) []model.Condition {
	if sub == nil {
		s.rep.Skip("%s: not holds no matcher", tg.where)
		return nil
	}
	op, val := operator(sub)
	str := stringOf(val)
	ci := sub.boolean("caseInsensitive")
	switch {
	case tg.kind == tCookie:
	case op == "equalTo" && !ci:
		return []model.Condition{imports.Cond(tg.path(), model.AssertNotEquals, str)}
	case op == "contains" && !ci:
		return []model.Condition{imports.Cond(tg.path(), model.AssertNotContains, str)}
	case op == "doesNotContain" && !ci:
		return []model.Condition{imports.Cond(tg.path(), model.AssertContains, str)}
	case op == "doesNotMatch":
		return []model.Condition{imports.Cond(tg.path(), model.AssertMatches, imports.Anchored(str))}
	case op == "absent":
		var absent bool
		_ = json.Unmarshal(val, &absent)
		return s.absent(tg, !absent)
	}
	s.rep.Skip("%s: not %s (Mockarty negates equals, contains and emptiness only)", tg.where, op)
	return nil
}

// multi translates includes and hasExactly (matchers over all the values
// of a repeated header or parameter): each holds when one value matches.
func (s *stubT) multi(tg target, op string, val json.RawMessage) []model.Condition {
	if tg.kind != tHeader && tg.kind != tQuery {
		s.rep.Skip("%s: %s applies to headers and query parameters", tg.where, op)
		return nil
	}
	if op == "hasExactly" {
		s.rep.Note("%s: hasExactly is checked as includes: further values are not refused", tg.where)
	}
	var out []model.Condition
	for i, sub := range s.subPatterns(tg, val, op) {
		where := fmt.Sprintf("%s %s[%d]", tg.where, op, i)
		sop, sval := operator(sub)
		str := stringOf(sval)
		ci := sub.boolean("caseInsensitive")
		switch sop {
		case "equalTo":
			out = append(out, imports.Cond(tg.name, model.AssertMatches, imports.Exact(str, ci)))
		case "contains":
			re := regexp.QuoteMeta(str)
			if ci {
				re = "(?i)" + re
			}
			out = append(out, imports.Cond(tg.name, model.AssertMatches, re))
		default:
			out = append(out, s.matcher(target{kind: tg.kind, name: tg.name, where: where}, sub)...)
		}
	}
	return out
}

// matchesJSONPath: a plain expression holds when it finds something; the
// object form applies its matcher to what the expression finds.
func (s *stubT) matchesJSONPath(tg target, val json.RawMessage) []model.Condition {
	if tg.kind != tBody {
		s.rep.Skip("%s: matchesJsonPath on a header, parameter or cookie (Mockarty reads JSON paths of the body only)", tg.where)
		return nil
	}
	var expr string
	if json.Unmarshal(val, &expr) == nil {
		return []model.Condition{imports.Cond(expr, model.AssertNotEmpty, nil)}
	}
	sub := newObj(val)
	if sub == nil {
		s.rep.Skip("%s: matchesJsonPath is neither an expression nor an object", tg.where)
		return nil
	}
	expr, ok := sub.str("expression")
	if !ok {
		s.rep.Skip("%s: matchesJsonPath has no expression", tg.where)
		return nil
	}
	return s.matcher(target{kind: tJSONPath, name: expr, where: fmt.Sprintf("%s (matchesJsonPath %q)", tg.where, expr)}, sub.without("expression"))
}

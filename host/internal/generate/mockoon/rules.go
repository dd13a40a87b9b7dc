package mockoon

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/generate/imports"
	"github.com/mockarty-oss/mockarty/host/internal/match"
	"github.com/mockarty-oss/mockarty/host/internal/model"
)

// listKind is the condition list a rule's condition goes to.
type listKind int

const (
	listBody listKind = iota
	listHeader
	listQuery
)

type cond struct {
	list listKind
	c    model.Condition
}

// alt is one way a response's rules hold: conditions that must all hold,
// and route parameters fixed to a value (a params equals rule).
type alt struct {
	conds []cond
	fixed map[string]string
}

// alternatives are the ways the rules of a response hold: one (AND), or
// one per rule (OR), as a mock's conditions must all hold.
func (rt *routeT) alternatives(resp *response, where string) []alt {
	and := resp.RulesOperator == "AND"
	var out []alt
	var all alt
	for i, r := range resp.Rules {
		rw := fmt.Sprintf("%s rule %d (%s %s %s)", where, i+1, r.Target, r.Modifier, r.Operator)
		a, why := rt.rule(r)
		if why != "" {
			if and {
				rt.rep.Skip("%s: %s; the response is served without this check", rw, why)
			} else {
				rt.rep.Skip("%s: %s; this alternative is left out", rw, why)
			}
			continue
		}
		if !and {
			out = append(out, a)
			continue
		}
		all.conds = append(all.conds, a.conds...)
		for k, v := range a.fixed {
			if all.fixed == nil {
				all.fixed = map[string]string{}
			}
			all.fixed[k] = v
		}
	}
	if and {
		return []alt{all}
	}
	return out
}

// rule translates one rule, or says why it cannot be.
func (rt *routeT) rule(r rule) (alt, string) {
	if strings.Contains(r.Value, "{{") || strings.Contains(r.Modifier, "{{") {
		return alt{}, "templates in rules are not translated"
	}
	switch r.Target {
	case "params":
		return rt.paramRule(r)
	case "body":
		return rt.valueRule(r, listBody)
	case "query":
		if r.Modifier == "" || strings.ContainsAny(r.Modifier, ".[") {
			return alt{}, "only a rule on one query parameter by name is translated"
		}
		return rt.valueRule(r, listQuery)
	case "header":
		if r.Modifier == "" {
			return alt{}, "a header rule without a header name"
		}
		return rt.valueRule(r, listHeader)
	case "cookie":
		return rt.cookieRule(r)
	case "path", "method":
		return alt{}, "Mockarty conditions do not read the " + r.Target + " (the route and method are the mock's)"
	case "request_number":
		return alt{}, "Mockarty conditions do not count requests (a sequence is responseMode SEQUENTIAL)"
	case "global_var", "data_bucket", "templating":
		return alt{}, "Mockarty conditions read the request only"
	}
	return alt{}, fmt.Sprintf("target %q is not translated", r.Target)
}

// paramRule: a route parameter that equals a value is that value in the route.
func (rt *routeT) paramRule(r rule) (alt, string) {
	switch {
	case rt.path.route == "":
		return alt{}, "the route is a pattern: its parameters have no names"
	case r.Operator != "equals" || r.Invert:
		return alt{}, "only equals on a route parameter is translated (the value goes into the route)"
	case r.Value == "" || strings.ContainsAny(r.Value, "/?# ") || strings.HasPrefix(r.Value, ":") || strings.HasPrefix(r.Value, "*"):
		return alt{}, fmt.Sprintf("the value %q cannot stand in a route", r.Value)
	}
	for _, s := range rt.path.segs {
		if s.Param && s.Text == r.Modifier {
			return alt{fixed: map[string]string{r.Modifier: r.Value}}, ""
		}
	}
	return alt{}, "the route has no parameter " + r.Modifier
}

// valueRule translates a rule on the body, a query parameter or a header.
func (rt *routeT) valueRule(r rule, list listKind) (alt, string) {
	path := r.Modifier
	src := match.SourceHeader
	switch list {
	case listQuery:
		src = match.SourceQuery
	case listBody:
		src = match.SourceBody
		p, ok := imports.BodyPath(r.Modifier)
		if !ok {
			return alt{}, fmt.Sprintf("the body path %q has no JSONPath equivalent", r.Modifier)
		}
		path = p
		rt.t.envRep.Note("body rules read JSON bodies; Mockoon also reads form bodies (application/x-www-form-urlencoded), Mockarty does not")
	}
	var c model.Condition
	switch r.Operator {
	case "equals":
		action := model.AssertEquals
		if r.Invert {
			action = model.AssertNotEquals
		}
		var v any = r.Value
		if list == listBody && path == "$" {
			if doc, ok := jsonText(r.Value); ok {
				v = doc
				rt.rep.Note("rule equals on the whole body: the body is compared as a JSON document (spacing and key order do not matter)")
			} else {
				rt.rep.Note("rule equals on the whole body reads the raw body only when it is not JSON (Mockarty decodes JSON bodies)")
			}
		}
		c = imports.Cond(path, action, v)
	case "regex", "regex_i":
		if r.Invert {
			return alt{}, "an inverted regex (Mockarty has no negated regular expression)"
		}
		re := r.Value
		if r.Operator == "regex_i" {
			re = "(?i)" + re
		}
		if list == listBody && path == "$" {
			rt.rep.Note("rule regex on the whole body reads the raw body only when it is not JSON (a JSON body is matched re-encoded without spaces)")
		}
		c = imports.Cond(path, model.AssertMatches, re)
	case "null":
		action := model.AssertEmpty
		if r.Invert {
			action = model.AssertNotEmpty
		}
		c = imports.Cond(path, action, nil)
	case "empty_array":
		action := model.AssertEquals
		if r.Invert {
			action = model.AssertNotEquals
		}
		c = imports.Cond(path, action, []any{})
	case "array_includes":
		action := model.AssertContains
		if r.Invert {
			action = model.AssertNotContains
		}
		c = imports.Cond(path, action, r.Value)
	case "valid_json_schema":
		return alt{}, "Mockarty has no JSON Schema condition"
	default:
		return alt{}, fmt.Sprintf("operator %q is not translated", r.Operator)
	}
	if err := imports.CheckCondition(c, src); err != nil {
		return alt{}, err.Error()
	}
	return alt{conds: []cond{{list: list, c: c}}}, ""
}

// cookieRule checks one cookie in the Cookie header.
func (rt *routeT) cookieRule(r rule) (alt, string) {
	if r.Modifier == "" {
		return alt{}, "a cookie rule without a cookie name"
	}
	var c model.Condition
	switch {
	case r.Operator == "equals" && !r.Invert:
		c = imports.Cookie(r.Modifier, imports.CookieEquals, r.Value, false)
	case (r.Operator == "regex" || r.Operator == "regex_i") && !r.Invert:
		c = imports.Cookie(r.Modifier, imports.CookieFinds, r.Value, r.Operator == "regex_i")
	case r.Operator == "null" && !r.Invert:
		c = imports.Cookie(r.Modifier, imports.CookieAbsent, "", false)
	case r.Operator == "null":
		c = imports.Cookie(r.Modifier, imports.CookiePresent, "", false)
	default:
		return alt{}, "only equals, regex and null are translated for a cookie (read from the Cookie header)"
	}
	if err := imports.CheckCondition(c, match.SourceHeader); err != nil {
		return alt{}, err.Error()
	}
	return alt{conds: []cond{{list: listHeader, c: c}}}, ""
}

// jsonText decodes text that is a JSON object or array.
func jsonText(s string) (json.RawMessage, bool) {
	t := strings.TrimSpace(s)
	if t == "" || (t[0] != '{' && t[0] != '[') || !json.Valid([]byte(t)) {
		return nil, false
	}
	return json.RawMessage(t), true
}

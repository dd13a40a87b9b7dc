package imports

import (
	"regexp"
	"regexp/syntax"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/model"
)

// LiteralRoute is the HTTP context of a literal path: a route, or, when a
// segment would be read as a parameter (":x") or a wildcard ("*"), or the
// path holds what a route may not (spaces, '?', '#'), an anchored
// routePattern that matches the path as written.
func LiteralRoute(path string) (route, pattern string) {
	if path == "" {
		path = "/"
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	literal := !strings.ContainsAny(path, " \t\r\n?#")
	for _, seg := range strings.Split(path[1:], "/") {
		if strings.HasPrefix(seg, ":") || strings.HasPrefix(seg, "*") {
			literal = false
		}
	}
	if literal {
		return path, ""
	}
	return "", "^" + regexp.QuoteMeta(path) + "$"
}

// LiteralPattern reports the text a regular expression matches when it
// matches only that (/api/find, /api/v1\.0): such a pattern can be a route.
func LiteralPattern(re string) (string, bool) {
	r, err := syntax.Parse(re, syntax.Perl)
	if err != nil {
		return "", false
	}
	r = r.Simplify()
	if r.Op != syntax.OpLiteral || r.Flags&syntax.FoldCase != 0 {
		return "", false
	}
	return string(r.Rune), true
}

// Segment is one segment of a route: static text, or a parameter name.
type Segment struct {
	Text  string
	Param bool
}

// Segments splits a route ("/users/:id/*") into its segments; the
// trailing wildcard is left out. nil for a routePattern.
func Segments(route string) []Segment {
	if route == "" {
		return nil
	}
	out := []Segment{}
	for _, seg := range strings.Split(strings.Trim(route, "/"), "/") {
		switch {
		case seg == "":
		case strings.HasPrefix(seg, "*"):
			return out
		case strings.HasPrefix(seg, ":"):
			out = append(out, Segment{Text: seg[1:], Param: true})
		default:
			out = append(out, Segment{Text: seg})
		}
	}
	return out
}

// Delay is a delay in whole milliseconds within what a mock may wait
// (model.MaxDelay); a longer one is cut, and the note says so ("").
func Delay(ms float64) (int64, string) {
	switch {
	case ms <= 0:
		return 0, ""
	case ms > model.MaxDelay:
		return model.MaxDelay, "the delay is cut to one hour, the longest a mock waits"
	}
	return int64(ms + 0.5), ""
}

// Methods Mockarty knows: others cannot be served.
var methods = map[string]bool{"GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true,
	"HEAD": true, "OPTIONS": true, "TRACE": true, "CONNECT": true}

// Method is the httpMethod for a method name: "" for any method, ok false
// for one Mockarty does not serve.
func Method(m string) (string, bool) {
	m = strings.ToUpper(strings.TrimSpace(m))
	switch {
	case m == "" || m == "ANY" || m == "ALL" || m == "*":
		return "ANY", true
	case methods[m]:
		return m, true
	}
	return "", false
}

package imports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/match"
	"github.com/mockarty-oss/mockarty/host/internal/model"
)

// Cond is a condition whose value is v encoded as JSON (nil: no value).
func Cond(path, action string, v any) model.Condition {
	c := model.Condition{Path: path, AssertAction: action}
	if v != nil {
		c.Value = JSON(v)
	}
	return c
}

// JSON encodes v without HTML escapes ("<" stays "<" in what users read).
func JSON(v any) json.RawMessage {
	if raw, ok := v.(json.RawMessage); ok {
		return raw
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("imports: value does not encode: " + err.Error())
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// Exact is a regular expression that matches s exactly, ignoring case when
// asked (Mockarty's matches is unanchored; equals knows no case folding).
func Exact(s string, caseInsensitive bool) string {
	re := "^" + regexp.QuoteMeta(s) + "$"
	if caseInsensitive {
		re = "(?i)" + re
	}
	return re
}

// Anchored makes a whole-value regular expression (Java's matches(), used
// by WireMock) of one that Mockarty would look for anywhere in the value.
func Anchored(re string) string { return "^(?:" + re + ")$" }

// CheckRegexp tells whether Go's RE2 accepts a pattern written for another
// engine (Java and JavaScript have lookarounds and back-references).
func CheckRegexp(re string) error {
	if _, err := regexp.Compile(re); err != nil {
		return fmt.Errorf("the regular expression %q is not RE2 syntax (%v)", re, err)
	}
	return nil
}

// CheckCondition compiles c the way the catalog does before saving, for a
// list of kind src (match.SourceBody, SourceHeader or SourceQuery).
func CheckCondition(c model.Condition, src match.Source) error {
	if c.AssertAction == model.AssertMatches {
		var re string
		if json.Unmarshal(c.Value, &re) == nil {
			if err := CheckRegexp(re); err != nil {
				return err
			}
		}
	}
	if _, err := match.CompileConditions([]model.Condition{c}, src, false); err != nil {
		return fmt.Errorf("%s %q: %v", c.AssertAction, c.Path, err)
	}
	return nil
}

// CookieHeader is the request header cookies arrive in.
const CookieHeader = "Cookie"

// CookieOp is what a cookie condition checks of the cookie's value.
type CookieOp int

// Cookie operations that a condition on the Cookie header can express.
const (
	CookieEquals   CookieOp = iota // the value is exactly this
	CookieContains                 // the value holds this text
	CookieMatches                  // the whole value matches this expression
	CookieFinds                    // the value holds a match of this expression
	CookieAbsent                   // no cookie of this name
	CookiePresent                  // a cookie of this name
)

// Cookie is the condition on the Cookie header that checks one cookie:
// Mockarty has no cookie list, so the cookie is found by a regular
// expression over "a=1; b=2". An absent cookie is checked with
// not_contains "name=", which a cookie whose name ends with this one also
// fails.
func Cookie(name string, op CookieOp, value string, caseInsensitive bool) model.Condition {
	start := `(?:^|;\s*)` + regexp.QuoteMeta(name) + `=`
	ci := ""
	if caseInsensitive {
		ci = "(?i)"
	}
	switch op {
	case CookieEquals:
		return Cond(CookieHeader, model.AssertMatches, start+"(?:"+ci+regexp.QuoteMeta(value)+`)(?:;|$)`)
	case CookieContains:
		return Cond(CookieHeader, model.AssertMatches, start+`[^;]*`+"(?:"+ci+regexp.QuoteMeta(value)+")")
	case CookieMatches:
		return Cond(CookieHeader, model.AssertMatches, start+"(?:"+ci+value+`)(?:;|$)`)
	case CookieFinds:
		return Cond(CookieHeader, model.AssertMatches, start+`[^;]*?(?:`+ci+value+")")
	case CookieAbsent:
		return Cond(CookieHeader, model.AssertNotContains, name+"=")
	}
	return Cond(CookieHeader, model.AssertMatches, start)
}

// BodyPath is the body condition path of an object path such as
// "user.name", "items.0.id" or "items[0].id" (Mockoon's, lodash's):
// numeric keys index arrays in Mockarty too, and keys that are no plain
// names are quoted. A path starting with "$" is JSONPath already. ok is
// false for what has no plain equivalent (escaped dots).
func BodyPath(p string) (string, bool) {
	p = strings.TrimSpace(p)
	switch {
	case p == "" || p == "$":
		return "$", true
	case strings.HasPrefix(p, "$"):
		return p, true
	case strings.Contains(p, `\`):
		return "", false
	}
	var sb strings.Builder
	sb.WriteString("$")
	for _, seg := range strings.Split(p, ".") {
		key, rest := seg, ""
		if i := strings.IndexByte(seg, '['); i >= 0 {
			key, rest = seg[:i], seg[i:]
		}
		switch {
		case key == "" && rest == "":
			return "", false
		case key == "":
		case plainKey(key):
			sb.WriteString("." + key)
		case !strings.ContainsAny(key, `'"`):
			sb.WriteString("['" + key + "']")
		default:
			return "", false
		}
		sb.WriteString(rest)
	}
	return sb.String(), true
}

func plainKey(k string) bool {
	for i := 0; i < len(k); i++ {
		if c := k[i]; !(isIdentByte(c) && c != '-') {
			return false
		}
	}
	return k != ""
}

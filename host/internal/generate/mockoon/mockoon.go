// Package mockoon translates a Mockoon environment (the JSON file the
// desktop app and mockoon-cli serve) into Mockarty HTTP mocks: each route
// response becomes a mock whose rules are its conditions, the route
// response modes become oneOf, Mockoon's Handlebars helpers become
// Mockarty templates, and the route and response order becomes priorities.
// What a mock cannot do the way Mockoon did is listed in the route's
// report.
package mockoon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/host/internal/generate/imports"
	"github.com/mockarty-oss/mockarty/host/internal/model"
)

// Options say where the mocks go.
type Options struct {
	Namespace string
	// IDPrefix starts every mock id; default "mockoon-<namespace>" (or
	// "mockoon"), as mock ids are unique across namespaces.
	IDPrefix string
}

// Result is the mocks and the reports: the environment's own first
// (index -1), then one per route.
type Result = imports.Result

// StubReport tells what became of one route (or of the environment).
type StubReport = imports.StubReport

// environment is the part of Mockoon's Environment model that is read.
type environment struct {
	UUID              string                 `json:"uuid"`
	Name              string                 `json:"name"`
	EndpointPrefix    string                 `json:"endpointPrefix"`
	Latency           float64                `json:"latency"`
	Routes            []route                `json:"routes"`
	RootChildren      []child                `json:"rootChildren"`
	Folders           []folder               `json:"folders"`
	ProxyMode         bool                   `json:"proxyMode"`
	ProxyHost         string                 `json:"proxyHost"`
	ProxyRemovePrefix bool                   `json:"proxyRemovePrefix"`
	ProxyReqHeaders   []header               `json:"proxyReqHeaders"`
	ProxyResHeaders   []header               `json:"proxyResHeaders"`
	TLSOptions        struct{ Enabled bool } `json:"tlsOptions"`
	Cors              bool                   `json:"cors"`
	Headers           []header               `json:"headers"`
	Data              []databucket           `json:"data"`
	Callbacks         []callback             `json:"callbacks"`
}

type child struct {
	Type string `json:"type"`
	UUID string `json:"uuid"`
}

type folder struct {
	UUID     string  `json:"uuid"`
	Children []child `json:"children"`
}

type route struct {
	UUID          string     `json:"uuid"`
	Type          string     `json:"type"`
	Method        string     `json:"method"`
	Endpoint      string     `json:"endpoint"`
	Responses     []response `json:"responses"`
	ResponseMode  *string    `json:"responseMode"`
	StreamingMode *string    `json:"streamingMode"`
}

type response struct {
	UUID              string             `json:"uuid"`
	Body              string             `json:"body"`
	Latency           float64            `json:"latency"`
	StatusCode        int                `json:"statusCode"`
	Label             string             `json:"label"`
	Headers           []header           `json:"headers"`
	BodyType          string             `json:"bodyType"`
	FilePath          string             `json:"filePath"`
	DatabucketID      string             `json:"databucketID"`
	Rules             []rule             `json:"rules"`
	RulesOperator     string             `json:"rulesOperator"`
	DisableTemplating bool               `json:"disableTemplating"`
	Default           bool               `json:"default"`
	Callbacks         []responseCallback `json:"callbacks"`
}

type rule struct {
	Target   string `json:"target"`
	Modifier string `json:"modifier"`
	Value    string `json:"value"`
	Invert   bool   `json:"invert"`
	Operator string `json:"operator"`
}

type header struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type databucket struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type callback struct {
	UUID     string   `json:"uuid"`
	Name     string   `json:"name"`
	URI      string   `json:"uri"`
	Method   string   `json:"method"`
	Headers  []header `json:"headers"`
	Body     string   `json:"body"`
	BodyType string   `json:"bodyType"`
}

type responseCallback struct {
	UUID    string  `json:"uuid"`
	Latency float64 `json:"latency"`
}

// Translate reads a Mockoon environment file.
func Translate(data []byte, opts Options) (*Result, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return nil, generate.Inputf("environment", "must be a Mockoon environment: a JSON object")
	}
	var env environment
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, generate.Inputf("environment", "is not a Mockoon environment: %v", err)
	}
	var top map[string]json.RawMessage
	_ = json.Unmarshal(data, &top)
	if _, ok := top["routes"]; !ok {
		return nil, generate.Inputf("environment", "has no routes: is this a Mockoon environment file?")
	}
	prefix := opts.IDPrefix
	if prefix == "" {
		prefix = "mockoon"
		if opts.Namespace != "" {
			prefix += "-" + opts.Namespace
		}
	}
	t := &translator{env: &env, opts: opts, ids: imports.NewIDs(prefix)}
	t.envRep = imports.NewReport(-1, "environment "+env.Name)
	t.reps = append(t.reps, t.envRep)
	t.environment()
	routes := servedOrder(&env)
	t.maxResponses = 1
	for _, i := range routes {
		t.maxResponses = max(t.maxResponses, len(env.Routes[i].Responses))
	}
	for rank, i := range routes {
		t.route(i, len(routes)-rank)
	}
	t.proxy()
	return t.reps.Result(t.mocks), nil
}

type translator struct {
	env    *environment
	opts   Options
	ids    *imports.IDs
	mocks  []*model.Mock
	reps   imports.Reports
	envRep *StubReport
	// maxResponses spaces the priorities of routes: see route.
	maxResponses int
}

// servedOrder is the order Mockoon tries the routes in: the tree of
// rootChildren and folders, then the routes it does not name (Mockoon adds
// them at the end when it loads the file).
func servedOrder(env *environment) []int {
	byUUID := map[string]int{}
	for i, r := range env.Routes {
		if r.UUID != "" {
			byUUID[r.UUID] = i
		}
	}
	folders := map[string]*folder{}
	for i := range env.Folders {
		folders[env.Folders[i].UUID] = &env.Folders[i]
	}
	var out []int
	seen := map[int]bool{}
	var walk func([]child, int)
	walk = func(children []child, depth int) {
		for _, c := range children {
			switch {
			case c.Type == "route":
				if i, ok := byUUID[c.UUID]; ok && !seen[i] {
					seen[i] = true
					out = append(out, i)
				}
			case c.Type == "folder" && folders[c.UUID] != nil && depth < 64:
				walk(folders[c.UUID].Children, depth+1)
			}
		}
	}
	walk(env.RootChildren, 0)
	for i := range env.Routes {
		if !seen[i] {
			out = append(out, i)
		}
	}
	return out
}

// environment reports the settings that apply to the whole environment.
func (t *translator) environment() {
	env, rep := t.env, t.envRep
	rep.Note("Mockoon tries routes in their order in the file: the mocks' priorities keep that order, and the order of a route's responses")
	rep.Note("Mockoon matches paths ignoring case; Mockarty routes are case-sensitive")
	if len(env.Headers) > 0 {
		rep.Note("the environment's headers are copied into every response (a route's header of the same name wins)")
	}
	if env.Latency > 0 {
		rep.Note("the environment's latency, %v ms, is added to every response's delay", env.Latency)
	}
	if env.Cors {
		rep.Skip("cors: Mockoon answers OPTIONS preflights and adds CORS headers itself; the mocks send only the headers they list")
	}
	if env.TLSOptions.Enabled {
		rep.Skip("tlsOptions: TLS is the Mockarty server's, not a mock's")
	}
	if len(env.Data) > 0 {
		names := make([]string, 0, len(env.Data))
		for _, d := range env.Data {
			names = append(names, d.Name)
		}
		rep.Skip("data buckets (%s) are not carried: the routes and helpers that read them are reported where they do", strings.Join(names, ", "))
	}
}

// proxy turns the proxy mode into a mock that forwards what no other mock
// answers.
func (t *translator) proxy() {
	env, rep := t.env, t.envRep
	if !env.ProxyMode {
		return
	}
	if u, err := url.Parse(env.ProxyHost); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		rep.Skip("proxyMode: the proxy host %q is no absolute http(s) URL", env.ProxyHost)
		return
	}
	m := &model.Mock{
		ID:        t.ids.Make("proxy"),
		Namespace: t.opts.Namespace,
		Tags:      []string{"imported", "mockoon"},
		HTTP:      &model.HTTPContext{Route: "/*", HTTPMethod: "ANY"},
		Proxy:     &model.Proxy{Target: env.ProxyHost},
		Priority:  -1,
	}
	if h := headerMap(env.ProxyResHeaders); len(h) > 0 {
		m.Response = &model.ContentResponse{Headers: h}
	}
	if len(headerMap(env.ProxyReqHeaders)) > 0 {
		rep.Skip("proxyReqHeaders: Mockarty's proxy passes the request headers on as they came")
	}
	if env.ProxyRemovePrefix && env.EndpointPrefix != "" {
		rep.Skip("proxyRemovePrefix: the proxy mock forwards the whole path")
	}
	t.mocks = append(t.mocks, m)
	rep.MockIDs = append(rep.MockIDs, m.ID)
	rep.Note("proxyMode: mock %s (route /*, lowest priority) forwards what no other mock answers to %s", m.ID, env.ProxyHost)
}

// headerMap gathers headers with a name (Mockoon keeps an empty row).
func headerMap(hs []header) map[string][]string {
	out := map[string][]string{}
	for _, h := range hs {
		if strings.TrimSpace(h.Key) != "" {
			out[h.Key] = append(out[h.Key], h.Value)
		}
	}
	return out
}

func routeName(r *route) string {
	m := strings.ToUpper(r.Method)
	if m == "" || m == "ALL" {
		m = "ANY"
	}
	return fmt.Sprintf("%s /%s", m, strings.TrimPrefix(r.Endpoint, "/"))
}

package imports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/sdk/postman"
	"gopkg.in/yaml.v3"
)

// The Insomnia v4 export shapes read (JSON, or the YAML Insomnia also
// writes); everything else in a resource is ignored.
type insomniaExport struct {
	Type      string            `json:"_type"`
	Format    json.Number       `json:"__export_format"`
	Resources []json.RawMessage `json:"resources"`
}

type insResource struct {
	ID          string   `json:"_id"`
	Type        string   `json:"_type"`
	ParentID    *string  `json:"parentId"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	SortKey     *float64 `json:"metaSortKey"`
	// request
	URL            string         `json:"url"`
	Method         string         `json:"method"`
	Body           *insBody       `json:"body"`
	Parameters     []insPair      `json:"parameters"`
	Headers        []insPair      `json:"headers"`
	Authentication map[string]any `json:"authentication"`
	// request_group (environment) and environment (data)
	Environment map[string]any `json:"environment"`
	Data        map[string]any `json:"data"`

	index int
}

type insBody struct {
	MimeType string    `json:"mimeType"`
	Text     string    `json:"text"`
	FileName string    `json:"fileName"`
	Params   []insPair `json:"params"`
}

type insPair struct {
	Name     string `json:"name"`
	Value    string `json:"value"`
	Disabled bool   `json:"disabled"`
	Type     string `json:"type"`
	FileName string `json:"fileName"`
}

// Insomnia imports an Insomnia v4 export (JSON or YAML): each workspace's
// request groups become folders and its requests requests; the base
// environment's data becomes collection variables, a group's environment
// folder variables, and each sub-environment an Environment of the
// result. Insomnia's {{ _.name }} references become {{name}}; template
// tags ({% ... %}) are kept as written, with a warning.
func Insomnia(data []byte) (*Result, error) {
	if err := checkSize(data, "an Insomnia export (v4, JSON or YAML)"); err != nil {
		return nil, err
	}
	exp, err := readInsomnia(data)
	if err != nil {
		return nil, err
	}
	im := &insImport{w: &warner{}, byID: map[string]*insResource{}, children: map[string][]*insResource{}}
	var workspaces []*insResource
	for i, raw := range exp.Resources {
		var r insResource
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, generate.Inputf(fmt.Sprintf("resources[%d]", i), "is not an Insomnia resource: %s", typeErr(err))
		}
		r.index = i
		if r.ID == "" {
			return nil, generate.Inputf(fmt.Sprintf("resources[%d]._id", i), "is missing: every resource has an id")
		}
		if _, dup := im.byID[r.ID]; dup {
			return nil, generate.Inputf(fmt.Sprintf("resources[%d]._id", i), "%q is the id of an earlier resource too", r.ID)
		}
		im.byID[r.ID] = &r
		im.order = append(im.order, &r)
		if r.Type == "workspace" {
			workspaces = append(workspaces, &r)
		}
	}
	for _, r := range im.order {
		if r.ParentID != nil && *r.ParentID != "" {
			im.children[*r.ParentID] = append(im.children[*r.ParentID], r)
		}
	}
	c := &postman.Collection{Info: postman.Info{Name: "Insomnia import"}, Item: []*postman.Item{}}
	res := &Result{Collection: c}
	im.visited = map[string]bool{}
	switch len(workspaces) {
	case 0:
	case 1:
		ws := workspaces[0]
		c.Info.Name, c.Info.Description = orDefault(ws.Name, c.Info.Name), postman.Text(ws.Description)
		if c.Item, err = im.content(ws, 1); err != nil {
			return nil, err
		}
		c.Variable, res.Environments = im.environments(ws)
	default:
		for _, ws := range workspaces {
			f := &postman.Item{Name: orDefault(ws.Name, "Workspace"), Description: postman.Text(ws.Description)}
			if f.Item, err = im.content(ws, 2); err != nil {
				return nil, err
			}
			f.Variable, _ = im.environments(ws)
			c.Item = append(c.Item, f)
		}
		im.w.warn("the export holds %d workspaces: each is a top-level folder, with its base environment as folder variables and its sub-environments left out", len(workspaces))
	}
	// What no workspace holds (an export of a folder, or parents missing
	// from the file) goes at the top, each under its topmost group.
	for _, r := range im.order {
		if im.visited[r.ID] || (r.Type != "request" && r.Type != "request_group") {
			continue
		}
		if p := im.parentGroup(r); p != nil && !im.visited[p.ID] && !im.loops(r) {
			continue // imported with its group
		}
		it, err := im.resource(r, 1)
		if err != nil {
			return nil, err
		}
		if it != nil {
			c.Item = append(c.Item, it)
		}
	}
	if im.requests == 0 {
		return nil, generate.Inputf(DocumentField, "holds no HTTP request (resources of _type \"request\")")
	}
	im.summarise()
	res.Warnings = im.w.list()
	return res, nil
}

// readInsomnia reads the export's envelope, from JSON or YAML.
func readInsomnia(data []byte) (*insomniaExport, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	js := data
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] != '{' && t[0] != '[' {
		var v any
		if err := yaml.Unmarshal(data, &v); err != nil {
			return nil, generate.Inputf(DocumentField, "is neither JSON nor YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
		}
		m, ok := stringKeys(v, 0).(map[string]any)
		if !ok {
			return nil, generate.Inputf(DocumentField, "is not an Insomnia export (a JSON or YAML object)")
		}
		if t, _ := m["type"].(string); strings.HasPrefix(t, "collection.insomnia.rest/") || strings.HasPrefix(t, "environment.insomnia.rest/") {
			return nil, generate.Inputf(DocumentField, "is an Insomnia v5 (%s) file: export the data from Insomnia as \"Insomnia v4 (JSON)\"", t)
		}
		var err error
		if js, err = json.Marshal(m); err != nil {
			return nil, generate.Inputf(DocumentField, "cannot be read: %v", err)
		}
	}
	var exp insomniaExport
	if err := json.Unmarshal(js, &exp); err != nil {
		if !json.Valid(js) {
			return nil, generate.Inputf(DocumentField, "is not JSON: %s", generate.JSONWhere(js, err))
		}
		return nil, generate.Inputf(DocumentField, "is not an Insomnia export: %s", typeErr(err))
	}
	switch {
	case exp.Type != "export" && exp.Resources == nil:
		return nil, generate.Inputf(DocumentField, "is not an Insomnia export: it has no \"_type\": \"export\" and no resources")
	case exp.Format != "" && exp.Format != "4":
		return nil, generate.Inputf("__export_format", "is %s: Insomnia exports of format 4 are read (export again from a current Insomnia)", exp.Format)
	case len(exp.Resources) == 0:
		return nil, generate.Inputf("resources", "is empty: the export holds nothing")
	}
	return &exp, nil
}

func typeErr(err error) string {
	if te, ok := err.(*json.UnmarshalTypeError); ok {
		return fmt.Sprintf("%s is a JSON %s, want %s", te.Field, te.Value, te.Type.Kind())
	}
	return err.Error()
}

// stringKeys makes YAML's maps JSON objects (keys as text).
func stringKeys(v any, depth int) any {
	if depth > 512 {
		return nil
	}
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = stringKeys(e, depth+1)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = stringKeys(e, depth+1)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = stringKeys(e, depth+1)
		}
	}
	return v
}

type insImport struct {
	w        *warner
	byID     map[string]*insResource
	order    []*insResource
	children map[string][]*insResource
	visited  map[string]bool
	requests int
	// skipped counts resources of other kinds, by _type.
	skipped  map[string]int
	tags     int
	tagFirst string
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

// sorted orders resources as Insomnia shows them: by metaSortKey, else
// as written.
func sorted(list []*insResource) []*insResource {
	out := append([]*insResource(nil), list...)
	sort.SliceStable(out, func(a, b int) bool {
		ka, kb := out[a].SortKey, out[b].SortKey
		if ka == nil || kb == nil {
			return false
		}
		return *ka < *kb
	})
	return out
}

// parentGroup is the request group a resource is in, or nil.
func (im *insImport) parentGroup(r *insResource) *insResource {
	if r.ParentID == nil {
		return nil
	}
	if p := im.byID[*r.ParentID]; p != nil && p.Type == "request_group" {
		return p
	}
	return nil
}

// loops says whether a resource's groups lead back to it (or on too far
// to tell): it is then imported where the loop is broken.
func (im *insImport) loops(r *insResource) bool {
	p := im.parentGroup(r)
	for i := 0; p != nil; i++ {
		if p == r || i > postman.MaxDepth {
			return true
		}
		p = im.parentGroup(p)
	}
	return false
}

// content is what a workspace or group holds, as items.
func (im *insImport) content(parent *insResource, depth int) ([]*postman.Item, error) {
	im.visited[parent.ID] = true
	items := []*postman.Item{}
	for _, r := range sorted(im.children[parent.ID]) {
		if im.visited[r.ID] {
			continue // a parent chain that loops
		}
		it, err := im.resource(r, depth)
		if err != nil {
			return nil, err
		}
		if it != nil {
			items = append(items, it)
		}
	}
	return items, nil
}

// resource is a request or a group as an item; nil for other kinds.
func (im *insImport) resource(r *insResource, depth int) (*postman.Item, error) {
	at := fmt.Sprintf("resources[%d]", r.index)
	switch r.Type {
	case "request_group":
		if depth > postman.MaxDepth {
			return nil, generate.Inputf(at, "request groups nest more than %d deep", postman.MaxDepth)
		}
		f := &postman.Item{Name: orDefault(r.Name, "Folder"), Description: postman.Text(im.convert(r.Description))}
		f.Variable = im.variables(r.Environment)
		items, err := im.content(r, depth+1)
		if err != nil {
			return nil, err
		}
		f.Item = items
		return f, nil
	case "request":
		im.visited[r.ID] = true
		if im.requests++; im.requests > MaxRequests {
			return nil, generate.Inputf(DocumentField, "holds more than %d requests: export a part of it", MaxRequests)
		}
		return im.request(r, at), nil
	case "environment", "cookie_jar", "workspace", "api_spec", "":
		im.visited[r.ID] = true
		return nil, nil
	}
	im.visited[r.ID] = true
	if im.skipped == nil {
		im.skipped = map[string]int{}
	}
	im.skipped[r.Type]++
	return nil, nil
}

func (im *insImport) request(r *insResource, at string) *postman.Item {
	method := strings.ToUpper(orDefault(r.Method, "GET"))
	u := postman.NewURL(im.convert(strings.TrimSpace(r.URL)))
	for _, p := range r.Parameters {
		v := im.convert(p.Value)
		u.Query = append(u.Query, postman.QueryParam{Key: im.convert(p.Name), Value: &v, Disabled: p.Disabled})
	}
	if len(r.Parameters) > 0 {
		u.Raw = u.Build()
	}
	req := &postman.Request{Method: method, URL: u}
	for _, h := range r.Headers {
		if h.Name == "" && h.Value == "" {
			continue // the empty row Insomnia's editor keeps
		}
		req.Header = append(req.Header, postman.Header{Key: im.convert(h.Name), Value: im.convert(h.Value), Disabled: h.Disabled})
	}
	name := orDefault(r.Name, requestName(method, u.String()))
	req.Body = im.body(r.Body, at, name)
	req.Auth = im.auth(r.Authentication, at, name, req)
	if u.String() == "" {
		im.w.warn("%s: request %q has no URL", at, name)
	}
	return &postman.Item{Name: name, Description: postman.Text(im.convert(r.Description)), Request: req}
}

func (im *insImport) body(b *insBody, at, name string) *postman.Body {
	if b == nil {
		return nil
	}
	switch mt := mediaType(b.MimeType); mt {
	case "":
		if b.Text == "" {
			return nil
		}
		return rawBody(im.convert(b.Text), "")
	case "application/x-www-form-urlencoded", "multipart/form-data":
		ps := make([]postman.FormParam, 0, len(b.Params))
		for _, p := range b.Params {
			f := postman.FormParam{Key: im.convert(p.Name), Value: im.convert(p.Value), Disabled: p.Disabled, Type: "text"}
			if p.Type == "file" {
				f.Type, f.Value = "file", ""
				if p.FileName != "" {
					f.Src = []string{p.FileName}
				}
				if !p.Disabled {
					im.w.warn("%s: request %q: form field %q sends the file %s from the exporter's disk, which is not imported: attach it again", at, name, p.Name, p.FileName)
				}
			}
			ps = append(ps, f)
		}
		if mt == "multipart/form-data" {
			return &postman.Body{Mode: postman.ModeFormData, FormData: ps}
		}
		for i := range ps {
			ps[i].Type = ""
		}
		return &postman.Body{Mode: postman.ModeURLEncoded, URLEncoded: ps}
	case "application/graphql":
		var g struct {
			Query     string `json:"query"`
			Variables any    `json:"variables"`
		}
		if json.Unmarshal([]byte(b.Text), &g) != nil {
			return rawBody(im.convert(b.Text), "application/json")
		}
		gq := &postman.GraphQL{Query: im.convert(g.Query)}
		if g.Variables != nil {
			vb, _ := json.Marshal(g.Variables)
			gq.Variables = im.convert(string(vb))
		}
		return &postman.Body{Mode: postman.ModeGraphQL, GraphQL: gq}
	default:
		if b.FileName != "" && b.Text == "" {
			im.w.warn("%s: request %q sends the file %s from the exporter's disk, which is not imported: attach it again", at, name, b.FileName)
			return &postman.Body{Mode: postman.ModeFile, File: &postman.BodyFile{Src: b.FileName}}
		}
		return rawBody(im.convert(b.Text), b.MimeType)
	}
}

// auth maps Insomnia's authentication to Postman's; what has no
// counterpart becomes a header or a warning.
func (im *insImport) auth(a map[string]any, at, name string, req *postman.Request) *postman.Auth {
	if len(a) == 0 {
		return nil
	}
	s := func(k string) string { return im.convert(text(a[k])) }
	if d, _ := a["disabled"].(bool); d {
		return postman.NewAuth("noauth")
	}
	switch typ := text(a["type"]); typ {
	case "", "none":
		return nil
	case "basic":
		return postman.NewAuth("basic", "username", s("username"), "password", s("password"))
	case "digest":
		return postman.NewAuth("digest", "username", s("username"), "password", s("password"))
	case "ntlm":
		return postman.NewAuth("ntlm", "username", s("username"), "password", s("password"))
	case "bearer":
		if p := s("prefix"); p != "" && !strings.EqualFold(p, "Bearer") {
			req.Header = append(req.Header, postman.Header{Key: "Authorization", Value: p + " " + s("token")})
			return nil
		}
		return postman.NewAuth("bearer", "token", s("token"))
	case "apikey":
		in := "header"
		if text(a["addTo"]) == "queryParams" {
			in = "query"
		}
		return postman.NewAuth("apikey", "key", s("key"), "value", s("value"), "in", in)
	case "hawk":
		return postman.NewAuth("hawk", "authId", s("id"), "authKey", s("key"), "algorithm", s("algorithm"))
	case "iam":
		return postman.NewAuth("awsv4", "accessKey", s("accessKeyId"), "secretKey", s("secretAccessKey"),
			"sessionToken", s("sessionToken"), "region", s("region"), "service", s("service"))
	case "oauth1":
		return postman.NewAuth("oauth1", "consumerKey", s("consumerKey"), "consumerSecret", s("consumerSecret"),
			"token", s("tokenKey"), "tokenSecret", s("tokenSecret"), "signatureMethod", s("signatureMethod"),
			"version", s("version"), "realm", s("realm"), "nonce", s("nonce"), "timestamp", s("timestamp"))
	case "oauth2":
		im.w.warn("%s: request %q uses OAuth 2.0: its settings are imported, the token is fetched again when it runs", at, name)
		grant := map[string]string{"authorization_code": "authorization_code", "client_credentials": "client_credentials",
			"password": "password_credentials", "implicit": "implicit"}[text(a["grantType"])]
		return postman.NewAuth("oauth2", "grant_type", grant, "accessTokenUrl", s("accessTokenUrl"), "authUrl", s("authorizationUrl"),
			"clientId", s("clientId"), "clientSecret", s("clientSecret"), "scope", s("scope"), "username", s("username"),
			"password", s("password"), "redirect_uri", s("redirectUrl"))
	default:
		im.w.warn("%s: request %q uses %s authentication, which has no counterpart here: it is sent without it", at, name, typ)
		return nil
	}
}

// environments reads a workspace's base environment as variables and its
// sub-environments as environments.
func (im *insImport) environments(ws *insResource) ([]postman.Variable, []*postman.Environment) {
	var vars []postman.Variable
	var envs []*postman.Environment
	for _, base := range sorted(im.children[ws.ID]) {
		if base.Type != "environment" {
			continue
		}
		vars = append(vars, im.variables(base.Data)...)
		for _, sub := range sorted(im.children[base.ID]) {
			if sub.Type != "environment" {
				continue
			}
			e := &postman.Environment{ID: sub.ID, Name: orDefault(sub.Name, "Environment"), Scope: "environment", Values: []postman.EnvValue{}}
			for _, v := range im.variables(sub.Data) {
				e.Values = append(e.Values, postman.EnvValue{Key: v.Key, Value: v.Value, Type: "default", Enabled: true})
			}
			envs = append(envs, e)
		}
	}
	return vars, envs
}

// variables flattens an environment's data: {"a": {"b": 1}} is "a.b",
// which {{ _.a.b }} names; values that are not text are written as JSON.
func (im *insImport) variables(data map[string]any) []postman.Variable {
	var out []postman.Variable
	var add func(prefix string, m map[string]any, depth int)
	add = func(prefix string, m map[string]any, depth int) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			name := prefix + k
			if sub, ok := m[k].(map[string]any); ok && depth < 16 {
				add(name+".", sub, depth+1)
				continue
			}
			out = append(out, postman.Variable{Key: name, Value: im.convert(text(m[k])), Type: "string"})
		}
	}
	add("", data, 0)
	return out
}

var (
	insVar = regexp.MustCompile(`\{\{\s*(?:_\.)?([A-Za-z0-9_$.\-\[\]'"]+?)\s*\}\}`)
	insTag = regexp.MustCompile(`\{%.*?%\}`)
)

// convert rewrites Insomnia's variable references as Postman's.
func (im *insImport) convert(s string) string {
	if !strings.Contains(s, "{") {
		return s
	}
	if m := insTag.FindString(s); m != "" {
		if im.tags == 0 {
			im.tagFirst = m
		}
		im.tags++
	}
	return insVar.ReplaceAllString(s, "{{$1}}")
}

func (im *insImport) summarise() {
	if im.tags > 0 {
		im.w.warn("%d texts use Insomnia template tags (the first: %s), which do not run here: they are sent as written until replaced", im.tags, im.tagFirst)
	}
	kinds := make([]string, 0, len(im.skipped))
	for k := range im.skipped {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		im.w.warn("%d resources of _type %q (not HTTP requests) are not imported", im.skipped[k], k)
	}
}

// text is a decoded JSON value as text.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64, bool, json.Number:
		return fmt.Sprint(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

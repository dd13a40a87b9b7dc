package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/auth"
	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/host/internal/generate/hargen"
	"github.com/mockarty-oss/mockarty/host/internal/objects"
	"github.com/mockarty-oss/mockarty/host/internal/perf"
	"github.com/mockarty-oss/mockarty/host/internal/plugins"
	"github.com/mockarty-oss/mockarty/host/internal/tester"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/postman"
)

// Load-test scripts (api-reference section 8): k6 scripts generated from a
// perf config, API-tester requests or a HAR recording, and the snippets of
// the script editor. The host gathers the requests; the perf plugin writes
// the scripts (its actions), so the k6 knowledge lives with the engine.
func (s *server) perfScriptRoutes(v1 fiber.Router) {
	v1.Post("/perf/scripts", s.perfScriptFromConfig)
	v1.Post("/perf/scripts/from-request", s.perfScriptFromRequests)
	v1.Post("/perf/scripts/from-har", s.perfScriptFromHAR)
	v1.Get("/perf/snippets", s.perfSnippets)
}

// The perf plugin's actions.
const (
	perfActionFromConfig   = "script-from-config"
	perfActionFromRequests = "script-from-requests"
	perfActionSnippets     = "snippets"
)

// perfScriptName is the file name a generated script is offered under.
const perfScriptName = "script.js"

// loadRequest is one request of a generated script (the plugin's
// script-from-requests shape).
type loadRequest struct {
	Name    string            `json:"name"`
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body,omitempty"`
}

// loadOptions are a generated script's options, as the callers send them.
type loadOptions struct {
	VUs         int             `json:"vus"`
	Concurrency int             `json:"concurrency"`
	Duration    perf.Duration   `json:"duration"`
	Thresholds  perf.Thresholds `json:"thresholds"`
	// Sleep is the think time after each request, in seconds.
	Sleep float64 `json:"sleep"`
}

func (o loadOptions) vus() int {
	if o.VUs == 0 {
		return o.Concurrency
	}
	return o.VUs
}

// callPerf runs one of the perf plugin's actions. A plugin that is not
// there (or too old for the action) is a 503 that says so; an error of the
// action itself is the input it refused.
func (s *server) callPerf(ctx context.Context, action string, params any) (json.RawMessage, error) {
	if s.Plugins == nil {
		return nil, perfNotRunning(plugins.ErrUnknown)
	}
	b, err := json.Marshal(params)
	if err != nil {
		return nil, err
	}
	out, err := s.Plugins.Call(ctx, perf.PluginName, action, b)
	switch {
	case err == nil:
		return out, nil
	case errors.Is(err, plugins.ErrUnknown), errors.Is(err, plugins.ErrNotRunning):
		return nil, perfNotRunning(err)
	case errors.Is(err, sdk.ErrUnknownAction):
		return nil, apiErr(http.StatusServiceUnavailable, CodeUnavailable,
			"the running %s plugin does not offer %q: it is older than this server (see GET /api/v1/plugins)", perf.PluginName, action)
	case ctx.Err() != nil:
		return nil, ctx.Err()
	}
	return nil, apiErr(http.StatusUnprocessableEntity, CodeValidation, "%v", err)
}

func perfNotRunning(err error) error {
	return apiErr(http.StatusServiceUnavailable, CodeUnavailable,
		"the %s plugin is not running, so load-test scripts cannot be made (see GET /api/v1/plugins, PLUGINS and PLUGINS_DIR): %v",
		perf.PluginName, err)
}

// scriptAnswer sends a generated script with what the caller should know.
func scriptAnswer(c *fiber.Ctx, out json.RawMessage, requests int, warnings []string) error {
	var gen struct {
		Script string `json:"script"`
	}
	if err := json.Unmarshal(out, &gen); err != nil || gen.Script == "" {
		return apiErr(http.StatusBadGateway, CodeUnavailable, "the %s plugin answered without a script", perf.PluginName)
	}
	m := fiber.Map{"script": gen.Script, "filename": perfScriptName}
	if requests > 0 {
		m["requests"] = requests
	}
	if warnings == nil {
		warnings = []string{}
	}
	m["warnings"] = warnings
	return c.JSON(m)
}

// fromRequests asks the plugin for a script sending reqs in order.
func (s *server) fromRequests(c *fiber.Ctx, reqs []loadRequest, o loadOptions, warnings []string) error {
	if len(reqs) == 0 {
		msg := "there is no HTTP request to load"
		if len(warnings) > 0 {
			msg += ": " + strings.Join(warnings, "; ")
		}
		return fieldErr("requests", "%s", msg)
	}
	out, err := s.callPerf(c.UserContext(), perfActionFromRequests, map[string]any{"requests": reqs, "vus": o.vus(),
		"duration": string(o.Duration), "thresholds": o.Thresholds, "sleep": o.Sleep})
	if err != nil {
		return err
	}
	return scriptAnswer(c, out, len(reqs), warnings)
}

// perfScriptFromConfig writes the script of a perf config: the body is a
// config (targetUrl, method, headers, body, vus or concurrency, duration,
// rps, thresholds; options override the top level), or a configId whose
// saved config the body overlays. A config with a script answers it; one
// linked to a collection loads its requests.
func (s *server) perfScriptFromConfig(c *fiber.Ctx) error {
	b, err := s.objectBody(c)
	if err != nil {
		return err
	}
	var top map[string]json.RawMessage
	_ = json.Unmarshal(b, &top)
	if opts, ok := top["options"]; ok {
		var o map[string]json.RawMessage
		if err := json.Unmarshal(opts, &o); err != nil {
			return fieldErr("options", "must be an object")
		}
		for k, v := range o {
			top[k] = v
		}
		delete(top, "options")
	}
	merged, _ := json.Marshal(top)
	var ref struct {
		ConfigID string `json:"configId"`
	}
	_ = json.Unmarshal(merged, &ref)
	cfg := &perf.Config{}
	if ref.ConfigID != "" {
		saved, err := s.needPerfConfig(c, ref.ConfigID, auth.Read)
		if err != nil {
			return err
		}
		cfg = saved
	}
	if err := objects.Merge(cfg, merged, true, "id", "createdAt", "updatedAt", "namespace"); err != nil {
		return err
	}
	if cfg.Script != "" {
		name := cfg.Filename
		if name == "" {
			name = perfScriptName
		}
		return c.JSON(fiber.Map{"script": cfg.Script, "filename": name, "warnings": []string{}})
	}
	o := loadOptions{VUs: cfg.VUs, Concurrency: cfg.Concurrency, Duration: cfg.Duration, Thresholds: cfg.Thresholds}
	if cfg.TargetURL == "" && cfg.CollectionID != "" {
		col, err := s.needCollection(c, cfg.CollectionID, auth.Read)
		if err != nil {
			return err
		}
		reqs, warnings, err := s.collectionLoad(c, col, "", "")
		if err != nil {
			return err
		}
		return s.fromRequests(c, reqs, o, warnings)
	}
	if cfg.TargetURL == "" {
		return fieldErr("targetUrl", "give a targetUrl (or a configId of a config that has one, a script or a collectionId)")
	}
	body := ""
	if len(cfg.Body) > 0 {
		var text string
		if json.Unmarshal(cfg.Body, &text) == nil {
			body = text
		} else {
			body = string(cfg.Body)
		}
	}
	out, err := s.callPerf(c.UserContext(), perfActionFromConfig, map[string]any{"url": cfg.TargetURL, "method": cfg.Method,
		"headers": cfg.Headers, "body": body, "vus": o.vus(), "duration": string(cfg.Duration), "rps": cfg.RPS,
		"thresholds": cfg.Thresholds})
	if err != nil {
		return err
	}
	return scriptAnswer(c, out, 0, nil)
}

// perfScriptFromRequests writes a script from an API-tester request
// ({requestId}) or every request of a collection ({collectionId}), in
// the collection's run order, with its variables resolved from the
// collection and the environment (environmentId, else the namespace's
// active one).
func (s *server) perfScriptFromRequests(c *fiber.Ctx) error {
	var in struct {
		loadOptions
		RequestID     string `json:"requestId"`
		CollectionID  string `json:"collectionId"`
		EnvironmentID string `json:"environmentId"`
	}
	if err := s.decodeJSON(c, &in); err != nil {
		return err
	}
	var colID string
	switch {
	case in.RequestID != "" && in.CollectionID != "":
		return fieldErr("requestId", "give a requestId or a collectionId, not both")
	case in.RequestID != "":
		r, err := s.needRequest(c, in.RequestID, auth.Read)
		if err != nil {
			return err
		}
		colID = r.CollectionID
	case in.CollectionID != "":
		colID = in.CollectionID
	default:
		return fieldErr("requestId", "give a requestId (one request) or a collectionId (all its requests)")
	}
	col, err := s.needCollection(c, colID, auth.Read)
	if err != nil {
		return err
	}
	reqs, warnings, err := s.collectionLoad(c, col, in.RequestID, in.EnvironmentID)
	if err != nil {
		return err
	}
	return s.fromRequests(c, reqs, in.loadOptions, warnings)
}

// perfScriptFromHAR writes a script that replays a HAR recording: every
// http(s) entry, in the order they started.
func (s *server) perfScriptFromHAR(c *fiber.Ctx) error {
	b, err := s.objectBody(c)
	if err != nil {
		return err
	}
	var in struct {
		loadOptions
		HAR  json.RawMessage `json:"har"`
		Data json.RawMessage `json:"data"`
		Log  json.RawMessage `json:"log"`
	}
	if err := decodeJSONBytes(b, &in); err != nil {
		return err
	}
	var doc []byte
	field := "har"
	switch {
	case len(in.HAR) > 0:
		doc = in.HAR
	case len(in.Data) > 0:
		doc, field = in.Data, "data"
	case len(in.Log) > 0:
		doc = b // the body is the HAR document itself
	default:
		return fieldErr("har", "give the HAR recording as har (its text or its object) or data")
	}
	if t := bytes.TrimSpace(doc); len(t) > 0 && t[0] == '"' {
		var text string
		if err := json.Unmarshal(t, &text); err != nil {
			return fieldErr(field, "must be the HAR text or object")
		}
		doc = []byte(text)
	}
	return s.scriptOfHAR(c, doc, field, in.loadOptions)
}

// scriptOfHAR writes the script of a HAR document (field names it in
// errors): every http(s) entry, in the order they started.
func (s *server) scriptOfHAR(c *fiber.Ctx, doc []byte, field string, opts loadOptions) error {
	entries, skipped, err := hargen.Read(doc)
	if err != nil {
		var ie *generate.InputError
		if errors.As(err, &ie) {
			return fieldErr(field, "%s", ie.Message) // hargen names the document "spec"
		}
		return err
	}
	warnings := append([]string(nil), skipped...)
	var reqs []loadRequest
	notHTTP := 0
	for _, e := range entries {
		r := e.Entry.Request
		u, err := url.Parse(r.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			notHTTP++
			continue
		}
		at := fmt.Sprintf("log.entries[%d]", e.Index)
		// Named as the plugin would name them, so its errors say which.
		lr := loadRequest{Method: strings.ToUpper(strings.TrimSpace(r.Method)), URL: r.URL, Headers: map[string]string{}}
		lr.Name = lr.Method + " " + u.EscapedPath()
		if u.EscapedPath() == "" {
			lr.Name += "/"
		}
		if lr.Method == "" || strings.ContainsAny(lr.Method, " \t/") {
			warnings = append(warnings, fmt.Sprintf("%s: request.method %q is not an HTTP method; skipped", at, r.Method))
			continue
		}
		if len(reqs) == hargen.MaxEntries {
			warnings = append(warnings, fmt.Sprintf("the recording has more than %d requests: the first %d (by start time) are loaded", hargen.MaxEntries, hargen.MaxEntries))
			break
		}
		for _, h := range r.Headers {
			addHeader(lr.Headers, h.Name, h.Value)
		}
		if pd := r.PostData; pd != nil {
			switch {
			case pd.Text != "" && utf8.ValidString(pd.Text):
				lr.Body = pd.Text
				if pd.MimeType != "" && loadHeader(lr.Headers, "Content-Type") == "" {
					lr.Headers["Content-Type"] = pd.MimeType
				}
			case pd.Text != "":
				warnings = append(warnings, at+": the request body is not text: it is left out")
			case len(pd.Params) > 0:
				fields := make([]postman.FormParam, 0, len(pd.Params))
				for _, p := range pd.Params {
					f := postman.FormParam{Key: p.Name, Value: p.Value, ContentType: p.ContentType}
					if p.FileName != "" {
						f.Type = "file"
					}
					fields = append(fields, f)
				}
				mode := postman.ModeURLEncoded
				if strings.HasPrefix(strings.ToLower(pd.MimeType), "multipart/") {
					mode = postman.ModeFormData
				}
				if w := formBody(&lr, mode, fields, func(s string) string { return s }); w != "" {
					warnings = append(warnings, at+": "+w)
				}
			}
		}
		reqs = append(reqs, lr)
	}
	if notHTTP > 0 {
		warnings = append(warnings, fmt.Sprintf("%d entries are not http or https requests (data:, blob:, ws: ...); skipped", notHTTP))
	}
	return s.fromRequests(c, reqs, opts, warnings)
}

// perfSnippets lists the k6 snippets of the script editor.
func (s *server) perfSnippets(c *fiber.Ctx) error {
	out, err := s.callPerf(c.UserContext(), perfActionSnippets, struct{}{})
	if err != nil {
		return err
	}
	var list []json.RawMessage
	if err := json.Unmarshal(out, &list); err != nil {
		return apiErr(http.StatusBadGateway, CodeUnavailable, "the %s plugin answered the snippets with unreadable JSON: %v", perf.PluginName, err)
	}
	if list == nil {
		list = []json.RawMessage{}
	}
	return c.JSON(list)
}

// --- API-tester requests as load ---

// loadProtocols are the request protocols a k6 script sends (over HTTP).
var loadProtocols = map[string]bool{"": true, "http": true, "https": true, "rest": true, "soap": true, "graphql": true}

// collectionLoad turns a collection's requests (or the one named) into
// load requests in the collection's run order: variables resolved, auth
// inherited from folders and the collection, bodies in their wire form.
func (s *server) collectionLoad(c *fiber.Ctx, col *tester.Collection, requestID, environmentID string) ([]loadRequest, []string, error) {
	ctx := c.UserContext()
	full, err := s.testerSvc().Collection(ctx, col.ID, true)
	if err != nil {
		return nil, nil, err
	}
	rs := &resolver{vars: map[string]string{}}
	if err := s.collectionVars(c, full, environmentID, rs); err != nil {
		return nil, nil, err
	}
	stored := map[string]*tester.Request{}
	for i := range full.Requests {
		stored[full.Requests[i].ID] = &full.Requests[i]
	}
	pc := tester.ToPostman(full, full.Folders, full.Requests)
	var flat []flatItem
	flatten(pc.Item, pc.Auth, 0, &flat)
	res := rs.fill
	var reqs []loadRequest
	var warnings []string
	scripts := 0
	for _, f := range flat {
		r := stored[f.item.ID]
		if r == nil || (requestID != "" && r.ID != requestID) {
			continue
		}
		if !loadProtocols[strings.ToLower(r.Protocol)] {
			if requestID != "" {
				return nil, nil, fieldErr("requestId", "request %q is a %s request: load scripts send HTTP requests", r.Name, r.Protocol)
			}
			warnings = append(warnings, fmt.Sprintf("request %q is a %s request; skipped (load scripts send HTTP requests)", r.Name, r.Protocol))
			continue
		}
		lr, warns, err := loadRequestOf(r, f, res)
		if err != nil {
			return nil, nil, err
		}
		warnings = append(warnings, warns...)
		if r.PreRequestScript != "" || r.TestScript != "" || len(r.Assertions) > 0 {
			scripts++
		}
		reqs = append(reqs, lr)
	}
	if requestID != "" && len(reqs) == 0 {
		return nil, nil, notFoundErr("request %q not found in collection %q", requestID, col.ID)
	}
	if scripts > 0 || full.PreRequestScript != "" || full.TestScript != "" {
		warnings = append(warnings, "pre-request and test scripts are not carried into the load script: each request gets a status check instead")
	}
	if len(reqs) == 0 {
		warnings = append(warnings, fmt.Sprintf("collection %q has no HTTP request", full.Name))
	}
	return reqs, warnings, nil
}

// flatItem is a request item in run order with the auth it inherits.
type flatItem struct {
	item *postman.Item
	auth *postman.Auth
}

// flatten walks folders depth first, as a collection run goes; a nil auth
// inherits the parent's.
func flatten(items []*postman.Item, inherited *postman.Auth, depth int, out *[]flatItem) {
	if depth > postman.MaxDepth {
		return
	}
	for _, it := range items {
		if it.IsFolder() {
			a := inherited
			if it.Auth != nil && it.Auth.Type != "inherit" {
				a = it.Auth
			}
			flatten(it.Item, a, depth+1, out)
			continue
		}
		if it.Request == nil {
			continue
		}
		a := inherited
		if it.Request.Auth != nil && it.Request.Auth.Type != "inherit" {
			a = it.Request.Auth
		}
		*out = append(*out, flatItem{item: it, auth: a})
	}
}

// loadRequestOf is one stored request as it goes on the wire.
func loadRequestOf(r *tester.Request, f flatItem, res func(string) string) (loadRequest, []string, error) {
	var warnings []string
	lr := loadRequest{Name: r.Name, Method: res(r.Method), URL: strings.TrimSpace(res(r.URL)), Headers: map[string]string{}}
	if m := varRef.FindString(lr.URL); m != "" {
		return lr, nil, fieldErr("url", "request %q: %s in its URL is not a variable of the collection or the environment (dynamic variables are not resolved)", r.Name, m)
	}
	if lr.URL != "" && !strings.Contains(lr.URL, "://") {
		lr.URL = "http://" + lr.URL // as Postman sends a URL typed without a scheme
	}
	for _, h := range f.item.Request.Header {
		if !h.Disabled {
			addHeader(lr.Headers, res(h.Key), res(h.Value))
		}
	}
	if w := applyAuth(&lr, f.auth, res); w != "" {
		warnings = append(warnings, fmt.Sprintf("request %q: %s", r.Name, w))
	}
	if body := f.item.Request.Body; body != nil && !body.Disabled {
		switch body.Mode {
		case postman.ModeRaw:
			lr.Body = res(body.Raw)
			if ct := rawContentType(body.Language()); ct != "" && loadHeader(lr.Headers, "Content-Type") == "" {
				lr.Headers["Content-Type"] = ct
			}
		case postman.ModeURLEncoded:
			formBody(&lr, body.Mode, body.URLEncoded, res)
		case postman.ModeFormData:
			if w := formBody(&lr, body.Mode, body.FormData, res); w != "" {
				warnings = append(warnings, fmt.Sprintf("request %q: %s", r.Name, w))
			}
		case postman.ModeGraphQL:
			if body.GraphQL != nil {
				doc := map[string]any{"query": res(body.GraphQL.Query)}
				if v := strings.TrimSpace(res(body.GraphQL.Variables)); v != "" && json.Valid([]byte(v)) {
					doc["variables"] = json.RawMessage(v)
				}
				b, _ := json.Marshal(doc)
				lr.Body = string(b)
				setHeader(lr.Headers, "Content-Type", "application/json")
			}
		case postman.ModeFile:
			warnings = append(warnings, fmt.Sprintf("request %q: its body is a file, which the script does not send", r.Name))
		}
	}
	if strings.Contains(lr.Body, "{{") || strings.Contains(fmt.Sprint(lr.Headers), "{{") {
		warnings = append(warnings, fmt.Sprintf("request %q: some {{variables}} are not defined (or are dynamic, like {{$guid}}) and are sent as written", r.Name))
	}
	return lr, warnings, nil
}

// addHeader adds a header as recorded or written: repeated names are
// joined (cookies with "; "), pseudo and hop-by-hop headers (proxy.go's
// hopHeaders: the client writes its own) dropped.
func addHeader(h map[string]string, name, value string) {
	name = strings.TrimSpace(name)
	if name == "" || strings.HasPrefix(name, ":") || hopHeaders[strings.ToLower(name)] {
		return
	}
	for k, v := range h {
		if strings.EqualFold(k, name) {
			sep := ", "
			if strings.EqualFold(name, "Cookie") {
				sep = "; "
			}
			h[k] = v + sep + value
			return
		}
	}
	h[name] = value
}

// loadHeader reads a header whatever its case.
func loadHeader(h map[string]string, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// setHeader replaces a header whatever its case.
func setHeader(h map[string]string, name, value string) {
	for k := range h {
		if strings.EqualFold(k, name) {
			delete(h, k)
		}
	}
	h[name] = value
}

// rawContentType is the Content-Type Postman sends for a raw body's language.
func rawContentType(lang string) string {
	switch lang {
	case "json":
		return "application/json"
	case "xml":
		return "application/xml"
	case "html":
		return "text/html"
	case "javascript":
		return "application/javascript"
	case "text":
		return "text/plain"
	}
	return ""
}

// formBoundary is the multipart boundary of generated bodies: fixed, so
// the same request gives the same script.
const formBoundary = "MockartyLoadFormBoundary7d3f9a"

// formBody writes form fields as a urlencoded or multipart body, with its
// Content-Type; it says what it left out (file fields).
func formBody(lr *loadRequest, mode string, fields []postman.FormParam, res func(string) string) string {
	var files []string
	if mode == postman.ModeURLEncoded {
		parts := make([]string, 0, len(fields))
		for _, f := range fields {
			if !f.Disabled {
				parts = append(parts, url.QueryEscape(res(f.Key))+"="+url.QueryEscape(res(f.Value)))
			}
		}
		lr.Body = strings.Join(parts, "&")
		setHeader(lr.Headers, "Content-Type", "application/x-www-form-urlencoded")
		return ""
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.SetBoundary(formBoundary)
	for _, f := range fields {
		switch {
		case f.Disabled:
		case f.Type == "file":
			files = append(files, f.Key)
		default:
			_ = w.WriteField(res(f.Key), res(f.Value))
		}
	}
	_ = w.Close()
	lr.Body = buf.String()
	setHeader(lr.Headers, "Content-Type", w.FormDataContentType())
	if len(files) > 0 {
		sort.Strings(files)
		return fmt.Sprintf("the file fields %s are left out of the form (a script cannot read the files)", strings.Join(files, ", "))
	}
	return ""
}

// applyAuth turns the auth a request has or inherits into headers (or a
// query parameter); it says when a kind of auth cannot be carried.
func applyAuth(lr *loadRequest, a *postman.Auth, res func(string) string) string {
	if a == nil {
		return ""
	}
	switch a.Type {
	case "", "noauth":
	case "bearer":
		if tok := res(a.String("token")); tok != "" && loadHeader(lr.Headers, "Authorization") == "" {
			lr.Headers["Authorization"] = "Bearer " + tok
		}
	case "basic":
		if loadHeader(lr.Headers, "Authorization") == "" {
			cred := res(a.String("username")) + ":" + res(a.String("password"))
			lr.Headers["Authorization"] = "Basic " + base64.StdEncoding.EncodeToString([]byte(cred))
		}
	case "apikey":
		key, value := res(a.String("key")), res(a.String("value"))
		if key == "" {
			return "its API key auth names no key; left out"
		}
		if a.String("in") == "query" {
			u, err := url.Parse(lr.URL)
			if err != nil {
				return "its API key could not be added to the URL"
			}
			q := u.Query()
			q.Set(key, value)
			u.RawQuery = q.Encode()
			lr.URL = u.String()
		} else if loadHeader(lr.Headers, key) == "" {
			lr.Headers[key] = value
		}
	default:
		return fmt.Sprintf("its %s auth is not carried into the script: add its header by hand", a.Type)
	}
	return ""
}

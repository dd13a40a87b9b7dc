package collection

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mockarty-oss/mockarty/plugins/tester/script"
	"github.com/mockarty-oss/mockarty/sdk/outbound"
	"github.com/mockarty-oss/mockarty/sdk/postman"
)

// Defaults of a run's requests.
const (
	defaultRequestTimeout = 30 * time.Second
	defaultMaxBody        = 64 << 10
	defaultMaxResponse    = 16 << 20
	userAgent             = "MockartyRuntime/1.0"
)

// sender sends a run's requests under its network policy.
type sender struct {
	// warnings of the request being sent (read and reset by the runner).
	warnings    []string
	client      *http.Client
	meter       *outbound.Meter // bytes on the wire (load runs report them)
	timeout     time.Duration
	maxBody     int
	maxResponse int64
}

func newSender(job *postman.Job) *sender {
	pol := outbound.Policy{AllowPrivate: job.AllowPrivate, Allow: job.AllowHosts}
	meter := &outbound.Meter{}
	tr := &http.Transport{DialContext: meter.Dialer(pol.Dialer()), MaxIdleConnsPerHost: 16, IdleConnTimeout: 30 * time.Second,
		TLSClientConfig: &tls.Config{InsecureSkipVerify: job.InsecureTLS}} //nolint:gosec // the user's choice, as newman's --insecure
	follow := job.FollowRedirects == nil || *job.FollowRedirects
	client := &http.Client{Transport: tr, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if !follow {
			return http.ErrUseLastResponse
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}}
	s := &sender{client: client, meter: meter, timeout: defaultRequestTimeout, maxBody: defaultMaxBody, maxResponse: defaultMaxResponse}
	if job.TimeoutRequestMs > 0 {
		s.timeout = time.Duration(job.TimeoutRequestMs) * time.Millisecond
	}
	if job.MaxBodyBytes > 0 {
		s.maxBody = job.MaxBodyBytes
	}
	if job.MaxResponseBytes > 0 {
		s.maxResponse = job.MaxResponseBytes
	}
	return s
}

// scriptRequest is what pm.request shows of an item before variables
// are resolved (as Postman shows it).
func scriptRequest(it *postman.Item) *script.Request {
	sr := &script.Request{ID: it.ID, Name: it.Name, Method: "GET"}
	if it.Request == nil {
		return sr
	}
	if it.Request.Method != "" {
		sr.Method = strings.ToUpper(it.Request.Method)
	}
	sr.URL = it.Request.URL.String()
	for _, h := range it.Request.Header {
		sr.Headers = append(sr.Headers, script.Header{Key: h.Key, Value: h.Value, Disabled: h.Disabled})
	}
	if b := it.Request.Body; b != nil && b.Mode == postman.ModeRaw && !b.Disabled {
		sr.Body = b.Raw
	}
	return sr
}

// sent is a response for the step and for the test scripts.
type sent struct {
	step   *postman.StepResponse
	script *script.Response
}

// authOf is the auth that applies to an item: its own, else the nearest
// folder's, else the collection's ("inherit" or nil looks further up).
func authOf(c *postman.Collection, p planned) *postman.Auth {
	if p.item.Request != nil && p.item.Request.Auth != nil && p.item.Request.Auth.Type != "inherit" {
		return p.item.Request.Auth
	}
	for i := len(p.parents) - 1; i >= 0; i-- {
		if a := p.parents[i].Auth; a != nil && a.Type != "inherit" {
			return a
		}
	}
	return c.Auth
}

// resolveURL substitutes variables and :path variables, and adds a
// scheme when the URL has none (as Postman does).
func resolveURL(raw string, it *postman.Item, sc *script.Scopes) string {
	u := sc.Replace(raw)
	if it.Request != nil && it.Request.URL != nil && len(it.Request.URL.Variable) > 0 {
		path, rest := u, ""
		if i := strings.IndexAny(u, "?#"); i >= 0 {
			path, rest = u[:i], u[i:]
		}
		for _, v := range it.Request.URL.Variable {
			if v.Value == nil {
				continue // Postman sends ":name" as written when it has no value
			}
			path = replaceSegment(path, ":"+v.Key, sc.Replace(v.String()))
		}
		u = path + rest
	}
	if !strings.Contains(u, "://") {
		u = "http://" + u
	}
	return u
}

// replaceSegment replaces a whole path segment.
func replaceSegment(path, seg, val string) string {
	parts := strings.Split(path, "/")
	for i := 3; i < len(parts); i++ { // after scheme://host
		if parts[i] == seg {
			parts[i] = val
		}
	}
	if !strings.Contains(path, "://") {
		for i := range parts {
			if parts[i] == seg {
				parts[i] = val
			}
		}
	}
	return strings.Join(parts, "/")
}

// item sends an item's request as the pre-request scripts left it.
func (s *sender) item(ctx context.Context, c *postman.Collection, p planned, sr *script.Request, sc *script.Scopes) (*sent, *postman.StepRequest, error) {
	method := sc.Replace(sr.Method)
	target := resolveURL(sr.URL, p.item, sc)
	hdr := http.Header{}
	var order []postman.Header
	for _, h := range sr.Headers {
		if h.Disabled || h.Key == "" {
			continue
		}
		k, v := sc.Replace(h.Key), sc.Replace(h.Value)
		hdr.Add(k, v)
		order = append(order, postman.Header{Key: k, Value: v})
	}
	body, ctype, warn, err := s.body(p.item, sr, sc)
	if warn != "" {
		s.warnings = append(s.warnings, warn)
	}
	if err != nil {
		return nil, &postman.StepRequest{Method: method, URL: target, Headers: order}, err
	}
	if ctype != "" && hdr.Get("Content-Type") == "" {
		hdr.Set("Content-Type", ctype)
		order = append(order, postman.Header{Key: "Content-Type", Value: ctype})
	}
	var form []byte
	if strings.HasPrefix(hdr.Get("Content-Type"), "application/x-www-form-urlencoded") {
		form = body
	}
	warning, err := applyAuth(authOf(c, p), sc, method, hdr, &target, form)
	if err != nil {
		return nil, &postman.StepRequest{Method: method, URL: target, Headers: order}, err
	}
	if warning != "" {
		s.warnings = append(s.warnings, warning)
	}
	for _, k := range []string{"Authorization"} {
		if v := hdr.Get(k); v != "" && !hasHeader(order, k) {
			order = append(order, postman.Header{Key: k, Value: v})
		}
	}
	step := &postman.StepRequest{Method: method, URL: target, Headers: order, Body: clip(body, s.maxBody)}
	res, err := s.do(ctx, method, target, hdr, body)
	// Test scripts see the request as it was sent (Postman shows the
	// resolved request, auth included).
	sr.Method, sr.URL, sr.Body = method, target, string(body)
	sr.Headers = sr.Headers[:0]
	for _, h := range order {
		sr.Headers = append(sr.Headers, script.Header{Key: h.Key, Value: h.Value})
	}
	if hdr.Get("Authorization") != "" && !hasHeader(order, "Authorization") {
		sr.Headers = append(sr.Headers, script.Header{Key: "Authorization", Value: hdr.Get("Authorization")})
	}
	return res, step, err
}

func hasHeader(list []postman.Header, key string) bool {
	for _, h := range list {
		if strings.EqualFold(h.Key, key) {
			return true
		}
	}
	return false
}

// body builds the request body and its default content type. What
// cannot be sent from here (files on the machine that exported the
// collection, an unknown mode) is left out with a warning, as newman does.
func (s *sender) body(it *postman.Item, sr *script.Request, sc *script.Scopes) (body []byte, ctype, warning string, err error) {
	if it.Request == nil || it.Request.Body == nil || it.Request.Body.Disabled {
		if sr.Body != "" {
			return []byte(sc.Replace(sr.Body)), "", "", nil
		}
		return nil, "", "", nil
	}
	b := it.Request.Body
	switch b.Mode {
	case postman.ModeRaw, "":
		text := sc.Replace(sr.Body)
		switch b.Language() {
		case "json":
			return []byte(text), "application/json", "", nil
		case "xml":
			return []byte(text), "application/xml", "", nil
		case "html":
			return []byte(text), "text/html", "", nil
		case "javascript":
			return []byte(text), "application/javascript", "", nil
		case "text":
			return []byte(text), "text/plain", "", nil
		}
		return []byte(text), "", "", nil
	case postman.ModeURLEncoded:
		vals := url.Values{}
		var keys []string
		for _, f := range b.URLEncoded {
			if f.Disabled {
				continue
			}
			k := sc.Replace(f.Key)
			if _, ok := vals[k]; !ok {
				keys = append(keys, k)
			}
			vals.Add(k, sc.Replace(f.Value))
		}
		var out []string
		for _, k := range keys {
			for _, v := range vals[k] {
				out = append(out, url.QueryEscape(k)+"="+url.QueryEscape(v))
			}
		}
		return []byte(strings.Join(out, "&")), "application/x-www-form-urlencoded", "", nil
	case postman.ModeFormData:
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for _, f := range b.FormData {
			if f.Disabled {
				continue
			}
			if f.Type == "file" {
				warning = fmt.Sprintf("form field %q names a file on the machine that exported the collection (%s): it was left out", f.Key, strings.Join(f.Src, ", "))
				continue
			}
			if err := mw.WriteField(sc.Replace(f.Key), sc.Replace(f.Value)); err != nil {
				return nil, "", "", err
			}
		}
		if err := mw.Close(); err != nil {
			return nil, "", "", err
		}
		return buf.Bytes(), mw.FormDataContentType(), warning, nil
	case postman.ModeGraphQL:
		if b.GraphQL == nil {
			return nil, "", "", nil
		}
		payload := map[string]any{"query": sc.Replace(b.GraphQL.Query)}
		if v := strings.TrimSpace(sc.Replace(b.GraphQL.Variables)); v != "" {
			var vars any
			if err := json.Unmarshal([]byte(v), &vars); err != nil {
				return nil, "", "", fmt.Errorf("GraphQL variables are not JSON: %v", err)
			}
			payload["variables"] = vars
		}
		out, err := json.Marshal(payload)
		return out, "application/json", "", err
	case postman.ModeFile:
		if b.File != nil && b.File.Content != "" {
			return []byte(b.File.Content), "", "", nil
		}
		return nil, "", "the body is a file on the machine that exported the collection: the request was sent without it", nil
	}
	return nil, "", fmt.Sprintf("body mode %q is not known: the request was sent without a body", b.Mode), nil
}

// applyAuth adds basic, bearer, API-key or OAuth 2.0 credentials; for a
// type it cannot compute it says so and the request goes without them.
func applyAuth(a *postman.Auth, sc *script.Scopes, method string, hdr http.Header, target *string, formBody []byte) (warning string, err error) {
	if a == nil {
		return "", nil
	}
	get := func(k string) string { return sc.Replace(a.String(k)) }
	addQuery := func(key, val string) {
		sep := "?"
		if strings.Contains(*target, "?") {
			sep = "&"
		}
		*target += sep + url.QueryEscape(key) + "=" + url.QueryEscape(val)
	}
	switch a.Type {
	case "", "noauth", "inherit":
	case "oauth1":
		return oauth1Sign(a, sc, method, hdr, target, formBody)
	case "oauth2":
		token := get("accessToken")
		if token == "" {
			return "oauth2 auth has no access token: the request was sent without it", nil
		}
		if get("addTokenTo") == "queryParams" {
			addQuery("access_token", token)
			break
		}
		prefix := "Bearer"
		if _, ok := a.Param("headerPrefix"); ok {
			prefix = get("headerPrefix")
		}
		hdr.Set("Authorization", strings.TrimSpace(prefix+" "+token))
	case "basic":
		hdr.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(get("username")+":"+get("password"))))
	case "bearer":
		hdr.Set("Authorization", "Bearer "+get("token"))
	case "apikey":
		key, val := get("key"), get("value")
		if key == "" {
			key = "X-API-Key"
		}
		if get("in") == "query" {
			addQuery(key, val)
		} else {
			hdr.Set(key, val)
		}
	default:
		return fmt.Sprintf("%s auth is not computed here (basic, bearer, apikey and oauth2 are): the request was sent without it", a.Type), nil
	}
	return "", nil
}

// do sends one request and reads its response (bounded).
func (s *sender) do(ctx context.Context, method, target string, hdr http.Header, body []byte) (*sent, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, fmt.Errorf("invalid request: %v", err)
	}
	req.Header = hdr
	if hdr.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", userAgent)
	}
	if hdr.Get("Accept") == "" {
		req.Header.Set("Accept", "*/*")
	}
	if h := hdr.Get("Host"); h != "" {
		req.Host = h
	}
	t0 := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return nil, fmt.Errorf("no response within %s (ETIMEDOUT)", s.timeout)
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, s.maxResponse+1))
	elapsed := time.Since(t0)
	if err != nil {
		return nil, fmt.Errorf("reading the response: %v", err)
	}
	truncated := int64(len(data)) > s.maxResponse
	if truncated {
		data = data[:s.maxResponse]
	}
	var headers []script.Header
	var stepHeaders []postman.Header
	for k, vs := range resp.Header {
		for _, v := range vs {
			headers = append(headers, script.Header{Key: k, Value: v})
			stepHeaders = append(stepHeaders, postman.Header{Key: k, Value: v})
		}
	}
	status := strings.TrimSpace(strings.TrimPrefix(resp.Status, fmt.Sprint(resp.StatusCode)))
	out := &sent{
		script: &script.Response{Code: resp.StatusCode, Status: status, Headers: headers, Body: data, Time: elapsed},
		step: &postman.StepResponse{Code: resp.StatusCode, Status: status, Headers: stepHeaders, Body: clip(data, s.maxBody),
			BodyTruncated: len(data) > s.maxBody || truncated, Size: int64(len(data)), TimeMs: ms(elapsed)},
	}
	return out, nil
}

// script sends a pm.sendRequest request (the script gives the full URL).
func (s *sender) script(ctx context.Context, sr *script.Request) (*script.Response, error) {
	hdr := http.Header{}
	for _, h := range sr.Headers {
		if !h.Disabled {
			hdr.Add(h.Key, h.Value)
		}
	}
	var body []byte
	if sr.Body != "" {
		body = []byte(sr.Body)
	}
	method := sr.Method
	if method == "" {
		method = http.MethodGet
	}
	target := sr.URL
	if !strings.Contains(target, "://") {
		target = "http://" + target
	}
	res, err := s.do(ctx, method, target, hdr, body)
	if err != nil {
		return nil, err
	}
	return res.script, nil
}

// clip is at most max bytes of b as text, cut on a rune boundary.
func clip(b []byte, max int) string {
	if len(b) <= max {
		return string(b)
	}
	for max > 0 && !utf8.RuneStart(b[max]) {
		max--
	}
	return string(b[:max])
}

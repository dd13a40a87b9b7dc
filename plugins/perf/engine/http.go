package engine

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/grafana/sobek"
	"github.com/mockarty-oss/mockarty/sdk/outbound"
)

var httpExports = []string{
	"request", "get", "post", "put", "patch", "del", "head", "options", "batch", "asyncRequest",
	"url", "file", "expectedStatuses", "setResponseCallback",
	"TLS_1_0", "TLS_1_1", "TLS_1_2", "TLS_1_3",
}

const (
	defaultRequestTimeout = 60 * time.Second
	defaultMaxRedirects   = 10
	defaultBatch          = 20
	maxBatchRequests      = 10_000
	defaultUserAgent      = "mockarty-perf/1.0 (k6 compatible)"
)

// k6's error codes for failed requests.
const (
	errCodeGeneric      = 1000
	errCodeInvalidURL   = 1020
	errCodeTimeout      = 1050
	errCodeDNS          = 1100
	errCodeNoIP         = 1101
	errCodeBlockedIP    = 1110
	errCodeTCP          = 1200
	errCodeBrokenPipe   = 1201
	errCodeDial         = 1210
	errCodeDialTimeout  = 1211
	errCodeDialRefused  = 1212
	errCodeReset        = 1220
	errCodeTLS          = 1300
	errCodeTLSUnknownCA = 1310
	errCodeTLSHostname  = 1311
	errCodeBodyTooLarge = 1000
	errCodeHTTPGeneric  = 1400
)

func (v *vu) httpModule() *sobek.Object {
	o := v.object(map[string]func(sobek.FunctionCall) sobek.Value{
		"request": func(c sobek.FunctionCall) sobek.Value {
			return v.httpCall(c.Argument(0), c.Argument(1), c.Argument(2), c.Argument(3))
		},
		"asyncRequest": func(c sobek.FunctionCall) sobek.Value {
			// no event loop: the request runs now and the promise is already settled
			r := v.httpCall(c.Argument(0), c.Argument(1), c.Argument(2), c.Argument(3))
			p, resolve, _ := v.rt.NewPromise()
			_ = resolve(r)
			return v.rt.ToValue(p)
		},
		"get": func(c sobek.FunctionCall) sobek.Value {
			return v.httpCall(v.rt.ToValue("GET"), c.Argument(0), sobek.Undefined(), c.Argument(1))
		},
		"head": func(c sobek.FunctionCall) sobek.Value {
			return v.httpCall(v.rt.ToValue("HEAD"), c.Argument(0), sobek.Undefined(), c.Argument(1))
		},
		"post":    v.httpWithBody("POST"),
		"put":     v.httpWithBody("PUT"),
		"patch":   v.httpWithBody("PATCH"),
		"del":     v.httpWithBody("DELETE"),
		"options": v.httpWithBody("OPTIONS"),
		"batch":   v.httpBatch,
		"url":     v.httpURL,
		"file":    v.httpFile,
		"expectedStatuses": func(c sobek.FunctionCall) sobek.Value {
			return v.rt.ToValue(v.parseExpectedStatuses(c.Arguments))
		},
		"setResponseCallback": func(c sobek.FunctionCall) sobek.Value {
			cb, set := v.responseCallbackArg(c.Argument(0))
			if !set {
				panic(v.rt.NewTypeError("setResponseCallback() needs http.expectedStatuses(...) or null"))
			}
			v.respCallback = cb
			return sobek.Undefined()
		},
	})
	for k, val := range map[string]string{"TLS_1_0": "tls1.0", "TLS_1_1": "tls1.1", "TLS_1_2": "tls1.2", "TLS_1_3": "tls1.3"} {
		_ = o.Set(k, val)
	}
	return o
}

func (v *vu) httpWithBody(method string) func(sobek.FunctionCall) sobek.Value {
	return func(c sobek.FunctionCall) sobek.Value {
		return v.httpCall(v.rt.ToValue(method), c.Argument(0), c.Argument(1), c.Argument(2))
	}
}

// expectedStatuses is what http.expectedStatuses() returns: status ranges
// that count as success for http_req_failed.
type expectedStatuses struct {
	ranges [][2]int
}

func defaultExpectedStatuses() *expectedStatuses {
	return &expectedStatuses{ranges: [][2]int{{200, 399}}}
}

func (e *expectedStatuses) expected(status int) bool {
	for _, r := range e.ranges {
		if status >= r[0] && status <= r[1] {
			return true
		}
	}
	return false
}

func (v *vu) parseExpectedStatuses(args []sobek.Value) *expectedStatuses {
	e := &expectedStatuses{}
	for _, a := range args {
		if o, ok := a.(*sobek.Object); ok && o.ClassName() == "Object" {
			lo, hi := o.Get("min"), o.Get("max")
			if lo == nil || hi == nil || sobek.IsUndefined(lo) || sobek.IsUndefined(hi) {
				panic(v.rt.NewTypeError("expectedStatuses: a range is {min, max}"))
			}
			e.ranges = append(e.ranges, [2]int{int(lo.ToInteger()), int(hi.ToInteger())})
			continue
		}
		f := a.ToFloat()
		if math.IsNaN(f) || f != math.Trunc(f) {
			panic(v.rt.NewTypeError("expectedStatuses: arguments are status codes or {min, max}"))
		}
		e.ranges = append(e.ranges, [2]int{int(f), int(f)})
	}
	return e
}

// responseCallbackArg reads a response callback: expectedStatuses or null
// (which turns http_req_failed off); set is false for anything else.
func (v *vu) responseCallbackArg(val sobek.Value) (cb *expectedStatuses, set bool) {
	if val == nil || sobek.IsUndefined(val) {
		return nil, false
	}
	if sobek.IsNull(val) {
		return nil, true
	}
	if e, ok := val.Export().(*expectedStatuses); ok {
		return e, true
	}
	return nil, false
}

// taggedURL is what the http.url`...` template gives: the URL and a name
// tag with the interpolations left as ${}.
type taggedURL struct {
	URL  string
	Name string
}

// String lets the value be used where a string is expected.
func (t *taggedURL) String() string { return t.URL }

func (v *vu) httpURL(call sobek.FunctionCall) sobek.Value {
	strs, ok := call.Argument(0).(*sobek.Object)
	if !ok {
		panic(v.rt.NewTypeError("http.url is a template tag: http.url`https://host/${id}`"))
	}
	n := int(strs.Get("length").ToInteger())
	var u, name strings.Builder
	for i := 0; i < n; i++ {
		s := strs.Get(strconv.Itoa(i)).String()
		u.WriteString(s)
		name.WriteString(s)
		if i+1 < n && i+1 < len(call.Arguments) {
			u.WriteString(call.Arguments[i+1].String())
			name.WriteString("${}")
		}
	}
	return v.rt.ToValue(&taggedURL{URL: u.String(), Name: name.String()})
}

// fileData is what http.file() returns, for multipart bodies.
type fileData struct {
	Data        []byte
	Filename    string
	ContentType string
}

func (v *vu) httpFile(call sobek.FunctionCall) sobek.Value {
	f := &fileData{Data: v.bytesArg(call.Argument(0)), Filename: "file", ContentType: "application/octet-stream"}
	if a := call.Argument(1); !sobek.IsUndefined(a) && !sobek.IsNull(a) {
		f.Filename = a.String()
	}
	if a := call.Argument(2); !sobek.IsUndefined(a) && !sobek.IsNull(a) {
		f.ContentType = a.String()
	}
	return v.rt.ToValue(f)
}

// bytesArg reads a string, ArrayBuffer or typed array as bytes.
func (v *vu) bytesArg(val sobek.Value) []byte {
	if val == nil || sobek.IsUndefined(val) || sobek.IsNull(val) {
		return nil
	}
	switch x := val.Export().(type) {
	case sobek.ArrayBuffer:
		return append([]byte(nil), x.Bytes()...)
	case []byte:
		return append([]byte(nil), x...)
	}
	return []byte(val.String())
}

// preparedRequest is a request read from JS, ready to send from any goroutine.
type preparedRequest struct {
	method       string
	url          *url.URL
	body         []byte
	header       http.Header
	tags         map[string]string
	name         string
	timeout      time.Duration
	redirects    int
	responseType string
	callback     *expectedStatuses
	goOnly       bool  // no script sees the response (a scriptless run)
	headerOwned  bool  // header is this request's own, not the VU's shared base
	err          error // set when the request could not be built (invalid URL)
	errCode      int
}

// prepare reads method, URL, body and params.
func (v *vu) prepare(methodV, urlV, bodyV, paramsV sobek.Value) *preparedRequest {
	pr := &preparedRequest{
		method:    strings.ToUpper(methodV.String()),
		timeout:   defaultRequestTimeout,
		redirects: defaultMaxRedirects,
		callback:  v.respCallback,
	}
	if v.run != nil && v.run.opts != nil {
		if v.run.opts.MaxRedirects != nil {
			pr.redirects = *v.run.opts.MaxRedirects
		}
		if v.run.opts.DiscardResponseBodies {
			pr.responseType = "none"
		}
	}
	pr.header = v.baseHeader()
	var raw string
	if t, ok := urlV.Export().(*taggedURL); ok {
		raw, pr.name = t.URL, t.Name
	} else {
		raw = urlV.String()
	}
	u, err := v.parseURL(raw)
	switch {
	case err != nil:
		pr.err, pr.errCode = fmt.Errorf("invalid URL %q: %v", raw, err), errCodeInvalidURL
	case u.Scheme != "http" && u.Scheme != "https":
		pr.err, pr.errCode = fmt.Errorf("invalid URL %q: only http and https are supported", raw), errCodeInvalidURL
	case u.Host == "":
		pr.err, pr.errCode = fmt.Errorf("invalid URL %q: no host", raw), errCodeInvalidURL
	}
	pr.url = u
	if p, ok := paramsV.(*sobek.Object); ok {
		v.readParams(pr, p)
	}
	if bodyV != nil && !sobek.IsUndefined(bodyV) && !sobek.IsNull(bodyV) {
		v.readBody(pr, bodyV)
	}
	if pr.name == "" {
		pr.name = raw
	}
	if n, ok := pr.tags["name"]; ok {
		pr.name = n
	}
	return pr
}

// parseURL parses a request URL, remembering the last one: a loop sends the
// same URL again and again. The parsed URL is only read, never changed.
func (v *vu) parseURL(raw string) (*url.URL, error) {
	if v.lastURL != nil && raw == v.lastRawURL {
		return v.lastURL, nil
	}
	u, err := url.Parse(raw)
	if err == nil {
		v.lastRawURL, v.lastURL = raw, u
	}
	return u, err
}

// baseHeader is the VU's header for requests that set none of their own:
// the User-Agent. Requests share it until they change it (ownHeader). An
// empty options.userAgent sends none, as in k6: the header is then there
// with an empty value, which net/http and writeH1 read as "omit".
func (v *vu) baseHeader() http.Header {
	if v.userAgent == nil {
		ua := defaultUserAgent
		if v.run != nil && v.run.opts != nil && v.run.opts.UserAgent != nil {
			ua = *v.run.opts.UserAgent
		}
		v.userAgent = http.Header{"User-Agent": {ua}}
	}
	return v.userAgent
}

// ownHeader returns the request's header to change, copying the shared
// base first.
func (pr *preparedRequest) ownHeader() http.Header {
	if !pr.headerOwned {
		pr.header, pr.headerOwned = pr.header.Clone(), true
	}
	return pr.header
}

func (v *vu) readParams(pr *preparedRequest, p *sobek.Object) {
	for k, val := range v.stringMap(p.Get("headers")) {
		pr.ownHeader().Set(k, val)
	}
	if c := p.Get("cookies"); c != nil {
		if co, ok := c.(*sobek.Object); ok {
			for _, name := range co.Keys() {
				cv := co.Get(name)
				if o, ok := cv.(*sobek.Object); ok && o.ClassName() == "Object" {
					cv = o.Get("value")
				}
				pr.ownHeader().Add("Cookie", (&http.Cookie{Name: name, Value: cv.String()}).String())
			}
		}
	}
	pr.tags = v.stringMap(p.Get("tags"))
	if t := p.Get("timeout"); t != nil && !sobek.IsUndefined(t) && !sobek.IsNull(t) {
		var d time.Duration
		var err error
		if _, isNum := t.Export().(string); isNum {
			d, err = parseDuration(t.String())
		} else {
			d = time.Duration(t.ToFloat() * float64(time.Millisecond))
		}
		if err != nil || d <= 0 {
			panic(v.rt.NewTypeError("params.timeout: a duration like \"10s\" or milliseconds"))
		}
		pr.timeout = d
	}
	if r := p.Get("redirects"); r != nil && !sobek.IsUndefined(r) && !sobek.IsNull(r) {
		pr.redirects = int(r.ToInteger())
	}
	if rt := p.Get("responseType"); rt != nil && !sobek.IsUndefined(rt) && !sobek.IsNull(rt) {
		switch s := rt.String(); s {
		case "text", "binary", "none":
			pr.responseType = s
		default:
			panic(v.rt.NewTypeError("params.responseType is text, binary or none"))
		}
	}
	if cb, set := v.responseCallbackArg(p.Get("responseCallback")); set {
		pr.callback = cb
	}
}

// readBody reads a string, ArrayBuffer, or an object (form fields, or
// multipart when a field is http.file()).
func (v *vu) readBody(pr *preparedRequest, body sobek.Value) {
	o, isObj := body.(*sobek.Object)
	if !isObj || o.ClassName() != "Object" {
		pr.body = v.bytesArg(body)
		return
	}
	if _, isFile := o.Export().(*fileData); isFile {
		pr.body = v.bytesArg(o.Get("data"))
		return
	}
	keys := o.Keys()
	multi := false
	for _, k := range keys {
		if _, ok := o.Get(k).Export().(*fileData); ok {
			multi = true
		}
	}
	if !multi {
		form := url.Values{}
		for _, k := range keys {
			form.Add(k, o.Get(k).String())
		}
		pr.body = []byte(form.Encode())
		if pr.header.Get("Content-Type") == "" {
			pr.ownHeader().Set("Content-Type", "application/x-www-form-urlencoded")
		}
		return
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, k := range keys {
		val := o.Get(k)
		if f, ok := val.Export().(*fileData); ok {
			h := textproto.MIMEHeader{}
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, k, f.Filename))
			h.Set("Content-Type", f.ContentType)
			w, _ := mw.CreatePart(h)
			_, _ = w.Write(f.Data)
			continue
		}
		_ = mw.WriteField(k, val.String())
	}
	_ = mw.Close()
	pr.body = buf.Bytes()
	pr.ownHeader().Set("Content-Type", mw.FormDataContentType())
}

// httpCall is request(): prepare, send, record metrics, build the response.
func (v *vu) httpCall(method, urlV, body, params sobek.Value) sobek.Value {
	v.requireRequests()
	pr := v.prepare(method, urlV, body, params)
	res := v.client().execute(v.ctx, pr)
	if v.stopIfDone() {
		return sobek.Undefined()
	}
	v.recordRequest(pr, res)
	return v.response(pr, res)
}

func (v *vu) requireRequests() {
	if v.inInit || v.run == nil {
		panic(v.rt.NewGoError(errors.New("making HTTP requests in the init context is not supported (move it into a function)")))
	}
}

func (v *vu) client() *httpClient {
	if v.http == nil {
		v.http = newHTTPClient(v.run)
	}
	return v.http
}

// httpBatch sends several requests in parallel (up to options.batch at once)
// and returns the responses in the same shape (array or object).
func (v *vu) httpBatch(call sobek.FunctionCall) sobek.Value {
	v.requireRequests()
	reqs, ok := call.Argument(0).(*sobek.Object)
	if !ok {
		panic(v.rt.NewTypeError("batch() needs an array or object of requests"))
	}
	isArray := reqs.ClassName() == "Array"
	keys := reqs.Keys()
	if len(keys) > maxBatchRequests {
		panic(v.rt.NewTypeError(fmt.Sprintf("batch() takes at most %d requests", maxBatchRequests)))
	}
	prs := make([]*preparedRequest, len(keys))
	for i, k := range keys {
		item := reqs.Get(k)
		switch it := item.(type) {
		case *sobek.Object:
			if _, isURL := it.Export().(*taggedURL); isURL {
				prs[i] = v.prepare(v.rt.ToValue("GET"), it, sobek.Undefined(), sobek.Undefined())
				continue
			}
			if it.ClassName() == "Array" {
				prs[i] = v.prepare(it.Get("0"), orUndefined(it.Get("1")), orUndefined(it.Get("2")), orUndefined(it.Get("3")))
				continue
			}
			m := orUndefined(it.Get("method"))
			if sobek.IsUndefined(m) {
				m = v.rt.ToValue("GET")
			}
			prs[i] = v.prepare(m, orUndefined(it.Get("url")), orUndefined(it.Get("body")), orUndefined(it.Get("params")))
		default:
			prs[i] = v.prepare(v.rt.ToValue("GET"), item, sobek.Undefined(), sobek.Undefined())
		}
	}
	par := defaultBatch
	if v.run.opts != nil && v.run.opts.Batch > 0 {
		par = v.run.opts.Batch
	}
	results := make([]*httpResult, len(prs))
	c := v.client()
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	ctx := v.ctx
	for i, pr := range prs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[i] = c.execute(ctx, pr)
		}()
	}
	wg.Wait()
	if v.stopIfDone() {
		return sobek.Undefined()
	}
	var out *sobek.Object
	if isArray {
		out = v.rt.NewArray()
	} else {
		out = v.rt.NewObject()
	}
	for i, k := range keys {
		v.recordRequest(prs[i], results[i])
		_ = out.Set(k, v.response(prs[i], results[i]))
	}
	return out
}

func orUndefined(val sobek.Value) sobek.Value {
	if val == nil {
		return sobek.Undefined()
	}
	return val
}

// timings are one request's phases, as k6 defines them.
type timings struct {
	blocked, connecting, tls, sending, waiting, receiving, duration time.Duration
}

// hop is one request on the wire (a redirect makes several).
type hop struct {
	url      string
	method   string
	status   int
	proto    string
	t        timings
	err      error
	errCode  int
	tlsVer   string
	remoteIP string
	port     int
}

// httpResult is the outcome of a request with its redirects.
type httpResult struct {
	hops       []hop
	header     http.Header
	body       []byte
	cookies    []*http.Cookie
	sentHeader http.Header
	rawHeader  []byte // the response head, parsed into header when first read
}

// headers returns the last response's headers, parsing them on first use.
func (r *httpResult) headers() http.Header {
	if r.header == nil && r.rawHeader != nil {
		r.header = parseRawHeader(r.rawHeader)
	}
	return r.header
}

func (r *httpResult) last() *hop { return &r.hops[len(r.hops)-1] }

// httpClient is a VU's connection pools and cookie jar: plain http:// goes
// through the lean HTTP/1.1 path (h1.go), https:// through net/http, which
// negotiates HTTP/2.
type httpClient struct {
	rs        *runState
	dial      func(ctx context.Context, network, addr string) (net.Conn, error)
	h1        h1Pool
	watch     h1Watch
	transport *http.Transport
	client    *http.Client
	meter     outbound.Meter // bytes on the wire: data_sent, data_received
	lastSent  int64
	lastRecv  int64

	jarMu sync.Mutex
	jar   *cookiejar.Jar // made on first use, dropped at each iteration
}

func newHTTPClient(rs *runState) *httpClient {
	c := &httpClient{rs: rs}
	dial := rs.cfg.Outbound.Dialer()
	c.dial = c.meter.Dialer(dial)
	c.transport = &http.Transport{
		Proxy:                 nil,
		DialContext:           c.dial,
		TLSClientConfig:       &tls.Config{InsecureSkipVerify: rs.opts != nil && rs.opts.InsecureSkipTLSVerify}, //nolint:gosec // the script's own insecureSkipTLSVerify option
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   maxIdlePerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   30 * time.Second,
		DisableCompression:    true, // bodies are decoded here, so data_received counts the wire bytes
		DisableKeepAlives:     rs.opts != nil && rs.opts.NoConnectionReuse,
		ResponseHeaderTimeout: 0,
	}
	c.client = &http.Client{
		Transport:     c.transport,
		Jar:           lazyJar{c},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c
}

// currentJar is the iteration's jar, nil while no cookie was set.
func (c *httpClient) currentJar() *cookiejar.Jar {
	c.jarMu.Lock()
	defer c.jarMu.Unlock()
	return c.jar
}

// cookieJar is the iteration's jar, made when first needed.
func (c *httpClient) cookieJar() *cookiejar.Jar {
	c.jarMu.Lock()
	defer c.jarMu.Unlock()
	if c.jar == nil {
		c.jar, _ = cookiejar.New(nil)
	}
	return c.jar
}

// lazyJar lets net/http use the VU's jar without making one per iteration.
type lazyJar struct{ c *httpClient }

// SetCookies stores cookies a response set.
func (j lazyJar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	if len(cookies) > 0 {
		j.c.cookieJar().SetCookies(u, cookies)
	}
}

// Cookies returns the cookies to send to u.
func (j lazyJar) Cookies(u *url.URL) []*http.Cookie {
	if jar := j.c.currentJar(); jar != nil {
		return jar.Cookies(u)
	}
	return nil
}

// resetCookies empties the jar, as k6 does at each iteration.
func (c *httpClient) resetCookies() {
	c.jarMu.Lock()
	c.jar = nil
	c.jarMu.Unlock()
}

func (c *httpClient) close() {
	c.transport.CloseIdleConnections()
	c.h1.closeAll()
	c.unwatch()
}

// execute sends the request and follows redirects, each hop measured.
func (c *httpClient) execute(ctx context.Context, pr *preparedRequest) *httpResult {
	res := &httpResult{}
	c.executeInto(ctx, pr, res)
	return res
}

// executeInto is execute, filling res (which it resets), so a caller that
// sends the same request again and again can reuse one result.
func (c *httpClient) executeInto(ctx context.Context, pr *preparedRequest, res *httpResult) {
	*res = httpResult{hops: res.hops[:0]}
	if pr.err != nil {
		res.hops = append(res.hops, hop{url: pr.url.String(), method: pr.method, err: pr.err, errCode: pr.errCode})
		return
	}
	method, u, body := pr.method, pr.url, pr.body
	header, own := pr.header, false // cloned before the first change
	for n := 0; ; n++ {
		var h hopResult
		if u.Scheme == "http" {
			h = c.doH1(ctx, pr, method, u, body, header)
		} else {
			h = c.doOne(ctx, pr, method, u, body, header)
		}
		res.hops = append(res.hops, h.hop)
		res.header, res.rawHeader, res.body, res.sentHeader, res.cookies = h.header, h.rawHeader, h.body, h.sentHeader, h.cookies
		if h.err != nil || h.status == 0 || n >= pr.redirects {
			return
		}
		loc := h.location
		if loc == "" || h.status < 300 || h.status > 399 || h.status == 304 {
			return
		}
		next, err := u.Parse(loc)
		if err != nil || (next.Scheme != "http" && next.Scheme != "https") {
			return
		}
		if !own {
			header, own = header.Clone(), true
		}
		if h.status == 301 || h.status == 302 || h.status == 303 {
			if method != "GET" && method != "HEAD" {
				method, body = "GET", nil
				header.Del("Content-Type")
			}
		}
		if next.Host != u.Host {
			header.Del("Authorization")
			header.Del("Cookie")
		}
		u = next
	}
}

type hopResult struct {
	hop
	location   string
	rawHeader  []byte // the response head, when header is left to parse
	header     http.Header
	body       []byte
	sentHeader http.Header
	cookies    []*http.Cookie
}

type traceTimes struct {
	mu                                                           sync.Mutex
	gotConn, connStart, connDone, tlsStart, tlsDone, wrote, ttfb time.Time
	reused                                                       bool
	tlsVersion                                                   uint16
	remote                                                       net.Addr
}

func (tt *traceTimes) set(p *time.Time) {
	tt.mu.Lock()
	*p = time.Now()
	tt.mu.Unlock()
}

// doOne sends one request through net/http.
func (c *httpClient) doOne(ctx context.Context, pr *preparedRequest, method string, u *url.URL, body []byte, header http.Header) hopResult {
	out := hopResult{hop: hop{url: u.String(), method: method}}
	reqCtx, cancel := context.WithTimeout(ctx, pr.timeout)
	defer cancel()
	tt := &traceTimes{}
	trace := &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) {
			tt.mu.Lock()
			tt.gotConn, tt.reused, tt.remote = time.Now(), info.Reused, info.Conn.RemoteAddr()
			tt.mu.Unlock()
		},
		ConnectStart: func(string, string) { tt.set(&tt.connStart) },
		ConnectDone:  func(string, string, error) { tt.set(&tt.connDone) },
		TLSHandshakeStart: func() {
			tt.set(&tt.tlsStart)
		},
		TLSHandshakeDone: func(st tls.ConnectionState, _ error) {
			tt.mu.Lock()
			tt.tlsDone, tt.tlsVersion = time.Now(), st.Version
			tt.mu.Unlock()
		},
		WroteRequest:         func(httptrace.WroteRequestInfo) { tt.set(&tt.wrote) },
		GotFirstResponseByte: func() { tt.set(&tt.ttfb) },
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(reqCtx, trace), method, u.String(), rd)
	if err != nil {
		out.err, out.errCode = err, errCodeInvalidURL
		return out
	}
	req.Header = header.Clone()
	if host := header.Get("Host"); host != "" {
		req.Host = host
	}
	out.sentHeader = req.Header
	start := time.Now()
	resp, err := c.client.Do(req)
	if err != nil {
		end := time.Now()
		out.t = tt.timings(start, end)
		out.err, out.errCode = classifyError(reqCtx, ctx, err)
		return out
	}
	out.status, out.proto, out.header = resp.StatusCode, resp.Proto, resp.Header
	out.location = resp.Header.Get("Location")
	limit := c.rs.cfg.MaxBodyBytes
	data, rerr := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	_ = resp.Body.Close()
	end := time.Now()
	out.t = tt.timings(start, end)
	tt.mu.Lock()
	if tt.remote != nil {
		if ta, ok := tt.remote.(*net.TCPAddr); ok {
			out.remoteIP, out.port = ta.IP.String(), ta.Port
		}
	}
	out.tlsVer = tlsVersionName(tt.tlsVersion)
	tt.mu.Unlock()
	switch {
	case rerr != nil:
		out.err, out.errCode = classifyError(reqCtx, ctx, rerr)
	case int64(len(data)) > limit:
		data = data[:limit]
		out.err, out.errCode = fmt.Errorf("response body larger than %d bytes; it was cut", limit), errCodeBodyTooLarge
	}
	if out.err == nil {
		if dec, err := decodeBody(resp.Header.Get("Content-Encoding"), data, limit); err == nil {
			data = dec
		} else {
			out.err, out.errCode = err, errCodeGeneric
		}
	}
	if pr.responseType == "none" {
		data = nil
	}
	out.body = data
	out.cookies = resp.Cookies()
	return out
}

// decodeBody undoes gzip or deflate content encoding, bounded.
func decodeBody(enc string, data []byte, limit int64) ([]byte, error) {
	var r io.ReadCloser
	switch strings.ToLower(strings.TrimSpace(enc)) {
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("gzip body: %w", err)
		}
		r = zr
	case "deflate":
		r = flate.NewReader(bytes.NewReader(data))
	default:
		return data, nil
	}
	defer r.Close()
	out, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s body: %w", enc, err)
	}
	if int64(len(out)) > limit {
		return nil, fmt.Errorf("decoded response body larger than %d bytes", limit)
	}
	return out, nil
}

func tlsVersionName(v uint16) string {
	switch v {
	case tls.VersionTLS10:
		return "tls1.0"
	case tls.VersionTLS11:
		return "tls1.1"
	case tls.VersionTLS12:
		return "tls1.2"
	case tls.VersionTLS13:
		return "tls1.3"
	}
	return ""
}

// timings turns trace times into k6's phases.
func (tt *traceTimes) timings(start, end time.Time) timings {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	var t timings
	if tt.gotConn.IsZero() {
		t.blocked = end.Sub(start)
		return t
	}
	if !tt.reused {
		if !tt.connStart.IsZero() && tt.connDone.After(tt.connStart) {
			t.connecting = tt.connDone.Sub(tt.connStart)
		}
		if !tt.tlsStart.IsZero() && tt.tlsDone.After(tt.tlsStart) {
			t.tls = tt.tlsDone.Sub(tt.tlsStart)
		}
	}
	t.blocked = max(0, tt.gotConn.Sub(start)-t.connecting-t.tls)
	wrote := tt.wrote
	if wrote.IsZero() {
		wrote = end
	}
	t.sending = max(0, wrote.Sub(tt.gotConn))
	ttfb := tt.ttfb
	if ttfb.IsZero() {
		ttfb = end
	}
	t.waiting = max(0, ttfb.Sub(wrote))
	t.receiving = max(0, end.Sub(ttfb))
	t.duration = t.sending + t.waiting + t.receiving
	return t
}

// classifyError maps a transport error to k6's message and code.
func classifyError(reqCtx, parent context.Context, err error) (error, int) {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(reqCtx.Err(), context.DeadlineExceeded) && parent.Err() == nil {
		return errors.New("request timeout"), errCodeTimeout
	}
	var dnsErr *net.DNSError
	var uaErr x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var tlsRec tls.RecordHeaderError
	var certErr *tls.CertificateVerificationError
	var opErr *net.OpError
	switch {
	case strings.Contains(err.Error(), "refusing to call private address"):
		return err, errCodeBlockedIP
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return err, errCodeNoIP
		}
		return err, errCodeDNS
	case strings.HasPrefix(err.Error(), "no address for"):
		return err, errCodeNoIP
	case errors.As(err, &uaErr):
		return err, errCodeTLSUnknownCA
	case errors.As(err, &hostErr):
		return err, errCodeTLSHostname
	case errors.As(err, &certErr):
		if errors.As(certErr.Err, &hostErr) {
			return err, errCodeTLSHostname
		}
		return err, errCodeTLSUnknownCA
	case errors.As(err, &tlsRec):
		return err, errCodeTLS
	case errors.Is(err, syscall.ECONNREFUSED):
		return err, errCodeDialRefused
	case errors.Is(err, syscall.ECONNRESET):
		return err, errCodeReset
	case errors.Is(err, syscall.EPIPE):
		return err, errCodeBrokenPipe
	case errors.As(err, &opErr):
		if opErr.Op == "dial" {
			if opErr.Timeout() {
				return err, errCodeDialTimeout
			}
			return err, errCodeDial
		}
		return err, errCodeTCP
	case strings.Contains(err.Error(), "tls:"):
		return err, errCodeTLS
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return err, errCodeHTTPGeneric
	}
	return err, errCodeGeneric
}

// requestTags identifies the tag set of a request's metrics.
type requestTags struct {
	name, url, method, status, proto, errCode, tls, expected string
}

// tagContext is what a VU's base tags depend on besides the run's options.
type tagContext struct {
	group string
	sc    *scenarioRun
	gen   int
}

// maxCachedCheckTags bounds the per-check tag maps a VU keeps.
const maxCachedCheckTags = 64

// tagCache keeps a VU's last tag maps while the group, scenario and VU tags
// stay the same, so an iteration that repeats the last one's requests and
// checks builds no maps. Tag maps are only read while samples are pushed,
// never kept or changed after.
type tagCache struct {
	ctx    tagContext
	valid  bool
	base   map[string]string
	checks map[string]map[string]string
	req    requestTags
	reqMap map[string]string
}

// cache returns the VU's tag cache, emptied if the tag context changed.
func (v *vu) cache() *tagCache {
	c := &v.tagCache
	now := tagContext{group: v.group, sc: v.sc, gen: v.tagsGen}
	if !c.valid || c.ctx != now {
		*c = tagCache{ctx: now, valid: true}
	}
	return c
}

// baseTags is v.tags(nil), cached; callers must not change the map.
func (v *vu) baseTags() map[string]string {
	c := v.cache()
	if c.base == nil {
		c.base = v.tags(nil)
	}
	return c.base
}

// checkTags are the tags of a check's sample, cached by check name.
func (v *vu) checkTags(name string) map[string]string {
	c := v.cache()
	if t, ok := c.checks[name]; ok {
		return t
	}
	t := v.tags(nil)
	t["check"] = name
	if c.checks == nil {
		c.checks = map[string]map[string]string{}
	}
	if len(c.checks) < maxCachedCheckTags {
		c.checks[name] = t
	}
	return t
}

// requestTagMap returns the tags for one hop, cached while they repeat.
func (v *vu) requestTagMap(pr *preparedRequest, key requestTags) map[string]string {
	c := v.cache()
	if len(pr.tags) == 0 && c.reqMap != nil && c.req == key {
		return c.reqMap
	}
	tags := v.tags(pr.tags)
	tags["name"] = key.name
	tags["url"] = key.url
	tags["method"] = key.method
	tags["status"] = key.status
	for k, val := range map[string]string{"proto": key.proto, "error_code": key.errCode, "tls_version": key.tls, "expected_response": key.expected} {
		if val != "" {
			tags[k] = val
		}
	}
	if len(pr.tags) == 0 {
		c.req, c.reqMap = key, tags
	}
	return tags
}

// dataTagMap returns the tags of data_sent and data_received samples.
func (v *vu) dataTagMap(pr *preparedRequest) map[string]string {
	if len(pr.tags) == 0 {
		return v.baseTags()
	}
	return v.tags(pr.tags)
}

// recordRequest emits the metrics of every hop and the bytes moved.
func (v *vu) recordRequest(pr *preparedRequest, res *httpResult) {
	reg := v.run.reg
	samples := v.samples[:0]
	for i, h := range res.hops {
		name := pr.name
		if i > 0 && pr.tags["name"] == "" {
			name = h.url
		}
		key := requestTags{name: name, url: h.url, method: h.method, status: strconv.Itoa(h.status), proto: h.proto, tls: h.tlsVer}
		if h.errCode != 0 {
			key.errCode = strconv.Itoa(h.errCode)
		}
		failed := h.err != nil || h.status == 0
		if !failed && pr.callback != nil {
			failed = !pr.callback.expected(h.status)
		}
		if pr.callback != nil {
			key.expected = strconv.FormatBool(!failed)
		}
		tags := v.requestTagMap(pr, key)
		if h.err != nil {
			v.run.errs.add(fmt.Sprintf("request failed: %s %s: %v", h.method, h.url, h.err))
		}
		samples = append(samples,
			sample{m: reg.httpReqs, v: 1, tags: tags},
			sample{m: reg.httpReqDuration, v: ms(h.t.duration), tags: tags},
			sample{m: reg.httpReqBlocked, v: ms(h.t.blocked), tags: tags},
			sample{m: reg.httpReqConnecting, v: ms(h.t.connecting), tags: tags},
			sample{m: reg.httpReqTLS, v: ms(h.t.tls), tags: tags},
			sample{m: reg.httpReqSending, v: ms(h.t.sending), tags: tags},
			sample{m: reg.httpReqWaiting, v: ms(h.t.waiting), tags: tags},
			sample{m: reg.httpReqReceiving, v: ms(h.t.receiving), tags: tags},
		)
		if pr.callback != nil {
			f := 0.0
			if failed {
				f = 1
			}
			samples = append(samples, sample{m: reg.httpReqFailed, v: f, tags: tags})
		}
		reg.apdex.add(name, ms(h.t.duration), failed)
	}
	c := v.client()
	sent, recv := c.meter.Sent.Load(), c.meter.Received.Load()
	if sent-c.lastSent > 0 || recv-c.lastRecv > 0 {
		base := v.dataTagMap(pr)
		if d := sent - c.lastSent; d > 0 {
			samples = append(samples, sample{m: reg.dataSent, v: float64(d), tags: base})
		}
		if d := recv - c.lastRecv; d > 0 {
			samples = append(samples, sample{m: reg.dataReceived, v: float64(d), tags: base})
		}
	}
	c.lastSent, c.lastRecv = sent, recv
	reg.push(samples...)
	clear(samples)
	v.samples = samples[:0]
}

// response builds k6's Response object. Its properties are made when a
// script first reads them (most read status and body, few the headers,
// cookies or request), so an iteration does not pay for the rest.
func (v *vu) response(pr *preparedRequest, res *httpResult) sobek.Value {
	o := v.rt.NewDynamicObject(&responseObject{v: v, pr: pr, res: res})
	o.SetPrototype(v.responseProto())
	return o
}

// responseObject is a Response: built-in properties are made on first read
// and kept; a script may set, replace or delete any property.
type responseObject struct {
	v    *vu
	pr   *preparedRequest
	res  *httpResult
	made [len(responseKeysArray)]sobek.Value // built-in properties, by index in responseKeys
	gone [len(responseKeysArray)]bool        // deleted built-in properties
	own  map[string]sobek.Value              // properties the script added
	keys []string                            // and their order
}

var responseKeysArray = [...]string{
	"status", "status_text", "url", "proto", "remote_ip", "remote_port", "tls_version",
	"error", "error_code", "headers", "timings", "body", "cookies", "request",
}

func responseKeyIndex(key string) int {
	for i, k := range responseKeysArray {
		if k == key {
			return i
		}
	}
	return -1
}

// Get returns a property, making a built-in one on first read.
func (r *responseObject) Get(key string) sobek.Value {
	i := responseKeyIndex(key)
	if i < 0 {
		return r.own[key]
	}
	if r.gone[i] {
		return nil
	}
	if r.made[i] == nil {
		r.made[i] = r.build(key)
	}
	return r.made[i]
}

// Set stores a property the script writes.
func (r *responseObject) Set(key string, val sobek.Value) bool {
	if i := responseKeyIndex(key); i >= 0 {
		r.made[i], r.gone[i] = val, false
		return true
	}
	if r.own == nil {
		r.own = map[string]sobek.Value{}
	}
	if _, ok := r.own[key]; !ok {
		r.keys = append(r.keys, key)
	}
	r.own[key] = val
	return true
}

// Has tells whether the property exists.
func (r *responseObject) Has(key string) bool {
	if i := responseKeyIndex(key); i >= 0 {
		return !r.gone[i]
	}
	_, ok := r.own[key]
	return ok
}

// Delete removes a property.
func (r *responseObject) Delete(key string) bool {
	if i := responseKeyIndex(key); i >= 0 {
		r.made[i], r.gone[i] = nil, true
		return true
	}
	if _, ok := r.own[key]; ok {
		delete(r.own, key)
		for j, k := range r.keys {
			if k == key {
				r.keys = append(r.keys[:j], r.keys[j+1:]...)
				break
			}
		}
	}
	return true
}

// Keys lists the properties: the built-in ones, then the script's.
func (r *responseObject) Keys() []string {
	out := make([]string, 0, len(responseKeysArray)+len(r.keys))
	for i, k := range responseKeysArray {
		if !r.gone[i] {
			out = append(out, k)
		}
	}
	return append(out, r.keys...)
}

// build makes one built-in property.
func (r *responseObject) build(key string) sobek.Value {
	rt, pr, res := r.v.rt, r.pr, r.res
	h := res.last()
	switch key {
	case "status":
		return rt.ToValue(h.status)
	case "status_text":
		return rt.ToValue(statusText(h.status))
	case "url":
		return rt.ToValue(h.url)
	case "proto":
		return rt.ToValue(h.proto)
	case "remote_ip":
		return rt.ToValue(h.remoteIP)
	case "remote_port":
		return rt.ToValue(h.port)
	case "tls_version":
		return rt.ToValue(h.tlsVer)
	case "error":
		if h.err != nil {
			return rt.ToValue(h.err.Error())
		}
		return rt.ToValue("")
	case "error_code":
		if h.err != nil {
			return rt.ToValue(h.errCode)
		}
		return rt.ToValue(0)
	case "headers":
		headers := rt.NewObject()
		all := res.headers()
		hk := make([]string, 0, len(all))
		for k := range all {
			hk = append(hk, k)
		}
		sort.Strings(hk)
		for _, k := range hk {
			_ = headers.Set(k, strings.Join(all[k], ", "))
		}
		return headers
	case "timings":
		tm := rt.NewObject()
		_ = tm.Set("blocked", ms(h.t.blocked))
		_ = tm.Set("connecting", ms(h.t.connecting))
		_ = tm.Set("tls_handshaking", ms(h.t.tls))
		_ = tm.Set("sending", ms(h.t.sending))
		_ = tm.Set("waiting", ms(h.t.waiting))
		_ = tm.Set("receiving", ms(h.t.receiving))
		_ = tm.Set("duration", ms(h.t.duration))
		return tm
	case "body":
		switch {
		case pr.responseType == "none" || (res.body == nil && h.err != nil):
			return sobek.Null()
		case pr.responseType == "binary":
			return rt.ToValue(rt.NewArrayBuffer(res.body))
		default:
			return rt.ToValue(string(res.body))
		}
	case "cookies":
		cookies := rt.NewObject()
		for _, c := range res.cookies {
			arr, _ := cookies.Get(c.Name).(*sobek.Object)
			if arr == nil {
				arr = rt.NewArray()
				_ = cookies.Set(c.Name, arr)
			}
			co := rt.NewObject()
			_ = co.Set("name", c.Name)
			_ = co.Set("value", c.Value)
			_ = co.Set("domain", c.Domain)
			_ = co.Set("path", c.Path)
			_ = co.Set("httpOnly", c.HttpOnly)
			_ = co.Set("secure", c.Secure)
			_ = co.Set("maxAge", c.MaxAge)
			_ = co.Set("expires", c.Expires.UnixMilli())
			_ = arr.Set(strconv.Itoa(int(arr.Get("length").ToInteger())), co)
		}
		return cookies
	case "request":
		req := rt.NewObject()
		_ = req.Set("method", h.method)
		_ = req.Set("url", h.url)
		_ = req.Set("body", string(pr.body))
		rh := rt.NewObject()
		for k, vals := range res.sentHeader {
			items := make([]any, len(vals))
			for i, x := range vals {
				items[i] = x
			}
			_ = rh.Set(k, rt.NewArray(items...))
		}
		_ = req.Set("headers", rh)
		return req
	}
	return sobek.Undefined()
}

// responseProto holds the Response methods, made once per VU: a response's
// json() reads its own body property.
func (v *vu) responseProto() *sobek.Object {
	if v.respProto != nil {
		return v.respProto
	}
	rt := v.rt
	proto := rt.NewObject()
	_ = proto.Set("json", func(call sobek.FunctionCall) sobek.Value {
		this, ok := call.This.(*sobek.Object)
		if !ok {
			panic(rt.NewTypeError("json() must be called on a response"))
		}
		var body string
		switch b := this.Get("body"); {
		case b == nil || sobek.IsNull(b) || sobek.IsUndefined(b):
			panic(rt.NewGoError(errors.New("the response has no body (responseType none, discardResponseBodies or a failed request)")))
		default:
			if ab, isAB := b.Export().(sobek.ArrayBuffer); isAB {
				body = string(ab.Bytes())
			} else {
				body = b.String()
			}
		}
		if sel := call.Argument(0); !sobek.IsUndefined(sel) && !sobek.IsNull(sel) {
			return v.jsonSelect([]byte(body), sel.String())
		}
		val, err := v.fromJSON(body)
		if err != nil {
			panic(err)
		}
		return val
	})
	_ = proto.Set("html", func(sobek.FunctionCall) sobek.Value {
		panic(rt.NewGoError(errors.New("response.html() is not supported by this engine")))
	})
	v.respProto = proto
	return proto
}

func statusText(code int) string {
	if code == 0 {
		return ""
	}
	return strconv.Itoa(code) + " " + http.StatusText(code)
}

// jsonSelect walks a dotted path ("data.items.0.id", "items.#" for a
// length, "items.#.id" to map over an array); a missing path is undefined.
func (v *vu) jsonSelect(body []byte, sel string) sobek.Value {
	var doc any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		panic(v.rt.NewGoError(fmt.Errorf("response body is not JSON: %w", err)))
	}
	res, ok := selectPath(doc, strings.Split(sel, "."))
	if !ok {
		return sobek.Undefined()
	}
	b, err := json.Marshal(res)
	if err != nil {
		return sobek.Undefined()
	}
	val, err := v.fromJSON(string(b))
	if err != nil {
		panic(err)
	}
	return val
}

func selectPath(doc any, parts []string) (any, bool) {
	for i, p := range parts {
		switch cur := doc.(type) {
		case map[string]any:
			next, ok := cur[p]
			if !ok {
				return nil, false
			}
			doc = next
		case []any:
			if p == "#" {
				if i == len(parts)-1 {
					return len(cur), true
				}
				out := make([]any, 0, len(cur))
				for _, el := range cur {
					if r, ok := selectPath(el, parts[i+1:]); ok {
						out = append(out, r)
					}
				}
				return out, true
			}
			n, err := strconv.Atoi(p)
			if err != nil || n < 0 || n >= len(cur) {
				return nil, false
			}
			doc = cur[n]
		default:
			return nil, false
		}
	}
	return doc, true
}

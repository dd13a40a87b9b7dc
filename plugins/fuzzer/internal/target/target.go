// Package target is a test fixture for the security fuzzer: a small HTTP API
// that exists in two twins. The vulnerable twin carries exactly ten planted
// bugs (SQL error leak, boolean-blind SQL injection, time-based SQL
// injection, reflected XSS, path traversal, SSRF, a 500 on type confusion, a
// response that violates its schema, an endpoint that accepts a missing
// credential and one that accepts an unsigned JWT); the clean twin behaves the
// same in every other respect and has none of them.
//
// Both twins serve the same OpenAPI 3.0.3 document (see Spec), which describes
// the clean twin. Neither twin ever answers 5xx except where a planted bug says
// so, the vulnerable twin never reads a file outside the folder given to New,
// and its planted wait lasts three seconds at most.
package target

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/mockarty-oss/mockarty/sdk/listen"
)

// Token is the valid bearer token of both twins: an HS256 JWT (claims
// {"sub":"ann","role":"admin"}) signed with jwtSecret. GET /api/admin/stats
// compares it as it is, GET /api/account verifies it as a JWT.
const Token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbm4iLCJyb2xlIjoiYWRtaW4ifQ.HcuB8cSqBt-nCxMuKN-riS-oJy6oGzdc0QxnG0VV3pc"

// jwtSecret is the HS256 key the twins verify tokens with.
const jwtSecret = "mockarty-fuzz-target-hs256-secret"

// maxSleep bounds the wait a SLEEP(n) or pg_sleep(n) makes the vulnerable
// twin's newsletter sign-up take.
const maxSleep = 3 * time.Second

// MaxBodyBytes is the largest request body either twin accepts; a larger one
// is answered 413.
const MaxBodyBytes = 64 << 10

// webhookPrefix is the only kind of URL the clean twin accepts for a webhook.
const webhookPrefix = "https://hooks.example.com/"

//go:embed openapi.json
var spec []byte

// Spec returns the embedded OpenAPI 3.0.3 document (JSON bytes). The caller
// gets its own copy.
func Spec() []byte { return bytes.Clone(spec) }

type product struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

type item struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

var products = []product{
	{ID: 1, Name: "phone"},
	{ID: 2, Name: "laptop"},
	{ID: 3, Name: "cable"},
}

var items = []item{
	{ID: "1", Name: "item one"},
	{ID: "2", Name: "item two"},
	{ID: "3", Name: "item three"},
}

const (
	readmeText = "Welcome to the shop.\n"
	passwdText = "root:x:0:0:root:/root:/bin/bash\n" +
		"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
)

type server struct {
	vulnerable bool
	dir        string // absolute; the vulnerable twin treats it as "/"
	client     *http.Client
	orders     atomic.Int64
	routes     map[string]map[string]http.HandlerFunc
	// sleep waits d unless ctx ends first (listen.Sleep; tests record it).
	sleep func(ctx context.Context, d time.Duration) bool
}

// New returns the deliberately vulnerable target (vulnerable=true) or its
// clean twin (false). dir is a folder the handler may use for its files: New
// writes dir/public/readme.txt and dir/etc/passwd there. The returned handler
// serves the API described by Spec and GET /openapi.json.
func New(vulnerable bool, dir string) (http.Handler, error) {
	if dir == "" {
		return nil, errors.New("target: empty dir")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	files := []struct{ rel, text string }{
		{filepath.Join("public", "readme.txt"), readmeText},
		{filepath.Join("etc", "passwd"), passwdText},
	}
	for _, f := range files {
		p := filepath.Join(abs, f.rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, fmt.Errorf("target: %w", err)
		}
		if err := os.WriteFile(p, []byte(f.text), 0o644); err != nil {
			return nil, fmt.Errorf("target: %w", err)
		}
	}
	s := &server{vulnerable: vulnerable, dir: abs, sleep: listen.Sleep}
	if vulnerable {
		s.client = &http.Client{
			Timeout: 2 * time.Second,
			Transport: &http.Transport{
				Proxy:               nil,
				DialContext:         (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
				TLSHandshakeTimeout: 2 * time.Second,
				DisableKeepAlives:   true,
			},
			CheckRedirect: func(_ *http.Request, via []*http.Request) error {
				if len(via) > 3 {
					// Report the 4th redirect itself instead of following it.
					return http.ErrUseLastResponse
				}
				return nil
			},
		}
	}
	s.routes = map[string]map[string]http.HandlerFunc{
		"/openapi.json":      {http.MethodGet: s.openapi},
		"/api/products":      {http.MethodGet: s.searchProducts},
		"/api/items":         {http.MethodGet: s.getItem},
		"/api/greet":         {http.MethodGet: s.greet},
		"/api/files":         {http.MethodGet: s.getFile},
		"/api/webhooks/test": {http.MethodPost: s.testWebhook},
		"/api/orders":        {http.MethodPost: s.createOrder},
		"/api/profile":       {http.MethodGet: s.getProfile},
		"/api/admin/stats":   {http.MethodGet: s.adminStats},
		"/api/account":       {http.MethodGet: s.getAccount},
		"/api/newsletter":    {http.MethodPost: s.subscribe},
	}
	return s, nil
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	methods, ok := s.routes[r.URL.Path]
	if !ok {
		writeError(w, http.StatusNotFound, "not found")
		return
	}
	h, ok := methods[r.Method]
	if !ok {
		allow := make([]string, 0, len(methods))
		for m := range methods {
			allow = append(allow, m)
		}
		slices.Sort(allow)
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	if r.ContentLength > MaxBodyBytes {
		writeError(w, http.StatusRequestEntityTooLarge, "request body too large")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	h(w, r)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Every value written here is marshalable; never answer 5xx anyway.
		b = []byte(`{"error":"bad request"}`)
		status = http.StatusBadRequest
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeText(w http.ResponseWriter, contentType, body string) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, body)
}

// readBody reads the (size-limited) request body; it answers 413 or 400 and
// returns false when that fails.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(w, http.StatusRequestEntityTooLarge, "request body too large")
		} else {
			writeError(w, http.StatusBadRequest, "cannot read request body")
		}
		return nil, false
	}
	return b, true
}

// decodeJSON decodes exactly one JSON value from data into v.
func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after JSON value")
	}
	return nil
}

func (s *server) openapi(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(spec)
}

// GET /api/products?q=
func (s *server) searchProducts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	if s.vulnerable {
		if i := strings.IndexByte(q, '\''); i >= 0 {
			// BUG (SQL error leak): the query is built by concatenation and
			// the database error is passed on verbatim.
			near := []rune(q[i+1:])
			if len(near) > 20 {
				near = near[:20]
			}
			writeError(w, http.StatusInternalServerError, fmt.Sprintf(
				"SQLITE_ERROR: near %q: syntax error (SELECT id, name FROM products WHERE name LIKE '%%%s%%')",
				string(near), q))
			return
		}
	}
	needle := strings.ToLower(q)
	out := []product{}
	for _, p := range products {
		if strings.Contains(strings.ToLower(p.Name), needle) {
			out = append(out, p)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// GET /api/items?id=
func (s *server) getItem(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	var (
		it    item
		found bool
	)
	if s.vulnerable {
		// BUG (boolean-blind SQL injection): see vulnerableItemLookup.
		it, found = vulnerableItemLookup(id)
	} else {
		for _, c := range items {
			if c.ID == id {
				it, found = c, true
				break
			}
		}
	}
	if !found {
		writeError(w, http.StatusNotFound, "not found")
		return
	}
	writeJSON(w, http.StatusOK, it)
}

// GET /api/greet?name=
func (s *server) greet(w http.ResponseWriter, r *http.Request) {
	name := "world"
	if q := r.URL.Query(); q.Has("name") {
		name = q.Get("name")
	}
	if !s.vulnerable {
		name = html.EscapeString(name)
	} // else BUG (reflected XSS): the name goes into the page raw.
	writeText(w, "text/html; charset=utf-8",
		"<html><body><p>Hello, "+name+"!</p></body></html>")
}

// GET /api/files?name=
func (s *server) getFile(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	if name == "" {
		writeError(w, http.StatusBadRequest, "bad file name")
		return
	}
	var rel string
	if s.vulnerable {
		// BUG (path traversal): decode once more, accept both separators
		// and let ".." climb out of public/. The path is resolved as if dir
		// were the filesystem root, so ../../../../etc/passwd lands on
		// dir/etc/passwd and nothing outside dir can ever be read.
		if dec, err := url.PathUnescape(name); err == nil {
			name = dec
		}
		name = strings.ReplaceAll(name, `\`, "/")
		rel = strings.TrimPrefix(path.Clean("/public/"+name), "/")
		if rel == "" {
			rel = "."
		}
	} else {
		if strings.ContainsAny(name, `/\`) || strings.Contains(name, "..") ||
			strings.ContainsRune(name, 0) {
			writeError(w, http.StatusBadRequest, "bad file name")
			return
		}
		rel = "public/" + name
	}
	body, ok := s.readFile(filepath.FromSlash(rel))
	if !ok {
		writeError(w, http.StatusNotFound, "not found")
		return
	}
	writeText(w, "text/plain; charset=utf-8", body)
}

// readFile reads a regular file below s.dir (never outside it, symbolic links
// included); any failure counts as "not found".
func (s *server) readFile(rel string) (string, bool) {
	f, err := os.OpenInRoot(s.dir, rel)
	if err != nil {
		return "", false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return "", false
	}
	b, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return "", false
	}
	return string(b), true
}

type webhookResult struct {
	OK     bool   `json:"ok"`
	Status int    `json:"status,omitempty"`
	Error  string `json:"error,omitempty"`
}

// POST /api/webhooks/test {"url": "..."}
func (s *server) testWebhook(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req struct {
		URL *string `json:"url"`
	}
	if err := decodeJSON(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid JSON body")
		return
	}
	if req.URL == nil {
		writeError(w, http.StatusBadRequest, "url is required")
		return
	}
	if !s.vulnerable {
		if !strings.HasPrefix(*req.URL, webhookPrefix) {
			writeError(w, http.StatusBadRequest, "url not allowed")
			return
		}
		// The clean twin only pretends: it never fetches anything.
		writeJSON(w, http.StatusOK, webhookResult{OK: true, Status: http.StatusNoContent})
		return
	}
	// BUG (SSRF): any URL is fetched from the server side.
	fr, err := http.NewRequestWithContext(r.Context(), http.MethodGet, *req.URL, nil)
	if err != nil {
		writeJSON(w, http.StatusOK, webhookResult{Error: err.Error()})
		return
	}
	resp, err := s.client.Do(fr)
	if err != nil {
		writeJSON(w, http.StatusOK, webhookResult{Error: err.Error()})
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	writeJSON(w, http.StatusOK, webhookResult{OK: true, Status: resp.StatusCode})
}

type order struct {
	OrderID  string  `json:"orderId"`
	SKU      string  `json:"sku"`
	Quantity int     `json:"quantity"`
	Total    float64 `json:"total"`
}

// POST /api/orders {"sku": "A1", "quantity": 2}
func (s *server) createOrder(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req map[string]any
	if err := decodeJSON(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid JSON body")
		return
	}
	rawQty, ok := req["quantity"]
	if !ok {
		writeError(w, http.StatusBadRequest, "quantity is required")
		return
	}
	var qty float64
	if s.vulnerable {
		// BUG (500 on type confusion): an unchecked type assertion whose
		// panic ends up in a 500 answer.
		var err error
		if qty, err = assertFloat(rawQty); err != nil {
			writeError(w, http.StatusInternalServerError, "internal error: "+err.Error())
			return
		}
	} else {
		f, isNum := rawQty.(float64)
		if !isNum {
			writeError(w, http.StatusBadRequest, "quantity must be a number")
			return
		}
		qty = f
	}
	if qty != math.Trunc(qty) {
		writeError(w, http.StatusBadRequest, "quantity must be an integer")
		return
	}
	if qty < 1 || qty > 1000 {
		writeError(w, http.StatusBadRequest, "quantity must be between 1 and 1000")
		return
	}
	sku, _ := req["sku"].(string)
	if sku == "" {
		writeError(w, http.StatusBadRequest, "sku is required")
		return
	}
	n := int(qty)
	writeJSON(w, http.StatusCreated, order{
		OrderID:  "o-" + strconv.FormatInt(s.orders.Add(1), 10),
		SKU:      sku,
		Quantity: n,
		Total:    math.Round(float64(n)*999) / 100,
	})
}

// assertFloat performs v.(float64) and turns its panic into an error whose
// text is the runtime's, e.g. "interface conversion: interface {} is string,
// not float64".
func assertFloat(v any) (f float64, err error) {
	defer func() {
		if p := recover(); p != nil {
			if e, ok := p.(error); ok {
				err = e
			} else {
				err = fmt.Errorf("%v", p)
			}
		}
	}()
	return v.(float64), nil
}

// GET /api/profile
func (s *server) getProfile(w http.ResponseWriter, _ *http.Request) {
	type profile struct {
		ID    any    `json:"id"`
		Email string `json:"email"`
		Name  string `json:"name"`
	}
	p := profile{ID: 42, Email: "ann@example.com", Name: "Ann"}
	if s.vulnerable {
		// BUG (schema violation): id is a string where the spec says integer.
		p.ID = "42"
	}
	writeJSON(w, http.StatusOK, p)
}

// GET /api/admin/stats (Authorization: Bearer <Token>)
func (s *server) adminStats(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Values("Authorization")
	// BUG (missing credential accepted): the vulnerable twin only checks a
	// token that is there.
	allowed := s.vulnerable && len(auth) == 0
	if len(auth) == 1 {
		scheme, token, found := strings.Cut(auth[0], " ")
		allowed = found && strings.EqualFold(scheme, "Bearer") &&
			subtle.ConstantTimeCompare([]byte(token), []byte(Token)) == 1
	}
	if !allowed {
		w.Header().Set("WWW-Authenticate", `Bearer realm="admin"`)
		writeError(w, http.StatusUnauthorized, "unauthorized")
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Users  int `json:"users"`
		Orders int `json:"orders"`
	}{Users: 3, Orders: 7})
}

// account is who a verified token names.
type account struct {
	Sub  string `json:"sub"`
	Role string `json:"role,omitempty"`
}

// GET /api/account (Authorization: Bearer <HS256 JWT>)
func (s *server) getAccount(w http.ResponseWriter, r *http.Request) {
	var (
		who account
		ok  bool
	)
	if auth := r.Header.Values("Authorization"); len(auth) == 1 {
		scheme, token, found := strings.Cut(auth[0], " ")
		if found && strings.EqualFold(scheme, "Bearer") {
			who, ok = s.verifyJWT(token)
		}
	}
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="account"`)
		writeError(w, http.StatusUnauthorized, "unauthorized")
		return
	}
	writeJSON(w, http.StatusOK, who)
}

// verifyJWT checks a compact JWT: a JSON header naming HS256, a signature
// made with jwtSecret over header and payload, and a payload whose sub is a
// non-empty string. The vulnerable twin also takes a token whose header
// says alg "none" as verified, whatever its signature.
func (s *server) verifyJWT(token string) (account, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return account{}, false
	}
	enc := base64.RawURLEncoding.Strict()
	var header struct {
		Alg string `json:"alg"`
	}
	if b, err := enc.DecodeString(parts[0]); err != nil || json.Unmarshal(b, &header) != nil {
		return account{}, false
	}
	switch {
	case header.Alg == "HS256":
		mac := hmac.New(sha256.New, []byte(jwtSecret))
		mac.Write([]byte(parts[0] + "." + parts[1]))
		sig, err := enc.DecodeString(parts[2])
		if err != nil || !hmac.Equal(sig, mac.Sum(nil)) {
			return account{}, false
		}
	case s.vulnerable && strings.EqualFold(header.Alg, "none"):
		// BUG (alg none accepted): the token's own header picks the
		// algorithm, and "none" needs no signature.
	default:
		return account{}, false
	}
	var who account
	if b, err := enc.DecodeString(parts[1]); err != nil || json.Unmarshal(b, &who) != nil || who.Sub == "" {
		return account{}, false
	}
	return who, true
}

// POST /api/newsletter {"email": "..."}
func (s *server) subscribe(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req map[string]any
	if err := decodeJSON(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid JSON body")
		return
	}
	email, isString := req["email"].(string)
	if !isString {
		writeError(w, http.StatusBadRequest, "email must be a string")
		return
	}
	if email == "" || len(email) > 254 {
		writeError(w, http.StatusBadRequest, "email must have 1 to 254 bytes")
		return
	}
	// BUG (time-based SQL injection): see vulnerableInsert.
	if s.vulnerable && !s.vulnerableInsert(r.Context(), email) {
		return // the client went away
	}
	writeJSON(w, http.StatusOK, map[string]bool{"subscribed": true})
}

// sleepCall is a call of MySQL's SLEEP(n) or PostgreSQL's pg_sleep(n).
var sleepCall = regexp.MustCompile(`(?i)\b(?:pg_)?sleep\s*\(\s*(\d+(?:\.\d+)?)\s*\)`)

// vulnerableInsert simulates
//
//	INSERT INTO subscribers (email) VALUES ('<email>')
//
// built by string concatenation, on a database whose errors are logged and
// never shown: the answer is the same whatever the input, and the only trace
// an injection leaves is the time a SLEEP(n) or pg_sleep(n) in it takes (n
// seconds, at most maxSleep). The wait ends when ctx does (the client went
// away); it reports whether the wait passed whole.
func (s *server) vulnerableInsert(ctx context.Context, email string) bool {
	m := sleepCall.FindStringSubmatch(email)
	if m == nil {
		return true
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil || n <= 0 {
		return true
	}
	d := maxSleep
	if n < maxSleep.Seconds() {
		d = time.Duration(n * float64(time.Second))
	}
	return s.sleep(ctx, d)
}

// vulnerableItemLookup simulates
//
//	SELECT * FROM items WHERE id = '<id>'
//
// built by string concatenation, so that boolean conditions injected into id
// change which row (if any) is found. Nothing is ever reported about errors:
// an input that does not make a valid condition finds nothing.
//
//   - When id contains a quote, the condition is  id = '<id>'. If id ends with
//     a quote and holds at least two (the caller closed the literal, as in
//     1' AND '1'='1'), the application's closing quote is taken as swallowed,
//     i.e. the condition is  id = '<id>  when that parses.
//   - Without a quote the value is taken as numeric:  id = <id>, so
//     1 AND 1=1, 1 AND 1=2 and 1 OR 1=1 work too.
//
// Supported: string literals (” escapes a quote), integers, the columns id
// and name, TRUE/FALSE, = == != <> < <= > >=, NOT, AND, OR, parentheses,
// comments (-- and # to the end of the line, /* */) and a final ;. The first
// row (in id order) for which the condition holds is the answer.
func vulnerableItemLookup(id string) (item, bool) {
	var cond string
	switch {
	case !strings.Contains(id, "'"):
		cond = "id = " + id
	case strings.HasSuffix(strings.TrimRight(id, " \t\r\n"), "'") && strings.Count(id, "'") >= 2:
		if _, err := parseCondition("id = '" + id); err == nil {
			cond = "id = '" + id
		} else {
			cond = "id = '" + id + "'"
		}
	default:
		cond = "id = '" + id + "'"
	}
	expr, err := parseCondition(cond)
	if err != nil {
		return item{}, false
	}
	for _, it := range items {
		if expr.eval(it).truthy() {
			return it, true
		}
	}
	return item{}, false
}

// --- a tiny SQL condition evaluator for vulnerableItemLookup ---

type sqlValue struct {
	isInt bool
	i     int64
	s     string
}

func sqlInt(i int64) sqlValue { return sqlValue{isInt: true, i: i} }

func sqlBool(b bool) sqlValue {
	if b {
		return sqlInt(1)
	}
	return sqlInt(0)
}

func (v sqlValue) text() string {
	if v.isInt {
		return strconv.FormatInt(v.i, 10)
	}
	return v.s
}

func (v sqlValue) truthy() bool {
	if v.isInt {
		return v.i != 0
	}
	i, err := strconv.ParseInt(strings.TrimSpace(v.s), 10, 64)
	return err == nil && i != 0
}

func compareSQL(a, b sqlValue) int {
	if a.isInt && b.isInt {
		switch {
		case a.i < b.i:
			return -1
		case a.i > b.i:
			return 1
		}
		return 0
	}
	return strings.Compare(a.text(), b.text())
}

type sqlExpr interface {
	eval(row item) sqlValue
}

type sqlLiteral sqlValue

func (l sqlLiteral) eval(item) sqlValue { return sqlValue(l) }

type sqlColumn string

func (c sqlColumn) eval(row item) sqlValue {
	if c == "name" {
		return sqlValue{s: row.Name}
	}
	return sqlValue{s: row.ID}
}

type sqlNot struct{ x sqlExpr }

func (n sqlNot) eval(row item) sqlValue { return sqlBool(!n.x.eval(row).truthy()) }

type sqlBinary struct {
	op   string
	l, r sqlExpr
}

func (b sqlBinary) eval(row item) sqlValue {
	switch b.op {
	case "AND":
		return sqlBool(b.l.eval(row).truthy() && b.r.eval(row).truthy())
	case "OR":
		return sqlBool(b.l.eval(row).truthy() || b.r.eval(row).truthy())
	}
	c := compareSQL(b.l.eval(row), b.r.eval(row))
	switch b.op {
	case "=", "==":
		return sqlBool(c == 0)
	case "!=", "<>":
		return sqlBool(c != 0)
	case "<":
		return sqlBool(c < 0)
	case "<=":
		return sqlBool(c <= 0)
	case ">":
		return sqlBool(c > 0)
	default: // ">="
		return sqlBool(c >= 0)
	}
}

type sqlTokenKind int

const (
	tokWord sqlTokenKind = iota // keyword or column, upper-cased
	tokString
	tokNumber
	tokOp // comparison operator or parenthesis
)

type sqlToken struct {
	kind sqlTokenKind
	text string
}

var errSQLSyntax = errors.New("syntax error")

func isSQLWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// skipSQLBlank returns the index of the first byte at or after i that is not
// white space or part of a comment (-- or # to the end of the line, /* */; an
// unterminated comment runs to the end).
func skipSQLBlank(src string, i int) int {
	for i < len(src) {
		switch c := src[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case strings.HasPrefix(src[i:], "--") || c == '#':
			if j := strings.IndexByte(src[i:], '\n'); j >= 0 {
				i += j
			} else {
				i = len(src)
			}
		case strings.HasPrefix(src[i:], "/*"):
			if j := strings.Index(src[i+2:], "*/"); j >= 0 {
				i += 2 + j + 2
			} else {
				i = len(src)
			}
		default:
			return i
		}
	}
	return i
}

func lexSQL(src string) ([]sqlToken, error) {
	if !utf8.ValidString(src) {
		return nil, errSQLSyntax
	}
	var toks []sqlToken
	for i := skipSQLBlank(src, 0); i < len(src); i = skipSQLBlank(src, i) {
		c := src[i]
		switch {
		case c == ';':
			// End of statement: only blanks and comments may follow.
			if skipSQLBlank(src, i+1) != len(src) {
				return nil, errSQLSyntax
			}
			return toks, nil
		case c == '\'':
			var sb strings.Builder
			j := i + 1
			for {
				k := strings.IndexByte(src[j:], '\'')
				if k < 0 {
					return nil, errSQLSyntax // unterminated literal
				}
				sb.WriteString(src[j : j+k])
				j += k + 1
				if j < len(src) && src[j] == '\'' {
					sb.WriteByte('\'')
					j++
					continue
				}
				break
			}
			toks = append(toks, sqlToken{tokString, sb.String()})
			i = j
		case c >= '0' && c <= '9':
			j := i
			for j < len(src) && src[j] >= '0' && src[j] <= '9' {
				j++
			}
			if j < len(src) && isSQLWordByte(src[j]) {
				return nil, errSQLSyntax
			}
			toks = append(toks, sqlToken{tokNumber, src[i:j]})
			i = j
		case isSQLWordByte(c):
			j := i
			for j < len(src) && isSQLWordByte(src[j]) {
				j++
			}
			toks = append(toks, sqlToken{tokWord, strings.ToUpper(src[i:j])})
			i = j
		default:
			op := ""
			for _, o := range []string{"==", "!=", "<>", "<=", ">=", "=", "<", ">", "(", ")"} {
				if strings.HasPrefix(src[i:], o) {
					op = o
					break
				}
			}
			if op == "" {
				return nil, errSQLSyntax
			}
			toks = append(toks, sqlToken{tokOp, op})
			i += len(op)
		}
	}
	return toks, nil
}

type sqlParser struct {
	toks  []sqlToken
	pos   int
	depth int
}

func parseCondition(src string) (sqlExpr, error) {
	toks, err := lexSQL(src)
	if err != nil {
		return nil, err
	}
	p := &sqlParser{toks: toks}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, errSQLSyntax
	}
	return e, nil
}

func (p *sqlParser) peek(kind sqlTokenKind, text ...string) bool {
	if p.pos >= len(p.toks) || p.toks[p.pos].kind != kind {
		return false
	}
	return len(text) == 0 || slices.Contains(text, p.toks[p.pos].text)
}

func (p *sqlParser) or() (sqlExpr, error) {
	l, err := p.and()
	for err == nil && p.peek(tokWord, "OR") {
		p.pos++
		var r sqlExpr
		if r, err = p.and(); err == nil {
			l = sqlBinary{"OR", l, r}
		}
	}
	return l, err
}

func (p *sqlParser) and() (sqlExpr, error) {
	l, err := p.not()
	for err == nil && p.peek(tokWord, "AND") {
		p.pos++
		var r sqlExpr
		if r, err = p.not(); err == nil {
			l = sqlBinary{"AND", l, r}
		}
	}
	return l, err
}

func (p *sqlParser) not() (sqlExpr, error) {
	if p.peek(tokWord, "NOT") {
		p.pos++
		if p.depth++; p.depth > 64 {
			return nil, errSQLSyntax
		}
		x, err := p.not()
		p.depth--
		if err != nil {
			return nil, err
		}
		return sqlNot{x}, nil
	}
	return p.comparison()
}

func (p *sqlParser) comparison() (sqlExpr, error) {
	l, err := p.operand()
	if err != nil {
		return nil, err
	}
	if p.peek(tokOp, "=", "==", "!=", "<>", "<", "<=", ">", ">=") {
		op := p.toks[p.pos].text
		p.pos++
		r, err := p.operand()
		if err != nil {
			return nil, err
		}
		return sqlBinary{op, l, r}, nil
	}
	return l, nil
}

func (p *sqlParser) operand() (sqlExpr, error) {
	if p.pos >= len(p.toks) {
		return nil, errSQLSyntax
	}
	t := p.toks[p.pos]
	p.pos++
	switch t.kind {
	case tokString:
		return sqlLiteral{s: t.text}, nil
	case tokNumber:
		i, err := strconv.ParseInt(t.text, 10, 64)
		if err != nil {
			return nil, errSQLSyntax
		}
		return sqlLiteral(sqlInt(i)), nil
	case tokWord:
		switch t.text {
		case "ID":
			return sqlColumn("id"), nil
		case "NAME":
			return sqlColumn("name"), nil
		case "TRUE":
			return sqlLiteral(sqlInt(1)), nil
		case "FALSE":
			return sqlLiteral(sqlInt(0)), nil
		}
		return nil, errSQLSyntax // keyword out of place or no such column
	}
	if t.text != "(" {
		return nil, errSQLSyntax
	}
	if p.depth++; p.depth > 64 {
		return nil, errSQLSyntax
	}
	e, err := p.or()
	p.depth--
	if err != nil {
		return nil, err
	}
	if !p.peek(tokOp, ")") {
		return nil, errSQLSyntax
	}
	p.pos++
	return e, nil
}

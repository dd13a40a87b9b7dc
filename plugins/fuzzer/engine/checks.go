package engine

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/fuzzjob"
	"github.com/mockarty-oss/mockarty/sdk/listen"
)

// Finding is one problem, however many requests showed it.
type Finding = fuzzjob.Finding

// Severities, most severe first.
const (
	Critical = "critical"
	High     = "high"
	Medium   = "medium"
	Low      = "low"
	Info     = "info"
)

const evidenceMax = 4 << 10

// judge runs the checks on one answer and records what they find. The
// first check that matches names the finding: one answer is one finding.
func (r *run) judge(p *probe, res *response) {
	op := p.op
	base := op.baseline
	switch {
	case res.err != nil:
		switch {
		case res.timedOut:
			r.record(p, res, Medium, "timeout", "timeout", "No answer within "+r.cfg.Options.TimeoutPerReq.String(),
				"The target did not answer within timeoutPerReq.")
		case dropped(res.err) && base != nil && base.err == nil:
			r.record(p, res, High, "empty_response", "dropped", "Connection dropped without an answer on "+op.name,
				"The target closed the connection instead of answering this input (a crash: "+res.err.Error()+"); the original request is answered.")
		}
		return
	case res.status == http.StatusOK && len(res.body) == 0 && base != nil && base.status == http.StatusOK && len(base.body) > 0 && p.mutation != "":
		r.record(p, res, Medium, "empty_response", "empty", "Empty answer on "+op.name,
			"The target answered 200 with an empty body to this input, where the original request gets a body.")
	case sqlError.Match(res.body) && (base == nil || !sqlError.Match(base.body)):
		sig := sqlError.Find(res.body)
		r.record(p, res, Critical, "sqli", "sql-error:"+strings.ToLower(string(sig)), "SQL error leaked on "+op.name,
			fmt.Sprintf("The answer carries a database error (%q): the input reached a query unescaped.", sig))
	case p.marker != "" && isHTML(res.header) && bytes.Contains(res.body, []byte(p.payload)):
		r.record(p, res, High, "xss", "reflected", "Reflected XSS on "+op.name,
			"The payload, with its unique marker "+p.marker+", came back unescaped in an HTML page.")
	case fileLeak.Match(res.body) && (base == nil || !fileLeak.Match(base.body)):
		r.record(p, res, Critical, "path_traversal", "file:"+string(fileLeak.Find(res.body)), "Path traversal on "+op.name,
			"The answer holds the content of a system file ("+string(fileLeak.Find(res.body))+").")
	case p.token != "" && r.cfg.Canary != nil && r.cfg.Canary.Hit(p.token) && p.category == "xxe":
		r.record(p, res, Critical, "xxe", "canary", "XML external entity (XXE) on "+op.name,
			"The target's XML parser fetched the external entity the request declared (the run's canary URL).")
	case p.token != "" && r.cfg.Canary != nil && r.cfg.Canary.Hit(p.token):
		r.record(p, res, Critical, "ssrf", "canary", "Server-side request forgery on "+op.name,
			"The target fetched the run's canary URL it was given ("+p.payload+").")
	case p.category == "ssti" && bytes.Contains(res.body, []byte("50337")) && (base == nil || !bytes.Contains(base.body, []byte("50337"))):
		r.record(p, res, High, "ssti", "evaluated", "Server-side template injection on "+op.name,
			"The template expression 7*7191 came back evaluated (50337).")
	case r.cfg.Options.alert(res.status):
		r.record(p, res, High, "500_error", errorSignature(res), fmt.Sprintf("Server error %d on %s", res.status, op.name),
			fmt.Sprintf("The target answered %d to this input.", res.status))
	case p.valid && base != nil && base.status >= 200 && base.status < 300 && res.status >= 400 && res.status < 500 &&
		res.status != http.StatusUnauthorized && res.status != http.StatusForbidden && res.status != http.StatusTooManyRequests:
		r.record(p, res, Low, "schema_violation", "rejects-valid", "Valid input rejected on "+op.name,
			"A value the API description allows ("+p.mutation+") was refused with "+strconv.Itoa(res.status)+".")
	case p.invalid && res.status >= 200 && res.status < 300:
		r.record(p, res, Medium, "schema_violation", "accepts-invalid", "Invalid input accepted on "+op.name,
			"A value the API description does not allow ("+p.mutation+") was accepted with "+strconv.Itoa(res.status)+".")
	case op.spec != nil:
		if why := op.spec.checkResponse(p.req, res); why != "" {
			r.record(p, res, Medium, "schema_violation", "response:"+strconv.Itoa(res.status)+":"+schemaSignature(why),
				"Response does not match the API description on "+op.name, why)
		}
	}
}

// dropped says whether a request's error is the server closing the
// connection after taking the request (not a refused dial).
func dropped(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		strings.Contains(err.Error(), "server closed") || strings.Contains(err.Error(), "connection reset")
}

// authCheck: a request the target refuses with a wrong credential but
// answers without any accepts a missing credential.
func (r *run) authCheck(op *operation) {
	wrong := op.base.clone()
	wrong.header.Set("Authorization", "Bearer mockarty-fuzz-invalid-credential")
	rw := r.send(wrong)
	if rw == nil || rw.err != nil || (rw.status != http.StatusUnauthorized && rw.status != http.StatusForbidden) {
		return // the operation does not check credentials
	}
	none := op.base.clone()
	none.header.Del("Authorization")
	rn := r.send(none)
	if rn == nil || rn.err != nil || rn.status < 200 || rn.status >= 300 {
		return
	}
	r.record(&probe{op: op, req: none, category: "auth_bypass", mutation: "Authorization header removed"}, rn, High,
		"auth_bypass", "missing-credential", "Missing credential accepted on "+op.name,
		fmt.Sprintf("A wrong credential is refused (%d) but the request without one is answered %d.", rw.status, rn.status))
}

// jwtCheck: a bearer JWT that is refused with its signature tampered with
// but accepted with its header set to alg "none" and no signature lets
// anyone make a token for any identity.
func (r *run) jwtCheck(op *operation, tok jwtToken) {
	tampered := op.base.clone()
	tampered.header.Set("Authorization", tok.scheme+" "+tok.header+"."+tok.payload+"."+tamper(tok.signature))
	rt := r.send(tampered)
	if rt == nil || rt.err != nil || (rt.status != http.StatusUnauthorized && rt.status != http.StatusForbidden) {
		return // the operation does not check the token's signature
	}
	unsigned := op.base.clone()
	unsigned.header.Set("Authorization", tok.scheme+" "+jwtNoneHeader+"."+tok.payload+".")
	ru := r.send(unsigned)
	if ru == nil || ru.err != nil || ru.status < 200 || ru.status >= 300 {
		return
	}
	r.record(&probe{op: op, req: unsigned, category: "jwt_none_alg", mutation: `Authorization: JWT header set to alg "none", signature removed`},
		ru, Critical, "jwt_none_alg", "alg-none", "Unsigned JWT (alg none) accepted on "+op.name,
		fmt.Sprintf("The bearer JWT with a tampered signature is refused (%d) but its claims under a header saying alg \"none\", "+
			"with no signature, are answered %d: anyone can make a token for any identity.", rt.status, ru.status))
}

// jwtToken is a compact JWT, its parts as encoded.
type jwtToken struct {
	scheme                     string // of the Authorization value, as written
	header, payload, signature string
	alg                        string // the header's
}

// bearerJWT is an Authorization value's token when it is a bearer JWT:
// three base64url parts, the first a JSON object that names its alg.
func bearerJWT(auth string) (jwtToken, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(auth), " ")
	parts := strings.Split(strings.TrimSpace(token), ".")
	if !ok || !strings.EqualFold(scheme, "Bearer") || len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return jwtToken{}, false
	}
	var header struct {
		Alg *string `json:"alg"`
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || json.Unmarshal(b, &header) != nil || header.Alg == nil {
		return jwtToken{}, false
	}
	for _, p := range parts[1:] {
		if _, err := base64.RawURLEncoding.DecodeString(p); err != nil {
			return jwtToken{}, false
		}
	}
	return jwtToken{scheme: scheme, header: parts[0], payload: parts[1], signature: parts[2], alg: *header.Alg}, true
}

// tamper changes a signature's first character, and so its first byte.
func tamper(sig string) string {
	if sig == "" {
		return "A"
	}
	if sig[0] == 'A' {
		return "B" + sig[1:]
	}
	return "A" + sig[1:]
}

// timeCheck: an input that makes the answer wait when a sleep is
// appended (sleepDelay, and that much longer than the original request),
// not when a sleep of 0 is, and again with the sleep, runs the sleep in
// the database (time-based blind injection). One probe per dialect until
// one waits; then two more requests at most.
func (r *run) timeCheck(op *operation, p point, value string) {
	waited := func(res *response) bool {
		return res != nil && res.err == nil && res.duration >= sleepDelay && res.duration >= op.baseline.duration+sleepDelay*8/10
	}
	secs := strconv.Itoa(int(sleepDelay / time.Second))
	for _, pl := range sqlSleepPayloads {
		sleep := value + strings.ReplaceAll(pl, sleepPH, secs)
		t := &probe{op: op, req: p.set(sleep), category: "sqli", payload: sleep, mutation: p.name + ": " + sleep}
		first := r.send(t.req)
		if first == nil {
			return
		}
		if !waited(first) {
			continue
		}
		zero := r.send(p.set(value + strings.ReplaceAll(pl, sleepPH, "0")))
		if zero == nil || zero.err != nil || zero.duration >= sleepDelay/2 {
			return
		}
		again := r.send(t.req)
		if !waited(again) {
			return
		}
		r.record(t, again, High, "sqli", "time-based", "Time-based SQL injection on "+op.name,
			fmt.Sprintf("Appending a %s sleep (%q) made the answer wait %d ms, then %d ms (the original request: %d ms); a sleep of 0 answered in %d ms.",
				sleepDelay, strings.ReplaceAll(pl, sleepPH, secs), first.duration.Milliseconds(), again.duration.Milliseconds(),
				op.baseline.duration.Milliseconds(), zero.duration.Milliseconds()))
		return
	}
}

// booleanCheck: an input that answers like the original when a true
// condition is appended and differently when a false one is, for every
// pair, is evaluated as SQL (boolean-blind injection).
func (r *run) booleanCheck(op *operation, p point, value string) {
	base := op.baseline
	var last *probe
	var lastRes *response
	for _, pair := range sqlBooleanPairs {
		t := &probe{op: op, req: p.set(value + pair[0]), category: "sqli", mutation: p.name + ": " + value + pair[0]}
		rt := r.send(t.req)
		if rt == nil || rt.err != nil || !similar(rt, base) {
			return
		}
		f := &probe{op: op, req: p.set(value + pair[1]), category: "sqli", mutation: p.name + ": " + value + pair[1]}
		rf := r.send(f.req)
		if rf == nil || rf.err != nil || similar(rf, base) {
			return
		}
		last, lastRes = t, rt
	}
	r.record(last, lastRes, High, "sqli", "boolean-blind", "Boolean-blind SQL injection on "+op.name,
		"Appending a true condition answers like the original request, a false one answers differently, for every pair tried.")
}

// similar says whether two answers look alike: same status, body lengths
// within 5% (or 8 bytes).
func similar(a, b *response) bool {
	if a.status != b.status {
		return false
	}
	d := len(a.body) - len(b.body)
	if d < 0 {
		d = -d
	}
	return d <= max(8, len(b.body)/20)
}

// record adds a request to its finding, making the finding on the first.
func (r *run) record(p *probe, res *response, severity, category, signature, title, why string) {
	fp := strings.Join([]string{p.op.name, category, strconv.Itoa(res.status), signature}, "|")
	r.mu.Lock()
	if f := r.findings[fp]; f != nil {
		f.Count++
		r.mu.Unlock()
		return
	}
	r.mu.Unlock()
	f := &Finding{Severity: severity, Category: category, Title: title, Description: why, Fingerprint: fp, Count: 1,
		RequestMethod: p.req.method, RequestURL: p.req.url, RequestBody: clip(p.req.body), RequestHeaders: flat(p.req.header),
		ResponseStatus: res.status, ResponseTimeMs: res.duration.Milliseconds(), ResponseBody: clip(res.body),
		ResponseHeaders: flat(res.header), MutationApplied: p.mutation, OriginalSeedID: p.op.seedID}
	if r.cfg.Options.VerifyFindings && !r.verify(p, f) {
		return
	}
	r.mu.Lock()
	if g := r.findings[fp]; g != nil { // another worker's request made it meanwhile
		g.Count++
		r.mu.Unlock()
		return
	}
	r.findings[fp] = f
	r.order = append(r.order, f)
	reported := *f // the run goes on counting f; the listener gets it as it is now
	r.mu.Unlock()
	r.emit(Event{Kind: "finding", Total: r.planned.Load(), Completed: r.done.Load(), Finding: &reported})
	switch {
	case r.cfg.Options.StopOnFinding:
		r.cancel(errStopFinding)
	case r.cfg.Options.StopOnCritical && severity == Critical:
		r.cancel(errStopCritical)
	}
}

// maxVerifications is how many requests of one fingerprint verifyFindings
// re-sends before it gives up on it.
const maxVerifications = 3

// verify sends a finding's request again (options.verifyFindings) and says
// whether the answer shows the problem again; a finding that does not
// reproduce is left out (its later requests may verify it). When the
// budget is spent, the finding is kept unverified.
func (r *run) verify(p *probe, f *Finding) bool {
	r.mu.Lock()
	if r.verifying == nil {
		r.verifying = map[string]int{}
	}
	r.verifying[f.Fingerprint]++
	tries := r.verifying[f.Fingerprint]
	r.mu.Unlock()
	if tries > maxVerifications {
		return false
	}
	again := r.send(p.req)
	if again == nil {
		return true
	}
	if !stillFails(f, again) {
		r.unverified.Add(1)
		return false
	}
	return true
}

func clip(b []byte) string {
	if len(b) > evidenceMax {
		b = b[:evidenceMax]
	}
	return string(b)
}

func flat(h http.Header) map[string]string {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[k] = strings.Join(v, ", ")
	}
	return out
}

// Signatures.
var (
	sqlError = regexp.MustCompile(`(?i)(SQLITE_ERROR|sqlite3?\.|SQLSTATE\[|syntax error at or near|unterminated quoted string|` +
		`You have an error in your SQL syntax|ORA-\d{5}|Microsoft OLE DB Provider for SQL Server|Unclosed quotation mark|` +
		`pg_query\(\)|PSQLException|quoted string not properly terminated|near "[^"]*": syntax error)`)
	fileLeak = regexp.MustCompile(`root:[x*]?:0:0:|\[boot loader\]|; for 16-bit app support`)
)

func isHTML(h http.Header) bool {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	return mt == "text/html" || mt == "application/xhtml+xml"
}

// errorSignature is what tells server errors apart: a JSON answer's keys,
// or the start of a text answer with its numbers and quoted parts taken out.
func errorSignature(res *response) string {
	var obj map[string]any
	if json.Unmarshal(res.body, &obj) == nil {
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return "json:" + strings.Join(keys, ",")
	}
	s := volatile.ReplaceAllString(string(res.body), "")
	if len(s) > 40 {
		s = s[:40]
	}
	return "text:" + strings.TrimSpace(s)
}

var volatile = regexp.MustCompile(`\d+|"[^"]*"|'[^']*'`)

// schemaSignature keeps what names a schema problem, not the values.
func schemaSignature(why string) string {
	s := volatile.ReplaceAllString(why, "")
	if len(s) > 60 {
		s = s[:60]
	}
	return s
}

// limiter spaces requests to at most n a second.
type limiter struct {
	mu   sync.Mutex
	next time.Time
	gap  time.Duration
}

func newLimiter(n int) *limiter { return &limiter{gap: time.Second / time.Duration(n)} }

// wait blocks until the next request may go, or ctx ends (false).
func (l *limiter) wait(ctx context.Context) bool {
	l.mu.Lock()
	now := time.Now()
	at := l.next
	if at.Before(now) {
		at = now
	}
	l.next = at.Add(l.gap)
	l.mu.Unlock()
	// A timed wait by design: maxRps spaces requests; no condition ends it early but ctx.
	return listen.Sleep(ctx, time.Until(at))
}

// JSON helpers.

type leaf struct {
	path  []string
	value any
}

// jsonLeaves are the scalar values of a document, with their paths.
func jsonLeaves(v any, path []string) []leaf {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var out []leaf
		for _, k := range keys {
			out = append(out, jsonLeaves(x[k], append(append([]string{}, path...), k))...)
		}
		return out
	case []any:
		var out []leaf
		for i, it := range x {
			out = append(out, jsonLeaves(it, append(append([]string{}, path...), strconv.Itoa(i)))...)
		}
		return out
	case nil:
		if len(path) == 0 {
			return nil
		}
	}
	if len(path) == 0 {
		return nil
	}
	return []leaf{{path: path, value: v}}
}

func cloneJSON(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// setJSON replaces the value at path in doc (which it changes) and returns doc.
func setJSON(doc any, path []string, value any) any {
	if len(path) == 0 {
		return value
	}
	switch x := doc.(type) {
	case map[string]any:
		x[path[0]] = setJSON(x[path[0]], path[1:], value)
	case []any:
		if i, err := strconv.Atoi(path[0]); err == nil && i >= 0 && i < len(x) {
			x[i] = setJSON(x[i], path[1:], value)
		}
	}
	return doc
}

// sameJSONType says whether two values have one JSON type.
func sameJSONType(a, b any) bool { return jsonType(a) == jsonType(b) }

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64, int, json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	}
	return "object"
}

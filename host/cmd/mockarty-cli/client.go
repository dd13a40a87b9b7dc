package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// maxResponse caps what the client reads of one answer.
const maxResponse = 64 << 20

// client talks to the management API of one server.
type client struct {
	base    string
	token   string
	timeout time.Duration
	http    *http.Client
}

func newClient(base, token string, timeout time.Duration) *client {
	return &client{base: base, token: token, timeout: timeout, http: &http.Client{Timeout: timeout}}
}

// request is one call to the API.
type request struct {
	method string
	path   string // already escaped
	query  url.Values
	body   any // nil, []byte (sent as is) or a value encoded as JSON
	header http.Header
}

// result is a finished exchange.
type result struct {
	status    int
	body      []byte
	requestID string
}

// send performs the request and returns any HTTP answer; err is only for
// answers that never came.
func (c *client) send(ctx context.Context, r request) (*result, error) {
	u := c.base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var rdr io.Reader
	switch b := r.body.(type) {
	case nil:
	case []byte:
		rdr = bytes.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			return nil, err
		}
		rdr = bytes.NewReader(enc)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, rdr)
	if err != nil {
		return nil, err
	}
	for k, vs := range r.header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "mockarty-cli/"+releaseID)
	if rdr != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("X-API-Key", c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.connError(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, c.connError(err)
	}
	if len(b) > maxResponse {
		return nil, fmt.Errorf("the answer of %s %s is larger than %d MiB", r.method, r.path, maxResponse>>20)
	}
	return &result{status: resp.StatusCode, body: b, requestID: resp.Header.Get("X-Request-Id")}, nil
}

// call performs the request and turns any non-2xx answer into an apiError.
func (c *client) call(ctx context.Context, r request) ([]byte, error) {
	res, err := c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	if res.status < 200 || res.status > 299 {
		return nil, c.apiError(res)
	}
	return res.body, nil
}

// get is call for a GET.
func (c *client) get(ctx context.Context, path string, query url.Values) ([]byte, error) {
	return c.call(ctx, request{method: http.MethodGet, path: path, query: query})
}

// apiError is an error answer of the server.
type apiError struct {
	Status    int
	Message   string
	Code      string
	RequestID string
	Field     string
	tokenSent bool
}

func (e *apiError) Error() string {
	var b strings.Builder
	b.WriteString(e.Message)
	b.WriteString(" (")
	b.WriteString(fmt.Sprint(e.Status))
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Field != "" && !strings.Contains(e.Message, e.Field) {
		b.WriteString(", field " + e.Field)
	}
	if e.RequestID != "" {
		b.WriteString(", request id " + e.RequestID)
	}
	b.WriteString(")")
	return b.String()
}

// hint is a second line of advice, for authentication problems.
func (e *apiError) hint() string {
	if e.Status != http.StatusUnauthorized && e.Status != http.StatusForbidden {
		return ""
	}
	if e.tokenSent {
		return "the server refused the token; check it (mockarty-cli config view) or set another with " +
			"mockarty-cli config set token <token> (or --token / " + envToken + ")"
	}
	return "this server wants an API token: mockarty-cli config set token <token> (or --token / " + envToken + ")"
}

func (c *client) apiError(res *result) *apiError {
	e := &apiError{Status: res.status, RequestID: res.requestID, tokenSent: c.token != ""}
	var env struct {
		Error     string `json:"error"`
		Code      string `json:"code"`
		RequestID string `json:"request_id"`
		Field     string `json:"field"`
	}
	if json.Unmarshal(res.body, &env) == nil && env.Error != "" {
		e.Message, e.Code, e.Field = env.Error, env.Code, env.Field
		if env.RequestID != "" {
			e.RequestID = env.RequestID
		}
		return e
	}
	// Not the API's envelope (a proxy in between, or an old server).
	e.Message = http.StatusText(res.status)
	if e.Message == "" {
		e.Message = "HTTP " + fmt.Sprint(res.status)
	}
	if snippet := oneLine(string(res.body), 200); snippet != "" {
		e.Message += ": " + snippet
	}
	return e
}

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = s[:max] + "..."
	}
	return s
}

// connError explains an answer that never came, in one line.
func (c *client) connError(err error) error {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("no answer from the Mockarty server at %s within %v; is it the right address? "+
			"Raise --timeout, or point to another server with --server or %s", c.base, c.timeout, envServer)
	case errors.Is(err, context.Canceled):
		return errors.New("interrupted")
	}
	return fmt.Errorf("cannot reach the Mockarty server at %s (%s); is it running? "+
		"Point to another server with --server or %s", c.base, reason(err), envServer)
}

// reason is the innermost cause of a network error, in a few words.
func reason(err error) string {
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "no route to host"
	case errors.As(err, &dnsErr):
		return "unknown host " + dnsErr.Name
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the connection closed without an answer"
	}
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// pathEscape escapes one path segment.
func pathEscape(s string) string { return url.PathEscape(s) }

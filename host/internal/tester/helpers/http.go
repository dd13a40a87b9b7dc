package helpers

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// HTTPRequest is one HTTP call to make.
type HTTPRequest struct {
	// Method defaults to GET.
	Method string `json:"method"`
	URL    string `json:"url"`
	// Headers in any shape Headers reads.
	Headers Headers `json:"headers"`
	// Body: a JSON string is sent as its text, another JSON value as JSON.
	Body json.RawMessage `json:"body"`
	// FollowRedirects follows up to 10 redirects; by default a 3xx is the answer.
	FollowRedirects bool `json:"followRedirects"`
}

// HTTPResponse is the answer of an HTTP or SOAP call.
type HTTPResponse struct {
	StatusCode int               `json:"statusCode"`
	Status     string            `json:"status"`
	Headers    map[string]string `json:"headers"`
	// Body is the JSON itself for a JSON answer, else text (base64 for
	// bytes that are not UTF-8: BodyEncoding "base64").
	Body         any    `json:"body"`
	BodyEncoding string `json:"bodyEncoding,omitempty"`
	// Size is the bytes read; Truncated says the answer went on past MaxResponse.
	Size      int   `json:"size"`
	Truncated bool  `json:"truncated,omitempty"`
	LatencyMs int64 `json:"latencyMs"`
	// Fault is a SOAP Fault in the answer (SOAP calls only).
	Fault *SOAPFault `json:"fault,omitempty"`
}

// parseURL checks an http(s) URL given in field.
func parseURL(field, raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, Inputf(field, "is required")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, Inputf(field, "is not a URL: %v", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, Inputf(field, "must be an http:// or https:// URL, not %q", raw)
	}
	return u, nil
}

// DoHTTP makes the call with the guard's client, within ctx.
func DoHTTP(ctx context.Context, g *Guard, in HTTPRequest) (*HTTPResponse, error) {
	u, err := parseURL("url", in.URL)
	if err != nil {
		return nil, err
	}
	method := strings.ToUpper(strings.TrimSpace(in.Method))
	if method == "" {
		method = http.MethodGet
	}
	if !validHeaderName(method) { // a method is a token, as a header name is
		return nil, Inputf("method", "%q is not an HTTP method", in.Method)
	}
	if err := in.Headers.check("headers"); err != nil {
		return nil, err
	}
	content, isJSON, err := requestBody(in.Body)
	if err != nil {
		return nil, Inputf("body", "%v", err)
	}
	if isJSON && !in.Headers.has("Content-Type") {
		in.Headers = append(in.Headers, Header{"Content-Type", "application/json"})
	}
	if err := g.CheckURL(ctx, u); err != nil {
		return nil, Fail(ctx, "url", method+" "+u.Redacted(), err)
	}
	var body io.Reader
	if content != nil {
		body = bytes.NewReader(content)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, Inputf("url", "%v", err)
	}
	in.Headers.apply(req)
	return send(ctx, g.HTTPClient(in.FollowRedirects), req)
}

// send makes a prepared call and reads its answer.
func send(ctx context.Context, client *http.Client, req *http.Request) (*HTTPResponse, error) {
	what := req.Method + " " + req.URL.Redacted()
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return nil, Fail(ctx, "url", what, err)
	}
	defer resp.Body.Close()
	content, truncated, err := readLimited(resp.Body)
	latency := time.Since(start)
	if err != nil {
		return nil, Fail(ctx, "url", what+": reading the answer", err)
	}
	b := bodyOf(content, resp.Header.Get("Content-Type"), truncated)
	return &HTTPResponse{StatusCode: resp.StatusCode, Status: resp.Status, Headers: flatHeaders(resp.Header),
		Body: b.Value, BodyEncoding: b.Encoding, Size: len(content), Truncated: truncated, LatencyMs: latency.Milliseconds()}, nil
}

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/handoff"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// The HTTP side follows the GraphQL-over-HTTP draft: GET with query
// parameters, POST with application/json (or application/graphql, the query
// as the body); the answer is application/json, or
// application/graphql-response+json when the client asks for it.

// maxBody caps a request body: a GraphQL document is small, and a mock
// server should not be made to hold gigabytes.
const maxBody = 8 << 20

const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
	mediaEventStream     = "text/event-stream"
)

// gqlRequest is one GraphQL request, whatever way it came.
type gqlRequest struct {
	Query         string
	OperationName string
	Variables     map[string]any
	Extensions    map[string]any
}

// requestError is a request that is not a well-formed GraphQL-over-HTTP
// request: it is answered with status and a GraphQL error body.
type requestError struct {
	status int
	msg    string
	code   string // extensions.code, when clients look for one
}

func (e *requestError) Error() string { return e.msg }

func badRequest(format string, args ...any) *requestError {
	return &requestError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// ServeHTTP answers one GraphQL request.
func (l *Listener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	s, host, schemas, streams := l.settings, l.host, l.schemas, l.streams
	l.mu.Unlock()
	defer func() {
		// A bug must cost one request an error, not the connection.
		if v := recover(); v != nil {
			pluginLog.Error("panic serving a GraphQL request", "panic", v, "path", r.URL.Path)
			writeResult(w, mediaJSON, http.StatusInternalServerError,
				&result{Errors: gqlerror.List{gqlerror.Errorf("internal error of the GraphQL listener: %v", v)}, NoData: true})
		}
	}()
	allowCORS(w, r)
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent) // a browser's preflight (GraphiQL, Apollo Sandbox)
		return
	}
	media := responseMedia(r.Header.Get("Accept"))
	hand, fromHost, r := handoff.Accept(r)
	ns, rerr := requestNamespace(hand, fromHost, s.Namespace)
	var req *gqlRequest
	if rerr == nil {
		req, rerr = readRequest(r)
	}
	if rerr != nil {
		if rerr.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", "GET, POST")
		}
		e := gqlerror.Errorf("%s", rerr.msg)
		if rerr.code != "" {
			withCode(e, rerr.code)
		}
		writeResult(w, media, rerr.status, &result{Errors: gqlerror.List{e}, NoData: true})
		return
	}
	path := r.URL.Path
	if path == "" {
		path = "/"
	}
	x := &request{
		ctx: r.Context(), host: host, schemas: schemas, namespace: ns, path: path,
		method: r.Method, accept: r.Header.Get("Accept"), headers: headerMap(r), req: req, limits: s.limits(),
	}
	prep, status := x.prepare()
	if prep == nil {
		writeResult(w, media, requestErrorStatus(media, status), x.failure)
		return
	}
	if prep.op.Operation == "subscription" {
		x.serveSubscription(w, r, prep, streams, media)
		return
	}
	res := x.execute(prep)
	writeResult(w, media, http.StatusOK, res)
}

// namespacePattern is what a namespace name looks like (as the host's
// model has it).
var namespacePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

func validNamespace(ns string) bool { return namespacePattern.MatchString(ns) }

// requestNamespace is the namespace a request is served in: the host's,
// when the request is its /stubs hand-off (handoff.Accept), else the
// configured one. Anyone else could otherwise pick any namespace, and make
// the listener remember a schema for each.
func requestNamespace(hand handoff.Request, fromHost bool, configured string) (string, *requestError) {
	h := hand.Namespace
	if h == "" || !fromHost {
		return configured, nil
	}
	if !validNamespace(h) {
		return "", &requestError{status: http.StatusBadRequest, code: "BAD_NAMESPACE",
			msg: fmt.Sprintf("%s %q is not a namespace name: 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit",
				handoff.HeaderNamespace, h)}
	}
	return h, nil
}

// requestErrorStatus is the status of a request that was not executed:
// application/json answers a well-formed request with 200 whatever its
// GraphQL errors; application/graphql-response+json answers a document that
// does not parse or validate with 400 (GraphQL-over-HTTP). Errors of the
// server (an SDL that does not load) keep their own status.
func requestErrorStatus(media string, status int) int {
	if status == http.StatusBadRequest && media == mediaJSON {
		return http.StatusOK
	}
	return status
}

// readRequest reads the GraphQL request from the URL or the body.
func readRequest(r *http.Request) (*gqlRequest, *requestError) {
	switch r.Method {
	case http.MethodGet:
		return fromParams(r.URL.Query().Get("query"), r.URL.Query().Get("operationName"),
			r.URL.Query().Get("variables"), r.URL.Query().Get("extensions"))
	case http.MethodPost:
	default:
		return nil, &requestError{status: http.StatusMethodNotAllowed,
			msg: "GraphQL is served with GET or POST, not " + r.Method}
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &requestError{status: http.StatusRequestEntityTooLarge,
				msg: fmt.Sprintf("the request body is larger than %d bytes", maxBody)}
		}
		return nil, badRequest("cannot read the request body: %v", err)
	}
	ct := r.Header.Get("Content-Type")
	media, _, _ := mime.ParseMediaType(ct)
	switch media {
	case "application/graphql":
		q := r.URL.Query()
		return fromParams(string(body), q.Get("operationName"), q.Get("variables"), q.Get("extensions"))
	case "application/x-www-form-urlencoded":
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, badRequest("cannot read the form: %v", err)
		}
		return fromParams(vals.Get("query"), vals.Get("operationName"), vals.Get("variables"), vals.Get("extensions"))
	case "", mediaJSON, mediaGraphQLResponse:
		// JSON is the default: curl -d sends no type worth trusting.
	default:
		if !strings.HasSuffix(media, "+json") {
			return nil, &requestError{status: http.StatusUnsupportedMediaType,
				msg: "a GraphQL POST body is application/json or application/graphql, not " + ct}
		}
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		return nil, badRequest("batched requests (a JSON array) are not supported: send one request per POST")
	}
	var raw struct {
		Query         *string         `json:"query"`
		OperationName *string         `json:"operationName"`
		Variables     json.RawMessage `json:"variables"`
		Extensions    json.RawMessage `json:"extensions"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, badRequest("the body is not a GraphQL request in JSON: %v", err)
	}
	out := &gqlRequest{}
	if raw.Query != nil {
		out.Query = *raw.Query
	}
	if raw.OperationName != nil {
		out.OperationName = *raw.OperationName
	}
	var rerr *requestError
	if out.Variables, rerr = jsonObject("variables", raw.Variables); rerr != nil {
		return nil, rerr
	}
	if out.Extensions, rerr = jsonObject("extensions", raw.Extensions); rerr != nil {
		return nil, rerr
	}
	return checkQuery(out)
}

func fromParams(query, operationName, variables, extensions string) (*gqlRequest, *requestError) {
	out := &gqlRequest{Query: query, OperationName: operationName}
	var rerr *requestError
	if variables != "" {
		if out.Variables, rerr = jsonObject("variables", json.RawMessage(variables)); rerr != nil {
			return nil, rerr
		}
	}
	if extensions != "" {
		if out.Extensions, rerr = jsonObject("extensions", json.RawMessage(extensions)); rerr != nil {
			return nil, rerr
		}
	}
	return checkQuery(out)
}

// checkQuery refuses a request without a document; an Apollo automatic
// persisted query (a hash, no document) is told so, and its client then
// sends the document.
func checkQuery(r *gqlRequest) (*gqlRequest, *requestError) {
	if strings.TrimSpace(r.Query) != "" {
		return r, nil
	}
	if _, ok := r.Extensions["persistedQuery"]; ok {
		// Apollo's link reads the message or the code, then resends
		// with the document; 200 keeps it from taking this as a
		// network failure.
		return nil, &requestError{status: http.StatusOK, msg: "PersistedQueryNotSupported", code: "PERSISTED_QUERY_NOT_SUPPORTED"}
	}
	return nil, badRequest("the request has no query: send {\"query\": \"{ ... }\"} (or ?query= with GET)")
}

// jsonObject decodes an object member (null or absent: nil); numbers stay
// json.Number, so a big integer variable reaches the mock unrounded. A
// string holding JSON is accepted too: some clients encode variables twice.
func jsonObject(name string, raw json.RawMessage) (map[string]any, *requestError) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil && strings.TrimSpace(s) != "" {
			raw = json.RawMessage(s)
		}
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var out map[string]any
	if err := d.Decode(&out); err != nil {
		return nil, badRequest("%s must be a JSON object: %v", name, err)
	}
	return out, nil
}

// responseMedia picks the answer's media type from Accept:
// application/graphql-response+json when the client lists it and does not
// prefer application/json, else application/json.
func responseMedia(accept string) string {
	best, bestQ := mediaJSON, -1.0
	for _, part := range strings.Split(accept, ",") {
		media, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if _, err := fmt.Sscanf(v, "%g", &q); err != nil {
				q = 0
			}
		}
		switch media {
		case mediaGraphQLResponse:
			if q > bestQ {
				best, bestQ = mediaGraphQLResponse, q
			}
		case mediaJSON:
			if q > bestQ || (q == bestQ && best != mediaJSON) {
				best, bestQ = mediaJSON, q
			}
		}
	}
	return best
}

func headerMap(r *http.Request) find.MultiMap {
	headers := make(find.MultiMap, len(r.Header)+1)
	for k, v := range r.Header {
		headers[k] = v
	}
	if r.Host != "" {
		headers["Host"] = []string{r.Host}
	}
	return headers
}

// allowCORS lets browser tools (GraphiQL, Apollo Sandbox) call the mock.
func allowCORS(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
	if r.Method == http.MethodOptions {
		h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
			h.Set("Access-Control-Allow-Headers", req)
		}
		h.Set("Access-Control-Max-Age", "600")
	}
}

// writeResult writes a GraphQL response.
func writeResult(w http.ResponseWriter, media string, status int, res *result) {
	b, err := json.Marshal(res)
	if err != nil {
		b, _ = json.Marshal(&result{Errors: gqlerror.List{gqlerror.Errorf("cannot encode the answer: %v", err)}})
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", media+"; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

package resolve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/mail"
	"net/textproto"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/openapi"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/sdk"
)

// Requests checked against OpenAPI (http.validateRequest). An HTTP mock
// may name an operation of a description registered in its namespace
// (/api/v1/openapi/specs); every request it is chosen for is then checked
// (path, query, header and cookie parameters, the body) with kin-openapi's
// openapi3filter, and one that does not fit is answered 422 with its
// violations instead of the mock's response. A spec that is not
// registered (or no longer), does not load or lacks the operation is the
// mock's configuration fault, not the caller's: the request is answered
// as if the mock had no validateRequest (never a 500), and the save of
// such a mock carries a warning (ServerWarnings).

// Bounds of the check: a report names at most maxViolations problems of
// at most maxViolationMessage characters each; a schema pattern longer
// than maxPatternBytes is not compiled (Go's regexp runs in linear time,
// but compiling a huge one costs). At most maxCachedSpecs loaded
// descriptions are kept.
const (
	maxViolations       = 50
	maxViolationMessage = 300
	maxPatternBytes     = 4096
	maxCachedSpecs      = 256
)

// Violation is one way a request does not fit its OpenAPI operation.
type Violation struct {
	// In is where: "path", "query", "header", "cookie" or "body".
	In string `json:"in"`
	// Field is the parameter's name, or a JSON pointer into the body
	// ("" is the whole body).
	Field   string `json:"field"`
	Message string `json:"message"`
}

// refusal is the body of a 422 answer: the API's one error shape plus
// the violations.
type refusal struct {
	Error      string      `json:"error"`
	Code       string      `json:"code"`
	RequestID  string      `json:"request_id"`
	Violations []Violation `json:"violations"`
}

type specKey struct{ ns, name string }

// spec is one registered description as requests are checked against it,
// loaded on first use.
type spec struct {
	ready atomic.Bool
	mu    sync.Mutex // held while loading
	doc   *openapi3.T
	// problem says why requests are not checked against it ("": they are).
	problem string
	ops     sync.Map // "METHOD path" -> *specOp
}

// specOp is one operation of a spec, ready for checks.
type specOp struct {
	route *routers.Route // nil: the spec has no such operation
	// names are the path template's parameters in order, and tail the
	// template as a pattern on the end of a request path: the parameters
	// a mock's route does not name (a literal segment, a routePattern)
	// are read with it.
	names []string
	tail  *regexp.Regexp
}

// specCache holds the loaded descriptions by namespace and name. An entry
// is made before its document is read, and a registry change removes the
// namespace's entries after the store is written, so no entry outlives
// the document it was read from.
type specCache struct {
	mu sync.Mutex
	m  map[specKey]*spec
}

func (c *specCache) entry(k specKey) *spec {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[specKey]*spec{}
	}
	s := c.m[k]
	if s == nil {
		if len(c.m) >= maxCachedSpecs {
			clear(c.m) // they load again on use
		}
		s = &spec{}
		c.m[k] = s
	}
	return s
}

func (c *specCache) drop(ns string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.m {
		if k.ns == ns {
			delete(c.m, k)
		}
	}
}

// DocumentsChanged is what a registry calls after it wrote a namespace's
// documents of a kind: what the resolver keeps of them is dropped, and
// the plugins watching sdk.DocumentsTopic(kind) are told.
func (r *Resolver) DocumentsChanged(kind, ns string) {
	if kind == sdk.DocumentOpenAPI {
		r.specs.drop(ns)
	}
	r.Notify(sdk.DocumentsTopic(kind))
}

// openapiSpec is the namespace's registered description of that name,
// or why requests cannot be checked against it (the spec is then nil).
func (r *Resolver) openapiSpec(ns, name string) (*spec, string) {
	s := r.specs.entry(specKey{ns, name})
	if !s.ready.Load() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.ready.Load() {
			if why := s.load(r, ns, name); why != "" {
				return nil, why
			}
		}
	}
	if s.problem != "" {
		return nil, s.problem
	}
	return s, ""
}

// load reads and loads the document. A store that fails is tried again
// on the next request (and said in the result: nothing is kept);
// anything else is kept until the registry changes.
func (s *spec) load(r *Resolver, ns, name string) string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	row, err := r.st.GetDocument(ctx, sdk.DocumentOpenAPI, ns, name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.problem = fmt.Sprintf("OpenAPI spec %q is not registered in namespace %q (/api/v1/openapi/specs)", name, ns)
	case err != nil:
		r.log.Warn("read OpenAPI spec", "namespace", ns, "spec", name, "error", err)
		return fmt.Sprintf("OpenAPI spec %q could not be read: %v", name, err)
	default:
		doc, err := openapi.Load(ctx, []byte(row.Content))
		if err != nil {
			// The registry checks what it takes: only a document stored
			// before this version of the check gets here.
			s.problem = fmt.Sprintf("OpenAPI spec %q does not load: %v", name, err)
		} else {
			s.doc = doc.T
		}
	}
	if s.problem != "" {
		r.log.Warn("requests of mocks naming this OpenAPI spec are not validated", "namespace", ns, "spec", name, "reason", s.problem)
	}
	s.ready.Store(true)
	return ""
}

// operation is the spec's operation of that method and path (its route
// nil when there is none).
func (s *spec) operation(method, path string) *specOp {
	key := method + " " + path
	if op, ok := s.ops.Load(key); ok {
		return op.(*specOp)
	}
	op := &specOp{}
	if item := s.doc.Paths.Value(path); item != nil {
		if o := item.GetOperation(method); o != nil {
			op.route = &routers.Route{Spec: s.doc, Path: path, PathItem: item, Method: method, Operation: o}
			op.names, op.tail = pathTemplate(path)
		}
	}
	got, _ := s.ops.LoadOrStore(key, op)
	return got.(*specOp)
}

var templateParam = regexp.MustCompile(`\{([^{}]+)\}`)

// pathTemplate turns "/pets/{id}.json" into its parameter names and a
// pattern matching a path that ends like it.
func pathTemplate(path string) ([]string, *regexp.Regexp) {
	locs := templateParam.FindAllStringSubmatchIndex(path, -1)
	if len(locs) == 0 {
		return nil, nil
	}
	var b strings.Builder
	names := make([]string, 0, len(locs))
	last := 0
	for _, l := range locs {
		b.WriteString(regexp.QuoteMeta(path[last:l[0]]))
		b.WriteString("([^/]*)")
		names = append(names, path[l[2]:l[3]])
		last = l[1]
	}
	b.WriteString(regexp.QuoteMeta(path[last:]))
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, nil
	}
	return names, re
}

// specWarning says that a saved mock's validateRequest names a spec that
// is not registered, does not load, or lacks the operation: its requests
// are answered unchecked until that changes.
func (r *Resolver) specWarning(m *model.Mock) (ServerWarning, bool) {
	if m.HTTP == nil || m.HTTP.ValidateRequest == nil || r.st == nil {
		return ServerWarning{}, false
	}
	v := m.HTTP.ValidateRequest
	ns := m.Namespace
	if ns == "" {
		ns = model.DefaultNamespace
	}
	w := ServerWarning{MockID: m.ID, Field: "http.validateRequest", Protocol: model.ProtoHTTP, Spec: v.Spec}
	s, problem := r.openapiSpec(ns, v.Spec)
	switch {
	case problem != "":
		w.Field += ".spec"
		w.Message = problem + "; requests to this mock are answered without validation until it is"
	case s.operation(v.Method, v.Path).route == nil:
		w.Message = fmt.Sprintf("OpenAPI spec %q has no operation %s %s; requests to this mock are answered without validation", v.Spec, v.Method, v.Path)
	default:
		return ServerWarning{}, false
	}
	return w, true
}

// checkRequest checks req against the operation the chosen mock names
// in http.validateRequest: the 422 answer when it does not fit, nil when
// it fits or when it cannot be checked (see above). params are the
// mock's route parameters.
func (r *Resolver) checkRequest(m *model.Mock, params map[string]string, req *HTTPRequest) (out *Rendered) {
	v := m.HTTP.ValidateRequest
	if v == nil || r.st == nil {
		return nil
	}
	s, problem := r.openapiSpec(m.Namespace, v.Spec)
	if problem != "" {
		return nil
	}
	op := s.operation(v.Method, v.Path)
	if op.route == nil {
		return nil
	}
	defer func() {
		// kin-openapi reads input it was never shown: a panic in it is not
		// the caller's fault, and leaves the request unchecked.
		if p := recover(); p != nil {
			r.log.Error("OpenAPI request validation panicked", "mock", m.ID, "spec", v.Spec, "panic", fmt.Sprint(p))
			out = nil
		}
	}()
	in := &openapi3filter.RequestValidationInput{
		Request:     req.asHTTP(v.Method),
		PathParams:  op.pathParams(params, req.Path),
		QueryParams: url.Values(req.query()),
		Route:       op.route,
		Options:     validationOptions,
	}
	if in.QueryParams == nil {
		in.QueryParams = url.Values{}
	}
	err := openapi3filter.ValidateRequest(req.context(), in)
	if err == nil {
		return nil
	}
	list, unchecked := violations(err, nil)
	for _, u := range unchecked {
		r.log.Debug("part of a request left unchecked", "mock", m.ID, "spec", v.Spec, "error", clip(u.Error()))
	}
	if len(list) == 0 {
		return nil
	}
	return refusalOf(req, v, list)
}

// validationOptions: every violation, not the first; formats (date,
// date-time, byte, int32, int64, and requestFormats) are checked, as a
// mock server that validates is expected to; security is the mocks' own
// business (conditions on headers), so any credentials pass; the request
// is read, never rewritten with defaults.
var validationOptions = &openapi3filter.Options{
	MultiError:          true,
	AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
	SkipSettingDefaults: true,
	RegexCompiler:       boundedRegex,
	SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.SetSchemaRegexCompiler(boundedRegex),
		openapi3.EnableFormatValidation(), openapi3.WithStringFormatValidators(requestFormats)},
}

// requestFormats are the string formats checked beyond kin-openapi's own;
// given per validation, not defined globally, so the generator's samples
// (openapi.Fits) are judged as before.
var requestFormats = map[string]openapi3.StringFormatValidator{
	"uuid": openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562),
	"ipv4": openapi3.NewIPValidator(true),
	"ipv6": openapi3.NewIPValidator(false),
	"email": openapi3.NewCallbackValidator(func(s string) error {
		if a, err := mail.ParseAddress(s); err != nil || a.Address != s {
			return errors.New("not an email address")
		}
		return nil
	}),
}

var unicodeEscape = regexp.MustCompile(`\\u([0-9A-Fa-f]{4})`)

// boundedRegex compiles a schema's pattern with Go's regexp (linear-time
// matching), refusing one too long to be worth compiling.
func boundedRegex(expr string) (openapi3.RegexMatcher, error) {
	if len(expr) > maxPatternBytes {
		return nil, fmt.Errorf("the pattern is %d bytes long: patterns over %d are not checked", len(expr), maxPatternBytes)
	}
	return regexp.Compile(unicodeEscape.ReplaceAllString(expr, `\x{$1}`))
}

// pathParams are the operation's path parameters: the mock's route
// parameters of the same names, the others read from the request path by
// the operation's template.
func (op *specOp) pathParams(route map[string]string, path string) map[string]string {
	out := make(map[string]string, len(op.names))
	missing := false
	for _, n := range op.names {
		if v, ok := route[n]; ok {
			out[n] = v
		} else {
			missing = true
		}
	}
	if missing && op.tail != nil {
		if m := op.tail.FindStringSubmatch(path); m != nil {
			for i, n := range op.names {
				if _, ok := out[n]; !ok {
					if v, err := url.PathUnescape(m[i+1]); err == nil {
						out[n] = v
					}
				}
			}
		}
	}
	return out
}

func (r *HTTPRequest) context() context.Context {
	if r.Ctx != nil {
		return r.Ctx
	}
	return context.Background()
}

// asHTTP is the request as net/http has it, for openapi3filter.
func (r *HTTPRequest) asHTTP(method string) *http.Request {
	h := make(http.Header, len(r.headers()))
	for k, v := range r.headers() {
		h[textproto.CanonicalMIMEHeaderKey(k)] = v
	}
	req := &http.Request{Method: method, URL: &url.URL{Path: r.Path, RawQuery: url.Values(r.query()).Encode()},
		Header: h, Body: http.NoBody, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
	if len(r.Body) > 0 {
		body := r.Body
		req.ContentLength = int64(len(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		req.Body, _ = req.GetBody()
	}
	return req
}

// violations flattens what ValidateRequest returned. unchecked are the
// errors that are not the request's fault (a pattern of the description
// that does not compile, a media type the validator cannot read): what
// they are about is left unchecked, and they are logged, not reported.
func violations(err error, out []Violation) ([]Violation, []error) {
	var unchecked []error
	var walk func(err error, in, field string, depth int)
	add := func(in, field, msg string) {
		if len(out) < maxViolations {
			out = append(out, Violation{In: in, Field: field, Message: clip(msg)})
		}
	}
	walk = func(err error, in, field string, depth int) {
		if depth > 16 || len(out) >= maxViolations {
			return
		}
		var pe *openapi3.SchemaPatternRegexError
		if errors.As(err, &pe) {
			unchecked = append(unchecked, err)
			return
		}
		switch e := err.(type) {
		case openapi3.MultiError:
			for _, x := range e {
				walk(x, in, field, depth+1)
			}
		case *openapi3filter.RequestError:
			where, name := "body", ""
			switch {
			case e.Parameter != nil:
				where, name = e.Parameter.In, e.Parameter.Name
			case strings.HasPrefix(e.Reason, "header Content-Type has unexpected value"):
				where, name = "header", "Content-Type"
			}
			var pe *openapi3filter.ParseError
			switch {
			case e.Err == nil:
				add(where, name, e.Reason)
			case errors.Is(e.Err, openapi3filter.ErrInvalidRequired):
				if e.Parameter == nil {
					add(where, name, "a request body is required")
				} else {
					add(where, name, "is required")
				}
			case errors.Is(e.Err, openapi3filter.ErrInvalidEmptyValue):
				add(where, name, "must not be empty")
			case errors.As(e.Err, &pe) && pe.Kind == openapi3filter.KindUnsupportedFormat:
				// A media type kin-openapi has no decoder for (XML): the
				// validator's limit, not the request's fault.
				unchecked = append(unchecked, err)
			case errors.As(e.Err, &pe):
				// A value that does not parse as its type ("abc" for an integer).
				msg := pe.Error()
				if e.Reason != "" {
					msg = e.Reason + ": " + msg
				}
				add(where, name, msg)
			default:
				walk(e.Err, where, name, depth+1)
			}
		case *openapi3filter.SecurityRequirementsError:
			add("header", "", e.Error())
		case *openapi3.SchemaError:
			var sub openapi3.MultiError
			if e.Origin != nil && e.SchemaField != "oneOf" && e.SchemaField != "anyOf" && errors.As(e.Origin, &sub) {
				// An error that groups others (JSON Schema 2020-12's, for
				// 3.1; an allOf): each is a violation of its own. The
				// branches of a oneOf or anyOf are alternatives, not
				// violations: the error is reported as one.
				walk(sub, in, field, depth+1)
				return
			}
			msg := trimLocation(e.Reason)
			if msg == "" {
				msg = fmt.Sprintf("does not match the schema's %q", e.SchemaField)
			}
			switch p := jsonPointer(e.JSONPointer()); {
			case in == "body":
				field = p
			case p != "":
				// An item of an array or object parameter.
				msg = "at " + p + ": " + msg
			}
			add(in, field, msg)
		default:
			add(in, field, err.Error())
		}
	}
	walk(err, "body", "", 0)
	return out, unchecked
}

// errorAt is how the JSON Schema 2020-12 validator's messages start; the
// violation's field says it already.
var errorAt = regexp.MustCompile(`^(error )?at ("[^"]*"|'[^']*'): `)

func trimLocation(msg string) string {
	for i := 0; i < 2 && errorAt.MatchString(msg); i++ {
		msg = errorAt.ReplaceAllString(msg, "")
	}
	return msg
}

// jsonPointer writes a path as a JSON pointer (RFC 6901).
func jsonPointer(path []string) string {
	var b strings.Builder
	for _, p := range path {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(p))
	}
	return b.String()
}

// clip keeps the first line of a message, at most maxViolationMessage
// characters: a schema error may hold the schema itself.
func clip(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if utf8.RuneCountInString(s) > maxViolationMessage {
		s = string([]rune(s)[:maxViolationMessage]) + "…"
	}
	return s
}

// refusalOf is the 422 answer listing the violations.
func refusalOf(req *HTTPRequest, v *model.RequestValidation, list []Violation) *Rendered {
	first := list[0]
	where := first.In
	if first.Field != "" {
		where += " " + first.Field
	}
	msg := fmt.Sprintf("the request does not fit %s %s of OpenAPI spec %q: %s: %s", v.Method, v.Path, v.Spec, where, first.Message)
	switch n := len(list) - 1; {
	case n == 1:
		msg += " (and 1 more violation)"
	case n > 1:
		msg += fmt.Sprintf(" (and %d more violations)", n)
	}
	id := req.requestID()
	body, err := json.Marshal(refusal{Error: msg, Code: "validation", RequestID: id, Violations: list})
	if err != nil {
		body = []byte(`{"error":"the request does not fit its OpenAPI operation","code":"validation"}`)
	}
	return &Rendered{Status: http.StatusUnprocessableEntity, Body: body,
		Headers: map[string][]string{"Content-Type": {"application/json"}, "X-Request-Id": {id}}}
}

// requestID is the id a 422 answer names: the caller's X-Request-Id when
// it is a valid id, else a new one. The answer sets X-Request-Id to it, so
// header and body agree.
func (r *HTTPRequest) requestID() string {
	if h := r.headers()["x-request-id"]; len(h) > 0 && ValidRequestID(h[0]) {
		return h[0]
	}
	return "mock-" + strconv.FormatUint(rand.Uint64(), 36)
}

// ValidRequestID says whether a caller's X-Request-Id is kept: 1-128
// characters of [A-Za-z0-9._:-] (the API and the answers here agree).
func ValidRequestID(id string) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

package model

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Assert actions known to the matcher. "match" is the legacy spelling of
// "matches"; operators with the prefix "plugin:" are provided by plugins.
const (
	AssertEquals      = "equals"
	AssertContains    = "contains"
	AssertNotEquals   = "not_equals"
	AssertNotContains = "not_contains"
	AssertAny         = "any"
	AssertNotEmpty    = "notEmpty"
	AssertEmpty       = "empty"
	AssertMatches     = "matches"
	assertMatchLegacy = "match"
	// PluginAssertPrefix marks an operator contributed by a plugin.
	PluginAssertPrefix = "plugin:"
)

// Bounds of numeric fields.
const (
	MaxTTL   = 100 * 365 * 24 * 3600 * 1000 // ms
	MaxDelay = 3600 * 1000                  // ms
)

// reservedIDs cannot be mock ids: they are fixed segments of /api/v1/mocks/...
var reservedIDs = map[string]bool{"batch": true, "preview": true, "chains": true, "copy-to-namespace": true}

// TemplateName is the file name a template reference points to: "x.json",
// "/templates/x.json" and "templates/x.json" all name x.json.
func TemplateName(ref string) string {
	return strings.TrimPrefix(strings.TrimPrefix(ref, "/templates/"), "templates/")
}

var valueRequired = map[string]bool{
	AssertEquals: true, AssertContains: true, AssertNotEquals: true,
	AssertNotContains: true, AssertMatches: true,
}

var noValue = map[string]bool{AssertAny: true, AssertNotEmpty: true, AssertEmpty: true}

// AssertActions lists the built-in assert actions (for error messages).
var AssertActions = []string{AssertEquals, AssertContains, AssertNotEquals, AssertNotContains, AssertMatches, AssertAny, AssertNotEmpty, AssertEmpty}

var errorDetailTypes = map[string]bool{
	"badRequest": true, "help": true, "debugInfo": true, "errorInfo": true, "localizedMessage": true,
	"preconditionFailure": true, "quotaFailure": true, "requestInfo": true, "resourceInfo": true, "retryInfo": true,
}

var httpMethods = map[string]bool{
	"GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "HEAD": true,
	"OPTIONS": true, "TRACE": true, "CONNECT": true, "ANY": true, "*": true,
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:@-]{0,199}$`)

// NamePattern is what namespace, chain and folder identifiers may look like.
var NamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// ValidID reports whether s can be a mock ID (it is used in URL paths).
func ValidID(s string) bool { return idPattern.MatchString(s) }

// Normalise fills defaults and canonical spellings. It is applied before
// validation on every write.
func (m *Mock) Normalise() {
	m.ID = strings.TrimSpace(m.ID)
	m.Namespace = strings.TrimSpace(m.Namespace)
	if m.Namespace == "" {
		m.Namespace = DefaultNamespace
	}
	if m.HTTP != nil {
		m.HTTP.HTTPMethod = strings.ToUpper(strings.TrimSpace(m.HTTP.HTTPMethod))
		if v := m.HTTP.ValidateRequest; v != nil {
			v.Spec, v.Path = strings.TrimSpace(v.Spec), strings.TrimSpace(v.Path)
			v.Method = strings.ToUpper(strings.TrimSpace(v.Method))
			if v.Method == "" && openapiMethods[m.HTTP.HTTPMethod] {
				// The operation of the mock's own method.
				v.Method = m.HTTP.HTTPMethod
			}
		}
	}
	if c := m.MCP; c != nil {
		c.normalise()
	}
	EachConditionList(m, func(_ string, list []Condition) {
		for i := range list {
			if list[i].AssertAction == assertMatchLegacy {
				list[i].AssertAction = AssertMatches
			}
		}
	})
	if len(m.Tags) > 0 {
		seen := make(map[string]bool, len(m.Tags))
		tags := m.Tags[:0]
		for _, t := range m.Tags {
			t = strings.TrimSpace(t)
			if t == "" || seen[t] {
				continue
			}
			seen[t] = true
			tags = append(tags, t)
		}
		m.Tags = tags
	}
}

// Validate checks the mock against the rules of the model and returns the
// first problem found, with the path of the offending field.
func (m *Mock) Validate() *FieldError {
	v := validator{}
	v.mock(m)
	return v.err
}

type validator struct{ err *FieldError }

func (v *validator) fail(field, format string, args ...any) {
	if v.err == nil {
		v.err = &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
	}
}

// mock runs the checks in a fixed order: the validator keeps only the first
// failure, so the order decides which problem is reported.
func (v *validator) mock(m *Mock) {
	v.identity(m)
	v.limits(m)
	v.tags(m)
	v.oneContext(m)
	proto := m.Protocol()
	v.contexts(m)
	v.responseKind(m)
	if m.Response != nil {
		v.response("response", m.Response, proto)
	}
	if m.OneOf != nil {
		v.oneOf(m.OneOf, proto)
	}
	if m.Proxy != nil {
		v.proxy(m.Proxy, proto)
	}
	for i := range m.Webhooks {
		v.webhook(fmt.Sprintf("webhooks[%d]", i), &m.Webhooks[i])
	}
	if m.Extract != nil {
		v.extract(m.Extract, m.ChainID)
	}
	EachConditionList(m, func(path string, list []Condition) {
		for i := range list {
			v.condition(fmt.Sprintf("%s[%d]", path, i), &list[i])
		}
	})
}

// identity checks the names that place the mock: id, namespace, chain,
// path prefix and the other short plain-text fields.
func (v *validator) identity(m *Mock) {
	switch {
	case m.ID == "":
		v.fail("id", "is required")
	case !ValidID(m.ID):
		v.fail("id", "must be 1-200 characters of letters, digits, '.', '_', ':', '@' or '-', starting with a letter or digit")
	case reservedIDs[m.ID]:
		v.fail("id", "%q is a reserved word of the API paths; choose another id", m.ID)
	}
	if !NamePattern.MatchString(m.Namespace) {
		v.fail("namespace", "must be 1-100 characters of letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	if m.ChainID != "" && !NamePattern.MatchString(m.ChainID) {
		v.fail("chainId", "must be 1-100 characters of letters, digits, '.', '_' or '-'")
	}
	if m.PathPrefix != "" && !strings.HasPrefix(m.PathPrefix, "/") {
		v.fail("pathPrefix", "must start with '/'")
	}
	for _, f := range []struct {
		name, value string
		max         int
	}{{"serverName", m.ServerName, 200}, {"folderId", m.FolderID, 100}, {"pathPrefix", m.PathPrefix, 1000}} {
		if len(f.value) > f.max {
			v.fail(f.name, "must be at most %d characters", f.max)
		}
		if !PlainText(f.value) {
			v.fail(f.name, "must not contain control characters")
		}
	}
}

// limits checks the lifetime and the use count.
func (v *validator) limits(m *Mock) {
	if m.TTL < 0 || m.TTL > MaxTTL {
		v.fail("ttl", "must be 0 (unlimited) or a positive number of milliseconds up to %d (100 years)", int64(MaxTTL))
	}
	if m.UseLimiter < 0 || m.UseLimiter > math.MaxInt32 {
		v.fail("useLimiter", "must be 0 (unlimited) or positive, at most %d", math.MaxInt32)
	}
}

func (v *validator) tags(m *Mock) {
	for i, t := range m.Tags {
		if len(t) > 100 {
			v.fail(fmt.Sprintf("tags[%d]", i), "must be at most 100 characters")
		}
		if !PlainText(t) {
			v.fail(fmt.Sprintf("tags[%d]", i), "must not contain control characters")
		}
	}
}

// oneContext requires exactly one protocol context.
func (v *validator) oneContext(m *Mock) {
	var set []string
	for _, c := range m.contexts() {
		if c.set {
			set = append(set, c.name)
		}
	}
	switch len(set) {
	case 0:
		v.fail("", "a protocol context is required: set exactly one of %s", strings.Join(Protocols, ", "))
	case 1:
	default:
		v.fail(set[1], "only one protocol context may be set, found %s", strings.Join(set, " and "))
	}
}

// responseKind requires exactly one of response, oneOf and proxy, except
// that a proxy may carry a response of delay and headers.
func (v *validator) responseKind(m *Mock) {
	n := 0
	for _, b := range []bool{m.Response != nil, m.OneOf != nil, m.Proxy != nil} {
		if b {
			n++
		}
	}
	switch {
	case m.Proxy != nil && m.Response != nil && m.OneOf == nil:
		// The proxy exception: response may add a delay and headers to the upstream reply.
		r := m.Response
		if r.StatusCode != 0 || len(r.Payload) > 0 || r.PayloadTemplatePath != "" || r.Decode != "" || r.Error != "" ||
			len(r.ErrorDetails) > 0 || r.SSEEventChain != nil || len(r.GraphQLErrors) > 0 || r.SOAPFault != nil || r.MCPIsError {
			v.fail("response", "with proxy, response may only set delay and headers")
		}
	case n == 0:
		v.fail("response", "one of response, oneOf or proxy is required")
	case n > 1:
		v.fail("oneOf", "set exactly one of response, oneOf or proxy")
	}
}

func (v *validator) oneOf(o *OneOf, proto string) {
	switch o.Order {
	case "", "order", "random":
	default:
		v.fail("oneOf.order", "must be \"order\" or \"random\", got %q", o.Order)
	}
	if len(o.Responses) == 0 {
		v.fail("oneOf.responses", "must hold at least one response")
	}
	if o.Offset < 0 {
		v.fail("oneOf.offset", "must not be negative")
	}
	for i := range o.Responses {
		v.response(fmt.Sprintf("oneOf.responses[%d]", i), &o.Responses[i], proto)
	}
}

func (v *validator) extract(e *Extract, chainID string) {
	if len(e.CStore) > 0 && chainID == "" {
		v.fail("extract.cStore", "needs chainId: the chain store belongs to a chain")
	}
	for name, st := range map[string]map[string]json.RawMessage{"mStore": e.MStore, "cStore": e.CStore, "gStore": e.GStore} {
		for k := range st {
			if strings.TrimSpace(k) == "" {
				v.fail("extract."+name, "keys must not be empty")
			}
		}
	}
}

// contexts checks each protocol context that is set; oneContext has already
// reported a mock with more than one.
func (v *validator) contexts(m *Mock) {
	if m.HTTP != nil {
		v.httpContext(m.HTTP)
	}
	if m.GRPC != nil {
		v.grpcContext(m.GRPC)
	}
	if m.MCP != nil {
		v.mcpContext(m.MCP)
	}
	if m.SOAP != nil {
		v.soapContext(m.SOAP)
	}
	if m.GraphQL != nil {
		v.graphqlContext(m.GraphQL)
	}
	if m.SSE != nil {
		v.sseContext(m.SSE)
	}
	if k := m.Kafka; k != nil && k.Topic == "" {
		v.fail("kafka.topic", "is required")
	}
	if m.RabbitMQ != nil {
		v.rabbitMQContext(m.RabbitMQ)
	}
	if m.Socket != nil {
		v.socketContext(m.Socket)
	}
}

func (v *validator) httpContext(h *HTTPContext) {
	if h.Route == "" && h.RoutePattern == "" {
		v.fail("http.route", "is required (or http.routePattern)")
	}
	if h.Route != "" {
		if msg := routeProblem(h.Route); msg != "" {
			v.fail("http.route", "%s", msg)
		}
	}
	if h.RoutePattern != "" {
		if _, err := regexp.Compile(h.RoutePattern); err != nil {
			v.fail("http.routePattern", "is not a valid regular expression: %v", err)
		}
	}
	if h.HTTPMethod != "" && !httpMethods[h.HTTPMethod] {
		v.fail("http.httpMethod", "unknown HTTP method %q", h.HTTPMethod)
	}
	if h.ValidateRequest != nil {
		v.requestValidation("http.validateRequest", h.ValidateRequest)
	}
}

// openapiMethods are the methods an OpenAPI path item has operations for.
var openapiMethods = map[string]bool{
	"GET": true, "PUT": true, "POST": true, "DELETE": true, "OPTIONS": true, "HEAD": true, "PATCH": true, "TRACE": true,
}

// specNamePattern is what a registered document's name looks like (the
// registries' rule): segments of letters, digits, '.', '_' and '-'.
var specNamePattern = regexp.MustCompile(`^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$`)

// requestValidation checks the shape only: whether the spec is registered
// and has the operation is known when a request comes, and a mock whose
// spec is missing still answers (the save reports it as a warning).
func (v *validator) requestValidation(path string, r *RequestValidation) {
	lower := strings.ToLower(r.Spec)
	switch {
	case r.Spec == "":
		v.fail(path+".spec", "is required: the name of an OpenAPI description registered in the namespace (/api/v1/openapi/specs)")
	case len(r.Spec) > 255 || !specNamePattern.MatchString(r.Spec) || strings.Contains(r.Spec, ".."):
		v.fail(path+".spec", "%q is not a registered file name: letters, digits, '.', '_', '-' and '/'", r.Spec)
	case !strings.HasSuffix(lower, ".json") && !strings.HasSuffix(lower, ".yaml") && !strings.HasSuffix(lower, ".yml"):
		v.fail(path+".spec", "%q must end in .json, .yaml or .yml", r.Spec)
	}
	switch {
	case !strings.HasPrefix(r.Path, "/"):
		v.fail(path+".path", "must start with '/': the operation's path as the description writes it (\"/pets/{id}\")")
	case len(r.Path) > 2048:
		v.fail(path+".path", "is longer than 2048 characters")
	}
	if !openapiMethods[r.Method] {
		if r.Method == "" {
			v.fail(path+".method", "is required (the mock's httpMethod is no one method)")
		} else {
			v.fail(path+".method", "unknown method %q: one of GET, PUT, POST, DELETE, OPTIONS, HEAD, PATCH, TRACE", r.Method)
		}
	}
}

func (v *validator) grpcContext(g *GRPCContext) {
	if g.Service == "" {
		v.fail("grpc.service", "is required (for example \"user.UserService\")")
	}
	if g.Method == "" {
		v.fail("grpc.method", "is required")
	}
	switch g.MethodType {
	case "", "unary", "server-stream", "client-stream", "bidirectional":
	default:
		v.fail("grpc.methodType", "must be one of unary, server-stream, client-stream, bidirectional")
	}
}

func (v *validator) mcpContext(c *MCPContext) {
	named := 0
	for _, s := range []string{c.Tool, c.Resource, c.Prompt} {
		if s != "" {
			named++
		}
	}
	switch {
	case named == 0:
		v.fail("mcp.tool", "is required (or mcp.resource for resources/read, mcp.prompt for prompts/get)")
	case named > 1:
		v.fail("mcp.tool", "set one of mcp.tool, mcp.resource and mcp.prompt")
	case c.Method != "" && c.Method != MCPToolsCall && c.Method != MCPResourcesRead && c.Method != MCPPromptsGet:
		v.fail("mcp.method", "must be tools/call, resources/read or prompts/get")
	case c.Method == MCPToolsCall && c.Tool == "", c.Method == MCPResourcesRead && c.Resource == "",
		c.Method == MCPPromptsGet && c.Prompt == "":
		v.fail("mcp.method", "%s does not fit the name given (tool, resource or prompt)", c.Method)
	}
	if len(c.InputSchema) > 0 {
		var schema map[string]any
		if json.Unmarshal(c.InputSchema, &schema) != nil {
			v.fail("mcp.inputSchema", "must be a JSON Schema object")
		} else if t, ok := schema["type"]; ok && t != "object" {
			v.fail("mcp.inputSchema", "an MCP tool's input schema has type \"object\"")
		}
	}
}

func (v *validator) soapContext(s *SOAPContext) {
	if s.Action == "" && s.Method == "" && s.Path == "" {
		v.fail("soap.action", "one of soap.action, soap.method or soap.path is required")
	}
	if s.Path != "" && !strings.HasPrefix(s.Path, "/") {
		v.fail("soap.path", "must start with '/'")
	}
}

func (v *validator) graphqlContext(g *GraphQLContext) {
	switch g.Operation {
	case "", "query", "mutation", "subscription":
	default:
		v.fail("graphql.operation", "must be query, mutation or subscription")
	}
	if g.Field == "" {
		v.fail("graphql.field", "is required")
	}
	if g.Path != "" && !strings.HasPrefix(g.Path, "/") {
		v.fail("graphql.path", "must start with '/'")
	}
}

func (v *validator) sseContext(s *SSEContext) {
	if s.EventPath == "" {
		v.fail("sse.eventPath", "is required (for example \"/events/orders\")")
	} else if msg := routeProblem(s.EventPath); msg != "" {
		v.fail("sse.eventPath", "%s", msg)
	}
}

func (v *validator) rabbitMQContext(r *RabbitMQContext) {
	if r.Queue == "" && r.Exchange == "" {
		v.fail("rabbitmq.queue", "is required (or rabbitmq.exchange)")
	}
	if r.OutputURL != "" {
		if u, err := url.Parse(r.OutputURL); err != nil || (u.Scheme != "amqp" && u.Scheme != "amqps") {
			v.fail("rabbitmq.outputURL", "must be an amqp:// or amqps:// URL")
		}
	}
	if p := r.OutputProps; p != nil {
		if p.DeliveryMode != 0 && p.DeliveryMode != 1 && p.DeliveryMode != 2 {
			v.fail("rabbitmq.outputProps.deliveryMode", "must be 1 (transient) or 2 (persistent)")
		}
		if p.Priority < 0 || p.Priority > 255 {
			v.fail("rabbitmq.outputProps.priority", "must be between 0 and 255")
		}
	}
}

func (v *validator) socketContext(s *SocketContext) {
	switch strings.ToLower(s.SocketType) {
	case "", "websocket", "ws", "tcp", "udp":
	default:
		v.fail("socket.socketType", "must be websocket, tcp or udp")
	}
}

// routeProblem explains what is wrong with an HTTP-style route, or returns "".
func routeProblem(route string) string {
	if !strings.HasPrefix(route, "/") {
		return "must start with '/'"
	}
	if strings.ContainsAny(route, " \t\r\n?#") {
		return "must not contain spaces, '?' or '#'"
	}
	params := map[string]bool{}
	for _, seg := range strings.Split(route[1:], "/") {
		if strings.HasPrefix(seg, ":") {
			name := seg[1:]
			if name == "" {
				return "has a ':' path parameter without a name"
			}
			if !NamePattern.MatchString(name) {
				return fmt.Sprintf("path parameter %q must be letters, digits, '.', '_' or '-'", name)
			}
			if params[name] {
				return fmt.Sprintf("path parameter %q appears twice", name)
			}
			params[name] = true
		}
	}
	return ""
}

func (v *validator) condition(path string, c *Condition) {
	a := c.AssertAction
	switch {
	case a == "":
		v.fail(path+".assertAction", "is required (one of %s)", strings.Join(AssertActions, ", "))
		return
	case strings.HasPrefix(a, PluginAssertPrefix):
		if len(a) == len(PluginAssertPrefix) {
			v.fail(path+".assertAction", "names no plugin operator after \"plugin:\"")
		}
	case valueRequired[a]:
		if len(c.Value) == 0 && c.ValueFromFile == "" {
			v.fail(path+".value", "is required for assertAction %q (or set valueFromFile)", a)
		}
	case noValue[a]:
	default:
		v.fail(path+".assertAction", "unknown assertAction %q; use one of %s, or plugin:<name>", a, strings.Join(AssertActions, ", "))
		return
	}
	if a == AssertMatches && len(c.Value) > 0 && c.ValueFromFile == "" {
		var pattern string
		if err := json.Unmarshal(c.Value, &pattern); err != nil {
			v.fail(path+".value", "must be a string holding a regular expression")
		} else if _, err := regexp.Compile(pattern); err != nil {
			v.fail(path+".value", "is not a valid regular expression: %v", err)
		}
	}
	switch c.Decode {
	case "", "base64":
	default:
		v.fail(path+".decode", "must be \"base64\" when set, got %q", c.Decode)
	}
	if c.ValueFromFile != "" && !ValidFileName(TemplateName(c.ValueFromFile)) {
		v.fail(path+".valueFromFile", "must name a template file (x.json or /templates/x.json), not a path")
	}
}

func (v *validator) response(path string, r *ContentResponse, proto string) {
	switch proto {
	case ProtoGRPC:
		if r.StatusCode < 0 || r.StatusCode > 16 {
			v.fail(path+".statusCode", "must be a gRPC status code between 0 and 16")
		}
	default:
		if r.StatusCode != 0 && (r.StatusCode < 100 || r.StatusCode > 599) {
			v.fail(path+".statusCode", "must be between 100 and 599")
		}
	}
	if r.Delay < 0 || r.Delay > MaxDelay {
		v.fail(path+".delay", "must be between 0 and %d milliseconds (one hour)", int64(MaxDelay))
	}
	switch r.Decode {
	case "":
	case "base64":
		var s string
		if len(r.Payload) > 0 {
			if err := json.Unmarshal(r.Payload, &s); err != nil {
				v.fail(path+".payload", "must be a base64 string when decode is \"base64\"")
			} else if _, err := base64.StdEncoding.DecodeString(s); err != nil {
				v.fail(path+".payload", "is not valid base64: %v", err)
			}
		}
	default:
		v.fail(path+".decode", "must be \"base64\" when set, got %q", r.Decode)
	}
	if r.PayloadTemplatePath != "" && !ValidFileName(r.PayloadTemplatePath) {
		v.fail(path+".payloadTemplatePath", "must be a plain template file name (no '/', '\\' or '..')")
	}
	for i, d := range r.ErrorDetails {
		if !errorDetailTypes[d.Type] {
			v.fail(fmt.Sprintf("%s.errorDetails[%d].type", path, i), "unknown error detail type %q", d.Type)
		}
	}
	if c := r.SSEEventChain; c != nil {
		if c.LoopDelay != 0 && c.LoopDelay < 100 {
			v.fail(path+".sseEventChain.loopDelay", "must be at least 100 ms")
		}
		for name, val := range map[string]int64{"heartbeat": c.Heartbeat, "maxLoops": c.MaxLoops, "maxTime": c.MaxTime, "logBatch": c.LogBatch} {
			if val < 0 {
				v.fail(path+".sseEventChain."+name, "must not be negative")
			}
		}
		for i, e := range c.Events {
			if e.Delay < 0 {
				v.fail(fmt.Sprintf("%s.sseEventChain.events[%d].delay", path, i), "must not be negative")
			}
			if e.TemplatePath != "" && !ValidFileName(e.TemplatePath) {
				v.fail(fmt.Sprintf("%s.sseEventChain.events[%d].templatePath", path, i), "must be a plain template file name")
			}
		}
	}
	for i, e := range r.GraphQLErrors {
		if e.Message == "" {
			v.fail(fmt.Sprintf("%s.graphqlErrors[%d].message", path, i), "is required")
		}
	}
	if f := r.SOAPFault; f != nil && f.HTTPStatus != 0 && (f.HTTPStatus < 100 || f.HTTPStatus > 599) {
		v.fail(path+".soapFault.httpStatus", "must be an HTTP status (400 or 500 are usual)")
	}
}

func (v *validator) proxy(p *Proxy, proto string) {
	t := strings.TrimSpace(p.Target)
	if t == "" {
		v.fail("proxy.target", "is required")
		return
	}
	switch proto {
	case ProtoHTTP, ProtoSOAP, ProtoGraphQL, ProtoMCP, ProtoSSE:
		u, err := url.Parse(t)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.fail("proxy.target", "must be an absolute http:// or https:// URL")
		}
	default:
		if strings.Contains(t, "://") {
			if u, err := url.Parse(t); err != nil || u.Host == "" {
				v.fail("proxy.target", "is not a valid URL")
			}
		}
	}
}

func (v *validator) webhook(path string, w *Callback) {
	switch w.Type {
	case "", "http":
		u, err := url.Parse(w.URL)
		if w.URL == "" {
			v.fail(path+".url", "is required for an http webhook")
		} else if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.fail(path+".url", "must be an absolute http:// or https:// URL")
		}
		if w.Method != "" && !httpMethods[strings.ToUpper(w.Method)] {
			v.fail(path+".method", "unknown HTTP method %q", w.Method)
		}
	case "kafka":
		if w.KafkaBrokers == "" {
			v.fail(path+".kafkaBrokers", "is required for a kafka webhook")
		}
		if w.KafkaTopic == "" {
			v.fail(path+".kafkaTopic", "is required for a kafka webhook")
		}
	case "rabbitmq":
		if w.RabbitURL == "" {
			v.fail(path+".rabbitURL", "is required for a rabbitmq webhook")
		}
		if w.RabbitExchange == "" && w.RabbitQueue == "" && w.RabbitRoutingKey == "" {
			v.fail(path+".rabbitQueue", "a rabbitmq webhook needs rabbitQueue or rabbitExchange/rabbitRoutingKey")
		}
	default:
		v.fail(path+".type", "must be http, kafka or rabbitmq, got %q", w.Type)
	}
	switch w.Trigger {
	case "", "on_success", "on_error", "always":
	default:
		v.fail(path+".trigger", "must be on_success, on_error or always, got %q", w.Trigger)
	}
	if w.Timeout < 0 || w.RetryCount < 0 || w.RetryDelay < 0 {
		v.fail(path, "timeout, retryCount and retryDelay must not be negative")
	}
}

// EachConditionList calls fn with every condition list of the mock and its JSON path.
func EachConditionList(m *Mock, fn func(path string, list []Condition)) {
	if h := m.HTTP; h != nil {
		fn("http.conditions", h.Conditions)
		fn("http.queryParams", h.QueryParams)
		fn("http.header", h.Header)
	}
	if g := m.GRPC; g != nil {
		fn("grpc.conditions", g.Conditions)
		fn("grpc.meta", g.Meta)
	}
	if c := m.MCP; c != nil {
		fn("mcp.conditions", c.Conditions)
		fn("mcp.header", c.Header)
	}
	if s := m.Socket; s != nil {
		fn("socket.conditions", s.Conditions)
	}
	if s := m.SOAP; s != nil {
		fn("soap.conditions", s.Conditions)
		fn("soap.header", s.Header)
	}
	if g := m.GraphQL; g != nil {
		fn("graphql.conditions", g.Conditions)
		fn("graphql.header", g.Header)
	}
	if s := m.SSE; s != nil {
		fn("sse.conditions", s.Conditions)
		fn("sse.headerConditions", s.HeaderConditions)
	}
	if k := m.Kafka; k != nil {
		fn("kafka.conditions", k.Conditions)
		fn("kafka.headers", k.Headers)
	}
	if r := m.RabbitMQ; r != nil {
		fn("rabbitmq.conditions", r.Conditions)
		fn("rabbitmq.headers", r.Headers)
	}
	if s := m.SMTP; s != nil {
		fn("smtp.senderConditions", s.SenderConditions)
		fn("smtp.recipientConditions", s.RecipientConditions)
		fn("smtp.subjectConditions", s.SubjectConditions)
		fn("smtp.bodyConditions", s.BodyConditions)
		fn("smtp.headerConditions", s.HeaderConditions)
	}
}

// ValidFileName reports whether name is a plain file name that stays inside
// its folder: no separators, no "..", no control characters, not hidden.
func ValidFileName(name string) bool {
	if name == "" || len(name) > 200 || name == "." || name == ".." || strings.HasPrefix(name, ".") {
		return false
	}
	if strings.ContainsAny(name, "/\\\x00") || strings.Contains(name, "..") {
		return false
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// PlainText reports whether s is valid UTF-8 without NUL or other control
// characters (names that end up in indexed database columns).
func PlainText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// MCP methods a mock answers.
const (
	MCPToolsCall     = "tools/call"
	MCPResourcesRead = "resources/read"
	MCPPromptsGet    = "prompts/get"
)

// normalise fills the method from the name given, and reads the older
// form where mcp.method held the tool name ("get_pet_by_id").
func (c *MCPContext) normalise() {
	c.Method = strings.TrimSpace(c.Method)
	switch c.Method {
	case MCPToolsCall, MCPResourcesRead, MCPPromptsGet:
	case "":
		switch {
		case c.Resource != "":
			c.Method = MCPResourcesRead
		case c.Prompt != "":
			c.Method = MCPPromptsGet
		default:
			c.Method = MCPToolsCall
		}
	default:
		if c.Tool == "" && c.Resource == "" && c.Prompt == "" {
			c.Tool, c.Method = c.Method, MCPToolsCall
		}
	}
}

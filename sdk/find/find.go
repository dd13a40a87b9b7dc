// Package find holds the find requests and replies of every protocol: what
// a listener asks the host (sdk.Host) and what the host answers. Their JSON
// shapes are the bodies of the host's POST /mock/find* endpoints (model.md
// section 2), so a plugin in Go and a generated server in any language
// resolve traffic alike; between a Go plugin and the host they travel as
// typed protobuf messages.
package find

import (
	"encoding/json"
	"reflect"
	"unicode/utf8"
)

// GRPCError is a gRPC status with rich error details.
type GRPCError struct {
	Code    int            `json:"code"`
	Message string         `json:"message,omitempty"`
	Details []ErrorDetails `json:"details,omitempty"`
}

// ErrorDetails is one google.rpc error detail, named by type (badRequest, retryInfo, ...).
type ErrorDetails struct {
	Type    string          `json:"type"`
	Details json.RawMessage `json:"details,omitempty"`
}

// MessagingError is a broker-side failure to report instead of a reply.
type MessagingError struct {
	Message string `json:"message"`
}

// ProxyTarget tells the listener to forward the call upstream.
type ProxyTarget struct {
	Target string `json:"target"`
}

// GRPCRequest is the body of POST /mock/findGrpc.
type GRPCRequest struct {
	Namespace  string          `json:"namespace,omitempty"`
	ServerName string          `json:"serverName,omitempty"`
	Service    string          `json:"service"`
	Method     string          `json:"method"`
	Meta       MultiMap        `json:"meta,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`
}

// GRPCResponse is the reply of POST /mock/findGrpc.
type GRPCResponse struct {
	Data            json.RawMessage   `json:"data,omitempty"`
	StreamResponses []json.RawMessage `json:"streamResponses,omitempty"`
	Meta            map[string]string `json:"meta,omitempty"`
	Error           *GRPCError        `json:"error,omitempty"`
	Proxy           *ProxyTarget      `json:"proxy,omitempty"`
	Delay           int64             `json:"delay,omitempty"`
}

// SocketRequest is the body of POST /mock/findSocket.
type SocketRequest struct {
	Namespace      string `json:"namespace,omitempty"`
	ServerName     string `json:"serverName,omitempty"`
	MockServerName string `json:"mockServerName,omitempty"`
	// SocketType is the transport the message came on (websocket, tcp,
	// udp): mocks that name another socketType do not answer it.
	SocketType string          `json:"socketType,omitempty"`
	Event      string          `json:"event,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`
}

// SocketResponse is the reply of POST /mock/findSocket.
type SocketResponse struct {
	Data  json.RawMessage `json:"data,omitempty"`
	Error *GRPCError      `json:"error,omitempty"`
	Proxy *ProxyTarget    `json:"proxy,omitempty"`
	Delay int64           `json:"delay,omitempty"`
}

// KafkaRequest is the body of POST /mock/findKafka.
type KafkaRequest struct {
	Namespace     string            `json:"namespace,omitempty"`
	ServerName    string            `json:"serverName,omitempty"`
	Topic         string            `json:"topic"`
	ConsumerGroup string            `json:"consumerGroup,omitempty"`
	Headers       map[string]string `json:"headers,omitempty"`
	Data          json.RawMessage   `json:"data,omitempty"`
}

// KafkaResponse is the reply of POST /mock/findKafka.
type KafkaResponse struct {
	// MockID is the mock that answered (its output topic, key and brokers are in its kafka context).
	MockID               string            `json:"mockId,omitempty"`
	Data                 json.RawMessage   `json:"data,omitempty"`
	OutputHeaders        map[string]string `json:"outputHeaders,omitempty"`
	OutputMessageHeaders map[string]string `json:"outputMessageHeaders,omitempty"`
	// OutputTopic, OutputBrokers and OutputKey (rendered) are where the
	// reply goes, from the mock's kafka context ("": no reply topic).
	OutputTopic   string          `json:"outputTopic,omitempty"`
	OutputBrokers string          `json:"outputBrokers,omitempty"`
	OutputKey     string          `json:"outputKey,omitempty"`
	Error         *MessagingError `json:"error,omitempty"`
	Delay         int64           `json:"delay,omitempty"`
}

// RabbitMQOutputProps are the AMQP properties of a reply.
type RabbitMQOutputProps struct {
	DeliveryMode  int    `json:"deliveryMode,omitempty"`
	CorrelationID string `json:"correlationId,omitempty"`
	ReplyTo       string `json:"replyTo,omitempty"`
	ContentType   string `json:"contentType,omitempty"`
	Priority      int    `json:"priority,omitempty"`
	MessageID     string `json:"messageId,omitempty"`
	Type          string `json:"type,omitempty"`
	AppID         string `json:"appId,omitempty"`
}

// RabbitMQRequest is the body of POST /mock/findRabbitMQ.
type RabbitMQRequest struct {
	Namespace  string            `json:"namespace,omitempty"`
	ServerName string            `json:"serverName,omitempty"`
	Queue      string            `json:"queue,omitempty"`
	Exchange   string            `json:"exchange,omitempty"`
	RoutingKey string            `json:"routingKey,omitempty"`
	Headers    map[string]string `json:"headers,omitempty"`
	Data       json.RawMessage   `json:"data,omitempty"`
}

// RabbitMQResponse is the reply of POST /mock/findRabbitMQ.
type RabbitMQResponse struct {
	// MockID is the mock that answered.
	MockID string `json:"mockId,omitempty"`
	// OutputURL, OutputExchange, OutputRoutingKey and OutputQueue are
	// where the reply goes, from the mock's rabbitmq context (all "": to
	// the request's replyTo, if any). OutputURL names another broker.
	OutputURL        string               `json:"outputURL,omitempty"`
	OutputExchange   string               `json:"outputExchange,omitempty"`
	OutputRoutingKey string               `json:"outputRoutingKey,omitempty"`
	OutputQueue      string               `json:"outputQueue,omitempty"`
	Data             json.RawMessage      `json:"data,omitempty"`
	OutputHeaders    map[string]string    `json:"outputHeaders,omitempty"`
	OutputProps      *RabbitMQOutputProps `json:"outputProps,omitempty"`
	Error            *MessagingError      `json:"error,omitempty"`
	Delay            int64                `json:"delay,omitempty"`
}

// SMTPRequest is the body of POST /mock/findSmtp.
type SMTPRequest struct {
	Namespace  string            `json:"namespace,omitempty"`
	ServerName string            `json:"serverName,omitempty"`
	From       string            `json:"from"`
	To         []string          `json:"to"`
	Subject    string            `json:"subject,omitempty"`
	Body       string            `json:"body,omitempty"`
	Headers    map[string]string `json:"headers,omitempty"`
}

// SMTPResponse is the reply of POST /mock/findSmtp: an accept or reject decision.
type SMTPResponse struct {
	Found         bool              `json:"found"`
	MockID        string            `json:"mockId,omitempty"`
	StatusCode    int               `json:"statusCode"`
	StatusMessage string            `json:"statusMessage,omitempty"`
	AcceptMail    bool              `json:"acceptMail"`
	StoreEmail    bool              `json:"storeEmail"`
	Headers       map[string]string `json:"headers,omitempty"`
	Delay         int64             `json:"delay,omitempty"`
}

// The HTTP-family protocols (SOAP, MCP, GraphQL, SSE) are served natively
// under /stubs by the spec; their plugins resolve through these bodies of
// POST /mock/findSoap, /mock/findMcp, /mock/findGraphql and /mock/findSse.

// SOAPRequest is the body of POST /mock/findSoap.
type SOAPRequest struct {
	Namespace  string          `json:"namespace,omitempty"`
	ServerName string          `json:"serverName,omitempty"`
	Path       string          `json:"path,omitempty"`
	Action     string          `json:"action,omitempty"`    // the SOAPAction
	Operation  string          `json:"operation,omitempty"` // the first element of the Body
	Headers    MultiMap        `json:"headers,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"` // the Body as JSON, for conditions and templates
	// XML is the whole envelope as received: conditions whose path starts
	// with '/' are XPath expressions evaluated on it.
	XML string `json:"xml,omitempty"`
}

// SOAPFault is a SOAP fault to send instead of a response.
type SOAPFault struct {
	FaultCode   string `json:"faultCode,omitempty"`
	FaultString string `json:"faultString,omitempty"`
	FaultActor  string `json:"faultActor,omitempty"`
	Detail      string `json:"detail,omitempty"`
	HTTPStatus  int    `json:"httpStatus,omitempty"`
}

// SOAPResponse is the reply of POST /mock/findSoap.
type SOAPResponse struct {
	MockID     string              `json:"mockId"`
	StatusCode int                 `json:"statusCode"`
	Headers    map[string][]string `json:"headers,omitempty"`
	Data       json.RawMessage     `json:"data,omitempty"` // JSON to wrap in an envelope, or a string of raw XML
	Fault      *SOAPFault          `json:"soapFault,omitempty"`
	Proxy      *ProxyTarget        `json:"proxy,omitempty"`
	Delay      int64               `json:"delay,omitempty"`
}

// MCPRequest is the body of POST /mock/findMcp.
type MCPRequest struct {
	Namespace  string          `json:"namespace,omitempty"`
	ServerName string          `json:"serverName,omitempty"`
	Method     string          `json:"method"` // tools/call, resources/read or prompts/get
	Tool       string          `json:"tool,omitempty"`
	Resource   string          `json:"resource,omitempty"`
	Prompt     string          `json:"prompt,omitempty"`
	Arguments  json.RawMessage `json:"arguments,omitempty"`
	Headers    MultiMap        `json:"headers,omitempty"`
}

// MCPResponse is the reply of POST /mock/findMcp: the MCP result body.
type MCPResponse struct {
	MockID  string          `json:"mockId"`
	Result  json.RawMessage `json:"result,omitempty"`
	IsError bool            `json:"isError,omitempty"`
	Delay   int64           `json:"delay,omitempty"`
}

// GraphQLRequest is the body of POST /mock/findGraphql: one root field.
type GraphQLRequest struct {
	Namespace string          `json:"namespace,omitempty"`
	Path      string          `json:"path,omitempty"`
	Operation string          `json:"operation"` // query, mutation or subscription
	Field     string          `json:"field"`
	Arguments json.RawMessage `json:"arguments,omitempty"` // the field's arguments with variables applied
	Variables json.RawMessage `json:"variables,omitempty"`
	Headers   MultiMap        `json:"headers,omitempty"`
}

// GraphQLError follows the June 2018 GraphQL spec.
type GraphQLError struct {
	Message    string          `json:"message"`
	Path       []any           `json:"path,omitempty"`
	Locations  json.RawMessage `json:"locations,omitempty"`
	Extensions json.RawMessage `json:"extensions,omitempty"`
}

// GraphQLResponse is the reply of POST /mock/findGraphql.
type GraphQLResponse struct {
	MockID string          `json:"mockId"`
	Data   json.RawMessage `json:"data,omitempty"`
	Errors []GraphQLError  `json:"errors,omitempty"`
	Delay  int64           `json:"delay,omitempty"`
}

// SSERequest is the body of POST /mock/findSse.
type SSERequest struct {
	Namespace string   `json:"namespace,omitempty"`
	Path      string   `json:"path"`
	Query     MultiMap `json:"query,omitempty"`
	Headers   MultiMap `json:"headers,omitempty"`
}

// SSEResponse is the reply of POST /mock/findSse: the event chain to play.
type SSEResponse struct {
	MockID     string              `json:"mockId"`
	StatusCode int                 `json:"statusCode"`
	Headers    map[string][]string `json:"headers,omitempty"`
	EventChain json.RawMessage     `json:"sseEventChain,omitempty"`
	// EventName names the events that have no name of their own (sse.eventName).
	EventName string          `json:"eventName,omitempty"`
	Data      json.RawMessage `json:"data,omitempty"`
	Delay     int64           `json:"delay,omitempty"`
}

// HTTPRequest is the body of POST /mock/findHttp.
type HTTPRequest struct {
	Namespace  string          `json:"namespace,omitempty"`
	ServerName string          `json:"serverName,omitempty"`
	Method     string          `json:"method"`
	Path       string          `json:"path"`
	Query      MultiMap        `json:"query,omitempty"`
	Headers    MultiMap        `json:"headers,omitempty"`
	Body       json.RawMessage `json:"body,omitempty"` // JSON, or a JSON string holding the raw body
	// BodyBase64 carries a body that is not UTF-8 text (it wins over Body).
	BodyBase64 []byte `json:"bodyBase64,omitempty"`

	raw    []byte // the body as received, set by SetBody
	rawSet bool
}

// SetBody sets the request body as received. Listeners should use it
// rather than filling Body or BodyBase64: the SDK then sends the bytes as
// they are, and encodes them as JSON only when the host needs JSON.
func (r *HTTPRequest) SetBody(b []byte) { r.raw, r.rawSet = b, true }

// RawBody returns the request body as received: what SetBody set, else
// BodyBase64, else Body (a JSON string is the raw text; other JSON is
// the body itself).
func (r *HTTPRequest) RawBody() []byte {
	switch {
	case r.rawSet:
		return r.raw
	case len(r.BodyBase64) > 0:
		return r.BodyBase64
	}
	var text string
	if len(r.Body) > 0 && r.Body[0] == '"' && json.Unmarshal(r.Body, &text) == nil {
		return []byte(text)
	}
	return r.Body
}

// MarshalJSON encodes the request as the JSON contract has it: a body set
// with SetBody goes in Body (UTF-8 text, as a JSON string) or BodyBase64.
func (r HTTPRequest) MarshalJSON() ([]byte, error) {
	type plain HTTPRequest // without this method
	return json.Marshal((*plain)(r.forJSON()))
}

// forJSON returns the request with a SetBody body moved into Body or
// BodyBase64, ready to be sent as JSON.
func (r *HTTPRequest) forJSON() *HTTPRequest {
	if !r.rawSet {
		return r
	}
	out := *r
	out.raw, out.rawSet, out.Body, out.BodyBase64 = nil, false, nil, nil
	switch {
	case len(r.raw) == 0:
	case utf8.Valid(r.raw):
		out.Body, _ = json.Marshal(string(r.raw))
	default:
		out.BodyBase64 = r.raw
	}
	return &out
}

// HTTPResponse is the reply of POST /mock/findHttp.
type HTTPResponse struct {
	Found      bool                `json:"found"`
	MockID     string              `json:"mockId"`
	StatusCode int                 `json:"statusCode"`
	Headers    map[string][]string `json:"headers,omitempty"`
	Body       json.RawMessage     `json:"body,omitempty"` // JSON, or a JSON string of text
	// BodyBase64 carries a reply that is not UTF-8 text (decode: base64 payloads).
	BodyBase64 []byte       `json:"bodyBase64,omitempty"`
	Delay      int64        `json:"delay,omitempty"`
	Proxy      *ProxyTarget `json:"proxy,omitempty"`

	raw     []byte // the body as bytes, set by SetPayload
	rawKind PayloadKind
	rawSet  bool
}

// PayloadKind says how a reply body was written in the mock.
type PayloadKind int

// The kinds of reply bodies.
const (
	PayloadJSON   PayloadKind = iota // a JSON document
	PayloadText                      // text: a string payload or a template file
	PayloadBinary                    // bytes that are not UTF-8 text
)

// ContentType is the content type a reply of this kind has when its mock
// sets none ("" for an empty JSON body).
func (k PayloadKind) ContentType() string {
	switch k {
	case PayloadText:
		return "text/plain; charset=utf-8"
	case PayloadBinary:
		return "application/octet-stream"
	}
	return "application/json"
}

// SetPayload sets the reply body: it fills Body or BodyBase64 as the JSON
// contract has them, and keeps the bytes for Payload.
func (r *HTTPResponse) SetPayload(b []byte, kind PayloadKind) {
	if kind == PayloadText && !utf8.Valid(b) {
		kind = PayloadBinary
	}
	r.raw, r.rawKind, r.rawSet = b, kind, true
	r.Body, r.BodyBase64 = nil, nil
	switch {
	case kind == PayloadBinary:
		r.BodyBase64 = b
	case kind == PayloadText:
		r.Body, _ = json.Marshal(string(b))
	case len(b) > 0:
		r.Body = b
	}
}

// Payload returns the reply body as the bytes to send, and its kind.
func (r *HTTPResponse) Payload() ([]byte, PayloadKind) {
	switch {
	case r.rawSet:
		return r.raw, r.rawKind
	case len(r.BodyBase64) > 0:
		return r.BodyBase64, PayloadBinary
	}
	var text string
	if len(r.Body) > 0 && r.Body[0] == '"' && json.Unmarshal(r.Body, &text) == nil {
		return []byte(text), PayloadText
	}
	return r.Body, PayloadJSON
}

// MultiMap is a header, query or metadata map. It reads both
// {"k": ["v1","v2"]} and {"k": "v"} (clients write either).
type MultiMap map[string][]string

// UnmarshalJSON accepts string or string-array values.
func (m *MultiMap) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make(MultiMap, len(raw))
	for k, v := range raw {
		var list []string
		if err := json.Unmarshal(v, &list); err == nil {
			out[k] = list
			continue
		}
		var one string
		if err := json.Unmarshal(v, &one); err != nil {
			return &json.UnmarshalTypeError{Value: "value of " + k, Type: reflect.TypeOf(""), Field: k}
		}
		out[k] = []string{one}
	}
	*m = out
	return nil
}

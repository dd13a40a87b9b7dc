// Package model holds the mock model: the JSON shapes of the public SDKs
// (mockarty_internal_model.Mock and friends), their decoding with legacy
// names, and their validation.
package model

import (
	"encoding/json"

	"github.com/mockarty-oss/mockarty/sdk/find"
)

// DefaultNamespace is used wherever a namespace is not given.
const DefaultNamespace = "sandbox"

// Protocol names, as stored and as reported by the API.
const (
	ProtoHTTP     = "http"
	ProtoGRPC     = "grpc"
	ProtoMCP      = "mcp"
	ProtoSocket   = "socket"
	ProtoSOAP     = "soap"
	ProtoGraphQL  = "graphql"
	ProtoSSE      = "sse"
	ProtoKafka    = "kafka"
	ProtoRabbitMQ = "rabbitmq"
	ProtoSMTP     = "smtp"
)

// Protocols lists every protocol context key in a stable order.
var Protocols = []string{ProtoHTTP, ProtoGRPC, ProtoMCP, ProtoSocket, ProtoSOAP, ProtoGraphQL, ProtoSSE, ProtoKafka, ProtoRabbitMQ, ProtoSMTP}

// Mock is one mock definition. Exactly one protocol context and exactly one
// of Response, OneOf or Proxy are set on a valid mock.
type Mock struct {
	ID         string `json:"id"`
	Namespace  string `json:"namespace,omitempty"`
	ChainID    string `json:"chainId,omitempty"`
	PathPrefix string `json:"pathPrefix,omitempty"`
	ServerName string `json:"serverName,omitempty"`

	HTTP     *HTTPContext     `json:"http,omitempty"`
	GRPC     *GRPCContext     `json:"grpc,omitempty"`
	MCP      *MCPContext      `json:"mcp,omitempty"`
	Socket   *SocketContext   `json:"socket,omitempty"`
	SOAP     *SOAPContext     `json:"soap,omitempty"`
	GraphQL  *GraphQLContext  `json:"graphql,omitempty"`
	SSE      *SSEContext      `json:"sse,omitempty"`
	Kafka    *KafkaContext    `json:"kafka,omitempty"`
	RabbitMQ *RabbitMQContext `json:"rabbitmq,omitempty"`
	SMTP     *SMTPContext     `json:"smtp,omitempty"`

	Response *ContentResponse `json:"response,omitempty"`
	OneOf    *OneOf           `json:"oneOf,omitempty"`
	Proxy    *Proxy           `json:"proxy,omitempty"`
	Webhooks []Callback       `json:"webhooks,omitempty"`

	TTL        int64    `json:"ttl,omitempty"`
	UseLimiter int64    `json:"useLimiter,omitempty"`
	UseCounter int64    `json:"useCounter"`
	Priority   int64    `json:"priority,omitempty"`
	Tags       []string `json:"tags,omitempty"`
	FolderID   string   `json:"folderId,omitempty"`

	CreatedAt int64 `json:"createdAt,omitempty"`
	UpdatedAt int64 `json:"updatedAt,omitempty"`
	LastUse   int64 `json:"lastUse,omitempty"`
	ExpireAt  int64 `json:"expireAt,omitempty"`
	ClosedAt  int64 `json:"closedAt,omitempty"`

	Extract *Extract                   `json:"extract,omitempty"`
	MStore  map[string]json.RawMessage `json:"mStore,omitempty"`
}

// Condition is one check on a part of an incoming request.
type Condition struct {
	Path          string          `json:"path"`
	AssertAction  string          `json:"assertAction"`
	Value         json.RawMessage `json:"value,omitempty"`
	ValueFromFile string          `json:"valueFromFile,omitempty"`
	Decode        string          `json:"decode,omitempty"`
	SortArray     *bool           `json:"sortArray,omitempty"`
}

// HTTPContext selects plain HTTP requests.
type HTTPContext struct {
	Route        string      `json:"route,omitempty"`
	RoutePattern string      `json:"routePattern,omitempty"`
	HTTPMethod   string      `json:"httpMethod,omitempty"`
	Conditions   []Condition `json:"conditions,omitempty"`
	QueryParams  []Condition `json:"queryParams,omitempty"`
	Header       []Condition `json:"header,omitempty"`
	SortArray    bool        `json:"sortArray,omitempty"`
	// ValidateRequest, when set, checks every request this mock is chosen
	// for against an operation of an OpenAPI description registered in
	// the mock's namespace (/api/v1/openapi/specs): a request that does
	// not fit is answered 422 with its violations instead of the mock's
	// response.
	ValidateRequest *RequestValidation `json:"validateRequest,omitempty"`
}

// RequestValidation names the OpenAPI operation an HTTP mock's requests
// must fit.
type RequestValidation struct {
	// Spec is the registered description's file name ("petstore.yaml").
	Spec string `json:"spec"`
	// Path is the operation's path as the description writes it ("/pets/{id}").
	Path string `json:"path"`
	// Method is the operation's method ("GET").
	Method string `json:"method"`
}

// GRPCContext selects gRPC calls.
type GRPCContext struct {
	Service    string      `json:"service,omitempty"`
	Method     string      `json:"method,omitempty"`
	MethodType string      `json:"methodType,omitempty"`
	Conditions []Condition `json:"conditions,omitempty"`
	Meta       []Condition `json:"meta,omitempty"`
	SortArray  bool        `json:"sortArray,omitempty"`
}

// MCPContext selects MCP JSON-RPC requests (tools and resources).
type MCPContext struct {
	Method   string `json:"method,omitempty"`
	Tool     string `json:"tool,omitempty"`
	Resource string `json:"resource,omitempty"`
	// Prompt names a prompt (method prompts/get): an extension of the spec's fields.
	Prompt      string `json:"prompt,omitempty"`
	Description string `json:"description,omitempty"`
	// InputSchema is the tool's JSON Schema for tools/list (the mock kits'
	// input_schema); without it the schema is derived from the conditions.
	InputSchema json.RawMessage `json:"inputSchema,omitempty"`
	// MimeType of a resource for resources/list.
	MimeType   string      `json:"mimeType,omitempty"`
	Conditions []Condition `json:"conditions,omitempty"`
	Header     []Condition `json:"header,omitempty"`
	SortArray  bool        `json:"sortArray,omitempty"`
}

// SocketContext selects WebSocket, TCP and UDP messages.
type SocketContext struct {
	ServerName string      `json:"serverName,omitempty"`
	SocketType string      `json:"socketType,omitempty"`
	Event      string      `json:"event,omitempty"`
	Namespace  string      `json:"namespace,omitempty"`
	Conditions []Condition `json:"conditions,omitempty"`
	SortArray  bool        `json:"sortArray,omitempty"`
}

// SOAPContext selects SOAP requests.
type SOAPContext struct {
	Service    string      `json:"service,omitempty"`
	Method     string      `json:"method,omitempty"`
	Action     string      `json:"action,omitempty"`
	Path       string      `json:"path,omitempty"`
	Conditions []Condition `json:"conditions,omitempty"`
	Header     []Condition `json:"header,omitempty"`
	SortArray  bool        `json:"sortArray,omitempty"`
}

// GraphQLContext selects GraphQL root fields.
type GraphQLContext struct {
	Operation  string      `json:"operation,omitempty"`
	Field      string      `json:"field,omitempty"`
	Type       string      `json:"type,omitempty"`
	Path       string      `json:"path,omitempty"`
	Conditions []Condition `json:"conditions,omitempty"`
	Header     []Condition `json:"header,omitempty"`
	SortArray  bool        `json:"sortArray,omitempty"`
}

// SSEContext selects server-sent event streams.
type SSEContext struct {
	EventPath        string      `json:"eventPath,omitempty"`
	EventName        string      `json:"eventName,omitempty"`
	Description      string      `json:"description,omitempty"`
	Conditions       []Condition `json:"conditions,omitempty"`
	HeaderConditions []Condition `json:"headerConditions,omitempty"`
	SortArray        bool        `json:"sortArray,omitempty"`
}

// KafkaContext selects Kafka messages and describes the reply.
type KafkaContext struct {
	Topic         string            `json:"topic,omitempty"`
	ServerName    string            `json:"serverName,omitempty"`
	ConsumerGroup string            `json:"consumerGroup,omitempty"`
	Conditions    []Condition       `json:"conditions,omitempty"`
	Headers       []Condition       `json:"headers,omitempty"`
	SortArray     bool              `json:"sortArray,omitempty"`
	OutputTopic   string            `json:"outputTopic,omitempty"`
	OutputBrokers string            `json:"outputBrokers,omitempty"`
	OutputKey     string            `json:"outputKey,omitempty"`
	OutputHeaders map[string]string `json:"outputHeaders,omitempty"`
}

// RabbitMQContext selects AMQP messages and describes the reply.
type RabbitMQContext struct {
	Queue            string               `json:"queue,omitempty"`
	Exchange         string               `json:"exchange,omitempty"`
	RoutingKey       string               `json:"routingKey,omitempty"`
	ServerName       string               `json:"serverName,omitempty"`
	Conditions       []Condition          `json:"conditions,omitempty"`
	Headers          []Condition          `json:"headers,omitempty"`
	SortArray        bool                 `json:"sortArray,omitempty"`
	OutputURL        string               `json:"outputURL,omitempty"`
	OutputExchange   string               `json:"outputExchange,omitempty"`
	OutputRoutingKey string               `json:"outputRoutingKey,omitempty"`
	OutputQueue      string               `json:"outputQueue,omitempty"`
	OutputProps      *RabbitMQOutputProps `json:"outputProps,omitempty"`
}

// RabbitMQOutputProps are the AMQP properties of a reply: the same fields
// as the find reply carries them.
type RabbitMQOutputProps = find.RabbitMQOutputProps

// SMTPContext selects mail.
type SMTPContext struct {
	ServerName          string      `json:"serverName,omitempty"`
	SenderConditions    []Condition `json:"senderConditions,omitempty"`
	RecipientConditions []Condition `json:"recipientConditions,omitempty"`
	SubjectConditions   []Condition `json:"subjectConditions,omitempty"`
	BodyConditions      []Condition `json:"bodyConditions,omitempty"`
	HeaderConditions    []Condition `json:"headerConditions,omitempty"`
	SortArray           bool        `json:"sortArray,omitempty"`
}

// ContentResponse is what a matched mock answers.
type ContentResponse struct {
	StatusCode          int                 `json:"statusCode,omitempty"`
	Headers             map[string][]string `json:"headers,omitempty"`
	Payload             json.RawMessage     `json:"payload,omitempty"`
	PayloadTemplatePath string              `json:"payloadTemplatePath,omitempty"`
	Decode              string              `json:"decode,omitempty"`
	Error               string              `json:"error,omitempty"`
	ErrorDetails        []ErrorDetail       `json:"errorDetails,omitempty"`
	Delay               int64               `json:"delay,omitempty"`
	SSEEventChain       *SSEEventChain      `json:"sseEventChain,omitempty"`
	GraphQLErrors       []GraphQLError      `json:"graphqlErrors,omitempty"`
	SOAPFault           *SOAPFault          `json:"soapFault,omitempty"`
	MCPIsError          bool                `json:"mcpIsError,omitempty"`
}

// ErrorDetail is one entry of the gRPC rich error model.
type ErrorDetail struct {
	Type    string          `json:"type"`
	Details json.RawMessage `json:"details,omitempty"`
}

// SSEEventChain is a scripted stream of server-sent events.
type SSEEventChain struct {
	Events    []SSEEvent `json:"events"`
	Loop      bool       `json:"loop,omitempty"`
	LoopDelay int64      `json:"loopDelay,omitempty"`
	Heartbeat int64      `json:"heartbeat,omitempty"`
	MaxLoops  int64      `json:"maxLoops,omitempty"`
	MaxTime   int64      `json:"maxTime,omitempty"`
	LogBatch  int64      `json:"logBatch,omitempty"`
}

// SSEEvent is one event of an SSE chain.
type SSEEvent struct {
	EventName    string          `json:"eventName,omitempty"`
	Data         json.RawMessage `json:"data,omitempty"`
	Delay        int64           `json:"delay,omitempty"`
	ID           string          `json:"id,omitempty"`
	Retry        int64           `json:"retry,omitempty"`
	TemplatePath string          `json:"templatePath,omitempty"`
}

// GraphQLError follows the June 2018 GraphQL spec.
type GraphQLError struct {
	Message    string                     `json:"message"`
	Path       []json.RawMessage          `json:"path,omitempty"`
	Locations  []GraphQLLocation          `json:"locations,omitempty"`
	Extensions map[string]json.RawMessage `json:"extensions,omitempty"`
}

// GraphQLLocation is a line/column position in a GraphQL document.
type GraphQLLocation struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

// SOAPFault is a SOAP 1.1 fault.
type SOAPFault struct {
	FaultCode   string `json:"faultCode,omitempty"`
	FaultString string `json:"faultString,omitempty"`
	FaultActor  string `json:"faultActor,omitempty"`
	Detail      string `json:"detail,omitempty"`
	HTTPStatus  int    `json:"httpStatus,omitempty"`
}

// OneOf holds several responses served in turn or at random.
type OneOf struct {
	Order     string            `json:"order,omitempty"`
	Offset    int64             `json:"offset,omitempty"`
	Responses []ContentResponse `json:"responses"`
}

// Proxy forwards matching requests to a real upstream.
type Proxy struct {
	Target string `json:"target"`
}

// Callback is a webhook fired after a mock resolves (JSON key "webhooks").
type Callback struct {
	Type       string          `json:"type,omitempty"`
	Trigger    string          `json:"trigger,omitempty"`
	Body       json.RawMessage `json:"body,omitempty"`
	Async      bool            `json:"async,omitempty"`
	Timeout    int64           `json:"timeout,omitempty"`
	RetryCount int             `json:"retryCount,omitempty"`
	RetryDelay int64           `json:"retryDelay,omitempty"`
	Secret     string          `json:"secret,omitempty"`

	URL     string            `json:"url,omitempty"`
	Method  string            `json:"method,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`

	KafkaBrokers  string `json:"kafkaBrokers,omitempty"`
	KafkaTopic    string `json:"kafkaTopic,omitempty"`
	KafkaKey      string `json:"kafkaKey,omitempty"`
	KafkaUsername string `json:"kafkaUsername,omitempty"`
	KafkaPassword string `json:"kafkaPassword,omitempty"`
	KafkaUseSASL  bool   `json:"kafkaUseSASL,omitempty"`
	KafkaUseTLS   bool   `json:"kafkaUseTLS,omitempty"`

	RabbitURL        string `json:"rabbitURL,omitempty"`
	RabbitExchange   string `json:"rabbitExchange,omitempty"`
	RabbitRoutingKey string `json:"rabbitRoutingKey,omitempty"`
	RabbitQueue      string `json:"rabbitQueue,omitempty"`
	RabbitMandatory  bool   `json:"rabbitMandatory,omitempty"`
}

// Extract copies values from a request into the stores.
type Extract struct {
	MStore map[string]json.RawMessage `json:"mStore,omitempty"`
	CStore map[string]json.RawMessage `json:"cStore,omitempty"`
	GStore map[string]json.RawMessage `json:"gStore,omitempty"`
}

// Protocol reports which protocol context the mock sets ("" if none).
func (m *Mock) Protocol() string {
	for _, p := range m.contexts() {
		if p.set {
			return p.name
		}
	}
	return ""
}

type ctxSet struct {
	name string
	set  bool
}

// contexts is an array, not a slice: Protocol runs on every request and
// allocates nothing.
func (m *Mock) contexts() [10]ctxSet {
	return [10]ctxSet{
		{ProtoHTTP, m.HTTP != nil},
		{ProtoGRPC, m.GRPC != nil},
		{ProtoMCP, m.MCP != nil},
		{ProtoSocket, m.Socket != nil},
		{ProtoSOAP, m.SOAP != nil},
		{ProtoGraphQL, m.GraphQL != nil},
		{ProtoSSE, m.SSE != nil},
		{ProtoKafka, m.Kafka != nil},
		{ProtoRabbitMQ, m.RabbitMQ != nil},
		{ProtoSMTP, m.SMTP != nil},
	}
}

// Clone returns a deep copy made through JSON, which is exact for this model.
func (m *Mock) Clone() *Mock {
	b, err := json.Marshal(m)
	if err != nil {
		panic("model: mock does not marshal: " + err.Error())
	}
	var c Mock
	if err := json.Unmarshal(b, &c); err != nil {
		panic("model: mock does not round-trip: " + err.Error())
	}
	return &c
}

// Active reports whether the mock is neither soft-deleted nor expired at nowMs.
func (m *Mock) Active(nowMs int64) bool {
	return m.ClosedAt == 0 && (m.ExpireAt == 0 || m.ExpireAt > nowMs)
}

// KeepOnlyContext clears every protocol context except proto.
func (m *Mock) KeepOnlyContext(proto string) {
	keep := *m
	m.HTTP, m.GRPC, m.MCP, m.Socket, m.SOAP, m.GraphQL, m.SSE, m.Kafka, m.RabbitMQ, m.SMTP = nil, nil, nil, nil, nil, nil, nil, nil, nil, nil
	switch proto {
	case ProtoHTTP:
		m.HTTP = keep.HTTP
	case ProtoGRPC:
		m.GRPC = keep.GRPC
	case ProtoMCP:
		m.MCP = keep.MCP
	case ProtoSocket:
		m.Socket = keep.Socket
	case ProtoSOAP:
		m.SOAP = keep.SOAP
	case ProtoGraphQL:
		m.GraphQL = keep.GraphQL
	case ProtoSSE:
		m.SSE = keep.SSE
	case ProtoKafka:
		m.Kafka = keep.Kafka
	case ProtoRabbitMQ:
		m.RabbitMQ = keep.RabbitMQ
	case ProtoSMTP:
		m.SMTP = keep.SMTP
	}
}

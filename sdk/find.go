// Package sdk is what a plugin author imports: the resolution contract that
// every protocol listener speaks with the host. The JSON shapes here are the
// bodies of the host's POST /mock/find* endpoints (model.md section 2), so a
// plugin in Go and a generated server in any language resolve traffic alike.
package sdk

import "encoding/json"

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

// FindGRPCRequest is the body of POST /mock/findGrpc.
type FindGRPCRequest struct {
	Namespace  string              `json:"namespace,omitempty"`
	ServerName string              `json:"serverName,omitempty"`
	Service    string              `json:"service"`
	Method     string              `json:"method"`
	Meta       map[string][]string `json:"meta,omitempty"`
	Data       json.RawMessage     `json:"data,omitempty"`
}

// FindGRPCResponse is the reply of POST /mock/findGrpc.
type FindGRPCResponse struct {
	Data            json.RawMessage   `json:"data,omitempty"`
	StreamResponses []json.RawMessage `json:"streamResponses,omitempty"`
	Meta            map[string]string `json:"meta,omitempty"`
	Error           *GRPCError        `json:"error,omitempty"`
	Proxy           *ProxyTarget      `json:"proxy,omitempty"`
	Delay           int64             `json:"delay,omitempty"`
}

// FindSocketRequest is the body of POST /mock/findSocket.
type FindSocketRequest struct {
	Namespace      string          `json:"namespace,omitempty"`
	ServerName     string          `json:"serverName,omitempty"`
	MockServerName string          `json:"mockServerName,omitempty"`
	Event          string          `json:"event,omitempty"`
	Data           json.RawMessage `json:"data,omitempty"`
}

// FindSocketResponse is the reply of POST /mock/findSocket.
type FindSocketResponse struct {
	Data  json.RawMessage `json:"data,omitempty"`
	Error *GRPCError      `json:"error,omitempty"`
	Proxy *ProxyTarget    `json:"proxy,omitempty"`
	Delay int64           `json:"delay,omitempty"`
}

// FindKafkaRequest is the body of POST /mock/findKafka.
type FindKafkaRequest struct {
	Namespace     string            `json:"namespace,omitempty"`
	ServerName    string            `json:"serverName,omitempty"`
	Topic         string            `json:"topic"`
	ConsumerGroup string            `json:"consumerGroup,omitempty"`
	Headers       map[string]string `json:"headers,omitempty"`
	Data          json.RawMessage   `json:"data,omitempty"`
}

// FindKafkaResponse is the reply of POST /mock/findKafka.
type FindKafkaResponse struct {
	Data                 json.RawMessage   `json:"data,omitempty"`
	OutputHeaders        map[string]string `json:"outputHeaders,omitempty"`
	OutputMessageHeaders map[string]string `json:"outputMessageHeaders,omitempty"`
	Error                *MessagingError   `json:"error,omitempty"`
	Delay                int64             `json:"delay,omitempty"`
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

// FindRabbitMQRequest is the body of POST /mock/findRabbitMQ.
type FindRabbitMQRequest struct {
	Namespace  string            `json:"namespace,omitempty"`
	ServerName string            `json:"serverName,omitempty"`
	Queue      string            `json:"queue,omitempty"`
	Exchange   string            `json:"exchange,omitempty"`
	RoutingKey string            `json:"routingKey,omitempty"`
	Headers    map[string]string `json:"headers,omitempty"`
	Data       json.RawMessage   `json:"data,omitempty"`
}

// FindRabbitMQResponse is the reply of POST /mock/findRabbitMQ.
type FindRabbitMQResponse struct {
	Data          json.RawMessage      `json:"data,omitempty"`
	OutputHeaders map[string]string    `json:"outputHeaders,omitempty"`
	OutputProps   *RabbitMQOutputProps `json:"outputProps,omitempty"`
	Error         *MessagingError      `json:"error,omitempty"`
	Delay         int64                `json:"delay,omitempty"`
}

// FindSMTPRequest is the body of POST /mock/findSmtp.
type FindSMTPRequest struct {
	Namespace  string            `json:"namespace,omitempty"`
	ServerName string            `json:"serverName,omitempty"`
	From       string            `json:"from"`
	To         []string          `json:"to"`
	Subject    string            `json:"subject,omitempty"`
	Body       string            `json:"body,omitempty"`
	Headers    map[string]string `json:"headers,omitempty"`
}

// FindSMTPResponse is the reply of POST /mock/findSmtp: an accept or reject decision.
type FindSMTPResponse struct {
	Found         bool              `json:"found"`
	MockID        string            `json:"mockId,omitempty"`
	StatusCode    int               `json:"statusCode"`
	StatusMessage string            `json:"statusMessage,omitempty"`
	AcceptMail    bool              `json:"acceptMail"`
	StoreEmail    bool              `json:"storeEmail"`
	Headers       map[string]string `json:"headers,omitempty"`
	Delay         int64             `json:"delay,omitempty"`
}

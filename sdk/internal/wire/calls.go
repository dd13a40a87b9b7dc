package wire

import (
	"encoding/json"

	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/gen/pluginv2"
)

// The typed wire form of every protocol's find request and reply: the
// plugin turns its find.<P>Request into a <P>Call and the host's <P>Reply
// back into a find.<P>Response; the host does the reverse. Each pair is
// written once, here. Payloads (data, arguments, variables) stay the JSON
// bytes they are: nothing is decoded on the way.

// CallOf is the wire form of a find request (nil for a type that is none).
func CallOf(req any) *pluginv2.FindCall {
	c := &pluginv2.FindCall{}
	switch r := req.(type) {
	case *find.HTTPRequest:
		c.Call = &pluginv2.FindCall_Http{Http: &pluginv2.HTTPCall{Namespace: r.Namespace, ServerName: r.ServerName,
			Method: r.Method, Path: r.Path, Query: KeyValuesOf(r.Query), Headers: KeyValuesOf(r.Headers), Body: r.RawBody()}}
	case *find.GRPCRequest:
		c.Call = &pluginv2.FindCall_Grpc{Grpc: &pluginv2.GRPCCall{Namespace: r.Namespace, ServerName: r.ServerName,
			Service: r.Service, Method: r.Method, Meta: KeyValuesOf(r.Meta), Data: r.Data}}
	case *find.SocketRequest:
		c.Call = &pluginv2.FindCall_Socket{Socket: &pluginv2.SocketCall{Namespace: r.Namespace, ServerName: r.ServerName,
			MockServerName: r.MockServerName, SocketType: r.SocketType, Event: r.Event, Data: r.Data}}
	case *find.KafkaRequest:
		c.Call = &pluginv2.FindCall_Kafka{Kafka: &pluginv2.KafkaCall{Namespace: r.Namespace, ServerName: r.ServerName,
			Topic: r.Topic, ConsumerGroup: r.ConsumerGroup, Headers: r.Headers, Data: r.Data}}
	case *find.RabbitMQRequest:
		c.Call = &pluginv2.FindCall_Rabbitmq{Rabbitmq: &pluginv2.RabbitMQCall{Namespace: r.Namespace, ServerName: r.ServerName,
			Queue: r.Queue, Exchange: r.Exchange, RoutingKey: r.RoutingKey, Headers: r.Headers, Data: r.Data}}
	case *find.SMTPRequest:
		c.Call = &pluginv2.FindCall_Smtp{Smtp: &pluginv2.SMTPCall{Namespace: r.Namespace, ServerName: r.ServerName,
			From: r.From, To: r.To, Subject: r.Subject, Body: r.Body, Headers: r.Headers}}
	case *find.SOAPRequest:
		c.Call = &pluginv2.FindCall_Soap{Soap: &pluginv2.SOAPCall{Namespace: r.Namespace, ServerName: r.ServerName,
			Path: r.Path, Action: r.Action, Operation: r.Operation, Headers: KeyValuesOf(r.Headers), Data: r.Data, Xml: r.XML}}
	case *find.MCPRequest:
		c.Call = &pluginv2.FindCall_Mcp{Mcp: &pluginv2.MCPCall{Namespace: r.Namespace, ServerName: r.ServerName,
			Method: r.Method, Tool: r.Tool, Resource: r.Resource, Prompt: r.Prompt, Arguments: r.Arguments, Headers: KeyValuesOf(r.Headers)}}
	case *find.GraphQLRequest:
		c.Call = &pluginv2.FindCall_Graphql{Graphql: &pluginv2.GraphQLCall{Namespace: r.Namespace, Path: r.Path,
			Operation: r.Operation, Field: r.Field, Arguments: r.Arguments, Variables: r.Variables, Headers: KeyValuesOf(r.Headers)}}
	case *find.SSERequest:
		c.Call = &pluginv2.FindCall_Sse{Sse: &pluginv2.SSECall{Namespace: r.Namespace, Path: r.Path,
			Query: KeyValuesOf(r.Query), Headers: KeyValuesOf(r.Headers)}}
	default:
		return nil
	}
	return c
}

// PayloadSize is how many bytes of payload a call carries: what decides
// whether it travels on the stream or on its own.
func PayloadSize(c *pluginv2.FindCall) int {
	switch x := c.Call.(type) {
	case *pluginv2.FindCall_Http:
		return len(x.Http.Body)
	case *pluginv2.FindCall_Grpc:
		return len(x.Grpc.Data)
	case *pluginv2.FindCall_Socket:
		return len(x.Socket.Data)
	case *pluginv2.FindCall_Kafka:
		return len(x.Kafka.Data)
	case *pluginv2.FindCall_Rabbitmq:
		return len(x.Rabbitmq.Data)
	case *pluginv2.FindCall_Smtp:
		return len(x.Smtp.Body)
	case *pluginv2.FindCall_Soap:
		return len(x.Soap.Data) + len(x.Soap.Xml)
	case *pluginv2.FindCall_Mcp:
		return len(x.Mcp.Arguments)
	case *pluginv2.FindCall_Graphql:
		return len(x.Graphql.Arguments) + len(x.Graphql.Variables)
	}
	return 0
}

// The host's side: a call as the find request it carries.

// HTTPRequestOf is the find request an HTTPCall carries.
func HTTPRequestOf(c *pluginv2.HTTPCall) *find.HTTPRequest {
	r := &find.HTTPRequest{Namespace: c.Namespace, ServerName: c.ServerName, Method: c.Method, Path: c.Path,
		Query: MapOf(c.Query), Headers: MapOf(c.Headers)}
	r.SetBody(c.Body)
	return r
}

// GRPCRequestOf is the find request a GRPCCall carries.
func GRPCRequestOf(c *pluginv2.GRPCCall) *find.GRPCRequest {
	return &find.GRPCRequest{Namespace: c.Namespace, ServerName: c.ServerName, Service: c.Service, Method: c.Method,
		Meta: MapOf(c.Meta), Data: c.Data}
}

// SocketRequestOf is the find request a SocketCall carries.
func SocketRequestOf(c *pluginv2.SocketCall) *find.SocketRequest {
	return &find.SocketRequest{Namespace: c.Namespace, ServerName: c.ServerName, MockServerName: c.MockServerName,
		SocketType: c.SocketType, Event: c.Event, Data: c.Data}
}

// KafkaRequestOf is the find request a KafkaCall carries.
func KafkaRequestOf(c *pluginv2.KafkaCall) *find.KafkaRequest {
	return &find.KafkaRequest{Namespace: c.Namespace, ServerName: c.ServerName, Topic: c.Topic,
		ConsumerGroup: c.ConsumerGroup, Headers: c.Headers, Data: c.Data}
}

// RabbitMQRequestOf is the find request a RabbitMQCall carries.
func RabbitMQRequestOf(c *pluginv2.RabbitMQCall) *find.RabbitMQRequest {
	return &find.RabbitMQRequest{Namespace: c.Namespace, ServerName: c.ServerName, Queue: c.Queue, Exchange: c.Exchange,
		RoutingKey: c.RoutingKey, Headers: c.Headers, Data: c.Data}
}

// SMTPRequestOf is the find request an SMTPCall carries.
func SMTPRequestOf(c *pluginv2.SMTPCall) *find.SMTPRequest {
	return &find.SMTPRequest{Namespace: c.Namespace, ServerName: c.ServerName, From: c.From, To: c.To,
		Subject: c.Subject, Body: c.Body, Headers: c.Headers}
}

// SOAPRequestOf is the find request a SOAPCall carries.
func SOAPRequestOf(c *pluginv2.SOAPCall) *find.SOAPRequest {
	return &find.SOAPRequest{Namespace: c.Namespace, ServerName: c.ServerName, Path: c.Path, Action: c.Action,
		Operation: c.Operation, Headers: MapOf(c.Headers), Data: c.Data, XML: c.Xml}
}

// MCPRequestOf is the find request an MCPCall carries.
func MCPRequestOf(c *pluginv2.MCPCall) *find.MCPRequest {
	return &find.MCPRequest{Namespace: c.Namespace, ServerName: c.ServerName, Method: c.Method, Tool: c.Tool,
		Resource: c.Resource, Prompt: c.Prompt, Arguments: c.Arguments, Headers: MapOf(c.Headers)}
}

// GraphQLRequestOf is the find request a GraphQLCall carries.
func GraphQLRequestOf(c *pluginv2.GraphQLCall) *find.GraphQLRequest {
	return &find.GraphQLRequest{Namespace: c.Namespace, Path: c.Path, Operation: c.Operation, Field: c.Field,
		Arguments: c.Arguments, Variables: c.Variables, Headers: MapOf(c.Headers)}
}

// SSERequestOf is the find request an SSECall carries.
func SSERequestOf(c *pluginv2.SSECall) *find.SSERequest {
	return &find.SSERequest{Namespace: c.Namespace, Path: c.Path, Query: MapOf(c.Query), Headers: MapOf(c.Headers)}
}

// The host's side: a find reply in its wire form.

func proxyTarget(p *find.ProxyTarget) string {
	if p == nil {
		return ""
	}
	return p.Target
}

func proxyOf(target string) *find.ProxyTarget {
	if target == "" {
		return nil
	}
	return &find.ProxyTarget{Target: target}
}

func statusOf(e *find.GRPCError) *pluginv2.GRPCStatus {
	if e == nil {
		return nil
	}
	s := &pluginv2.GRPCStatus{Code: int32(e.Code), Message: e.Message}
	for _, d := range e.Details {
		s.Details = append(s.Details, &pluginv2.ErrorDetail{Type: d.Type, Details: d.Details})
	}
	return s
}

func grpcErrorOf(s *pluginv2.GRPCStatus) *find.GRPCError {
	if s == nil {
		return nil
	}
	e := &find.GRPCError{Code: int(s.Code), Message: s.Message}
	for _, d := range s.Details {
		e.Details = append(e.Details, find.ErrorDetails{Type: d.Type, Details: d.Details})
	}
	return e
}

func messagingErrorOf(e *find.MessagingError) *pluginv2.MessagingError {
	if e == nil {
		return nil
	}
	return &pluginv2.MessagingError{Message: e.Message}
}

func findMessagingError(e *pluginv2.MessagingError) *find.MessagingError {
	if e == nil {
		return nil
	}
	return &find.MessagingError{Message: e.Message}
}

func rawList(list []json.RawMessage) [][]byte {
	if list == nil {
		return nil
	}
	out := make([][]byte, len(list))
	for i, b := range list {
		out[i] = b
	}
	return out
}

func jsonList(list [][]byte) []json.RawMessage {
	if list == nil {
		return nil
	}
	out := make([]json.RawMessage, len(list))
	for i, b := range list {
		out[i] = b
	}
	return out
}

// AnswerOf puts the wire form of a find reply in a: resp is one of the
// find.<P>Response types (false for another).
func AnswerOf(a *pluginv2.FindAnswer, resp any) bool {
	switch r := resp.(type) {
	case *find.HTTPResponse:
		body, kind := r.Payload()
		a.Reply = &pluginv2.FindAnswer_Http{Http: &pluginv2.HTTPReply{MockId: r.MockID, StatusCode: int32(r.StatusCode), Body: body,
			Kind: pluginv2.PayloadKind(kind), DelayMs: r.Delay, Headers: KeyValuesOf(r.Headers), ProxyTarget: proxyTarget(r.Proxy)}}
	case *find.GRPCResponse:
		a.Reply = &pluginv2.FindAnswer_Grpc{Grpc: &pluginv2.GRPCReply{Data: r.Data, StreamResponses: rawList(r.StreamResponses),
			Meta: r.Meta, Error: statusOf(r.Error), ProxyTarget: proxyTarget(r.Proxy), DelayMs: r.Delay}}
	case *find.SocketResponse:
		a.Reply = &pluginv2.FindAnswer_Socket{Socket: &pluginv2.SocketReply{Data: r.Data, Error: statusOf(r.Error),
			ProxyTarget: proxyTarget(r.Proxy), DelayMs: r.Delay}}
	case *find.KafkaResponse:
		a.Reply = &pluginv2.FindAnswer_Kafka{Kafka: &pluginv2.KafkaReply{MockId: r.MockID, Data: r.Data, OutputHeaders: r.OutputHeaders,
			OutputMessageHeaders: r.OutputMessageHeaders, OutputTopic: r.OutputTopic, OutputBrokers: r.OutputBrokers,
			OutputKey: r.OutputKey, Error: messagingErrorOf(r.Error), DelayMs: r.Delay}}
	case *find.RabbitMQResponse:
		out := &pluginv2.RabbitMQReply{MockId: r.MockID, Data: r.Data, OutputHeaders: r.OutputHeaders, Error: messagingErrorOf(r.Error),
			DelayMs: r.Delay, OutputUrl: r.OutputURL, OutputExchange: r.OutputExchange, OutputRoutingKey: r.OutputRoutingKey,
			OutputQueue: r.OutputQueue}
		if p := r.OutputProps; p != nil {
			out.OutputProps = &pluginv2.RabbitMQProps{DeliveryMode: int32(p.DeliveryMode), CorrelationId: p.CorrelationID,
				ReplyTo: p.ReplyTo, ContentType: p.ContentType, Priority: int32(p.Priority), MessageId: p.MessageID, Type: p.Type, AppId: p.AppID}
		}
		a.Reply = &pluginv2.FindAnswer_Rabbitmq{Rabbitmq: out}
	case *find.SMTPResponse:
		a.Reply = &pluginv2.FindAnswer_Smtp{Smtp: &pluginv2.SMTPReply{MockId: r.MockID, StatusCode: int32(r.StatusCode),
			StatusMessage: r.StatusMessage, AcceptMail: r.AcceptMail, StoreEmail: r.StoreEmail, Headers: r.Headers, DelayMs: r.Delay}}
	case *find.SOAPResponse:
		out := &pluginv2.SOAPReply{MockId: r.MockID, StatusCode: int32(r.StatusCode), Headers: KeyValuesOf(r.Headers), Data: r.Data,
			ProxyTarget: proxyTarget(r.Proxy), DelayMs: r.Delay}
		if f := r.Fault; f != nil {
			out.Fault = &pluginv2.SOAPFault{FaultCode: f.FaultCode, FaultString: f.FaultString, FaultActor: f.FaultActor,
				Detail: f.Detail, HttpStatus: int32(f.HTTPStatus)}
		}
		a.Reply = &pluginv2.FindAnswer_Soap{Soap: out}
	case *find.MCPResponse:
		a.Reply = &pluginv2.FindAnswer_Mcp{Mcp: &pluginv2.MCPReply{MockId: r.MockID, Result: r.Result, IsError: r.IsError, DelayMs: r.Delay}}
	case *find.GraphQLResponse:
		out := &pluginv2.GraphQLReply{MockId: r.MockID, Data: r.Data, DelayMs: r.Delay}
		for _, e := range r.Errors {
			ge := &pluginv2.GraphQLError{Message: e.Message, Locations: e.Locations, Extensions: e.Extensions}
			if e.Path != nil {
				ge.Path, _ = json.Marshal(e.Path)
			}
			out.Errors = append(out.Errors, ge)
		}
		a.Reply = &pluginv2.FindAnswer_Graphql{Graphql: out}
	case *find.SSEResponse:
		a.Reply = &pluginv2.FindAnswer_Sse{Sse: &pluginv2.SSEReply{MockId: r.MockID, StatusCode: int32(r.StatusCode),
			Headers: KeyValuesOf(r.Headers), EventChain: r.EventChain, EventName: r.EventName, Data: r.Data, DelayMs: r.Delay}}
	default:
		return false
	}
	return true
}

// The plugin's side: a reply as the find response it carries.

// HTTPResponseOf is the find response an HTTPReply carries.
func HTTPResponseOf(c *pluginv2.HTTPReply) *find.HTTPResponse {
	r := &find.HTTPResponse{Found: true, MockID: c.MockId, StatusCode: int(c.StatusCode), Delay: c.DelayMs,
		Headers: MapOf(c.Headers), Proxy: proxyOf(c.ProxyTarget)}
	r.SetPayload(c.Body, find.PayloadKind(c.Kind))
	return r
}

// GRPCResponseOf is the find response a GRPCReply carries.
func GRPCResponseOf(c *pluginv2.GRPCReply) *find.GRPCResponse {
	return &find.GRPCResponse{Data: c.Data, StreamResponses: jsonList(c.StreamResponses), Meta: c.Meta,
		Error: grpcErrorOf(c.Error), Proxy: proxyOf(c.ProxyTarget), Delay: c.DelayMs}
}

// SocketResponseOf is the find response a SocketReply carries.
func SocketResponseOf(c *pluginv2.SocketReply) *find.SocketResponse {
	return &find.SocketResponse{Data: c.Data, Error: grpcErrorOf(c.Error), Proxy: proxyOf(c.ProxyTarget), Delay: c.DelayMs}
}

// KafkaResponseOf is the find response a KafkaReply carries.
func KafkaResponseOf(c *pluginv2.KafkaReply) *find.KafkaResponse {
	return &find.KafkaResponse{MockID: c.MockId, Data: c.Data, OutputHeaders: c.OutputHeaders,
		OutputMessageHeaders: c.OutputMessageHeaders, OutputTopic: c.OutputTopic, OutputBrokers: c.OutputBrokers,
		OutputKey: c.OutputKey, Error: findMessagingError(c.Error), Delay: c.DelayMs}
}

// RabbitMQResponseOf is the find response a RabbitMQReply carries.
func RabbitMQResponseOf(c *pluginv2.RabbitMQReply) *find.RabbitMQResponse {
	r := &find.RabbitMQResponse{MockID: c.MockId, Data: c.Data, OutputHeaders: c.OutputHeaders,
		Error: findMessagingError(c.Error), Delay: c.DelayMs, OutputURL: c.OutputUrl, OutputExchange: c.OutputExchange,
		OutputRoutingKey: c.OutputRoutingKey, OutputQueue: c.OutputQueue}
	if p := c.OutputProps; p != nil {
		r.OutputProps = &find.RabbitMQOutputProps{DeliveryMode: int(p.DeliveryMode), CorrelationID: p.CorrelationId,
			ReplyTo: p.ReplyTo, ContentType: p.ContentType, Priority: int(p.Priority), MessageID: p.MessageId, Type: p.Type, AppID: p.AppId}
	}
	return r
}

// SMTPResponseOf is the find response an SMTPReply carries.
func SMTPResponseOf(c *pluginv2.SMTPReply) *find.SMTPResponse {
	return &find.SMTPResponse{Found: true, MockID: c.MockId, StatusCode: int(c.StatusCode), StatusMessage: c.StatusMessage,
		AcceptMail: c.AcceptMail, StoreEmail: c.StoreEmail, Headers: c.Headers, Delay: c.DelayMs}
}

// SOAPResponseOf is the find response a SOAPReply carries.
func SOAPResponseOf(c *pluginv2.SOAPReply) *find.SOAPResponse {
	r := &find.SOAPResponse{MockID: c.MockId, StatusCode: int(c.StatusCode), Headers: MapOf(c.Headers), Data: c.Data,
		Proxy: proxyOf(c.ProxyTarget), Delay: c.DelayMs}
	if f := c.Fault; f != nil {
		r.Fault = &find.SOAPFault{FaultCode: f.FaultCode, FaultString: f.FaultString, FaultActor: f.FaultActor,
			Detail: f.Detail, HTTPStatus: int(f.HttpStatus)}
	}
	return r
}

// MCPResponseOf is the find response an MCPReply carries.
func MCPResponseOf(c *pluginv2.MCPReply) *find.MCPResponse {
	return &find.MCPResponse{MockID: c.MockId, Result: c.Result, IsError: c.IsError, Delay: c.DelayMs}
}

// GraphQLResponseOf is the find response a GraphQLReply carries.
func GraphQLResponseOf(c *pluginv2.GraphQLReply) *find.GraphQLResponse {
	r := &find.GraphQLResponse{MockID: c.MockId, Data: c.Data, Delay: c.DelayMs}
	for _, e := range c.Errors {
		ge := find.GraphQLError{Message: e.Message, Locations: e.Locations, Extensions: e.Extensions}
		if len(e.Path) > 0 {
			_ = json.Unmarshal(e.Path, &ge.Path)
		}
		r.Errors = append(r.Errors, ge)
	}
	return r
}

// SSEResponseOf is the find response an SSEReply carries.
func SSEResponseOf(c *pluginv2.SSEReply) *find.SSEResponse {
	return &find.SSEResponse{MockID: c.MockId, StatusCode: int(c.StatusCode), Headers: MapOf(c.Headers),
		EventChain: c.EventChain, EventName: c.EventName, Data: c.Data, Delay: c.DelayMs}
}

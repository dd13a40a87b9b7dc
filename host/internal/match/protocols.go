package match

import "github.com/mockarty-oss/mockarty/host/internal/model"

// Protocol is what the index and the selection step know of one protocol,
// in one place: its mocks' lookup keys, its condition lists and its
// serverName rule. The requests' keys are made by the functions of
// keys.go, which the keys here use too.
type Protocol struct {
	Name string
	// Keys are the lookup keys of a mock of a keyed protocol; nil for a
	// routed protocol (http, sse), whose mocks are found by path.
	Keys func(m *model.Mock) []string
	// Lists are the mock's condition lists.
	Lists []List
	// ServerField is the field of the protocol block that names a mock's
	// server ("": only the top-level serverName does).
	ServerField string
	server      func(m *model.Mock) string
}

// List is one condition list of a protocol: its name (the field of the
// protocol block), what part of the request it reads, and where the mock
// holds it (with the block's sortArray).
type List struct {
	Name   string
	Source Source
	Of     func(m *model.Mock) ([]model.Condition, bool)
}

// Server is the serverName a mock names and the field that names it: its
// protocol block's serverName where the protocol has one and it is set,
// else the top-level one.
func (p *Protocol) Server(m *model.Mock) (name, field string) {
	if p != nil && p.server != nil {
		if n := p.server(m); n != "" {
			return n, p.ServerField
		}
	}
	return m.ServerName, "serverName"
}

// ProtocolOf is the protocol of a mock (nil for a mock of none).
func ProtocolOf(m *model.Mock) *Protocol { return protocols[m.Protocol()] }

// ProtocolNamed is a protocol by name (nil for an unknown one).
func ProtocolNamed(name string) *Protocol { return protocols[name] }

var protocols = map[string]*Protocol{}

func init() {
	for _, p := range []*Protocol{
		{Name: model.ProtoHTTP, Lists: []List{
			{ListConditions, SourceBody, func(m *model.Mock) ([]model.Condition, bool) { return m.HTTP.Conditions, m.HTTP.SortArray }},
			{ListQueryParams, SourceQuery, func(m *model.Mock) ([]model.Condition, bool) { return m.HTTP.QueryParams, m.HTTP.SortArray }},
			{ListHeader, SourceHeader, func(m *model.Mock) ([]model.Condition, bool) { return m.HTTP.Header, m.HTTP.SortArray }},
		}},
		{Name: model.ProtoSSE, Lists: []List{
			{ListConditions, SourceQuery, func(m *model.Mock) ([]model.Condition, bool) { return m.SSE.Conditions, m.SSE.SortArray }},
			{ListHeaderConditions, SourceHeader, func(m *model.Mock) ([]model.Condition, bool) { return m.SSE.HeaderConditions, m.SSE.SortArray }},
		}},
		{Name: model.ProtoGRPC,
			Keys: func(m *model.Mock) []string { return []string{GRPCKey(m.GRPC.Service, m.GRPC.Method)} },
			Lists: []List{
				{ListConditions, SourceBody, func(m *model.Mock) ([]model.Condition, bool) { return m.GRPC.Conditions, m.GRPC.SortArray }},
				{ListMeta, SourceHeader, func(m *model.Mock) ([]model.Condition, bool) { return m.GRPC.Meta, m.GRPC.SortArray }},
			}},
		{Name: model.ProtoKafka,
			Keys: func(m *model.Mock) []string { return []string{m.Kafka.Topic} },
			Lists: []List{
				{ListConditions, SourceBody, func(m *model.Mock) ([]model.Condition, bool) { return m.Kafka.Conditions, m.Kafka.SortArray }},
				{ListHeaders, SourceHeader, func(m *model.Mock) ([]model.Condition, bool) { return m.Kafka.Headers, m.Kafka.SortArray }},
			},
			ServerField: "kafka.serverName", server: func(m *model.Mock) string { return m.Kafka.ServerName }},
		{Name: model.ProtoRabbitMQ,
			Keys: func(m *model.Mock) []string {
				return RabbitMQKeys(m.RabbitMQ.Queue, m.RabbitMQ.Exchange, m.RabbitMQ.RoutingKey)
			},
			Lists: []List{
				{ListConditions, SourceBody, func(m *model.Mock) ([]model.Condition, bool) { return m.RabbitMQ.Conditions, m.RabbitMQ.SortArray }},
				{ListHeaders, SourceHeader, func(m *model.Mock) ([]model.Condition, bool) { return m.RabbitMQ.Headers, m.RabbitMQ.SortArray }},
			},
			ServerField: "rabbitmq.serverName", server: func(m *model.Mock) string { return m.RabbitMQ.ServerName }},
		{Name: model.ProtoSMTP,
			// A mail names no key: every SMTP mock of the namespace is a
			// candidate, and the serverName rule picks the server's.
			Keys: func(*model.Mock) []string { return []string{MailKey} },
			Lists: []List{
				{ListSender, SourceText, func(m *model.Mock) ([]model.Condition, bool) { return m.SMTP.SenderConditions, m.SMTP.SortArray }},
				{ListRecipient, SourceList, func(m *model.Mock) ([]model.Condition, bool) { return m.SMTP.RecipientConditions, m.SMTP.SortArray }},
				{ListSubject, SourceText, func(m *model.Mock) ([]model.Condition, bool) { return m.SMTP.SubjectConditions, m.SMTP.SortArray }},
				{ListBody, SourceText, func(m *model.Mock) ([]model.Condition, bool) { return m.SMTP.BodyConditions, m.SMTP.SortArray }},
				{ListHeaderConditions, SourceHeader, func(m *model.Mock) ([]model.Condition, bool) { return m.SMTP.HeaderConditions, m.SMTP.SortArray }},
			},
			ServerField: "smtp.serverName", server: func(m *model.Mock) string { return m.SMTP.ServerName }},
		{Name: model.ProtoSocket,
			Keys: func(m *model.Mock) []string { return []string{m.Socket.Event} },
			Lists: []List{
				{ListConditions, SourceBody, func(m *model.Mock) ([]model.Condition, bool) { return m.Socket.Conditions, m.Socket.SortArray }},
			},
			ServerField: "socket.serverName", server: func(m *model.Mock) string { return m.Socket.ServerName }},
		{Name: model.ProtoMCP, Keys: mcpKeys, Lists: []List{
			{ListConditions, SourceBody, func(m *model.Mock) ([]model.Condition, bool) { return m.MCP.Conditions, m.MCP.SortArray }},
			{ListHeader, SourceHeader, func(m *model.Mock) ([]model.Condition, bool) { return m.MCP.Header, m.MCP.SortArray }},
		}},
		{Name: model.ProtoSOAP, Keys: soapKeys, Lists: []List{
			{ListConditions, SourceSOAP, func(m *model.Mock) ([]model.Condition, bool) { return m.SOAP.Conditions, m.SOAP.SortArray }},
			{ListHeader, SourceHeader, func(m *model.Mock) ([]model.Condition, bool) { return m.SOAP.Header, m.SOAP.SortArray }},
		}},
		{Name: model.ProtoGraphQL,
			Keys: func(m *model.Mock) []string {
				return []string{GraphQLKey(m.GraphQL.Operation, m.GraphQL.Field), EndpointKey(GraphQLPath(m))}
			},
			Lists: []List{
				{ListConditions, SourceBody, func(m *model.Mock) ([]model.Condition, bool) { return m.GraphQL.Conditions, m.GraphQL.SortArray }},
				{ListHeader, SourceHeader, func(m *model.Mock) ([]model.Condition, bool) { return m.GraphQL.Header, m.GraphQL.SortArray }},
			}},
	} {
		protocols[p.Name] = p
	}
}

func mcpKeys(m *model.Mock) []string {
	var k []string
	switch {
	case m.MCP.Resource != "":
		k = []string{MCPResourceKey(m.MCP.Resource)}
	case m.MCP.Prompt != "":
		k = []string{MCPPromptKey(m.MCP.Prompt)}
	default:
		k = []string{MCPToolKey(m.MCP.Tool)}
	}
	// server:<name> is never a lookup key of a request: it says which
	// /stubs/<ns>/<serverName>/... paths belong to the MCP listener.
	if m.ServerName != "" {
		k = append(k, "server:"+m.ServerName)
	}
	return k
}

func soapKeys(m *model.Mock) []string {
	var k []string
	if m.SOAP.Action != "" {
		k = append(k, SOAPActionKey(m.SOAP.Action))
	}
	if m.SOAP.Method != "" {
		k = append(k, SOAPMethodKey(m.SOAP.Method))
	}
	if len(k) == 0 {
		k = append(k, SOAPPathKey(joinRoute(m.PathPrefix, m.SOAP.Path)))
	}
	// at:<path> is never a lookup key of a request: it says which /stubs
	// paths belong to the SOAP listener (EndpointAt).
	if m.SOAP.Path != "" {
		k = append(k, EndpointKey(joinRoute(m.PathPrefix, m.SOAP.Path)))
	}
	return k
}

package find

import "context"

// Finder resolves the find requests of every protocol: it is what a
// plugin asks the host (sdk.Host) and what the host answers plugins with.
// A Find returns the mock's answer, or an error: an *sdk.NoMatch when no
// mock matches (errors.As), sdk.ErrInvalidInput when the host refuses the
// request (errors.Is), anything else when the host could not answer. Its
// calls are safe from many goroutines at once.
type Finder interface {
	FindHTTP(ctx context.Context, req *HTTPRequest) (*HTTPResponse, error)
	FindGRPC(ctx context.Context, req *GRPCRequest) (*GRPCResponse, error)
	FindSocket(ctx context.Context, req *SocketRequest) (*SocketResponse, error)
	FindKafka(ctx context.Context, req *KafkaRequest) (*KafkaResponse, error)
	FindRabbitMQ(ctx context.Context, req *RabbitMQRequest) (*RabbitMQResponse, error)
	FindSMTP(ctx context.Context, req *SMTPRequest) (*SMTPResponse, error)
	FindSOAP(ctx context.Context, req *SOAPRequest) (*SOAPResponse, error)
	FindMCP(ctx context.Context, req *MCPRequest) (*MCPResponse, error)
	FindGraphQL(ctx context.Context, req *GraphQLRequest) (*GraphQLResponse, error)
	FindSSE(ctx context.Context, req *SSERequest) (*SSEResponse, error)
}

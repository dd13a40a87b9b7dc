package resolve

import (
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/sdk/find"
)

// CheckFind reports the first field a find request cannot do without, for
// every protocol and whichever way the request came (REST or a plugin), or
// nil. SMTP asks for nothing: a mail with no sender still finds its mocks.
func CheckFind(req any) *model.FieldError {
	missing := func(field, msg string) *model.FieldError { return &model.FieldError{Field: field, Message: msg} }
	switch q := req.(type) {
	case *find.GRPCRequest:
		if q.Service == "" || q.Method == "" {
			return missing("service", "service and method are required")
		}
	case *find.KafkaRequest:
		if q.Topic == "" {
			return missing("topic", "is required")
		}
	case *find.RabbitMQRequest:
		if q.Queue == "" && q.Exchange == "" {
			return missing("queue", "queue or exchange is required")
		}
	case *find.HTTPRequest:
		if !strings.HasPrefix(q.Path, "/") {
			return missing("path", "must start with '/'")
		}
	case *find.SOAPRequest:
		if q.Action == "" && q.Operation == "" && q.Path == "" {
			return missing("action", "one of action, operation or path is required")
		}
	case *find.MCPRequest:
		if q.Tool == "" && q.Resource == "" && q.Prompt == "" {
			return missing("tool", "tool (for tools/call), resource (for resources/read) or prompt (for prompts/get) is required")
		}
	case *find.GraphQLRequest:
		if q.Field == "" {
			return missing("field", "is required")
		}
		switch q.Operation {
		case "", "query", "mutation", "subscription":
		default:
			return missing("operation", "must be query, mutation or subscription")
		}
	case *find.SSERequest:
		if !strings.HasPrefix(q.Path, "/") {
			return missing("path", "must start with '/'")
		}
	}
	return nil
}

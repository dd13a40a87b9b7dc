package match

// Lookup keys of the keyed protocols: a mock is indexed under the keys its
// protocol block gives (keysOf), a request is looked up under the keys its
// find request gives, and both are made here, so they cannot drift apart.

// GRPCKey is the key of a gRPC method.
func GRPCKey(service, method string) string { return service + "/" + method }

// RabbitMQKeys are the keys of a queue and of an exchange with its
// routing key (either may be empty).
func RabbitMQKeys(queue, exchange, routingKey string) []string {
	var k []string
	if queue != "" {
		k = append(k, "q:"+queue)
	}
	if exchange != "" {
		k = append(k, "x:"+exchange+"/"+routingKey)
	}
	return k
}

// SOAPActionKey is the key of a SOAPAction.
func SOAPActionKey(action string) string { return "action:" + action }

// SOAPMethodKey is the key of a SOAP operation.
func SOAPMethodKey(method string) string { return "method:" + method }

// SOAPPathKey is the key of a SOAP mock with neither action nor operation.
func SOAPPathKey(path string) string { return "path:" + path }

// MCPToolKey is the key of an MCP tool.
func MCPToolKey(name string) string { return "tool:" + name }

// MCPResourceKey is the key of an MCP resource.
func MCPResourceKey(uri string) string { return "resource:" + uri }

// MCPPromptKey is the key of an MCP prompt.
func MCPPromptKey(name string) string { return "prompt:" + name }

// GraphQLKey is the key of a root field of an operation ("" is a query).
func GraphQLKey(operation, field string) string {
	if operation == "" {
		operation = "query"
	}
	return operation + "/" + field
}

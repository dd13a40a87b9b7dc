// Command mockarty-plugin-mcp is the MCP listener plugin: it serves a
// namespace's MCP mocks as Model Context Protocol servers (streamable HTTP
// and SSE transports), listing their tools, resources and prompts, and
// answering every call through the host's FindMCP.
package main

import "github.com/mockarty-oss/mockarty/sdk"

func main() { sdk.Serve(&Listener{}) }

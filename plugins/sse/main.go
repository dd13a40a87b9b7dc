// Command mockarty-plugin-sse is the SSE listener plugin: it serves a
// namespace's server-sent event mocks (sse.eventPath) on its own addresses,
// resolving every request through the host and playing the mock's event
// chain.
package main

import "github.com/mockarty-oss/mockarty/sdk"

func main() { sdk.Serve(&Listener{}) }

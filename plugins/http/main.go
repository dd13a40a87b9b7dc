// Command mockarty-plugin-http is the HTTP listener plugin: it serves a
// namespace's HTTP mocks at the root path of its own addresses, resolving
// every request through the host.
package main

import "github.com/mockarty-oss/mockarty/sdk"

func main() { sdk.Serve(&Listener{}) }

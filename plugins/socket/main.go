// Command mockarty-plugin-socket is the WebSocket, TCP and UDP listener
// plugin: it resolves every message (and the connect and disconnect of a
// connection) as a socket message through the host, and lets the host's API
// push messages to open connections.
package main

import "github.com/mockarty-oss/mockarty/sdk"

func main() { sdk.Serve(&Listener{}) }

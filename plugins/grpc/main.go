// Command mockarty-plugin-grpc serves every gRPC service registered in the
// host's proto registry, resolving each call through the host.
package main

import "github.com/mockarty-oss/mockarty/sdk"

func main() { sdk.Serve(&Listener{}) }

// Command mockarty-plugin-rabbitmq is the RabbitMQ listener plugin: it
// consumes the queues of a namespace's RabbitMQ mocks, resolves every
// message through the host and publishes the mock's reply (to its output,
// or to the request's replyTo).
package main

import "github.com/mockarty-oss/mockarty/sdk"

func main() { sdk.Serve(&Listener{}) }

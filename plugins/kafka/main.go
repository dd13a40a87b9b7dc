// Command mockarty-plugin-kafka is the Kafka listener plugin: it consumes
// the topics of a namespace's Kafka mocks, resolves every message through
// the host and produces the mock's reply to its output topic. With no
// brokers configured it runs an embedded Kafka-protocol broker.
package main

import "github.com/mockarty-oss/mockarty/sdk"

func main() { sdk.Serve(&Listener{}) }

package engine

import (
	"context"
	"net/http"
	"strings"
)

// Transport sends the requests of a source that is not plain HTTP (a gRPC
// method, a WebSocket, a Kafka topic, a RabbitMQ exchange): a seed's URL
// scheme ("grpc", "ws", "kafka", "amqp", ...) picks it. What comes back is
// read as HTTP by the checks, so every check serves every source: the
// status in HTTP terms (a gRPC Internal is 500), the headers (metadata)
// and the body (the reply, or the error's message).
type Transport interface {
	Send(ctx context.Context, q *Request) (*Reply, error)
}

// Request is one request as a Transport gets it: the method ("POST" for
// most sources), the seed's URL, the headers (metadata) and the body.
type Request struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
}

// Reply is what a Transport got back. An error return, not a Reply, means
// nothing came back (not sent, connection lost, timed out).
type Reply struct {
	Status int
	Header http.Header
	Body   []byte
}

// Transports are the non-HTTP senders of a run, by URL scheme.
type Transports map[string]Transport

// of is the transport of a URL ("" scheme or http(s): none).
func (t Transports) of(rawURL string) Transport {
	scheme, _, ok := strings.Cut(rawURL, "://")
	if !ok || len(t) == 0 {
		return nil
	}
	return t[strings.ToLower(scheme)]
}

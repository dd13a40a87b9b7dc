package api

import (
	"bufio"
	"context"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/resolve"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/sse"
)

// stubSSE answers a /stubs request whose route has SSE mocks: the same
// resolution and player as the SSE listener (sdk/sse).
func (s *server) stubSSE(c *fiber.Ctx, ns, route string, nsQuery bool) error {
	query := (&stubRequest{c: c, nsQuery: nsQuery}).QueryMap()
	resp, nm := s.Resolver.FindSSE(&find.SSERequest{Namespace: ns, Path: route, Query: query, Headers: requestHeaders(c)})
	if nm != nil {
		return c.Status(http.StatusNotFound).JSON(fiber.Map{"error": nm.Error, "code": "no_match",
			"request_id": requestIDOf(c), "namespace": nm.Namespace, "method": c.Method(), "path": nm.Path,
			"candidates": resolve.PublicCandidates(nm.Candidates)})
	}
	reply, err := sse.NewReply(resp, sse.Options{LastEventID: c.Get("Last-Event-ID"), DefaultEvent: resp.EventName})
	if err != nil {
		return apiErr(http.StatusInternalServerError, CodeInternal, "%v", err)
	}
	if reply.Delay > 0 {
		time.Sleep(reply.Delay)
	}
	for k, vals := range reply.Header {
		for _, v := range vals {
			c.Response().Header.Add(k, v)
		}
	}
	c.Status(reply.Status)
	if !reply.Streaming() {
		return c.Send(reply.Body)
	}
	// fasthttp notices a client that left when a write fails: a quiet
	// stream ends at its next event or heartbeat, or at maxTime.
	base := s.streams()
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		ctx, cancel := context.WithCancel(base)
		defer cancel()
		_, _ = reply.Play(ctx, flushWriter{w})
	})
	return nil
}

// flushWriter makes fasthttp's stream writer an sse.Stream.
type flushWriter struct{ *bufio.Writer }

func (f flushWriter) Flush() error { return f.Writer.Flush() }

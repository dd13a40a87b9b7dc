package helpers

import (
	"context"
	"net"
	"time"
)

// watchEvery is how often a waiting request's connection is looked at.
const watchEvery = 250 * time.Millisecond

// WatchConn returns a context that ends with parent, or when the peer of
// conn closes it (the API's client went away). Nothing is read from conn:
// it is peeked at, so a pipelined next request stays intact. Where the
// platform or the connection does not allow peeking, only parent counts.
// cancel must be called when the request is done.
func WatchConn(parent context.Context, conn net.Conn) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	if conn == nil {
		return ctx, cancel
	}
	peek := peeker(conn)
	if peek == nil {
		return ctx, cancel
	}
	go func() {
		t := time.NewTicker(watchEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if peek() {
					cancel()
					return
				}
			}
		}
	}()
	return ctx, cancel
}

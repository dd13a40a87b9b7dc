package main

import (
	"net/http"
	"strings"
	"sync"
	"time"
)

// A quiet event stream writes nothing, so a client that went away behind a
// proxy (or a half-open connection) is never noticed and the stream, its
// goroutines and its session stay for ever. mcp-go writes pings on the
// SSE transport's stream (WithKeepAliveInterval) and on the streamable
// transport's GET stream (WithHeartbeatInterval), but not on a POST
// answered as an event stream: the 2026-07-28 protocol's
// subscriptions/listen, which stays open for as long as the client
// listens. That protocol has no server-to-client requests, so such a
// stream gets SSE comments instead, which every SSE reader skips.

// keepAliveComment is what a quiet POST event stream is sent.
const keepAliveComment = ": keep-alive\n\n"

// streamKeepAlive wraps the streamable transport: a POST whose answer
// turns into an event stream gets a comment every `every` while it lasts.
func streamKeepAlive(next http.Handler, every time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := w.(http.Flusher)
		if r.Method != http.MethodPost || !ok {
			next.ServeHTTP(w, r)
			return
		}
		kw := &keepAliveWriter{ResponseWriter: w, flusher: f, every: every}
		defer kw.stop()
		next.ServeHTTP(kw, r)
	})
}

// keepAliveWriter serialises mcp-go's writes (one Write per event) with
// the comments, so a comment only ever falls between two events.
type keepAliveWriter struct {
	http.ResponseWriter
	flusher http.Flusher
	every   time.Duration

	mu      sync.Mutex
	header  bool          // the status was written
	stopped bool          // the handler returned: nothing more is written
	quit    chan struct{} // closed by stop; nil until the ticker runs
	done    chan struct{} // closed when the ticker goroutine returns
}

func (k *keepAliveWriter) WriteHeader(status int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.writeHeader(status)
}

// writeHeader starts the comments when the answer is an event stream. k.mu
// is held.
func (k *keepAliveWriter) writeHeader(status int) {
	if k.header {
		k.ResponseWriter.WriteHeader(status)
		return
	}
	k.header = true
	k.ResponseWriter.WriteHeader(status)
	if status == http.StatusOK && strings.HasPrefix(k.Header().Get("Content-Type"), "text/event-stream") && !k.stopped {
		k.quit, k.done = make(chan struct{}), make(chan struct{})
		go k.tick()
	}
}

func (k *keepAliveWriter) Write(p []byte) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.header {
		k.writeHeader(http.StatusOK)
	}
	return k.ResponseWriter.Write(p)
}

func (k *keepAliveWriter) Flush() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.flusher.Flush()
}

// Unwrap lets http.ResponseController reach the connection (mcp-go sets
// write deadlines through it).
func (k *keepAliveWriter) Unwrap() http.ResponseWriter { return k.ResponseWriter }

func (k *keepAliveWriter) tick() {
	defer close(k.done)
	t := time.NewTicker(k.every)
	defer t.Stop()
	for {
		select {
		case <-k.quit:
			return
		case <-t.C:
			k.mu.Lock()
			var err error
			if !k.stopped {
				if _, err = k.ResponseWriter.Write([]byte(keepAliveComment)); err == nil {
					k.flusher.Flush()
				}
			}
			k.mu.Unlock()
			if err != nil {
				// The connection is gone. net/http cancels the request's
				// context on a failed write, which ends mcp-go's stream.
				return
			}
		}
	}
}

// stop ends the comments before the handler's writer is given back.
func (k *keepAliveWriter) stop() {
	k.mu.Lock()
	k.stopped = true
	quit, done := k.quit, k.done
	k.mu.Unlock()
	if quit != nil {
		close(quit)
		<-done
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// mcp-go (v1.2.1) runs each message of its SSE transport detached from the
// HTTP request, and a subscriptions/listen request (the 2026-07-28
// protocol, which mcp-go's own SSE client speaks) waits until it is
// cancelled. Over SSE nothing ever cancels it: the client's Close sends no
// notifications/cancelled over HTTP, and the session's end does not reach
// the request. Each such request would keep a goroutine for ever. So the
// listener notes the open listen requests of each SSE session and, when
// the session ends, cancels them the way a client would.
//
// The notes are taken through the MCP server's hooks, so only for messages
// mcp-go accepted: a session that exists (its stream is open), a request
// that reached the listen handler. A note goes when its request ends.
// Anyone may post to /message, so what one session can hold is capped.

const (
	// maxBody caps a message posted to /message; mcp-go's decoder reads
	// whatever it is given.
	maxBody = 16 << 20
	// maxListenID caps the id of a listen request (as JSON) that is held.
	maxListenID = 256
	// maxListens caps the listen requests one SSE session keeps open; a
	// client needs one.
	maxListens = 16
)

// sseKey marks the context of the SSE transport's requests (the stream and
// its messages), so that the hooks tell its sessions from the streamable
// transport's.
type sseKey struct{}

func fromSSE(ctx context.Context) bool { return ctx.Value(sseKey{}) != nil }

// markSSE wraps one of the SSE transport's handlers.
func markSSE(next http.Handler, bodyLimit int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if bodyLimit > 0 && r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, bodyLimit)
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sseKey{}, true)))
	})
}

type listenHolds struct {
	mu   sync.Mutex
	live map[string]bool // SSE sessions registered and not yet ended
	// open listen requests by session id, then by the key mcp-go cancels
	// them by (the id as %v); the value is the id as received.
	open map[string]map[string]any
}

// hook installs the bookkeeping on the server's hooks; srv is the server
// the hooks are given to (for the cancellations).
func (h *listenHolds) hook(hooks *server.Hooks, srv func() *server.MCPServer) {
	hooks.AddOnRegisterSession(func(ctx context.Context, s server.ClientSession) {
		if fromSSE(ctx) {
			h.mu.Lock()
			if h.live == nil {
				h.live = map[string]bool{}
			}
			h.live[s.SessionID()] = true
			h.mu.Unlock()
		}
	})
	hooks.AddOnUnregisterSession(func(_ context.Context, s server.ClientSession) { h.release(srv(), s) })
	hooks.AddOnRequestInitialization(h.admit)
	hooks.AddBeforeSubscriptionsListen(func(ctx context.Context, id any, _ *mcp.SubscriptionsListenRequest) {
		if !h.note(ctx, id) {
			// The session ended (or filled up) since admit: the request
			// ends at once rather than wait for a cancellation that
			// would never come.
			cancelRequest(ctx, srv(), id, "the SSE session ended")
		}
	})
	done := func(ctx context.Context, id any, method mcp.MCPMethod) {
		if method == mcp.MethodSubscriptionsListen {
			h.forget(ctx, id)
		}
	}
	hooks.AddOnSuccess(func(ctx context.Context, id any, method mcp.MCPMethod, _ any, _ any) { done(ctx, id, method) })
	hooks.AddOnError(func(ctx context.Context, id any, method mcp.MCPMethod, _ any, _ error) { done(ctx, id, method) })
}

func sessionID(ctx context.Context) (string, bool) {
	if !fromSSE(ctx) {
		return "", false
	}
	s := server.ClientSessionFromContext(ctx)
	if s == nil {
		return "", false
	}
	return s.SessionID(), true
}

func holdKey(id any) string { return fmt.Sprint(id) } // as mcp-go keys its in-flight requests

// admit refuses, before mcp-go handles it, a listen request over SSE that
// could not be held: an id too long, a session that ended, one that holds
// too many already, an id already open.
func (h *listenHolds) admit(ctx context.Context, id any, message any) error {
	raw, ok := message.(json.RawMessage)
	if !ok || !bytes.Contains(raw, []byte(mcp.MethodSubscriptionsListen)) {
		return nil
	}
	var m struct {
		Method string `json:"method"`
	}
	if json.Unmarshal(raw, &m) != nil || m.Method != string(mcp.MethodSubscriptionsListen) {
		return nil
	}
	sid, ok := sessionID(ctx)
	if !ok {
		return nil
	}
	if b, err := json.Marshal(id); err != nil || len(b) > maxListenID {
		return fmt.Errorf("the id of a subscriptions/listen request must be a string or number of at most %d bytes", maxListenID)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.room(sid, id)
}

// room says why sid cannot hold id, nil when it can. h.mu is held.
func (h *listenHolds) room(sid string, id any) error {
	switch {
	case !h.live[sid]:
		return errors.New("the SSE session has ended")
	case len(h.open[sid]) >= maxListens:
		return fmt.Errorf("the SSE session has %d subscriptions/listen requests open already", maxListens)
	case h.open[sid][holdKey(id)] != nil:
		return fmt.Errorf("a subscriptions/listen request with id %v is open already", id)
	}
	return nil
}

// note records an open listen request; false when it cannot be held.
// Requests of other transports are not recorded (their HTTP request ends
// them) and are reported as held.
func (h *listenHolds) note(ctx context.Context, id any) bool {
	sid, ok := sessionID(ctx)
	if !ok {
		return true
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.room(sid, id) != nil {
		return false
	}
	if h.open == nil {
		h.open = map[string]map[string]any{}
	}
	if h.open[sid] == nil {
		h.open[sid] = map[string]any{}
	}
	h.open[sid][holdKey(id)] = id
	return true
}

// forget drops a listen request that ended.
func (h *listenHolds) forget(ctx context.Context, id any) {
	sid, ok := sessionID(ctx)
	if !ok {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if ids := h.open[sid]; ids != nil {
		delete(ids, holdKey(id))
		if len(ids) == 0 {
			delete(h.open, sid)
		}
	}
}

// release cancels the listen requests of a session that ended.
func (h *listenHolds) release(srv *server.MCPServer, session server.ClientSession) {
	sid := session.SessionID()
	h.mu.Lock()
	ids := h.open[sid]
	delete(h.open, sid)
	delete(h.live, sid)
	h.mu.Unlock()
	ctx := srv.WithContext(context.Background(), session)
	for _, id := range ids {
		cancelRequest(ctx, srv, id, "the SSE session ended")
	}
}

// counts says how many SSE sessions are live and how many listen requests
// are held for them.
func (h *listenHolds) counts() (live, open int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ids := range h.open {
		open += len(ids)
	}
	return len(h.live), open
}

// cancelRequest cancels an in-flight request of the session in ctx, as the
// client's notifications/cancelled would.
func cancelRequest(ctx context.Context, srv *server.MCPServer, id any, reason string) {
	note, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": "notifications/cancelled",
		"params": map[string]any{"requestId": id, "reason": reason}})
	srv.HandleMessage(ctx, note)
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync"

	"github.com/mark3labs/mcp-go/server"
)

// mcp-go (v1.2.1) runs each message of its SSE transport detached from the
// HTTP request, and a subscriptions/listen request (the 2026-07-28
// protocol, which mcp-go's own SSE client speaks) waits until it is
// cancelled. Over SSE nothing ever cancels it: the client's Close sends no
// notifications/cancelled over HTTP, and the session's end does not reach
// the request. Each such request would keep a goroutine for ever. So the
// listener notes the listen requests of each SSE session and, when the
// session ends, cancels them the way a client would.

// maxBody caps a message read to find its method (larger ones are refused
// by mcp-go's own decoding anyway when they are not JSON).
const maxBody = 16 << 20

type listenHolds struct {
	mu    sync.Mutex
	bySID map[string][]json.RawMessage // session id -> ids of its listen requests
}

// message wraps the SSE transport's message endpoint: it notes listen
// requests, then hands the message to mcp-go unchanged.
func (h *listenHolds) message(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sid := r.URL.Query().Get("sessionId")
		if sid == "" || r.Body == nil {
			next.ServeHTTP(w, r)
			return
		}
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			writeRPCError(w, http.StatusRequestEntityTooLarge, "the message is larger than 16 MiB")
			return
		}
		var msg struct {
			Method string          `json:"method"`
			ID     json.RawMessage `json:"id"`
		}
		if json.Unmarshal(b, &msg) == nil && msg.Method == "subscriptions/listen" && len(msg.ID) > 0 && string(msg.ID) != "null" {
			h.mu.Lock()
			if h.bySID == nil {
				h.bySID = map[string][]json.RawMessage{}
			}
			h.bySID[sid] = append(h.bySID[sid], msg.ID)
			h.mu.Unlock()
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		next.ServeHTTP(w, r)
	})
}

// release cancels the listen requests of a session that ended.
func (h *listenHolds) release(srv *server.MCPServer, session server.ClientSession) {
	h.mu.Lock()
	ids := h.bySID[session.SessionID()]
	delete(h.bySID, session.SessionID())
	h.mu.Unlock()
	ctx := srv.WithContext(context.Background(), session)
	for _, id := range ids {
		note, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": "notifications/cancelled",
			"params": map[string]any{"requestId": id, "reason": "the SSE session ended"}})
		srv.HandleMessage(ctx, note)
	}
}

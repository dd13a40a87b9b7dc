package target

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gorilla/websocket"
)

// WebSocketPath is where NewWebSocket's twins take connections.
const WebSocketPath = "/chat"

// msgCatalog are the products the message twins (WebSocket, Kafka,
// RabbitMQ) search.
var msgCatalog = []string{"phone", "phone case", "charger"}

// msgSearch answers one search request, the JSON {"query": "..."}, as the
// message twins do: an HTTP-like status and the reply body. The vulnerable
// twin's planted bug: it splices the query into SQL text, so an odd number
// of single quotes leaks the database's error (500). bad says the message
// is not such a request (answered 400 {"error":"bad request"}).
func msgSearch(msg []byte, vulnerable bool) (status int, body []byte, bad bool) {
	var req struct {
		Query *string `json:"query"`
	}
	if err := json.Unmarshal(msg, &req); err != nil || req.Query == nil {
		return http.StatusBadRequest, []byte(`{"error":"bad request"}`), true
	}
	q := *req.Query
	if vulnerable && strings.Count(q, "'")%2 == 1 {
		b, _ := json.Marshal(map[string]string{"error": fmt.Sprintf(`pq: unterminated quoted string at or near "'%s"`, q)})
		return http.StatusInternalServerError, b, false
	}
	results := []string{}
	for _, p := range msgCatalog {
		if strings.Contains(p, q) {
			results = append(results, p)
		}
	}
	b, _ := json.Marshal(map[string]any{"results": results})
	return http.StatusOK, b, false
}

// NewWebSocket is a WebSocket search API (gorilla/websocket over any
// http.Server) in two twins, at WebSocketPath: every message {"query":
// "..."} is answered with a message {"results": [...]}. The vulnerable
// twin has two planted bugs: an odd number of single quotes in the query
// answers a message carrying a database error, and a message that is not
// JSON makes it close the connection with 1011 (internal error). The clean
// twin answers both with the message {"error":"bad request"}.
func NewWebSocket(vulnerable bool) http.Handler {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	mux := http.NewServeMux()
	mux.HandleFunc(WebSocketPath, func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return // the upgrader answered the refusal
		}
		defer conn.Close()
		conn.SetReadLimit(MaxBodyBytes)
		for {
			_, msg, err := conn.ReadMessage()
			if err != nil {
				return
			}
			_, body, bad := msgSearch(msg, vulnerable)
			if bad && vulnerable && !json.Valid(msg) {
				// The planted crash: the handler's decode error ends the session.
				var v any
				reason := "internal error: " + json.Unmarshal(msg, &v).Error()
				_ = conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseInternalServerErr, clipReason(reason)))
				return
			}
			if err := conn.WriteMessage(websocket.TextMessage, body); err != nil {
				return
			}
		}
	})
	return mux
}

// clipReason fits a close reason in a control frame (123 bytes), on a
// character boundary.
func clipReason(s string) string {
	for len(s) > 123 {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	return s
}

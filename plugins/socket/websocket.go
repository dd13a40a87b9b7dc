package main

import (
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
)

// listenWebSocket opens the server's WebSocket endpoint: an HTTP server
// whose one path upgrades to WebSocket.
func (s *server) listenWebSocket() error {
	ln, err := net.Listen("tcp", s.WebSocket.Address)
	if err != nil {
		return err
	}
	up := &websocket.Upgrader{
		HandshakeTimeout: 10 * time.Second,
		// A mock server takes connections from any page.
		CheckOrigin: func(*http.Request) bool { return true },
	}
	// The path is compared as it is (a ServeMux would read it as a pattern).
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != s.WebSocket.Path {
			http.NotFound(w, r)
			return
		}
		ws, err := up.Upgrade(w, r, nil) // on failure the client got an HTTP error
		if err != nil {
			return
		}
		if !s.l.begin() {
			_ = ws.Close()
			return
		}
		defer s.l.running.Done()
		s.serveWebSocket(ws, r)
	})
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: log.New(logWriter{}, "", 0)}
	s.addCloser(srv)
	s.addCloser(ln) // closed by srv once served; closed here if Start fails before
	s.addrs = append(s.addrs, "ws://"+ln.Addr().String()+s.WebSocket.Path)
	s.starts = append(s.starts, func() {
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				pluginLog.Error("websocket server stopped", "server", s.ServerName, "error", err)
			}
		}()
	})
	return nil
}

func (s *server) serveWebSocket(ws *websocket.Conn, r *http.Request) {
	ws.SetReadLimit(int64(s.maxBytes))
	c := &conn{id: newConnID(), srv: s, transport: transportWebSocket, remoteAddr: ws.RemoteAddr().String(),
		connectedAt: time.Now(),
		info:        map[string]any{"path": r.URL.Path, "query": r.URL.Query(), "headers": r.Header}}
	c.write = func(b []byte) error {
		_ = ws.SetWriteDeadline(time.Now().Add(writeTimeout))
		kind := websocket.TextMessage
		if !utf8.Valid(b) {
			kind = websocket.BinaryMessage
		}
		return ws.WriteMessage(kind, b)
	}
	c.closeNow = func() { _ = ws.Close() }
	c.goingAway = func() {
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "server stopping"),
			time.Now().Add(time.Second))
	}
	s.run(c, func() ([]byte, error) {
		_, msg, err := ws.ReadMessage()
		if errors.Is(err, websocket.ErrReadLimit) {
			// gorilla has already sent close 1009 (message too big).
			return nil, errReadLimitSent
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) { // the client closed, politely or not
			return nil, io.EOF
		}
		return msg, err
	})
}

// errReadLimitSent ends a WebSocket connection whose client already got
// the close frame that says why.
var errReadLimitSent = errors.New("message larger than maxMessageBytes")

// logWriter sends net/http's connection errors to the plugin's log at
// debug level.
type logWriter struct{}

func (logWriter) Write(p []byte) (int, error) {
	pluginLog.Debug(string(p))
	return len(p), nil
}

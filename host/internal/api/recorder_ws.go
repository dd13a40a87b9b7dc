package api

import (
	"context"
	"encoding/json"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/auth"
	"github.com/mockarty-oss/mockarty/host/internal/recorder"
)

// The live view of a session: GET /recorder/:id/ws upgrades to a
// WebSocket that gets every entry as it is stored, in order, as
// {"type": "entry", "entry": {...}}, then {"type": "stopped", "session"}
// when the session stops (and the socket closes). ?from=N skips the first
// N entries (default: all of them are sent first).

// Bounds of the live view.
const (
	recorderWSPoll  = 500 * time.Millisecond
	recorderWSBatch = 500
	recorderWSWrite = 10 * time.Second
)

var recorderUpgrader = websocket.FastHTTPUpgrader{ReadBufferSize: 1024, WriteBufferSize: 16 << 10}

func (s *server) recordingLive(c *fiber.Ctx) error {
	sn, err := s.needRecording(c, auth.Read)
	if err != nil {
		return err
	}
	if !websocket.FastHTTPIsWebSocketUpgrade(c.Context()) {
		return fieldErr("Upgrade", "this is a WebSocket endpoint: connect with a WebSocket client")
	}
	from := c.QueryInt("from", 0)
	if from < 0 {
		return fieldErr("from", "cannot be negative")
	}
	svc, base, id := s.Recorder.Service(), s.streams(), sn.ID
	return recorderUpgrader.Upgrade(c.Context(), func(conn *websocket.Conn) {
		defer conn.Close()
		ctx, cancel := context.WithCancel(base)
		defer cancel()
		go func() { // the client's messages are read only to see it leave
			defer cancel()
			for {
				if _, _, err := conn.ReadMessage(); err != nil {
					return
				}
			}
		}()
		streamEntries(ctx, conn, svc, id, from)
	})
}

// streamEntries sends a session's entries from offset as they are
// stored, until the session stops (all sent), ctx ends or a write fails.
func streamEntries(ctx context.Context, conn *websocket.Conn, svc *recorder.Service, id string, offset int) {
	send := func(v any) bool {
		b, err := json.Marshal(v)
		if err != nil {
			return false
		}
		_ = conn.SetWriteDeadline(time.Now().Add(recorderWSWrite))
		return conn.WriteMessage(websocket.TextMessage, b) == nil
	}
	tick := time.NewTicker(recorderWSPoll)
	defer tick.Stop()
	for {
		sn, err := svc.Session(ctx, id)
		if err != nil {
			send(fiber.Map{"type": "error", "error": err.Error()})
			return
		}
		for {
			list, err := svc.EntriesFrom(ctx, id, offset, recorderWSBatch)
			if err != nil {
				send(fiber.Map{"type": "error", "error": err.Error()})
				return
			}
			for i := range list {
				if !send(fiber.Map{"type": "entry", "entry": &list[i]}) {
					return
				}
			}
			offset += len(list)
			if len(list) < recorderWSBatch {
				break
			}
		}
		if sn.Status != recorder.StatusRecording {
			send(fiber.Map{"type": "stopped", "session": sn})
			_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "stopped"),
				time.Now().Add(time.Second))
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

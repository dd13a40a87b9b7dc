package main

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/mockarty-oss/mockarty/sdk/recjob"
)

// A WebSocket passes through the reverse proxy both ways, and its entry,
// reported when it closes, holds the messages: a text and a fragmented
// binary one each way, then the close handshake.
func TestWebSocketThroughTheReverseProxy(t *testing.T) {
	upgrader := websocket.Upgrader{}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/ws" {
			http.NotFound(w, r)
			return
		}
		conn, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		for {
			kind, msg, err := conn.ReadMessage()
			if err != nil {
				return // the close handshake is answered by gorilla
			}
			reply := append([]byte("echo:"), msg...)
			if err := conn.WriteMessage(kind, reply); err != nil {
				return
			}
		}
	}))
	defer up.Close()
	rec := record(t, recjob.Job{Mode: recjob.ModeReverse, TargetURL: up.URL + "/api", AllowPrivate: true})

	wsURL := "ws" + strings.TrimPrefix(rec.URL(), "http") + "/ws?room=1"
	conn, res, err := websocket.DefaultDialer.Dial(wsURL, http.Header{"X-Client": {"ws"}})
	if err != nil {
		t.Fatalf("dial %s: %v", wsURL, err)
	}
	if res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %d", res.StatusCode)
	}
	big := bytes.Repeat([]byte{0, 1, 2, 0xff, 0xfe}, 3000) // over gorilla's write buffer: sent in fragments
	for _, m := range []struct {
		kind int
		data []byte
	}{{websocket.TextMessage, []byte("hello")}, {websocket.BinaryMessage, big}} {
		if err := conn.WriteMessage(m.kind, m.data); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(guard))
		kind, got, err := conn.ReadMessage()
		if err != nil || kind != m.kind || !bytes.Equal(got, append([]byte("echo:"), m.data...)) {
			t.Fatalf("echo of a %d message: %d, %d bytes, %v", m.kind, kind, len(got), err)
		}
	}
	if err := conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := conn.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Fatalf("the close handshake: %v", err)
	}
	_ = conn.Close()

	e := rec.wait(1)[0]
	if e.Method != "GET" || e.StatusCode != 101 || e.Path != "/ws" || e.URL != "ws"+strings.TrimPrefix(up.URL, "http")+"/api/ws?room=1" ||
		e.RequestHeaders["X-Client"] != "ws" || e.ResponseHeaders["Upgrade"] != "websocket" || e.WebSocketFramesMissed != 0 {
		t.Errorf("WebSocket entry: %+v", e)
	}
	type frame struct {
		dir  string
		op   int
		data string
	}
	b64 := base64.StdEncoding.EncodeToString
	code := string(binary.BigEndian.AppendUint16(nil, websocket.CloseNormalClosure))
	want := []frame{
		{"send", 1, "hello"}, {"receive", 1, "echo:hello"},
		{"send", 2, b64(big)}, {"receive", 2, b64(append([]byte("echo:"), big...))},
		{"send", 8, code + "bye"}, {"receive", 8, code}, // gorilla answers a close with its code alone
	}
	var got []frame
	for _, f := range e.WebSocketFrames {
		data := f.Data
		if f.Encoding == "base64" && f.Opcode == 8 {
			raw, _ := base64.StdEncoding.DecodeString(f.Data)
			data = string(raw)
		}
		got = append(got, frame{f.Direction, f.Opcode, data})
		if f.Timestamp < e.Timestamp {
			t.Errorf("frame at %d, before the entry's start %d", f.Timestamp, e.Timestamp)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("frames: got %d, want %d: %+v", len(got), len(want), summarize(e.WebSocketFrames))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("frame %d: got %s %d %.40q, want %s %d %.40q", i, got[i].dir, got[i].op, got[i].data, want[i].dir, want[i].op, want[i].data)
		}
	}

	// A WebSocket still open when the session stops does not keep it
	// running: the proxy closes it.
	open, _, err := websocket.DefaultDialer.Dial(wsURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	if err := open.WriteMessage(websocket.TextMessage, []byte("still here")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := open.ReadMessage(); err != nil {
		t.Fatal(err)
	}
	_, _ = rec.stop() // fails the test if the session does not end
	_ = open.SetReadDeadline(time.Now().Add(guard))
	if _, _, err := open.ReadMessage(); err == nil {
		t.Error("the WebSocket is still open after the session stopped")
	}
}

func summarize(frames []recjob.Frame) []string {
	var out []string
	for _, f := range frames {
		out = append(out, f.Direction+":"+string(rune('0'+f.Opcode))+":"+f.Data[:min(20, len(f.Data))])
	}
	return out
}

// frameBytes is one WebSocket frame as a client (masked) or a server
// sends it.
func frameBytes(fin bool, op byte, payload []byte, masked bool) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	out := []byte{b0}
	var m byte
	if masked {
		m = 0x80
	}
	switch n := len(payload); {
	case n < 126:
		out = append(out, m|byte(n))
	case n < 1<<16:
		out = append(out, m|126)
		out = binary.BigEndian.AppendUint16(out, uint16(n))
	default:
		out = append(out, m|127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	if !masked {
		return append(out, payload...)
	}
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	out = append(out, key[:]...)
	for i, c := range payload {
		out = append(out, c^key[i%4])
	}
	return out
}

// The frame parser reassembles fragments (with a control frame between
// them), unmasks, takes its input in any pieces, and keeps 1000 messages,
// counting the rest.
func TestFrameParser(t *testing.T) {
	r := newWSRecorder(1 << 20)
	var stream []byte
	stream = append(stream, frameBytes(false, opText, []byte("hel"), true)...)
	stream = append(stream, frameBytes(true, opPing, []byte("p"), true)...)
	stream = append(stream, frameBytes(false, opContinuation, []byte("lo "), true)...)
	long := strings.Repeat("w", 70000) // a 64-bit length
	stream = append(stream, frameBytes(true, opContinuation, []byte(long), true)...)
	stream = append(stream, frameBytes(true, opBinary, []byte{0xff, 0}, true)...)
	for i := range stream { // a byte at a time
		r.send.feed(stream[i : i+1])
	}
	frames, missed := r.snapshot()
	if missed != 0 || len(frames) != 3 {
		t.Fatalf("%d frames, %d missed: %v", len(frames), missed, summarize(frames))
	}
	if frames[0].Opcode != opPing || frames[0].Data != "p" || frames[1].Opcode != opText || frames[1].Data != "hello "+long ||
		frames[2].Opcode != opBinary || frames[2].Encoding != "base64" || frames[2].Data != base64.StdEncoding.EncodeToString([]byte{0xff, 0}) {
		t.Errorf("frames: %v", summarize(frames))
	}

	r = newWSRecorder(1 << 20)
	var many []byte
	for range maxFrames + 5 {
		many = append(many, frameBytes(true, opText, []byte("m"), false)...)
	}
	r.receive.feed(many)
	frames, missed = r.snapshot()
	if len(frames) != maxFrames || missed != 5 || frames[0].Direction != "receive" {
		t.Errorf("%d frames kept, %d missed", len(frames), missed)
	}

	// Not WebSocket framing: parsing stops, nothing is made up.
	r = newWSRecorder(1 << 20)
	r.send.feed([]byte{0x83, 0x01, 'x', 0x81, 0x01, 'y'})
	if frames, _ = r.snapshot(); len(frames) != 0 {
		t.Errorf("a reserved opcode gave frames: %v", summarize(frames))
	}
}

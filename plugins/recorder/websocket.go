package main

import (
	"encoding/binary"
	"io"
	"sync"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/recjob"
)

const (
	// maxFrames is how many WebSocket messages an entry keeps; the rest
	// are counted in WebSocketFramesMissed.
	maxFrames = 1000
	// maxFrameBytes is how much message data an entry keeps in all; the
	// messages past it are counted as missed too.
	maxFrameBytes = 2 << 20
)

// WebSocket opcodes (RFC 6455 §5.2).
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xa
)

// wsRecorder keeps the messages of a WebSocket passing through the proxy.
type wsRecorder struct {
	mu     sync.Mutex
	frames []recjob.Frame
	missed int64
	kept   int
	done   bool

	send, receive wsParser
}

func newWSRecorder(maxData int) *wsRecorder {
	r := &wsRecorder{}
	r.send = wsParser{dir: "send", max: maxData, rec: r}
	r.receive = wsParser{dir: "receive", max: maxData, rec: r}
	return r
}

// add keeps one message, or counts it as missed.
func (r *wsRecorder) add(dir string, op byte, data []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return
	}
	if len(r.frames) >= maxFrames || r.kept+len(data) > maxFrameBytes {
		r.missed++
		return
	}
	r.kept += len(data)
	text, enc := bodyText(data, false)
	r.frames = append(r.frames, recjob.Frame{Direction: dir, Opcode: int(op), Data: text, Encoding: enc,
		Timestamp: time.Now().UnixMilli()})
}

// snapshot is what was kept; nothing is kept after it.
func (r *wsRecorder) snapshot() ([]recjob.Frame, int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done = true
	return append([]recjob.Frame(nil), r.frames...), r.missed
}

// wsConn is the upstream side of a WebSocket: what the client sends is
// written to it, what the upstream answers is read from it.
type wsConn struct {
	io.ReadWriteCloser
	rec *wsRecorder
}

func (c *wsConn) Read(p []byte) (int, error) {
	n, err := c.ReadWriteCloser.Read(p)
	c.rec.receive.feed(p[:n])
	return n, err
}

// Write records before it writes, so a message is always kept before the
// answer it causes.
func (c *wsConn) Write(p []byte) (int, error) {
	c.rec.send.feed(p)
	return c.ReadWriteCloser.Write(p)
}

// wsParser reads the frames of one direction's byte stream, reassembling
// fragmented messages and unmasking the client's. Each direction's parser
// is fed by one goroutine. A stream that is not valid WebSocket framing
// stops the parsing (the bytes still pass).
type wsParser struct {
	dir string
	max int // message data kept per message
	rec *wsRecorder

	broken bool
	hdr    []byte // the frame header being read
	// the frame whose payload is being read
	inPayload bool
	fin       bool
	op        byte
	masked    bool
	key       [4]byte
	left      uint64 // payload bytes still to come
	pos       uint64 // payload bytes read so far (for the mask)
	// the message being assembled
	inMsg bool
	msgOp byte
	msg   []byte
	ctl   []byte // a control frame's payload
}

func (p *wsParser) feed(b []byte) {
	for len(b) > 0 && !p.broken {
		if !p.inPayload {
			b = p.readHeader(b)
			continue
		}
		n := min(uint64(len(b)), p.left)
		p.keep(b[:n])
		b = b[n:]
		p.left -= n
		if p.left == 0 {
			p.endFrame()
		}
	}
}

// readHeader takes header bytes from b and returns the rest.
func (p *wsParser) readHeader(b []byte) []byte {
	need := 2
	for {
		if len(p.hdr) >= 2 {
			need = 2
			switch p.hdr[1] & 0x7f {
			case 126:
				need += 2
			case 127:
				need += 8
			}
			if p.hdr[1]&0x80 != 0 {
				need += 4
			}
		}
		if len(p.hdr) >= need {
			break
		}
		if len(b) == 0 {
			return b
		}
		take := min(need-len(p.hdr), len(b))
		p.hdr = append(p.hdr, b[:take]...)
		b = b[take:]
	}
	h := p.hdr
	p.fin, p.op, p.masked = h[0]&0x80 != 0, h[0]&0x0f, h[1]&0x80 != 0
	length, i := uint64(h[1]&0x7f), 2
	switch length {
	case 126:
		length, i = uint64(binary.BigEndian.Uint16(h[2:4])), 4
	case 127:
		length, i = binary.BigEndian.Uint64(h[2:10]), 10
	}
	if p.masked {
		copy(p.key[:], h[i:i+4])
	}
	p.hdr = p.hdr[:0]
	switch p.op {
	case opContinuation:
		if !p.inMsg {
			p.broken = true
			return nil
		}
	case opText, opBinary:
		p.inMsg, p.msgOp, p.msg = true, p.op, nil
	case opClose, opPing, opPong:
		if length > 125 || !p.fin {
			p.broken = true
			return nil
		}
		p.ctl = nil
	default:
		p.broken = true
		return nil
	}
	p.left, p.pos, p.inPayload = length, 0, true
	if length == 0 {
		p.endFrame()
	}
	return b
}

// keep adds payload bytes to the message (up to max) or control frame.
func (p *wsParser) keep(b []byte) {
	var room int
	if p.op >= opClose {
		room = len(b)
	} else {
		room = min(len(b), p.max-len(p.msg))
	}
	if room > 0 {
		chunk := make([]byte, room)
		copy(chunk, b[:room])
		if p.masked {
			for j := range chunk {
				chunk[j] ^= p.key[(p.pos+uint64(j))%4]
			}
		}
		if p.op >= opClose {
			p.ctl = append(p.ctl, chunk...)
		} else {
			p.msg = append(p.msg, chunk...)
		}
	}
	p.pos += uint64(len(b))
}

func (p *wsParser) endFrame() {
	p.inPayload = false
	switch {
	case p.op >= opClose:
		p.rec.add(p.dir, p.op, p.ctl)
		p.ctl = nil
	case p.fin:
		p.rec.add(p.dir, p.msgOp, p.msg)
		p.inMsg, p.msg = false, nil
	}
}

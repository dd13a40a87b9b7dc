package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"syscall"
	"time"
)

// listenTCP opens the server's TCP socket.
func (s *server) listenTCP() error {
	ln, err := net.Listen("tcp", s.TCP.Address)
	if err != nil {
		return err
	}
	s.addCloser(ln)
	s.addrs = append(s.addrs, "tcp://"+ln.Addr().String())
	s.starts = append(s.starts, func() { go s.acceptTCP(ln) })
	return nil
}

func (s *server) acceptTCP(ln net.Listener) {
	for {
		nc, err := ln.Accept()
		if err != nil {
			if isClosed(err) {
				return
			}
			// Out of file descriptors and the like: wait, then go on.
			pluginLog.Warn("tcp accept failed", "server", s.ServerName, "error", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if !s.l.begin() {
			_ = nc.Close()
			continue
		}
		go func() {
			defer s.l.running.Done()
			s.serveTCP(nc)
		}()
	}
}

func (s *server) serveTCP(nc net.Conn) {
	c := &conn{id: newConnID(), srv: s, transport: transportTCP, remoteAddr: nc.RemoteAddr().String(), connectedAt: time.Now()}
	length := s.TCP.Framing == framingLength
	c.write = func(b []byte) error {
		_ = nc.SetWriteDeadline(time.Now().Add(writeTimeout))
		frame := make([]byte, 0, len(b)+4)
		if length {
			frame = binary.BigEndian.AppendUint32(frame, uint32(len(b)))
			frame = append(frame, b...)
		} else {
			frame = append(append(frame, b...), '\n')
		}
		_, err := nc.Write(frame)
		return err
	}
	c.closeNow = func() { _ = nc.Close() }
	r := bufio.NewReaderSize(nc, 64<<10)
	read := func() ([]byte, error) { return readLine(r, s.maxBytes) }
	if length {
		read = func() ([]byte, error) { return readLengthPrefixed(r, s.maxBytes) }
	}
	s.run(c, read)
}

// readLine reads one line without its line ending (\n or \r\n). A last
// line without a newline counts when the client closes its side.
func readLine(r *bufio.Reader, limit int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(line)+len(chunk) > limit+2 { // +2: the line ending is not part of the message
			return nil, &errTooLarge{limit: limit}
		}
		line = append(line, chunk...)
		switch {
		case err == nil:
			line = line[:len(line)-1]
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
			if len(line) > limit {
				return nil, &errTooLarge{size: len(line), limit: limit}
			}
			return line, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(line) > 0:
			if len(line) > limit {
				return nil, &errTooLarge{size: len(line), limit: limit}
			}
			return line, nil
		default:
			return nil, err
		}
	}
}

// readLengthPrefixed reads one message preceded by its length (4 bytes,
// big-endian).
func readLengthPrefixed(r *bufio.Reader, limit int) ([]byte, error) {
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(head[:])
	if uint64(n) > uint64(limit) {
		return nil, &errTooLarge{size: int(n), limit: limit}
	}
	msg := make([]byte, n)
	if _, err := io.ReadFull(r, msg); err != nil {
		return nil, err
	}
	return msg, nil
}

// isClosed reports an error of a socket that was closed (by Stop, or by
// either side).
func isClosed(err error) bool {
	return errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, errReadLimitSent)
}

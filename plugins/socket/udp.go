package main

import (
	"fmt"
	"net"
	"time"
)

// UDP limits: the largest datagram, the datagrams resolved at once, and the
// senders remembered as connections (a flood of forged source addresses
// cannot grow the list without end).
const (
	maxDatagram     = 65535
	udpInFlight     = 64
	maxUDPPeers     = 10000
	udpWriteTimeout = time.Second
)

// listenUDP opens the server's UDP socket.
func (s *server) listenUDP() error {
	pc, err := net.ListenPacket("udp", s.UDP.Address)
	if err != nil {
		return err
	}
	s.addCloser(pc)
	s.addrs = append(s.addrs, "udp://"+pc.LocalAddr().String())
	s.starts = append(s.starts, func() {
		s.l.running.Add(1)
		go func() {
			defer s.l.running.Done()
			s.serveUDP(pc)
		}()
	})
	return nil
}

// serveUDP answers each datagram with one datagram to its sender. There is
// no connection: a sender is listed (and reached by pushes) while it keeps
// sending, and there are no connect or disconnect events.
func (s *server) serveUDP(pc net.PacketConn) {
	buf := make([]byte, maxDatagram)
	slots := make(chan struct{}, udpInFlight)
	for {
		n, addr, err := pc.ReadFrom(buf)
		if err != nil {
			if isClosed(err) {
				return
			}
			pluginLog.Debug("udp read failed", "server", s.ServerName, "error", err)
			continue
		}
		c := s.udpPeer(pc, addr)
		if n > s.maxBytes {
			_ = c.send(errorReply("payload_too_large",
				fmt.Sprintf("datagram of %d bytes is larger than maxMessageBytes (%d)", n, s.maxBytes)))
			continue
		}
		msg := append([]byte(nil), buf[:n]...)
		event, data, ok := s.parse(msg)
		if !ok {
			continue
		}
		slots <- struct{}{}
		if !s.l.begin() {
			return
		}
		go func() {
			defer func() {
				<-slots
				s.l.running.Done()
			}()
			host, base := s.l.state()
			s.answer(base, host, c, event, data, false)
		}()
	}
}

// udpPeer returns the sender's entry, made or refreshed.
func (s *server) udpPeer(pc net.PacketConn, addr net.Addr) *conn {
	key := addr.String()
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.peers[key]; c != nil {
		if !c.expired(now) {
			c.lastSeen = now
			return c
		}
		delete(s.peers, key)
		delete(s.conns, c.id)
	}
	c := &conn{id: newConnID(), srv: s, transport: transportUDP, remoteAddr: key, connectedAt: now,
		idle: time.Duration(s.UDP.PeerIdleSeconds) * time.Second, lastSeen: now}
	c.write = func(b []byte) error {
		_ = pc.SetWriteDeadline(time.Now().Add(udpWriteTimeout))
		_, err := pc.WriteTo(b, addr)
		return err
	}
	if len(s.peers) >= maxUDPPeers {
		s.forgetExpiredLocked(now)
	}
	if len(s.peers) < maxUDPPeers {
		s.conns[c.id] = c
		s.peers[key] = c
	}
	return c
}

//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package helpers

import (
	"crypto/tls"
	"errors"
	"net"
	"syscall"
)

// peeker returns a check that reports whether conn's peer has closed it
// (nil when conn has no socket to look at).
func peeker(conn net.Conn) func() bool {
	if tc, ok := conn.(*tls.Conn); ok {
		conn = tc.NetConn()
	}
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return func() bool {
		closed := false
		var buf [1]byte
		_ = raw.Read(func(fd uintptr) bool {
			n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			switch {
			case err == nil && n == 0:
				closed = true // an orderly shutdown by the peer
			case err != nil && !errors.Is(err, syscall.EAGAIN) && !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR):
				closed = true // reset, or the socket is gone
			}
			return true // never wait for readability
		})
		return closed
	}
}

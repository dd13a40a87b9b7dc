package plugintest

import (
	"net"
	"sync"
	"testing"
)

var (
	portsMu sync.Mutex
	given   = map[int]bool{}
)

// FreePort returns a loopback TCP port that nothing listens on, and that
// this process has not been given before: two calls never return the same
// port, even though each listener is closed before the port is used.
func FreePort(t testing.TB) int {
	t.Helper()
	for i := 0; i < 100; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		_ = ln.Close()
		portsMu.Lock()
		fresh := !given[port]
		given[port] = true
		portsMu.Unlock()
		if fresh {
			return port
		}
	}
	t.Fatal("no fresh loopback port after 100 tries")
	return 0
}

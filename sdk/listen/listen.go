// Package listen holds what listener plugins share whatever their
// protocol: opening their addresses (Bind) and waiting a mock's delay or a
// retry's backoff without outliving the context (Sleep). Listeners that
// serve net/http build on it through sdk/httpserve.
package listen

import (
	"context"
	"fmt"
	"net"
	"time"
)

// Bind opens a TCP listener on every address, in order. Either all of
// them are opened, or none: when one cannot be, those opened before it
// are closed again and the error names the address. A port 0 picks a
// free port (the listener's Addr tells which).
func Bind(addresses []string) ([]net.Listener, error) {
	lns := make([]net.Listener, 0, len(addresses))
	for _, a := range addresses {
		ln, err := net.Listen("tcp", a)
		if err != nil {
			for _, open := range lns {
				_ = open.Close()
			}
			return nil, fmt.Errorf("listen on %s: %w", a, err)
		}
		lns = append(lns, ln)
	}
	return lns, nil
}

// Sleep waits d unless ctx ends first. It reports whether the whole wait
// passed: false when ctx ended (ctx.Err() tells why). A d of zero or less
// does not wait and is true, even when ctx has ended already.
func Sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

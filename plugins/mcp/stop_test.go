package main

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestStopClosesSessions: clients that leave leave nothing behind, and Stop
// ends open sessions of every transport at
// once (their streams would otherwise last for ever) and leaves no
// goroutine behind. The listener runs in the test's process, without the
// plugin harness, so every goroutine counted is the listener's or the
// clients'.
func TestStopClosesSessions(t *testing.T) {
	baseline := goleak.IgnoreCurrent()
	f := &fakeMCP{}
	fake := f.host(t)
	l := &Listener{}
	if err := l.Configure(context.Background(), json.RawMessage(`{"addresses":["127.0.0.1:0","127.0.0.1:0"],"namespace":"qa"}`)); err != nil {
		t.Fatal(err)
	}
	addrs, err := l.Start(context.Background(), fake)
	if err != nil || len(addrs) != 2 {
		t.Fatalf("start: %v %v", addrs, err)
	}
	if err := l.Health(context.Background()); err != nil {
		t.Fatalf("health while serving: %v", err)
	}
	dialAll := func() []*conn {
		var conns []*conn
		for i, mode := range allModes {
			for _, path := range []string{"", "/billing"} {
				c := dial(t, mode, endpoint("http://"+addrs[i%2]+path, mode), nil)
				if len(c.tools(t)) == 0 {
					t.Fatalf("no tools over %s", mode)
				}
				conns = append(conns, c)
			}
		}
		return conns
	}
	// The servers are made on first use; then clients that come and go
	// leave nothing behind (a listen request over SSE included).
	for _, c := range dialAll() {
		c.close()
	}
	settled := goleak.IgnoreCurrent()
	for _, c := range dialAll() {
		for name := range c.tools(t) {
			c.call(t, name, map[string]any{"city": "Paris", "amount": 10})
		}
		c.close()
	}
	if err := goleak.Find(settled); err != nil {
		t.Fatalf("goroutines left after the clients closed: %v", err)
	}

	conns := dialAll()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := l.Stop(ctx); err != nil {
		t.Fatalf("stop with open sessions: %v", err)
	}
	if err := l.Health(context.Background()); err == nil {
		t.Fatal("healthy after Stop")
	}
	for _, c := range conns {
		c.close()
	}
	if err := goleak.Find(baseline); err != nil {
		t.Fatalf("goroutines left after Stop: %v", err)
	}
}

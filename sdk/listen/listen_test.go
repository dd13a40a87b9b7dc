package listen

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

func TestBindAllOrNone(t *testing.T) {
	lns, err := Bind([]string{"127.0.0.1:0", "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, ln := range lns {
			_ = ln.Close()
		}
	}()
	if len(lns) != 2 || lns[0].Addr().String() == lns[1].Addr().String() {
		t.Fatalf("listeners: %v", lns)
	}
	// The second address is taken: an error that names it, and the first
	// listener (on a port the test learns from its error) is closed again.
	taken := lns[0].Addr().String()
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	want := free.Addr().String()
	_ = free.Close()
	got, err := Bind([]string{want, taken})
	if err == nil || got != nil || !strings.Contains(err.Error(), "listen on "+taken) {
		t.Fatalf("bound a taken address: %v %v", got, err)
	}
	ln, err := net.Listen("tcp", want)
	if err != nil {
		t.Fatalf("the address opened before the failure is still held: %v", err)
	}
	_ = ln.Close()
	if lns, err := Bind(nil); err != nil || len(lns) != 0 {
		t.Fatalf("no addresses: %v %v", lns, err)
	}
}

func TestSleep(t *testing.T) {
	if !Sleep(context.Background(), time.Millisecond) {
		t.Fatal("a short wait did not pass")
	}
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if Sleep(ended, time.Hour) {
		t.Fatal("a wait passed after its context ended")
	}
	if time.Since(start) > 10*time.Second {
		t.Fatal("the wait did not stop when the context ended")
	}
	if !Sleep(ended, 0) || !Sleep(ended, -time.Second) {
		t.Fatal("no wait at all is not cut short")
	}
	ctx, stop := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer stop()
	if Sleep(ctx, time.Hour) {
		t.Fatal("a wait passed although its context ended during it")
	}
}

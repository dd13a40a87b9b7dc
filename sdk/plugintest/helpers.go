package plugintest

// Helpers every test of the repository shares: one copy, so a fix to how a
// test waits or reads a process's output lands everywhere at once.

import (
	"bytes"
	"fmt"
	"runtime/debug"
	"sync"
	"testing"
	"time"
)

// Eventually polls cond until it returns true, and fails the test with what
// (formatted with args, at the time of failure, so a fmt.Stringer argument
// shows the state then) if it is still false after within. within only
// guards against a hang: it is never a speed requirement, so give it room.
func Eventually(tb testing.TB, within time.Duration, cond func() bool, what string, args ...any) {
	tb.Helper()
	deadline := time.Now().Add(within)
	// Start fast, so a condition that holds soon costs little, and back off
	// so a slow one does not spin a shared CPU.
	pause := 5 * time.Millisecond
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("still not true after %v: %s", within, fmt.Sprintf(what, args...))
		}
		time.Sleep(pause)
		pause = min(2*pause, 100*time.Millisecond)
	}
}

// EventuallyNoError calls f until it returns nil, and fails the test with
// what (formatted with args) and f's last error if it has not after within,
// which, as for Eventually, only guards against a hang.
func EventuallyNoError(tb testing.TB, within time.Duration, f func() error, what string, args ...any) {
	tb.Helper()
	var last error
	Eventually(tb, within, func() bool {
		last = f()
		return last == nil
	}, "%s: %v", fmt.Sprintf(what, args...), errorText{&last})
}

// errorText shows the error it points to when the failure is formatted.
type errorText struct{ err *error }

func (e errorText) String() string { return fmt.Sprint(*e.err) }

// SyncBuffer collects output that goroutines or a child process write while
// the test reads it; the zero value is ready to use.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String is everything written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// RaceEnabled reports whether the test binary was built with -race, so the
// binaries a test builds can be built with it too.
func RaceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" && s.Value == "true" {
			return true
		}
	}
	return false
}

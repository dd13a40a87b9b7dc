package plugintest

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestEventuallyReturnsOnceTheConditionHolds(t *testing.T) {
	var calls atomic.Int32
	Eventually(t, time.Minute, func() bool { return calls.Add(1) >= 3 }, "three calls")
	if got := calls.Load(); got != 3 {
		t.Fatalf("cond called %d times, want 3 (stop polling once true)", got)
	}
}

// failRecorder is a testing.TB whose Fatalf records the message and ends
// the goroutine, as the real one does.
type failRecorder struct {
	testing.TB
	msg string
}

func (f *failRecorder) Helper() {}
func (f *failRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestEventuallyFailsWithTheMessageWhenItNeverHolds(t *testing.T) {
	rec := &failRecorder{TB: t}
	state := &lastState{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Eventually(rec, 30*time.Millisecond, func() bool { state.set("still busy"); return false }, "queue %q drained (%v)", "q1", state)
	}()
	<-done
	for _, want := range []string{`queue "q1" drained`, "still busy", "30ms"} {
		if !strings.Contains(rec.msg, want) {
			t.Errorf("failure message %q lacks %q", rec.msg, want)
		}
	}
}

func TestEventuallyNoErrorShowsTheLastError(t *testing.T) {
	rec := &failRecorder{TB: t}
	n := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		EventuallyNoError(rec, 30*time.Millisecond, func() error { n++; return fmt.Errorf("attempt %d refused", n) }, "dial %s", "broker")
	}()
	<-done
	if want := fmt.Sprintf("dial broker: attempt %d refused", n); !strings.Contains(rec.msg, want) {
		t.Fatalf("failure message %q lacks %q", rec.msg, want)
	}
	calls := 0
	EventuallyNoError(t, time.Minute, func() error {
		if calls++; calls < 2 {
			return fmt.Errorf("not yet")
		}
		return nil
	}, "second call")
	if calls != 2 {
		t.Fatalf("f called %d times, want 2", calls)
	}
}

// lastState is a fmt.Stringer whose text is read when the message is
// formatted, after the last poll.
type lastState struct {
	mu sync.Mutex
	s  string
}

func (l *lastState) set(s string) { l.mu.Lock(); l.s = s; l.mu.Unlock() }
func (l *lastState) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.s
}

func TestSyncBufferTakesConcurrentWriters(t *testing.T) {
	var b SyncBuffer
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				fmt.Fprintf(&b, "w%d\n", i)
				_ = b.String() // read while others write: -race checks it
			}
		}()
	}
	wg.Wait()
	out := b.String()
	if n := strings.Count(out, "\n"); n != 800 {
		t.Fatalf("got %d lines, want 800", n)
	}
	for i := range 8 {
		if n := strings.Count(out, fmt.Sprintf("w%d\n", i)); n != 100 {
			t.Errorf("writer %d: %d lines, want 100 (a write was torn or lost)", i, n)
		}
	}
}

func TestRaceEnabledMatchesTheBuild(t *testing.T) {
	if got := RaceEnabled(); got != builtWithRace {
		t.Fatalf("RaceEnabled() = %v, but the race build tag says %v", got, builtWithRace)
	}
}

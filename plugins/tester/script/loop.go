package script

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/dop251/goja"
)

// loop is the event loop of one script: its timers and the pm.sendRequest
// calls in flight. It runs on the Run goroutine after the script body, until
// nothing is pending or the watchdog stops it.
type loop struct {
	ctx     context.Context
	cancel  context.CancelFunc
	timers  map[int64]*timer
	queue   timerQueue
	nextID  int64
	seq     int64
	created int
	fired   int
	sends   int
	pending int
	results chan asyncResult
}

type timer struct {
	id       int64
	when     time.Time
	seq      int64 // orders timers due at the same instant by creation
	fn       goja.Callable
	args     []goja.Value
	interval time.Duration
	repeat   bool
	index    int
}

type asyncResult struct {
	cb   goja.Value
	resp *Response
	err  error
}

func newLoop(parent context.Context) *loop {
	ctx, cancel := context.WithCancel(parent)
	return &loop{
		ctx: ctx, cancel: cancel, timers: map[int64]*timer{},
		// room for every send a script may start, so a sender finishing after
		// the script ended never blocks
		results: make(chan asyncResult, maxSends),
	}
}

// busy reports whether timers or requests are pending.
func (l *loop) busy() bool { return len(l.queue) > 0 || l.pending > 0 }

// close cancels the requests still in flight; their results are dropped.
func (l *loop) close() { l.cancel() }

func (l *loop) addTimer(fn goja.Callable, args []goja.Value, delayMs float64, repeat bool) (int64, error) {
	if l.created >= maxTimers {
		return 0, fmt.Errorf("too many timers: a script may create at most %d", maxTimers)
	}
	l.created++
	d := time.Duration(delayMs * float64(time.Millisecond))
	if repeat && d < time.Millisecond {
		d = time.Millisecond // as Node does, so an interval cannot spin
	}
	l.nextID++
	l.seq++
	t := &timer{id: l.nextID, when: time.Now().Add(d), seq: l.seq, fn: fn, args: append([]goja.Value(nil), args...), interval: d, repeat: repeat}
	l.timers[t.id] = t
	heap.Push(&l.queue, t)
	return t.id, nil
}

func (l *loop) clearTimer(id int64) {
	t, ok := l.timers[id]
	if !ok {
		return
	}
	delete(l.timers, id)
	heap.Remove(&l.queue, t.index)
}

// drain runs timers and request callbacks until none is pending. It returns
// non-nil when the watchdog or a callback stopped the script.
func (rt *jsRuntime) drain(st *runState, wd *watchdog) *interruption {
	l := st.loop
	wait := time.NewTimer(time.Hour)
	wait.Stop()
	defer wait.Stop()
	for {
		select {
		case r := <-l.results:
			if stop := rt.deliver(st, r); stop != nil {
				return stop
			}
			continue
		default:
		}
		if why := wd.reason(); why != nil {
			return why
		}
		var next *timer
		if len(l.queue) > 0 {
			next = l.queue[0]
		}
		if next == nil && l.pending == 0 {
			return nil
		}
		var waitC <-chan time.Time
		if next != nil {
			d := time.Until(next.when)
			if d <= 0 {
				if stop := rt.fire(st, next); stop != nil {
					return stop
				}
				continue
			}
			wait.Reset(d)
			waitC = wait.C
		}
		select {
		case r := <-l.results:
			if stop := rt.deliver(st, r); stop != nil {
				return stop
			}
		case <-waitC:
		case <-wd.fired:
			return wd.reason()
		}
		wait.Stop()
	}
}

// fire runs one due timer.
func (rt *jsRuntime) fire(st *runState, t *timer) *interruption {
	l := st.loop
	if l.fired >= maxTimerFirings {
		return &interruption{kind: "limit", msg: fmt.Sprintf("timer callbacks stopped after %d runs", maxTimerFirings)}
	}
	l.fired++
	heap.Pop(&l.queue)
	if t.repeat {
		l.seq++
		t.when, t.seq = time.Now().Add(t.interval), l.seq
		heap.Push(&l.queue, t)
	} else {
		delete(l.timers, t.id)
	}
	_, err := t.fn(goja.Undefined(), t.args...)
	return rt.asyncFailure(st, err)
}

// deliver calls a pm.sendRequest callback with its response or error.
func (rt *jsRuntime) deliver(st *runState, r asyncResult) *interruption {
	st.loop.pending--
	cb, ok := goja.AssertFunction(r.cb)
	if !ok {
		return nil
	}
	errVal, resVal := goja.Null(), goja.Value(goja.Undefined())
	switch {
	case r.err != nil:
		errVal = rt.vm.ToValue(r.err.Error())
	case r.resp == nil:
		errVal = rt.vm.ToValue("pm.sendRequest: the request produced no response")
	default:
		resVal = rt.responseValue(r.resp)
	}
	_, err := cb(goja.Undefined(), errVal, resVal)
	return rt.asyncFailure(st, err)
}

// asyncFailure records an error thrown by a callback; Postman reports those
// and keeps the script's other callbacks running.
func (rt *jsRuntime) asyncFailure(st *runState, err error) *interruption {
	if err == nil {
		return nil
	}
	if stop := asInterruption(err); stop != nil {
		return stop
	}
	st.res.addError(ScriptError{
		Script:  st.script,
		Message: st.scriptLabel(st.script) + ": in a callback: " + exceptionMessage(err, st.scriptName),
		Async:   true,
	})
	return nil
}

// send starts one pm.sendRequest on its own goroutine; the loop delivers the
// result to the script.
func (rt *jsRuntime) send(reqVal, cb goja.Value) {
	st := rt.state()
	sendFn := st.exec.Send
	if sendFn == nil {
		panic(rt.vm.NewGoError(errors.New("pm.sendRequest is not allowed in this run (no sender configured)")))
	}
	l := st.loop
	if l == nil {
		panic(rt.vm.NewGoError(errors.New("pm.sendRequest: no script is running")))
	}
	if l.sends >= maxSends {
		panic(rt.vm.NewGoError(fmt.Errorf("pm.sendRequest: a script may send at most %d requests", maxSends)))
	}
	var plain plainRequest
	if err := rt.decode(reqVal, &plain); err != nil {
		panic(rt.vm.NewGoError(fmt.Errorf("pm.sendRequest: %w", err)))
	}
	req := &Request{Method: plain.Method, URL: plain.URL, Headers: plain.headers(), Body: plain.Body}
	l.sends++
	l.pending++
	ctx := l.ctx
	go func() {
		var r asyncResult
		r.cb = cb
		func() {
			defer func() {
				if p := recover(); p != nil {
					r.err = fmt.Errorf("pm.sendRequest: sender panicked: %v", p)
				}
			}()
			r.resp, r.err = sendFn(ctx, req)
		}()
		l.results <- r // never blocks: the buffer holds every send of the script
	}()
}

// timerQueue orders timers by due time, then creation.
type timerQueue []*timer

func (q timerQueue) Len() int { return len(q) }
func (q timerQueue) Less(i, j int) bool {
	if !q[i].when.Equal(q[j].when) {
		return q[i].when.Before(q[j].when)
	}
	return q[i].seq < q[j].seq
}
func (q timerQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}
func (q *timerQueue) Push(x any) {
	t := x.(*timer)
	t.index = len(*q)
	*q = append(*q, t)
}
func (q *timerQueue) Pop() any {
	old := *q
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return t
}

// watchdog stops a script that runs too long, grows the heap too much or
// whose context is cancelled, by interrupting the runtime.
//
// goja has no allocation hook, so memory is watched from outside: every
// memorySampleEvery the watchdog reads the heap size from runtime/metrics;
// once the heap (garbage included) has grown by more than the limit it forces
// a collection and stops the script if the live heap is still more than the
// limit above where it was when the script started. The measure is
// process-wide: other goroutines allocating at the same time count too.
// debug.SetMemoryLimit is not used because it would change garbage
// collection for the whole host process, not bound one script.
type watchdog struct {
	done  chan struct{}
	fired chan struct{}
	wg    sync.WaitGroup
	mu    sync.Mutex
	why   *interruption
}

const (
	metricLive    = "/gc/heap/live:bytes"
	metricObjects = "/memory/classes/heap/objects:bytes"
)

func startWatchdog(ctx context.Context, vm *goja.Runtime, l Limits) *watchdog {
	w := &watchdog{done: make(chan struct{}), fired: make(chan struct{})}
	w.wg.Add(1)
	go w.watch(ctx, vm, l)
	return w
}

func (w *watchdog) watch(ctx context.Context, vm *goja.Runtime, l Limits) {
	defer w.wg.Done()
	deadline := time.NewTimer(l.Timeout)
	defer deadline.Stop()
	tick := time.NewTicker(memorySampleEvery)
	defer tick.Stop()
	samples := []metrics.Sample{{Name: metricLive}, {Name: metricObjects}}
	metrics.Read(samples)
	live0, objFloor := samples[0].Value.Uint64(), samples[1].Value.Uint64()
	limit := uint64(l.Memory)
	for {
		select {
		case <-w.done:
			return
		case <-ctx.Done():
			w.trip(vm, &interruption{kind: "canceled", msg: "canceled: " + ctx.Err().Error()})
			return
		case <-deadline.C:
			w.trip(vm, &interruption{kind: "timeout", msg: fmt.Sprintf("script timed out after %v", l.Timeout)})
			return
		case <-tick.C:
			metrics.Read(samples)
			if samples[1].Value.Uint64() <= objFloor+limit {
				continue
			}
			// the heap grew past the limit, garbage included: collect to
			// learn how much of it the script still holds
			runtime.GC()
			metrics.Read(samples)
			if live := samples[0].Value.Uint64(); live > live0+limit {
				w.trip(vm, &interruption{kind: "memory", msg: fmt.Sprintf(
					"script stopped: it exceeded the memory limit of %s (the live heap grew by %s)",
					mib(limit), mib(live-live0))})
				return
			}
			objFloor = samples[1].Value.Uint64()
		}
	}
}

func mib(b uint64) string { return fmt.Sprintf("%d MiB", b>>20) }

func (w *watchdog) trip(vm *goja.Runtime, why *interruption) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.why != nil {
		return
	}
	w.why = why
	vm.Interrupt(why)
	close(w.fired)
}

func (w *watchdog) reason() *interruption {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.why
}

// stop ends the watchdog and waits for it, so no Interrupt can arrive after.
func (w *watchdog) stop() {
	close(w.done)
	w.wg.Wait()
}

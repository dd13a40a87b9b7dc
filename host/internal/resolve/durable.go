package resolve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/mockarty-oss/mockarty/host/internal/match"
	"github.com/mockarty-oss/mockarty/host/internal/metrics"
	"github.com/mockarty-oss/mockarty/host/internal/store"
)

// generation is one group commit. Every change taken into it is durable
// once done is closed with err nil. When the database refuses it, its
// changes move to the next generation (next), which tries again.
type generation struct {
	done  chan struct{}
	err   error
	next  *generation
	seq   int64 // generations commit in this order
	empty bool  // nothing was taken into it
}

// ErrNotSaved wraps the error of a change that is not on disk yet: the
// server keeps it in memory and goes on trying, but it is not acknowledged.
var ErrNotSaved = errors.New("not saved")

// retryWait bounds how long a request waits for its change while the
// database refuses it.
var retryWait = 5 * time.Second

// wait blocks until the changes of g are committed (a nil generation is),
// following them into the generations that retry them for up to retryWait.
func (g *generation) wait() error {
	var deadline <-chan time.Time
	var last error // what the database answered the last attempt
	for g != nil {
		if deadline == nil {
			<-g.done
		} else {
			select {
			case <-g.done:
			case <-deadline:
				return fmt.Errorf("%w: %v; the server keeps the change and retries", ErrNotSaved, last)
			}
		}
		if g.err == nil {
			return nil
		}
		if g.next == nil {
			return fmt.Errorf("%w: %v", ErrNotSaved, g.err)
		}
		if deadline == nil {
			deadline = time.After(retryWait)
		}
		last, g = g.err, g.next
	}
	return nil
}

// later returns whichever generation commits last: generations commit in
// the order they were opened, so waiting for the later one waits for both.
func later(a, b *generation) *generation {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case a.seq > b.seq:
		return a
	}
	return b
}

// durable is the group committer: whatever changes how mocks answer (store
// writes from the API and from extract, use counters of mocks with a
// useLimiter) is written here, and the request that made the change waits
// for its generation before its response is sent. One transaction carries
// everything that arrived while the previous one was committing, so the
// cost per request shrinks as the load grows.
type durable struct {
	st      *store.Store
	log     hclog.Logger
	metrics *metrics.Metrics
	index   *match.Index
	usageMu *sync.Mutex // held while counters are written: see Resolver.usageMu

	mu       sync.Mutex
	values   map[writeKey]*pendingWrite // latest unsaved change of each store key
	uses     map[string]*match.Entry    // limited mocks used since the last commit
	cur      *generation                // the generation new changes join
	inflight *generation                // the one being committed, nil when idle
	gens     int64                      // generations opened
	closed   bool
	dropped  map[storeKey]bool // chains cleared while a commit was in flight
	warn     warnEvery

	kick chan struct{}
	quit chan struct{}
	wg   sync.WaitGroup
}

type writeKey struct {
	storeKey
	name string
}

type pendingWrite struct {
	value json.RawMessage
	del   bool
}

func newDurable(st *store.Store, log hclog.Logger, usageMu *sync.Mutex) *durable {
	d := &durable{st: st, log: log, usageMu: usageMu, values: map[writeKey]*pendingWrite{},
		uses: map[string]*match.Entry{}, dropped: map[storeKey]bool{}, kick: make(chan struct{}, 1), quit: make(chan struct{})}
	d.cur = d.open()
	d.wg.Add(1)
	go d.run()
	return d
}

// open starts a generation (d.mu held, or before the writer starts).
func (d *durable) open() *generation {
	d.gens++
	return &generation{done: make(chan struct{}), seq: d.gens, empty: true}
}

// addValueLocked records a store change (d.mu held) and returns the
// generation that will carry it.
func (d *durable) addValueLocked(k writeKey, w *pendingWrite) *generation {
	if !d.closed {
		d.values[k] = w
	}
	return d.joinLocked()
}

// dropChainLocked forgets unsaved changes of one chain store (d.mu held),
// also those of a commit in flight should it fail and be retried.
func (d *durable) dropChainLocked(k storeKey) {
	for wk := range d.values {
		if wk.storeKey == k {
			delete(d.values, wk)
		}
	}
	if d.inflight != nil {
		d.dropped[k] = true
	}
}

// use records a use of a limited mock and returns the generation that
// will carry its counter.
func (d *durable) use(e *match.Entry) *generation {
	d.mu.Lock()
	if !d.closed {
		d.uses[e.Mock.ID] = e
	}
	g := d.joinLocked()
	d.mu.Unlock()
	return g
}

func (d *durable) joinLocked() *generation {
	if d.closed {
		g := &generation{done: make(chan struct{}), err: errClosed}
		close(g.done)
		return g
	}
	g := d.cur
	g.empty = false
	select {
	case d.kick <- struct{}{}:
	default:
	}
	return g
}

func (d *durable) run() {
	defer d.wg.Done()
	var pause time.Duration
	var lastCommit time.Time
	for {
		select {
		case <-d.kick:
			// Under load (the last commit ended a moment ago), wait a little
			// for more changes: one commit then acknowledges many requests.
			// A lone request is committed at once.
			if time.Since(lastCommit) < 2*groupWindow {
				time.Sleep(groupWindow)
			}
			ok := d.commit()
			lastCommit = time.Now()
			if ok {
				pause = 0
				continue
			}
			// The database refused the batch: its changes are kept and tried
			// again after a pause that grows to 5 s, not in a tight loop.
			pause = min(max(2*pause, 100*time.Millisecond), 5*time.Second)
			select {
			case <-time.After(pause):
			case <-d.quit:
			}
			d.kickSelf()
		case <-d.quit:
			// No change joins from now on, so the drain ends.
			d.mu.Lock()
			d.closed = true
			d.mu.Unlock()
			for !d.idle() {
				if !d.commit() {
					break
				}
			}
			d.mu.Lock()
			g := d.cur
			g.next = nil // nothing retries it any more
			if !g.empty {
				g.err = errClosed
			}
			close(g.done)
			d.mu.Unlock()
			return
		}
	}
}

func (d *durable) kickSelf() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

func (d *durable) idle() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cur.empty && len(d.values) == 0 && len(d.uses) == 0
}

// groupWindow is how long a commit under load waits to gather changes.
const groupWindow = 250 * time.Microsecond

// errClosed answers changes that arrive after the writer stopped.
var errClosed = errors.New("the server is shutting down; the change was not saved")

// commit writes one generation; false when the database refused it.
func (d *durable) commit() bool {
	d.mu.Lock()
	g := d.cur
	if g.empty && len(d.values) == 0 && len(d.uses) == 0 {
		d.mu.Unlock()
		return true
	}
	values, uses := d.values, d.uses
	d.values, d.uses = map[writeKey]*pendingWrite{}, map[string]*match.Entry{}
	clear(d.dropped)
	d.inflight = g
	d.cur = d.open()
	d.mu.Unlock()

	var b store.DurableBatch
	for k, w := range values {
		b.Writes = append(b.Writes, store.StoreWrite{Namespace: k.ns, ChainID: k.chain, Key: k.name, Value: w.value, Delete: w.del})
	}
	// Counters are read at commit time, under the lock that orders them
	// with index changes: a counter the index has since replaced (the mock
	// was overwritten) is not written back over the new one.
	d.usageMu.Lock()
	for id, e := range uses {
		if cur := d.index.Entry(id); cur != nil && cur.Usage != e.Usage {
			continue
		}
		b.Usages = append(b.Usages, store.Usage{ID: id, Counter: e.Usage.Count.Load(), LastUse: e.Usage.LastUse.Load()})
	}
	err := d.st.ApplyDurable(context.Background(), b)
	d.usageMu.Unlock()

	d.mu.Lock()
	if err != nil {
		// Keep what was not written for the next generation, unless a newer
		// change of the same key came meanwhile; this generation's waiters
		// follow their changes there.
		for k, w := range values {
			if _, ok := d.values[k]; !ok && !d.dropped[k.storeKey] {
				d.values[k] = w
			}
		}
		for id, e := range uses {
			if _, ok := d.uses[id]; !ok {
				d.uses[id] = e
			}
		}
		g.next = d.cur
		d.cur.empty = false
	}
	d.inflight = nil
	d.mu.Unlock()
	if err != nil {
		d.metrics.PersistFailed("durable")
		d.warn.log(d.log, "persist store values and use counters; kept in memory and retried", "values", len(b.Writes), "counters", len(b.Usages), "error", err)
	}
	g.err = err
	close(g.done)
	return err == nil
}

// close commits what is pending and stops the writer.
func (d *durable) close() {
	close(d.quit)
	d.wg.Wait()
}

// warnEvery logs a repeated failure as a warning at most every 5 s, with
// how many times it happened since (every one is counted in the metrics).
type warnEvery struct {
	mu     sync.Mutex
	last   time.Time
	hidden int
}

func (w *warnEvery) log(l hclog.Logger, msg string, args ...any) {
	w.mu.Lock()
	if !w.last.IsZero() && time.Since(w.last) < 5*time.Second {
		w.hidden++
		w.mu.Unlock()
		return
	}
	w.last, args = time.Now(), append(args, "failures_since_last_warning", w.hidden)
	w.hidden = 0
	w.mu.Unlock()
	l.Warn(msg, args...)
}

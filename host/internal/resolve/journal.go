package resolve

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/mockarty-oss/mockarty/host/internal/match"
	"github.com/mockarty-oss/mockarty/host/internal/metrics"
	"github.com/mockarty-oss/mockarty/host/internal/store"
)

// journalInterval is how often the request journal reaches the database:
// a crash loses at most about this much of request logs, unmatched
// requests and counters of unlimited mocks.
const journalInterval = 100 * time.Millisecond

// journal holds the request journal between flushes: calls of mocks (a
// ring per mock), unmatched requests
// and the counters of mocks without a useLimiter. It is keyed by mock id,
// not by index entry, so overwriting, patching or deleting a mock never
// drops what it logged. A read through the API first calls sync, so what
// a response was sent for can be read at once.
type journal struct {
	st      *store.Store
	log     hclog.Logger
	metrics *metrics.Metrics
	index   *match.Index
	usageMu *sync.Mutex
	limit   int // calls kept per mock

	rings sync.Map // mock id -> *logRing

	mu        sync.Mutex
	dirty     []*logRing     // rings with calls since the last flush
	used      []*match.Entry // unlimited mocks used since the last flush
	undef     map[string]*store.UndefinedRequest
	dropped   int64
	untrimmed map[string]int // calls written since the mock's logs were last cut
	retry     store.JournalBatch
	unpruned  bool // unmatched requests written since the table was last pruned
	failures  int  // flushes refused in a row (journal goroutine only)
	warn      warnEvery

	reqs chan journalReq
	quit chan struct{}
	wg   sync.WaitGroup
}

func newJournal(st *store.Store, log hclog.Logger, index *match.Index, usageMu *sync.Mutex, limit int) *journal {
	return &journal{st: st, log: log, index: index, usageMu: usageMu, limit: limit,
		undef: map[string]*store.UndefinedRequest{}, untrimmed: map[string]int{},
		reqs: make(chan journalReq), quit: make(chan struct{})}
}

func (j *journal) start(tick func()) {
	j.wg.Add(1)
	go j.run(tick)
}

func (j *journal) run(tick func()) {
	defer j.wg.Done()
	t := time.NewTicker(journalInterval)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-t.C:
			// Logs are cut to the limit about once a second: cutting costs a
			// ranked scan of each called mock's rows, appending does not.
			_ = j.flush(n%10 == 0)
			tick()
		case req := <-j.reqs:
			// Everything asked for meanwhile shares one flush.
			waiting := []journalReq{req}
			for more := true; more; {
				select {
				case req := <-j.reqs:
					waiting = append(waiting, req)
				default:
					more = false
				}
			}
			err := j.flush(true)
			for _, w := range waiting {
				if w.fn != nil {
					w.fn()
				}
				w.done <- err
			}
		case <-j.quit:
			_ = j.flush(true)
			return
		}
	}
}

// journalReq asks the journal's goroutine for a flush, then runs fn there
// (between flushes, so fn and a flush never overlap).
type journalReq struct {
	fn   func()
	done chan error
}

// sync writes everything journalled so far; the API calls it before it
// reads logs, counters or unmatched requests.
func (j *journal) sync(ctx context.Context) error { return j.do(ctx, nil) }

// do flushes, then runs fn on the journal's goroutine.
func (j *journal) do(ctx context.Context, fn func()) error {
	req := journalReq{fn: fn, done: make(chan error, 1)}
	select {
	case j.reqs <- req:
	case <-ctx.Done():
		return ctx.Err()
	case <-j.quit:
		if fn != nil {
			fn()
		}
		return nil
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (j *journal) close() {
	close(j.quit)
	j.wg.Wait()
}

// ring returns the log ring of a mock, made on first use.
func (j *journal) ring(id string) *logRing {
	if r, ok := j.rings.Load(id); ok {
		return r.(*logRing)
	}
	r, _ := j.rings.LoadOrStore(id, &logRing{id: id, j: j})
	return r.(*logRing)
}

// forget drops what is journalled for the logs of a mock (its logs are
// being deleted, or the mock purged).
func (j *journal) forget(id string, purge bool) {
	if r, ok := j.rings.Load(id); ok {
		r.(*logRing).reset()
		if purge {
			j.rings.Delete(id)
		}
	}
	j.mu.Lock()
	delete(j.untrimmed, id)
	delete(j.retry.Logs, id)
	j.mu.Unlock()
}

// ringDirty is called by a ring on its first call since the last flush.
func (j *journal) ringDirty(r *logRing) {
	j.mu.Lock()
	j.dirty = append(j.dirty, r)
	j.mu.Unlock()
}

// usedUnlimited notes a use of a mock without a useLimiter, once per flush.
func (j *journal) usedUnlimited(e *match.Entry) {
	if e.Usage.Dirty.Load() || !e.Usage.Dirty.CompareAndSwap(false, true) {
		return
	}
	j.mu.Lock()
	j.used = append(j.used, e)
	j.mu.Unlock()
}

// recordUndefined counts an unmatched request for the next flush.
func (j *journal) recordUndefined(u store.UndefinedRequest) {
	u.LastSeen = time.Now().UnixMilli()
	u.Body, u.Headers = truncate(u.Body, maxUndefinedBody), truncate(u.Headers, maxUndefinedBody)
	if !json.Valid([]byte(u.Headers)) {
		u.Headers = "{}"
	}
	key := u.Namespace + "\x00" + u.Protocol + "\x00" + u.Method + "\x00" + u.Path
	j.mu.Lock()
	defer j.mu.Unlock()
	if p, ok := j.undef[key]; ok {
		p.Count++
		p.LastSeen, p.Body, p.Headers = u.LastSeen, u.Body, u.Headers
		return
	}
	if len(j.undef) >= maxPendingUndefined {
		j.dropped++
		return
	}
	u.Count, u.FirstSeen = 1, u.LastSeen
	j.undef[key] = &u
}

// flush writes one batch: every call, counter and unmatched request since
// the last flush, in one transaction.
func (j *journal) flush(trimAll bool) error {
	j.mu.Lock()
	rings, used, undef, dropped, retry := j.dirty, j.used, j.undef, j.dropped, j.retry
	j.dirty, j.used, j.undef, j.dropped, j.retry = nil, nil, map[string]*store.UndefinedRequest{}, 0, store.JournalBatch{}
	j.mu.Unlock()

	b := retry
	if b.Logs == nil {
		b.Logs = map[string][]store.RequestLog{}
	}
	for _, r := range rings {
		b.Logs[r.id] = append(b.Logs[r.id], r.take()...)
	}
	for id, list := range b.Logs {
		if len(list) == 0 {
			delete(b.Logs, id)
		} else if j.limit > 0 && len(list) > j.limit {
			b.Logs[id] = list[len(list)-j.limit:]
		}
	}
	for _, u := range undef {
		b.Undefined = append(b.Undefined, *u)
	}

	if j.limit > 0 {
		j.mu.Lock()
		for id, list := range b.Logs {
			j.untrimmed[id] += len(list)
		}
		b.Limit = j.limit
		b.Trim = b.Trim[:0]
		for id, n := range j.untrimmed {
			if trimAll || n >= max(1, j.limit/2) {
				b.Trim = append(b.Trim, id)
			}
		}
		j.mu.Unlock()
	}

	// Counters are read now, under the lock that orders them with index
	// changes (see Resolver.usageMu).
	j.usageMu.Lock()
	for _, e := range used {
		e.Usage.Dirty.Store(false)
		if cur := j.index.Entry(e.Mock.ID); cur != nil && cur.Usage != e.Usage {
			continue // overwritten: the new mock's counter starts again
		}
		b.Usages = append(b.Usages, store.Usage{ID: e.Mock.ID, Counter: e.Usage.Count.Load(), LastUse: e.Usage.LastUse.Load()})
	}
	var err error
	if !b.Empty() {
		err = j.st.WriteJournal(context.Background(), b)
	}
	j.usageMu.Unlock()

	if err != nil {
		j.metrics.PersistFailed("journal")
		j.warn.log(j.log, "persist the request journal; kept in memory and retried", "mocks", len(b.Logs), "counters", len(b.Usages),
			"unmatched", len(b.Undefined), "error", err)
		if j.failures++; j.failures >= 3 && j.st.Ping(context.Background()) == nil {
			// Three refusals in a row by a database that answers: write the
			// batch piece by piece, so one row it cannot take does not hold
			// up the rest.
			err = j.writePieces(b)
			j.failures = 0
		} else {
			j.requeue(b, used)
		}
	} else {
		j.failures = 0
		j.mu.Lock()
		for _, id := range b.Trim {
			delete(j.untrimmed, id)
		}
		j.mu.Unlock()
		if len(b.Undefined) > 0 {
			j.unpruned = true
		}
		// Pruning counts the table: about once a second is enough.
		if j.unpruned && trimAll {
			j.unpruned = false
			if n, err := j.st.PruneUndefined(context.Background(), maxUndefinedRows); err != nil {
				j.metrics.PersistFailed("journal")
				j.warn.log(j.log, "prune unmatched requests", "error", err)
			} else if n > 0 {
				j.log.Debug("pruned old unmatched requests", "count", n)
			}
		}
	}
	if dropped > 0 {
		j.log.Warn("too many distinct unmatched requests between flushes; some were not recorded", "dropped", dropped)
	}
	return err
}

// writePieces writes a batch the database refused as a whole: each mock's
// calls, each counter and each unmatched request on its own; a piece that
// still fails is dropped with a warning (it cannot be written as it is).
func (j *journal) writePieces(b store.JournalBatch) error {
	var pieces []store.JournalBatch
	for id, list := range b.Logs {
		pieces = append(pieces, store.JournalBatch{Logs: map[string][]store.RequestLog{id: list}})
	}
	for _, u := range b.Usages {
		pieces = append(pieces, store.JournalBatch{Usages: []store.Usage{u}})
	}
	for _, u := range b.Undefined {
		pieces = append(pieces, store.JournalBatch{Undefined: []store.UndefinedRequest{u}})
	}
	var firstErr error
	lost := 0
	for _, p := range pieces {
		if err := j.st.WriteJournal(context.Background(), p); err != nil {
			lost++
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	if lost > 0 {
		j.metrics.PersistFailed("journal_dropped")
		j.log.Warn("dropped request journal entries the database refuses", "entries", lost, "of", len(pieces), "error", firstErr)
	}
	return firstErr
}

// requeue keeps a batch the database refused for the next flush: calls
// (still the newest limit per mock) and unmatched requests; counters are
// read again from memory.
func (j *journal) requeue(b store.JournalBatch, used []*match.Entry) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.retry.Logs = b.Logs
	j.retry.Undefined = b.Undefined
	if len(j.retry.Undefined) > maxPendingUndefined {
		j.retry.Undefined = j.retry.Undefined[:maxPendingUndefined]
	}
	for _, e := range used {
		if e.Usage.Dirty.CompareAndSwap(false, true) {
			j.used = append(j.used, e)
		}
	}
}

// Bounds on what unmatched requests and request logs may hold in memory.
const (
	maxPendingUndefined = 2000     // distinct unmatched requests between flushes
	maxLoggedBody       = 64 << 10 // bytes of a body kept in a request log
	maxUndefinedBody    = 16 << 10 // bytes of a body kept for an unmatched request
	maxUndefinedRows    = 10000    // unmatched requests kept in the database
)

// truncate cuts s to n bytes, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "...(truncated)"
}

package pluginhost

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/gen/pluginv2"
)

// A plugin may answer a call again from its memory when the host said the
// answer can be cached (a mock that answers every identical call alike:
// no template, no extract, no webhook, no limit, no ttl). The host keeps
// it exact:
//
//   - Everything such an answer depends on is in the call's bytes, which
//     are the cache key, or in the host's state, whose changes end the
//     epoch (Invalidate). A cached answer carries the epoch it was made
//     in, and a plugin drops answers of ended epochs when it hears of a
//     newer one (a sync, or a newer answer).
//   - The plugin reports each call it answered from memory (hits); the
//     host replays it through the same resolution, so the request log,
//     counters and metrics are those of an uncached call.
//   - Settle makes the two visible to the API: it syncs with every plugin
//     that may hold cached answers, and returns once each has sent its
//     hits so far and has dropped the answers of ended epochs. The API
//     settles before it serves a request and after a change, so a call
//     answered before an API request is in what that request reads, and
//     no call after a change is answered from before it.

// ReplyCache is the host's side of the plugins' reply caches: the epoch
// and the streams whose plugins may hold cached answers.
type ReplyCache struct {
	epoch atomic.Uint64
	seq   atomic.Uint64 // sync numbers
	hits  atomic.Uint64 // calls plugins answered from their caches

	mu      sync.Mutex
	streams map[*cacheStream]struct{}

	kick chan struct{} // a settle after an Invalidate outside the API
	// Timeout bounds a settle's wait for one plugin (0: 5s).
	Timeout time.Duration
	// OnTimeout, when set, hears of a plugin that did not answer a sync.
	OnTimeout func(error)
}

// NewReplyCache starts the epochs. Its background settler runs until ctx ends.
func NewReplyCache(ctx context.Context) *ReplyCache {
	c := &ReplyCache{streams: map[*cacheStream]struct{}{}, kick: make(chan struct{}, 1)}
	c.epoch.Store(1)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-c.kick:
				sctx, cancel := context.WithTimeout(ctx, c.timeout())
				_ = c.Settle(sctx)
				cancel()
			}
		}
	}()
	return c
}

func (c *ReplyCache) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return 5 * time.Second
}

// Invalidate ends the epoch: call it after every change of what answers
// depend on (mocks, documents, servers). The plugins hear of it in the
// background at once, and by the end of the next Settle for sure.
func (c *ReplyCache) Invalidate() {
	if c == nil {
		return
	}
	c.epoch.Add(1)
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// Hits is how many calls plugins have answered from their reply caches
// (and the host has replayed).
func (c *ReplyCache) Hits() uint64 { return c.hits.Load() }

// ErrSyncTimeout: a plugin did not answer a sync in time.
var ErrSyncTimeout = errors.New("a plugin did not answer the reply cache's sync in time")

// Settle returns once every plugin that may hold cached answers has sent
// the hits it answered so far and dropped the answers of ended epochs, or
// ctx ends. It costs nothing while no plugin holds a cached answer.
func (c *ReplyCache) Settle(ctx context.Context) error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	var list []*cacheStream
	for st := range c.streams {
		if st.holds.Load() {
			list = append(list, st)
		}
	}
	c.mu.Unlock()
	if len(list) == 0 {
		return nil
	}
	epoch := c.epoch.Load()
	if len(list) == 1 {
		return c.sync(ctx, list[0], epoch)
	}
	errs := make(chan error, len(list))
	for _, st := range list {
		go func() { errs <- c.sync(ctx, st, epoch) }()
	}
	var err error
	for range list {
		err = errors.Join(err, <-errs)
	}
	return err
}

// sync sends one sync to st and waits for its ack.
func (c *ReplyCache) sync(ctx context.Context, st *cacheStream, epoch uint64) error {
	n := c.seq.Add(1)
	ch := make(chan struct{})
	st.mu.Lock()
	st.acks[n] = ch
	st.mu.Unlock()
	defer func() {
		st.mu.Lock()
		delete(st.acks, n)
		st.mu.Unlock()
	}()
	if err := st.send(&pluginv2.FindAnswer{Sync: n, CacheEpoch: epoch}); err != nil {
		return nil // the stream is gone, and its plugin's cache with it
	}
	t := time.NewTimer(c.timeout())
	defer t.Stop()
	select {
	case <-ch:
		return nil
	case <-st.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		if c.OnTimeout != nil {
			c.OnTimeout(ErrSyncTimeout)
		}
		return ErrSyncTimeout
	}
}

// cacheStream is one plugin's FindStream as the reply cache sees it.
type cacheStream struct {
	send  func(*pluginv2.FindAnswer) error
	holds atomic.Bool // an answer with an epoch was sent: the plugin may hold it
	done  chan struct{}

	mu   sync.Mutex
	acks map[uint64]chan struct{}
}

func (c *ReplyCache) open(send func(*pluginv2.FindAnswer) error) *cacheStream {
	st := &cacheStream{send: send, done: make(chan struct{}), acks: map[uint64]chan struct{}{}}
	c.mu.Lock()
	c.streams[st] = struct{}{}
	c.mu.Unlock()
	return st
}

func (c *ReplyCache) close(st *cacheStream) {
	c.mu.Lock()
	delete(c.streams, st)
	c.mu.Unlock()
	close(st.done)
}

// acked is the plugin's ack of sync n.
func (st *cacheStream) acked(n uint64) {
	st.mu.Lock()
	ch := st.acks[n]
	delete(st.acks, n)
	st.mu.Unlock()
	if ch != nil {
		close(ch)
	}
}

// epochFor is the epoch an answer st sends may be cached in: the one
// before its resolution (epoch), when it is still the current one once
// st is marked as holding (0: the epoch ended meanwhile; the answer is
// not cached). Marking first means an Invalidate after the check always
// reaches st.
func (c *ReplyCache) epochFor(st *cacheStream, epoch uint64) uint64 {
	st.holds.Store(true)
	if c.epoch.Load() != epoch {
		return 0
	}
	return epoch
}

// cacheNote is how the resolution of one call says its answer may be
// cached (Cacheable).
type cacheNote struct{ ok bool }

type cacheNoteKey struct{}

// CacheNote is where a Finder says the answer it is resolving for ctx may
// be cached by the plugin: set *note to true (nil: the call is not from a
// plugin that caches, say nothing).
func CacheNote(ctx context.Context) *bool {
	if n, _ := ctx.Value(cacheNoteKey{}).(*cacheNote); n != nil {
		return &n.ok
	}
	return nil
}

// ReplyCacher is a Finder whose answers plugins may cache.
type ReplyCacher interface {
	ReplyCache() *ReplyCache
}

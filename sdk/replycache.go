package sdk

import (
	"sync"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/gen/pluginv2"
	"github.com/mockarty-oss/mockarty/sdk/internal/wire"
	"google.golang.org/protobuf/proto"
)

// The reply cache (see pluginhost.ReplyCache for the host's side): an
// answer the host marks with an epoch is kept, by the bytes of its call,
// and answers the same call again until the host ends that epoch. Each
// call answered so is a hit, sent to the host in batches so that it lands
// in the request log as any call does. A stream's cache dies with it: a
// new stream starts empty.

// Bounds of one stream's cache: when full, it starts again empty.
const (
	cacheMaxEntries = 4096
	cacheMaxBytes   = 32 << 20
	cacheMaxKey     = 16 << 10 // larger calls are not cached
)

var keyOptions = proto.MarshalOptions{Deterministic: true}

// cacheKey is the call's bytes (nil: not cacheable), made before the call
// gets its id.
func cacheKey(c *pluginv2.FindCall) []byte {
	if wire.PayloadSize(c) > cacheMaxKey {
		return nil
	}
	b, err := keyOptions.Marshal(c)
	if err != nil || len(b) > cacheMaxKey {
		return nil
	}
	return b
}

type replyCache struct {
	mu      sync.Mutex
	epoch   uint64 // the newest epoch the host spoke of
	entries map[string]*pluginv2.FindAnswer
	bytes   int
	hits    [][]byte // calls answered from the cache, not yet sent, each once
	counts  []uint32 // how many times each
	hitIdx  map[string]int
	acks    []uint64      // syncs to acknowledge after those hits
	kick    chan struct{} // a hit to send
	synced  chan struct{} // a sync to acknowledge: send now
}

func (c *replyCache) init() {
	c.entries = map[string]*pluginv2.FindAnswer{}
	c.hitIdx = map[string]int{}
	c.kick = make(chan struct{}, 1)
	c.synced = make(chan struct{}, 1)
}

// get is the cached answer to the call key, with the hit recorded (nil:
// none). It is shared: the caller reads it and changes nothing in it (the
// find replies made from it share its bytes and maps, read-only).
func (c *replyCache) get(key []byte) *pluginv2.FindAnswer {
	if key == nil {
		return nil
	}
	c.mu.Lock()
	a := c.entries[string(key)]
	if a == nil || a.CacheEpoch != c.epoch {
		c.mu.Unlock()
		return nil
	}
	if i, ok := c.hitIdx[string(key)]; ok {
		c.counts[i]++
	} else {
		c.hitIdx[string(key)] = len(c.hits)
		c.hits = append(c.hits, key)
		c.counts = append(c.counts, 1)
	}
	c.mu.Unlock()
	return a
}

// put keeps an answer the host marked cacheable.
func (c *replyCache) put(key []byte, a *pluginv2.FindAnswer) {
	size := len(key) + proto.Size(a)
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case a.CacheEpoch < c.epoch:
		return // an answer from before a change the host told of
	case a.CacheEpoch > c.epoch:
		c.newEpoch(a.CacheEpoch)
	}
	if len(c.entries) >= cacheMaxEntries || c.bytes+size > cacheMaxBytes {
		clear(c.entries)
		c.bytes = 0
	}
	kept := proto.CloneOf(a)
	kept.Id = 0
	c.entries[string(key)] = kept
	c.bytes += size
}

func (c *replyCache) newEpoch(e uint64) {
	c.epoch = e
	clear(c.entries)
	c.bytes = 0
}

// sync is the host's sync n: answers of epochs before epoch are dropped
// at once, and n is acknowledged after the hits so far.
func (c *replyCache) sync(n, epoch uint64) {
	c.mu.Lock()
	if epoch > c.epoch {
		c.newEpoch(epoch)
	}
	c.acks = append(c.acks, n)
	c.mu.Unlock()
}

// take is what to send: the hits and acks so far, together, so that an
// ack never overtakes a hit made before its sync.
func (c *replyCache) take() (hits [][]byte, counts []uint32, acks []uint64) {
	c.mu.Lock()
	hits, counts, acks = c.hits, c.counts, c.acks
	c.hits, c.counts, c.acks = nil, nil, nil
	clear(c.hitIdx)
	c.mu.Unlock()
	return hits, counts, acks
}

func (st *findStream) kickHits() {
	select {
	case st.cache.kick <- struct{}{}:
	default:
	}
}

func (st *findStream) kickSync() {
	select {
	case st.cache.synced <- struct{}{}:
	default:
	}
}

// hitsDelay is how long hits gather before they are sent, unless a sync
// asks for them: one message carries many, so a hit costs the host a
// replay and little else.
const hitsDelay = 2 * time.Millisecond

// sendHits sends the stream's hits in batches, and a sync's ack (after
// the hits before it) at once.
func (st *findStream) sendHits() {
	gather := time.NewTimer(time.Hour)
	gather.Stop()
	for {
		select {
		case <-st.done:
			return
		case <-st.cache.kick:
			gather.Reset(hitsDelay)
			select {
			case <-st.done:
				return
			case <-gather.C:
			case <-st.cache.synced:
				gather.Stop()
			}
		case <-st.cache.synced:
		}
		st.flushHits()
	}
}

// flushHits sends the hits and acks so far.
func (st *findStream) flushHits() {
	st.sendMu.Lock() // taken first: batches go out in the order they were taken
	defer st.sendMu.Unlock()
	hits, counts, acks := st.cache.take()
	if len(hits) == 0 && len(acks) == 0 {
		return
	}
	msgs := []*pluginv2.FindCall{{Hits: hits, HitCounts: counts, Caches: true}}
	for i, n := range acks {
		if i == 0 {
			msgs[0].SyncAck = n
		} else {
			msgs = append(msgs, &pluginv2.FindCall{SyncAck: n, Caches: true})
		}
	}
	for _, m := range msgs {
		if st.s.Send(m) != nil {
			return
		}
	}
}

package sdk

import (
	"fmt"
	"testing"

	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/gen/pluginv2"
	"github.com/mockarty-oss/mockarty/sdk/internal/wire"
)

func answer(epoch uint64, status int32) *pluginv2.FindAnswer {
	return &pluginv2.FindAnswer{Id: 7, CacheEpoch: epoch,
		Reply: &pluginv2.FindAnswer_Http{Http: &pluginv2.HTTPReply{MockId: "m", StatusCode: status, Body: []byte(`{"v":1}`)}}}
}

func TestReplyCacheEpochs(t *testing.T) {
	var c replyCache
	c.init()
	key := []byte("call")
	if c.get(key) != nil {
		t.Fatal("an empty cache answered")
	}
	sent := answer(2, 200)
	c.put(key, sent)
	sent.GetHttp().StatusCode = 500 // the call that got it owns it: the cache keeps a copy
	a := c.get(key)
	if a == nil || a.GetHttp().StatusCode != 200 || a.Id != 0 {
		t.Fatalf("cached answer: %v", a)
	}

	// The host ends epoch 2: nothing of it answers again, and an answer
	// of it that arrives late is not kept.
	c.sync(41, 3)
	if c.get(key) != nil {
		t.Fatal("an answer of an ended epoch was served")
	}
	c.put(key, answer(2, 201))
	if c.get(key) != nil {
		t.Fatal("a late answer of an ended epoch was kept")
	}
	// An answer of a newer epoch than the cache knows ends the old one.
	c.put([]byte("other"), answer(3, 202))
	c.put(key, answer(4, 203))
	if c.get([]byte("other")) != nil || c.get(key).GetHttp().StatusCode != 203 {
		t.Fatal("a newer epoch did not replace the older one")
	}

	// Hits go out with the acks of the syncs that came after them.
	hits, counts, acks := c.take()
	if len(hits) != 1 || string(hits[0]) != "call" || counts[0] != 2 || len(acks) != 1 || acks[0] != 41 {
		t.Fatalf("hits %q %v, acks %v", hits, counts, acks)
	}
	if hits, _, acks := c.take(); len(hits) != 0 || len(acks) != 0 {
		t.Fatal("take twice")
	}
}

func TestReplyCacheBounds(t *testing.T) {
	var c replyCache
	c.init()
	for i := 0; i <= cacheMaxEntries; i++ {
		c.put(fmt.Appendf(nil, "k%d", i), answer(1, 200))
	}
	if len(c.entries) != 1 {
		t.Fatalf("a full cache holds %d entries; it starts again empty", len(c.entries))
	}
	call := &pluginv2.FindCall{Call: &pluginv2.FindCall_Http{Http: &pluginv2.HTTPCall{Body: make([]byte, cacheMaxKey+1)}}}
	if cacheKey(call) != nil {
		t.Fatal("a call larger than cacheMaxKey is cached")
	}
	if cacheKey(&pluginv2.FindCall{Call: &pluginv2.FindCall_Http{Http: &pluginv2.HTTPCall{Path: "/a"}}}) == nil {
		t.Fatal("a small call has no key")
	}
}

// Equal requests make equal keys, whatever order their maps iterate in.
func TestCacheKeyIsStable(t *testing.T) {
	h := map[string][]string{}
	for i := 0; i < 20; i++ {
		h[fmt.Sprintf("h%d", i)] = []string{"v"}
	}
	key := func() string {
		return string(cacheKey(wire.CallOf(&find.HTTPRequest{Method: "GET", Path: "/a", Headers: h, Query: h})))
	}
	first := key()
	for i := 0; i < 20; i++ {
		if key() != first {
			t.Fatal("the key of one request changed between calls")
		}
	}
}

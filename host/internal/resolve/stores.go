package resolve

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"

	"github.com/hashicorp/go-hclog"
	"github.com/mockarty-oss/mockarty/host/internal/metrics"
	"github.com/mockarty-oss/mockarty/host/internal/store"
)

// Stores keeps the global (per namespace) and chain (per namespace and
// chain) stores in memory. Reads never touch the database after the first
// load; writes from the API go to the database first, writes from mock
// extraction are queued and persisted in the background.
type Stores struct {
	st  *store.Store
	log hclog.Logger

	mu    sync.RWMutex
	cache map[storeKey]map[string]any

	metrics *metrics.Metrics

	queue chan storeWrite
	done  chan struct{}
	wg    sync.WaitGroup
}

type storeKey struct{ ns, chain string }

type storeWrite struct {
	key   storeKey
	name  string
	value json.RawMessage
}

// NewStores loads every store into memory and starts the background writer.
// From then on the memory copy is authoritative: every write goes through it.
func NewStores(ctx context.Context, st *store.Store, log hclog.Logger) (*Stores, error) {
	s := &Stores{st: st, log: log, cache: map[storeKey]map[string]any{}, queue: make(chan storeWrite, 4096), done: make(chan struct{})}
	all, err := st.AllStoreValues(ctx)
	if err != nil {
		return nil, err
	}
	for _, e := range all {
		k := storeKey{e.Namespace, e.ChainID}
		m := s.cache[k]
		if m == nil {
			m = map[string]any{}
			s.cache[k] = m
		}
		if v, err := decodeExact(e.Value); err == nil {
			m[e.Key] = v
		}
	}
	s.wg.Add(1)
	go s.writer()
	return s, nil
}

func (s *Stores) writer() {
	defer s.wg.Done()
	for {
		select {
		case w := <-s.queue:
			s.persist(w)
		case <-s.done:
			for {
				select {
				case w := <-s.queue:
					s.persist(w)
				default:
					return
				}
			}
		}
	}
}

func (s *Stores) persist(w storeWrite) {
	if err := s.st.SetStoreValue(context.Background(), w.key.ns, w.key.chain, w.name, w.value); err != nil {
		s.log.Error("persist store value", "namespace", w.key.ns, "chain", w.key.chain, "key", w.name, "error", err)
	}
}

// Close persists what is queued.
func (s *Stores) Close() {
	close(s.done)
	s.wg.Wait()
}

// load returns the map of a store; a store never written is empty and is
// only added to the cache when create is set (for a write).
func (s *Stores) load(k storeKey, create bool) map[string]any {
	s.mu.RLock()
	m, ok := s.cache[k]
	s.mu.RUnlock()
	if ok || !create {
		return m
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok = s.cache[k]; !ok {
		m = map[string]any{}
		s.cache[k] = m
	}
	return m
}

// Get reads one value.
func (s *Stores) Get(ns, chain, key string) (any, bool) {
	m := s.load(storeKey{ns, chain}, false)
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, ok := m[key]
	return v, ok
}

// All returns a copy of a whole store.
func (s *Stores) All(ns, chain string) map[string]any {
	m := s.load(storeKey{ns, chain}, false)
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// SetAsync writes a value now in memory and soon in the database.
func (s *Stores) SetAsync(ns, chain, key string, v any) {
	raw, err := json.Marshal(v)
	if err != nil {
		return
	}
	k := storeKey{ns, chain}
	m := s.load(k, true)
	s.mu.Lock()
	m[key] = v
	s.mu.Unlock()
	s.metrics.StoreWrite(storeName(chain), "extract")
	select {
	case s.queue <- storeWrite{k, key, raw}:
	default:
		s.persist(storeWrite{k, key, raw}) // the queue is full: write through rather than lose it
	}
}

// Set writes a value to the database, then to memory (the API path).
func (s *Stores) Set(ctx context.Context, ns, chain, key string, raw json.RawMessage) error {
	if err := s.st.SetStoreValue(ctx, ns, chain, key, raw); err != nil {
		return err
	}
	v, _ := decodeExact(raw)
	m := s.load(storeKey{ns, chain}, true)
	s.mu.Lock()
	m[key] = v
	s.mu.Unlock()
	s.metrics.StoreWrite(storeName(chain), "api")
	return nil
}

// Delete removes a value from the database and memory.
func (s *Stores) Delete(ctx context.Context, ns, chain, key string) error {
	if err := s.st.DeleteStoreValue(ctx, ns, chain, key); err != nil {
		return err
	}
	m := s.load(storeKey{ns, chain}, false)
	s.mu.Lock()
	delete(m, key)
	s.mu.Unlock()
	return nil
}

// DropChain forgets a whole chain store (after the database cleared it).
func (s *Stores) DropChain(ns, chain string) {
	s.mu.Lock()
	delete(s.cache, storeKey{ns, chain})
	s.mu.Unlock()
}

// view adapts the stores of one request to render.StoreReader.
type view struct {
	s     *Stores
	ns    string
	chain string
	mock  map[string]any
}

func (v *view) StoreValue(scope, key string) (any, bool) {
	switch scope {
	case "gS":
		v.s.metrics.StoreRead(false)
		return v.s.Get(v.ns, "", key)
	case "cS":
		if v.chain == "" {
			return nil, false
		}
		v.s.metrics.StoreRead(true)
		return v.s.Get(v.ns, v.chain, key)
	case "mS":
		val, ok := v.mock[key]
		return val, ok
	}
	return nil, false
}

func (v *view) StoreAll(scope string) map[string]any {
	switch scope {
	case "gS":
		return v.s.All(v.ns, "")
	case "cS":
		if v.chain == "" {
			return map[string]any{}
		}
		return v.s.All(v.ns, v.chain)
	case "mS":
		return v.mock
	}
	return nil
}

func storeName(chain string) string {
	if chain == "" {
		return "global"
	}
	return "chain"
}

// decodeExact keeps numbers as json.Number so large integers survive.
func decodeExact(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

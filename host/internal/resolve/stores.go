package resolve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"sync"

	"github.com/hashicorp/go-hclog"
	"github.com/mockarty-oss/mockarty/host/internal/metrics"
	"github.com/mockarty-oss/mockarty/host/internal/store"
)

// Stores keeps the global (per namespace) and chain (per namespace and
// chain) stores in memory; the memory copy is loaded at start and is
// authoritative from then on. Every write changes memory at once and is
// handed to one writer that persists the latest value of each key, in
// order: a write from the API waits for its value to be in the database, a
// write from mock extraction does not.
type Stores struct {
	st  *store.Store
	log hclog.Logger

	mu    sync.RWMutex
	cache map[storeKey]map[string]any

	updates sync.Map // storeKey -> *sync.Mutex: one extract at a time per store

	metrics *metrics.Metrics

	pmu     sync.Mutex
	pending map[writeKey]*pendingWrite // latest unsaved change of each key
	kick    chan struct{}
	done    chan struct{}
	wg      sync.WaitGroup
}

type storeKey struct{ ns, chain string }

type writeKey struct {
	storeKey
	name string
}

type pendingWrite struct {
	value   json.RawMessage
	del     bool
	waiters []chan error
}

// NewStores loads every store into memory and starts the writer.
func NewStores(ctx context.Context, st *store.Store, log hclog.Logger) (*Stores, error) {
	s := &Stores{st: st, log: log, cache: map[storeKey]map[string]any{},
		pending: map[writeKey]*pendingWrite{}, kick: make(chan struct{}, 1), done: make(chan struct{})}
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
		case <-s.kick:
			s.flush()
		case <-s.done:
			s.flush()
			return
		}
	}
}

// flush persists the pending changes; a key changed again meanwhile is
// simply written again by the next flush, so the database ends with the
// latest value.
func (s *Stores) flush() {
	s.pmu.Lock()
	batch := s.pending
	s.pending = map[writeKey]*pendingWrite{}
	s.pmu.Unlock()
	ctx := context.Background()
	for k, w := range batch {
		var err error
		if w.del {
			err = s.st.DeleteStoreValue(ctx, k.ns, k.chain, k.name)
			if errors.Is(err, store.ErrNotFound) {
				err = nil
			}
		} else {
			err = s.st.SetStoreValue(ctx, k.ns, k.chain, k.name, w.value)
		}
		if err != nil {
			s.log.Error("persist store value", "namespace", k.ns, "chain", k.chain, "key", k.name, "error", err)
		}
		for _, ch := range w.waiters {
			ch <- err
		}
	}
}

// Close persists what is pending and stops the writer.
func (s *Stores) Close() {
	close(s.done)
	s.wg.Wait()
}

// enqueueLocked records a change for the writer (s.pmu held) and returns
// the channel to wait on when wait is set.
func (s *Stores) enqueueLocked(k writeKey, w *pendingWrite, wait bool) chan error {
	var ch chan error
	if old, ok := s.pending[k]; ok {
		w.waiters = old.waiters
	}
	if wait {
		ch = make(chan error, 1)
		w.waiters = append(w.waiters, ch)
	}
	s.pending[k] = w
	return ch
}

// kickAndWait wakes the writer and, given a channel, waits for the write.
func (s *Stores) kickAndWait(ch chan error) error {
	select {
	case s.kick <- struct{}{}:
	default:
	}
	if ch == nil {
		return nil
	}
	return <-ch
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

// put changes memory and hands the change to the writer in one step, so
// memory and the database see writes of a key in the same order.
func (s *Stores) put(ns, chain, key string, v any, raw json.RawMessage, wait bool) error {
	k := storeKey{ns, chain}
	m := s.load(k, true)
	s.pmu.Lock() // memory and the pending change move together, in order
	s.mu.Lock()
	m[key] = v
	s.mu.Unlock()
	ch := s.enqueueLocked(writeKey{k, key}, &pendingWrite{value: raw}, wait)
	s.pmu.Unlock()
	return s.kickAndWait(ch)
}

// SetAsync writes a value now in memory and soon in the database.
func (s *Stores) SetAsync(ns, chain, key string, v any) {
	raw, err := json.Marshal(v)
	if err != nil {
		return
	}
	s.metrics.StoreWrite(storeName(chain), "extract")
	_ = s.put(ns, chain, key, v, raw, false)
}

// Set writes a value and returns once it is in the database (the API path).
func (s *Stores) Set(_ context.Context, ns, chain, key string, raw json.RawMessage) error {
	v, err := decodeExact(raw)
	if err != nil {
		return err
	}
	s.metrics.StoreWrite(storeName(chain), "api")
	return s.put(ns, chain, key, v, raw, true)
}

// Delete removes a value; store.ErrNotFound if the key is not there.
func (s *Stores) Delete(_ context.Context, ns, chain, key string) error {
	k := storeKey{ns, chain}
	m := s.load(k, false)
	s.pmu.Lock()
	s.mu.Lock()
	_, ok := m[key]
	if ok {
		delete(m, key)
	}
	s.mu.Unlock()
	var ch chan error
	if ok {
		ch = s.enqueueLocked(writeKey{k, key}, &pendingWrite{del: true}, true)
	}
	s.pmu.Unlock()
	if !ok {
		return store.ErrNotFound
	}
	return s.kickAndWait(ch)
}

// DropChain forgets a whole chain store after the database cleared it;
// unsaved writes to it are dropped too.
func (s *Stores) DropChain(ns, chain string) {
	k := storeKey{ns, chain}
	s.pmu.Lock()
	for wk := range s.pending {
		if wk.storeKey == k {
			for _, ch := range s.pending[wk].waiters {
				ch <- nil
			}
			delete(s.pending, wk)
		}
	}
	s.mu.Lock()
	delete(s.cache, k)
	s.mu.Unlock()
	s.pmu.Unlock()
}

// Update runs fn with the store locked against other updates; fn reads
// through the usual views and writes with set.
func (s *Stores) Update(ns, chain string, fn func(set func(key string, v any))) {
	k := storeKey{ns, chain}
	mu, ok := s.updates.Load(k)
	if !ok {
		mu, _ = s.updates.LoadOrStore(k, new(sync.Mutex))
	}
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	fn(func(key string, v any) { s.SetAsync(ns, chain, key, v) })
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

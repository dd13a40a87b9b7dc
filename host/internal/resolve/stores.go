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
// authoritative from then on. Every write changes memory at once and joins
// the group commit (durable) in the same step, so memory and the database
// see writes of a key in the same order; the writer returns the generation
// to wait on before the write is acknowledged.
type Stores struct {
	st  *store.Store
	log hclog.Logger
	d   *durable

	mu    sync.RWMutex
	cache map[storeKey]map[string]cell

	updates sync.Map // storeKey -> *sync.Mutex: one extract at a time per store

	metrics *metrics.Metrics
}

type storeKey struct{ ns, chain string }

// cell is one value in memory with the generation that carries its last
// change to the database: a request that reads it waits for that
// generation before it answers, so no response shows a value that a crash
// could still take back.
type cell struct {
	v any
	g *generation
}

// NewStores loads every store into memory; d persists the changes.
func NewStores(ctx context.Context, st *store.Store, log hclog.Logger, d *durable) (*Stores, error) {
	s := &Stores{st: st, log: log, d: d, cache: map[storeKey]map[string]cell{}}
	all, err := st.AllStoreValues(ctx)
	if err != nil {
		return nil, err
	}
	for _, e := range all {
		k := storeKey{e.Namespace, e.ChainID}
		m := s.cache[k]
		if m == nil {
			m = map[string]cell{}
			s.cache[k] = m
		}
		if v, err := decodeExact(e.Value); err == nil {
			m[e.Key] = cell{v: v}
		}
	}
	return s, nil
}

// load returns the map of a store; a store never written is empty and is
// only added to the cache when create is set (for a write).
func (s *Stores) load(k storeKey, create bool) map[string]cell {
	s.mu.RLock()
	m, ok := s.cache[k]
	s.mu.RUnlock()
	if ok || !create {
		return m
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok = s.cache[k]; !ok {
		m = map[string]cell{}
		s.cache[k] = m
	}
	return m
}

// Get reads one value.
func (s *Stores) Get(ns, chain, key string) (any, bool) {
	v, _, ok := s.get(ns, chain, key)
	return v, ok
}

// get reads one value and the generation carrying its last change.
func (s *Stores) get(ns, chain, key string) (any, *generation, bool) {
	m := s.load(storeKey{ns, chain}, false)
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := m[key]
	return c.v, c.g, ok
}

// All returns a copy of a whole store.
func (s *Stores) All(ns, chain string) map[string]any {
	out, _ := s.all(ns, chain)
	return out
}

// all copies a whole store and gives the newest generation among its values.
func (s *Stores) all(ns, chain string) (map[string]any, *generation) {
	m := s.load(storeKey{ns, chain}, false)
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string]any, len(m))
	var g *generation
	for k, c := range m {
		out[k] = c.v
		g = later(g, c.g)
	}
	return out, g
}

// put changes memory and joins the group commit in one step.
func (s *Stores) put(ns, chain, key string, v any, raw json.RawMessage) *generation {
	k := storeKey{ns, chain}
	m := s.load(k, true)
	s.d.mu.Lock() // memory and the pending change move together, in order
	g := s.d.addValueLocked(writeKey{k, key}, &pendingWrite{value: raw})
	s.mu.Lock()
	m[key] = cell{v: v, g: g}
	s.mu.Unlock()
	s.d.mu.Unlock()
	return g
}

// setExtracted writes a value from mock extraction and returns it as
// stored; the caller waits for the returned generation before it answers.
func (s *Stores) setExtracted(ns, chain, key string, v any) (any, *generation) {
	raw, err := json.Marshal(v)
	if err != nil {
		return v, nil
	}
	s.metrics.StoreWrite(storeName(chain), "extract")
	// Memory keeps what a reload from the database would give (numbers
	// as json.Number), so a value reads the same before and after a restart.
	if dv, err := decodeExact(raw); err == nil {
		v = dv
	}
	return v, s.put(ns, chain, key, v, raw)
}

// Set writes a value and returns once it is in the database (the API path).
func (s *Stores) Set(ctx context.Context, ns, chain, key string, raw json.RawMessage) error {
	v, err := decodeExact(raw)
	if err != nil {
		return err
	}
	s.metrics.StoreWrite(storeName(chain), "api")
	return s.put(ns, chain, key, v, raw).wait()
}

// Delete removes a value once the removal is in the database;
// store.ErrNotFound if the key is not there.
func (s *Stores) Delete(_ context.Context, ns, chain, key string) error {
	k := storeKey{ns, chain}
	m := s.load(k, false)
	s.d.mu.Lock()
	s.mu.Lock()
	_, ok := m[key]
	if ok {
		delete(m, key)
	}
	s.mu.Unlock()
	var g *generation
	if ok {
		g = s.d.addValueLocked(writeKey{k, key}, &pendingWrite{del: true})
	}
	s.d.mu.Unlock()
	if !ok {
		return store.ErrNotFound
	}
	return g.wait()
}

// DropChain forgets a whole chain store after the database cleared it;
// unsaved writes to it are dropped too.
func (s *Stores) DropChain(ns, chain string) {
	k := storeKey{ns, chain}
	s.d.mu.Lock()
	s.d.dropChainLocked(k)
	inflight := s.d.inflight
	s.mu.Lock()
	delete(s.cache, k)
	s.mu.Unlock()
	s.d.mu.Unlock()
	// A commit in flight may write the chain's values back after the
	// database cleared them: clear them again once it is through.
	if inflight != nil {
		<-inflight.done
		if inflight.err == nil {
			if _, err := s.st.DeleteStore(context.Background(), ns, chain); err != nil {
				s.log.Warn("clear chain store after a concurrent write", "namespace", ns, "chain", chain, "error", err)
			}
		}
	}
}

// Update runs fn with the store locked against other updates; fn reads
// through the usual views and writes with set. It returns the generation
// that carries the writes; set returns the value as stored.
func (s *Stores) Update(ns, chain string, fn func(set func(key string, v any) any)) *generation {
	k := storeKey{ns, chain}
	mu, ok := s.updates.Load(k)
	if !ok {
		mu, _ = s.updates.LoadOrStore(k, new(sync.Mutex))
	}
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	var g *generation
	fn(func(key string, v any) any {
		stored, wg := s.setExtracted(ns, chain, key, v)
		g = later(g, wg)
		return stored
	})
	return g
}

func storeName(chain string) string {
	if chain == "" {
		return "global"
	}
	return "chain"
}

// decodeExact is the one JSON decoder of request bodies, messages and
// store values: numbers stay json.Number, so large integers survive and a
// value reads the same whichever way it came in. Trailing data is an error.
func decodeExact(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("data after the JSON value")
	}
	return v, nil
}

// view adapts the stores of one request to render.StoreReader. It sees
// the values its own request wrote (own), whatever other requests write
// meanwhile, and it remembers what its response must wait for.
type view struct {
	s     *Stores
	ns    string
	chain string
	mock  map[string]any
	// own holds what this request's extract wrote to the global ("gS")
	// and chain ("cS") stores.
	own map[string]map[string]any
	// gen is the newest generation holding this request's changes or a
	// value it read.
	gen *generation
}

// wrote records a value this request stored.
func (v *view) wrote(scope, key string, val any) {
	if v.own == nil {
		v.own = map[string]map[string]any{}
	}
	m := v.own[scope]
	if m == nil {
		m = map[string]any{}
		v.own[scope] = m
	}
	m[key] = val
}

// settle waits until everything the response depends on is durable: its
// own changes, and the values it read from shared stores.
func (v *view) settle() error { return v.gen.wait() }

func (v *view) StoreValue(scope, key string) (any, bool) {
	switch scope {
	case "gS", "cS":
		if val, ok := v.own[scope][key]; ok {
			return val, true
		}
		chain := ""
		if scope == "cS" {
			if v.chain == "" {
				return nil, false
			}
			chain = v.chain
		}
		v.s.metrics.StoreRead(chain != "")
		val, g, ok := v.s.get(v.ns, chain, key)
		v.gen = later(v.gen, g)
		return val, ok
	case "mS":
		val, ok := v.mock[key]
		return val, ok
	}
	return nil, false
}

func (v *view) StoreAll(scope string) map[string]any {
	var all map[string]any
	var g *generation
	switch scope {
	case "gS":
		all, g = v.s.all(v.ns, "")
	case "cS":
		if v.chain == "" {
			return map[string]any{}
		}
		all, g = v.s.all(v.ns, v.chain)
	case "mS":
		return v.mock
	default:
		return nil
	}
	v.gen = later(v.gen, g)
	for k, val := range v.own[scope] {
		all[k] = val
	}
	return all
}

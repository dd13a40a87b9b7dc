// Package metrics holds the Prometheus collectors of the host, with the
// names of the integrations guide. Recording a resolution costs a map
// lookup under a read lock and a few atomic adds on sharded counters.
package metrics

import (
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// durationBuckets are the upper bounds, in seconds, of the resolution histogram.
var durationBuckets = []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1}

const shards = 8

// shard is one slice of a series' counters, padded to its own cache lines so
// concurrent requests on different cores do not contend.
type shard struct {
	matched, unmatched atomic.Uint64
	count              atomic.Uint64
	sumNanos           atomic.Uint64
	buckets            [14]atomic.Uint64 // len(durationBuckets)+1 (+Inf)
	_                  [64]byte
}

type series struct {
	protocol, namespace string
	shards              [shards]shard
}

// Metrics is one registry with the host's collectors.
type Metrics struct {
	Registry *prometheus.Registry
	storeOps *prometheus.CounterVec
	persist  *prometheus.CounterVec

	mu     sync.RWMutex
	series map[string]map[string]*series // protocol -> namespace -> series
	count  int

	resolutionsDesc, durationDesc *prometheus.Desc

	readsOnce               sync.Once
	globalReads, chainReads prometheus.Counter
}

// New registers the collectors; activeMocks is read at scrape time.
func New(activeMocks func() float64) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		series:   map[string]map[string]*series{},
		storeOps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mockarty_store_operations_total",
			Help: "Reads and writes of the global and chain stores, by store, operation and source (api, template, extract).",
		}, []string{"store", "op", "source"}),
		persist: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mockarty_persist_failures_total",
			Help: "Failed database writes of the server's own state, by what was written: durable (store values and limited counters, retried), journal (request logs, unmatched requests, counters; retried), counters.",
		}, []string{"what"}),
		resolutionsDesc: prometheus.NewDesc("mockarty_mock_resolutions_total",
			"Requests resolved against mocks, by protocol, namespace and result (matched or unmatched).",
			[]string{"protocol", "namespace", "result"}, nil),
		durationDesc: prometheus.NewDesc("mockarty_request_duration_seconds",
			"Time to resolve and render a mock response, without configured delays.", []string{"protocol"}, nil),
	}
	reg.MustRegister(m.storeOps, m.persist, resolutionCollector{m},
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "mockarty_active_mocks", Help: "Mocks in the in-memory index."}, activeMocks),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// CountReplyCacheHits exports hits, read at scrape time, as
// mockarty_plugin_reply_cache_hits_total.
func (m *Metrics) CountReplyCacheHits(hits func() uint64) {
	m.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "mockarty_plugin_reply_cache_hits_total",
		Help: "Calls plugins answered from their reply caches (static mocks), replayed by the host into the journal."},
		func() float64 { return float64(hits()) }))
}

// MaxSeries caps the distinct (protocol, namespace) series; beyond it,
// resolutions count under the namespace label "_other".
const MaxSeries = 1000

// OtherNamespace labels resolutions of namespaces that are not tracked.
const OtherNamespace = "_other"

func (m *Metrics) seriesFor(protocol, namespace string) *series {
	m.mu.RLock()
	s := m.series[protocol][namespace]
	m.mu.RUnlock()
	if s != nil {
		return s
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	byNS := m.series[protocol]
	if byNS == nil {
		byNS = map[string]*series{}
		m.series[protocol] = byNS
	}
	if s = byNS[namespace]; s == nil {
		if m.count >= MaxSeries {
			namespace = OtherNamespace
			if s = byNS[namespace]; s != nil {
				return s
			}
		}
		s = &series{protocol: protocol, namespace: namespace}
		byNS[namespace] = s
		m.count++
	}
	return s
}

// Resolved records one resolution.
func (m *Metrics) Resolved(protocol, namespace string, matched bool, start time.Time) {
	if m == nil {
		return
	}
	d := time.Since(start)
	sh := &m.seriesFor(protocol, namespace).shards[rand.Uint32()%shards]
	if matched {
		sh.matched.Add(1)
	} else {
		sh.unmatched.Add(1)
	}
	sh.count.Add(1)
	sh.sumNanos.Add(uint64(d))
	secs := d.Seconds()
	i := sort.SearchFloat64s(durationBuckets, secs)
	sh.buckets[i].Add(1)
}

// PersistFailed counts a failed write of the server's own state.
func (m *Metrics) PersistFailed(what string) {
	if m == nil {
		return
	}
	m.persist.WithLabelValues(what).Inc()
}

// StoreWrite records one store write.
func (m *Metrics) StoreWrite(store, source string) {
	if m == nil {
		return
	}
	m.storeOps.WithLabelValues(store, "write", source).Inc()
}

// StoreRead records one read of a store by a template.
func (m *Metrics) StoreRead(chain bool) {
	if m == nil {
		return
	}
	m.readsOnce.Do(func() {
		m.globalReads = m.storeOps.WithLabelValues("global", "read", "template")
		m.chainReads = m.storeOps.WithLabelValues("chain", "read", "template")
	})
	if chain {
		m.chainReads.Inc()
	} else {
		m.globalReads.Inc()
	}
}

// resolutionCollector turns the sharded counters into Prometheus series at scrape time.
type resolutionCollector struct{ m *Metrics }

func (c resolutionCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.m.resolutionsDesc
	ch <- c.m.durationDesc
}

func (c resolutionCollector) Collect(ch chan<- prometheus.Metric) {
	c.m.mu.RLock()
	var all []*series
	for _, byNS := range c.m.series {
		for _, s := range byNS {
			all = append(all, s)
		}
	}
	c.m.mu.RUnlock()
	type hist struct {
		count   uint64
		sum     float64
		buckets []uint64
	}
	perProto := map[string]*hist{}
	for _, s := range all {
		var matched, unmatched uint64
		h := perProto[s.protocol]
		if h == nil {
			h = &hist{buckets: make([]uint64, len(durationBuckets)+1)}
			perProto[s.protocol] = h
		}
		for i := range s.shards {
			sh := &s.shards[i]
			matched += sh.matched.Load()
			unmatched += sh.unmatched.Load()
			h.count += sh.count.Load()
			h.sum += float64(sh.sumNanos.Load()) / 1e9
			for b := range h.buckets {
				h.buckets[b] += sh.buckets[b].Load()
			}
		}
		ch <- prometheus.MustNewConstMetric(c.m.resolutionsDesc, prometheus.CounterValue, float64(matched), s.protocol, s.namespace, "matched")
		ch <- prometheus.MustNewConstMetric(c.m.resolutionsDesc, prometheus.CounterValue, float64(unmatched), s.protocol, s.namespace, "unmatched")
	}
	for proto, h := range perProto {
		cum := map[float64]uint64{}
		var running uint64
		for i, ub := range durationBuckets {
			running += h.buckets[i]
			cum[ub] = running
		}
		ch <- prometheus.MustNewConstHistogram(c.m.durationDesc, h.count, h.sum, cum, proto)
	}
}

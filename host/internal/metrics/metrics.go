// Package metrics holds the Prometheus collectors of the host, with the
// names of the integrations guide. Updating them costs a few atomic adds.
package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics is one registry with the host's collectors.
type Metrics struct {
	Registry    *prometheus.Registry
	resolutions *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	storeOps    *prometheus.CounterVec

	// children caches the labelled series so a request does not hash labels.
	children sync.Map // protocol + "\x00" + namespace -> *series
}

type series struct {
	matched, unmatched prometheus.Counter
	duration           prometheus.Observer
}

// New registers the collectors; activeMocks is read at scrape time.
func New(activeMocks func() float64) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		resolutions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mockarty_mock_resolutions_total",
			Help: "Requests resolved against mocks, by protocol, namespace and result (matched or unmatched).",
		}, []string{"protocol", "namespace", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "mockarty_request_duration_seconds",
			Help:    "Time to resolve and render a mock response, without configured delays.",
			Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}, []string{"protocol"}),
		storeOps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mockarty_store_operations_total",
			Help: "Writes to the global and chain stores, by store and source (api or extract).",
		}, []string{"store", "source"}),
	}
	reg.MustRegister(m.resolutions, m.duration, m.storeOps,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "mockarty_active_mocks", Help: "Mocks in the in-memory index."}, activeMocks),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Resolved records one resolution.
func (m *Metrics) Resolved(protocol, namespace string, matched bool, start time.Time) {
	if m == nil {
		return
	}
	key := protocol + "\x00" + namespace
	v, ok := m.children.Load(key)
	if !ok {
		v, _ = m.children.LoadOrStore(key, &series{
			matched:   m.resolutions.WithLabelValues(protocol, namespace, "matched"),
			unmatched: m.resolutions.WithLabelValues(protocol, namespace, "unmatched"),
			duration:  m.duration.WithLabelValues(protocol),
		})
	}
	s := v.(*series)
	if matched {
		s.matched.Inc()
	} else {
		s.unmatched.Inc()
	}
	s.duration.Observe(time.Since(start).Seconds())
}

// StoreWrite records one store write.
func (m *Metrics) StoreWrite(store, source string) {
	if m == nil {
		return
	}
	m.storeOps.WithLabelValues(store, source).Inc()
}

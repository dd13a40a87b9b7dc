package resolve

import (
	"sync"
	"time"
)

// The unmatched-request list (/api/v1/undefined-requests) counts requests
// by method and path, which is what a user fixing mocks wants; a request
// journal (WireMock's /__admin/requests) needs each request whole. misses
// keeps the newest unmatched HTTP requests, whole, in memory: bounded, and
// gone with the process, as WireMock's journal is.

// maxMisses bounds the unmatched requests kept whole, over all namespaces.
const maxMisses = 2000

// maxMissBody is the longest body kept of one.
const maxMissBody = 64 << 10

// MissedHTTP is one unmatched HTTP request.
type MissedHTTP struct {
	At        int64 // ms
	Namespace string
	Method    string
	Path      string
	Query     map[string][]string
	Header    map[string][]string
	Body      []byte
}

type misses struct {
	mu   sync.Mutex
	ring []MissedHTTP
	next int
}

func (m *misses) add(req *HTTPRequest) {
	body := req.Body
	if len(body) > maxMissBody {
		body = body[:maxMissBody]
	}
	e := MissedHTTP{At: time.Now().UnixMilli(), Namespace: req.Namespace, Method: req.Method, Path: req.Path,
		Query: req.query(), Header: req.headers(), Body: append([]byte(nil), body...)}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.ring) < maxMisses {
		m.ring = append(m.ring, e)
		return
	}
	m.ring[m.next] = e
	m.next = (m.next + 1) % maxMisses
}

// RecentMisses lists the unmatched HTTP requests of a namespace still
// kept, oldest first.
func (r *Resolver) RecentMisses(namespace string) []MissedHTTP {
	m := &r.missed
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]MissedHTTP, 0, 16)
	for i := range m.ring {
		e := m.ring[(m.next+i)%len(m.ring)]
		if e.Namespace == namespace {
			out = append(out, e)
		}
	}
	return out
}

// ForgetMisses drops the unmatched HTTP requests kept of a namespace.
func (r *Resolver) ForgetMisses(namespace string) {
	m := &r.missed
	m.mu.Lock()
	defer m.mu.Unlock()
	kept := m.ring[:0:0]
	for i := range m.ring {
		if e := m.ring[(m.next+i)%len(m.ring)]; e.Namespace != namespace {
			kept = append(kept, e)
		}
	}
	m.ring, m.next = kept, 0
}

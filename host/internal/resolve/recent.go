package resolve

import (
	"sync"
	"sync/atomic"
	"time"
)

// The unmatched-request list (/api/v1/undefined-requests) counts requests
// by method and path, and each mock's request log keeps its last few
// calls: what a user fixing mocks wants. A request journal (WireMock's
// /__admin/requests and verification counts) needs every request whole,
// in order. recent keeps the newest HTTP requests whole, in memory:
// bounded, and gone with the process, as WireMock's journal is. Unmatched
// requests are always kept; matched ones only for the namespaces that
// asked (JournalHTTP), so that mock traffic of the others pays nothing.

// maxRecent bounds the requests kept whole, over all namespaces.
const maxRecent = 10000

// maxRecentBody is the longest body kept of one.
const maxRecentBody = 64 << 10

// SeenHTTP is one HTTP request as the journal keeps it.
type SeenHTTP struct {
	At        int64 // ms
	Namespace string
	Method    string
	Path      string
	Query     map[string][]string
	Header    map[string][]string
	Body      []byte
	Matched   bool
	MockID    string
	Status    int
}

type recent struct {
	mu   sync.Mutex
	ring []SeenHTTP
	next int
	// journaled: namespaces whose matched requests are kept too.
	journaled sync.Map
	any       atomic.Bool
}

func (rc *recent) add(req *HTTPRequest, matched bool, mockID string, status int) {
	body := req.Body
	if len(body) > maxRecentBody {
		body = body[:maxRecentBody]
	}
	e := SeenHTTP{At: time.Now().UnixMilli(), Namespace: req.Namespace, Method: req.Method, Path: req.Path,
		Query: req.query(), Header: req.headers(), Body: append([]byte(nil), body...), Matched: matched, MockID: mockID, Status: status}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.ring) < maxRecent {
		rc.ring = append(rc.ring, e)
		return
	}
	rc.ring[rc.next] = e
	rc.next = (rc.next + 1) % maxRecent
}

// journaling says whether matched requests of ns are kept: one atomic
// load for every namespace while none asked.
func (rc *recent) journaling(ns string) bool {
	if !rc.any.Load() {
		return false
	}
	_, ok := rc.journaled.Load(ns)
	return ok
}

// JournalHTTP keeps the matched HTTP requests of a namespace whole from
// now on, beside its unmatched ones (the /__admin journal).
func (r *Resolver) JournalHTTP(namespace string) {
	r.recent.journaled.Store(namespace, struct{}{})
	r.recent.any.Store(true)
}

// RecentHTTP lists the HTTP requests of a namespace still kept, oldest
// first: the unmatched ones, and the matched ones since JournalHTTP.
func (r *Resolver) RecentHTTP(namespace string) []SeenHTTP {
	rc := &r.recent
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := make([]SeenHTTP, 0, 16)
	for i := range rc.ring {
		e := rc.ring[(rc.next+i)%len(rc.ring)]
		if e.Namespace == namespace {
			out = append(out, e)
		}
	}
	return out
}

// ForgetHTTP drops the requests kept of a namespace.
func (r *Resolver) ForgetHTTP(namespace string) {
	rc := &r.recent
	rc.mu.Lock()
	defer rc.mu.Unlock()
	kept := make([]SeenHTTP, 0, len(rc.ring))
	for i := range rc.ring {
		if e := rc.ring[(rc.next+i)%len(rc.ring)]; e.Namespace != namespace {
			kept = append(kept, e)
		}
	}
	rc.ring, rc.next = kept, 0
}

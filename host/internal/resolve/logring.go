package resolve

import (
	"encoding/json"
	"net/url"
	"sync"

	"github.com/mockarty-oss/mockarty/host/internal/store"
)

// logRing keeps the newest calls of one mock until the next flush: the one
// request log of every protocol. Its slots and their byte buffers are
// reused, so logging an HTTP call is a few copies under a lock of its own,
// with no allocation once warm; a call of another protocol is kept as
// values, encoded only if it is still among the newest at the flush.
type logRing struct {
	id      string   // the mock's
	j       *journal // told when the first call since a flush arrives
	mu      sync.Mutex
	slots   []logSlot
	next    int // where the next call goes
	pending int // calls since the last flush (at most len(slots))
}

// logSlot is one call: an HTTP call as its raw parts, or (req set) the
// call of another protocol as the values to log.
type logSlot struct {
	at, seq      int64
	method, path string
	rawQuery     []byte
	rawHeader    []byte
	header       map[string][]string // when the request already had one
	body         []byte
	params       map[string]string
	status       int

	req, resp any
}

// begin locks the ring and returns the slot of the next call, made at
// at; end makes it count. No call is kept when limit is 0 (nil slot, no
// lock held).
func (l *logRing) begin(limit int, at int64) *logSlot {
	if limit <= 0 {
		return nil
	}
	l.mu.Lock()
	if len(l.slots) != limit {
		l.slots, l.next, l.pending = make([]logSlot, limit), 0, 0
	}
	s := &l.slots[l.next]
	s.at, s.seq, s.req, s.resp = at, store.NextLogSeq(), nil, nil
	return s
}

func (l *logRing) end() {
	l.next = (l.next + 1) % len(l.slots)
	first := l.pending == 0
	if l.pending < len(l.slots) {
		l.pending++
	}
	l.mu.Unlock()
	if first && l.j != nil {
		l.j.ringDirty(l)
	}
}

// addHTTP logs an HTTP call.
func (l *logRing) addHTTP(limit int, at int64, req *HTTPRequest, params map[string]string, status int) {
	s := l.begin(limit, at)
	if s == nil {
		return
	}
	s.method, s.path, s.params, s.status = req.Method, req.Path, params, status
	s.rawQuery = append(s.rawQuery[:0], capBytes(req.RawQuery, maxLoggedBody)...)
	s.header = req.Header
	s.rawHeader = s.rawHeader[:0]
	if req.Header == nil && req.Source != nil {
		s.rawHeader = append(s.rawHeader, capBytes(req.Source.RawHeader(), maxLoggedBody)...)
	}
	s.body = append(s.body[:0], capBytes(req.Body, maxLoggedBody)...)
	l.end()
}

// addValues logs a call of another protocol: req and resp are logged as
// their JSON.
func (l *logRing) addValues(limit int, at int64, req, resp any) {
	s := l.begin(limit, at)
	if s == nil {
		return
	}
	s.req, s.resp = req, resp
	s.header, s.params, s.body = nil, nil, s.body[:0]
	l.end()
}

// reset forgets the calls not yet flushed.
func (l *logRing) reset() {
	l.mu.Lock()
	l.pending = 0
	l.mu.Unlock()
}

// take returns copies of the calls since the last flush, oldest first.
func (l *logRing) take() []store.RequestLog {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pending == 0 {
		return nil
	}
	out := make([]store.RequestLog, 0, l.pending)
	n := len(l.slots)
	for i := l.pending; i > 0; i-- {
		s := &l.slots[(l.next-i+n)%n]
		out = append(out, s.encode())
	}
	l.pending = 0
	return out
}

func (s *logSlot) encode() store.RequestLog {
	if s.req != nil {
		req, _ := json.Marshal(s.req)
		resp, _ := json.Marshal(s.resp)
		return store.RequestLog{CalledAt: s.at, Seq: s.seq, Req: req, Response: resp}
	}
	q := map[string][]string{}
	if vals, err := url.ParseQuery(string(s.rawQuery)); err == nil {
		q = vals
	}
	h := s.header
	if h == nil {
		h = parseRawHeader(s.rawHeader)
	}
	req, _ := json.Marshal(map[string]any{"method": s.method, "url": s.path, "queryParam": q, "header": h,
		"body": decodeBody(s.body), "pathParam": s.params})
	resp, _ := json.Marshal(map[string]any{"statusCode": s.status})
	return store.RequestLog{CalledAt: s.at, Seq: s.seq, Req: req, Response: resp}
}

// capBytes keeps at most n bytes (a logged body is a sample, not an archive).
func capBytes[T ~string | ~[]byte](b T, n int) T {
	if len(b) > n {
		return b[:n]
	}
	return b
}

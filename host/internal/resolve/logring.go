package resolve

import (
	"encoding/json"
	"net/url"
	"sync"

	"github.com/mockarty-oss/mockarty/host/internal/store"
)

// logRing keeps the newest calls of one HTTP mock until the next flush. Its
// slots and their byte buffers are reused, so logging a call is a few
// copies under a lock of its own, with no allocation once warm.
type logRing struct {
	id      string   // the mock's
	j       *journal // told when the first call since a flush arrives
	mu      sync.Mutex
	slots   []httpLogSlot
	next    int // where the next call goes
	pending int // calls since the last flush (at most len(slots))
}

type httpLogSlot struct {
	at, seq      int64
	method, path string
	rawQuery     []byte
	rawHeader    []byte
	header       map[string][]string // when the request already had one
	body         []byte
	params       map[string]string
	status       int
}

func (l *logRing) add(limit int, at int64, req *HTTPRequest, params map[string]string, status int) {
	if limit <= 0 {
		return
	}
	l.mu.Lock()
	if len(l.slots) != limit {
		l.slots, l.next, l.pending = make([]httpLogSlot, limit), 0, 0
	}
	s := &l.slots[l.next]
	s.at, s.seq, s.method, s.path, s.params, s.status = at, store.NextLogSeq(), req.Method, req.Path, params, status
	s.rawQuery = append(s.rawQuery[:0], capBytes(req.RawQuery, maxLoggedBody)...)
	s.header = req.Header
	s.rawHeader = s.rawHeader[:0]
	if req.Header == nil && req.Source != nil {
		s.rawHeader = append(s.rawHeader, capBytes(req.Source.RawHeader(), maxLoggedBody)...)
	}
	s.body = append(s.body[:0], capBytes(req.Body, maxLoggedBody)...)
	l.next = (l.next + 1) % limit
	first := l.pending == 0
	if l.pending < limit {
		l.pending++
	}
	l.mu.Unlock()
	if first && l.j != nil {
		l.j.ringDirty(l)
	}
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

func (s *httpLogSlot) encode() store.RequestLog {
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

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

// sniffer is an HTTP transport that notes whether any response it carried
// held a keep-alive: a ping request or an SSE comment.
type sniffer struct {
	next http.RoundTripper
	seen atomic.Bool
}

var keepAliveMarks = [][]byte{[]byte(`"method":"ping"`), []byte(strings.TrimSpace(keepAliveComment))}

func (s *sniffer) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := s.next.RoundTrip(r)
	if err == nil {
		res.Body = &sniffBody{ReadCloser: res.Body, s: s}
	}
	return res, err
}

type sniffBody struct {
	io.ReadCloser
	s    *sniffer
	tail []byte // the end of what was read, for a mark split between reads
}

func (b *sniffBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	buf := append(b.tail, p[:n]...)
	for _, m := range keepAliveMarks {
		if bytes.Contains(buf, m) {
			b.s.seen.Store(true)
		}
	}
	if len(buf) > 32 {
		buf = buf[len(buf)-32:]
	}
	b.tail = append([]byte(nil), buf...)
	return n, err
}

// TestKeepAlive: a quiet event stream is written to every keepAlive
// seconds, over every transport (the SSE stream, the streamable GET
// stream, a subscriptions/listen POST stream), and the clients take it in
// their stride: notifications still reach them.
func TestKeepAlive(t *testing.T) {
	f := &fakeMCP{}
	h := f.host(t)
	p := plugintest.Start(t, &Listener{}, json.RawMessage(`{"addresses":["127.0.0.1:0"],"namespace":"qa","keepAlive":1}`), h)
	base := "http://" + p.Addresses[0]
	for i, mode := range allModes {
		t.Run(mode, func(t *testing.T) {
			sn := &sniffer{next: &http.Transport{}}
			c, err := tryDialHC(t, mode, endpoint(base, mode), nil, &http.Client{Transport: sn})
			if err != nil {
				t.Fatal(err)
			}
			plugintest.Eventually(t, 20*time.Second, sn.seen.Load, "a keep-alive on the idle stream")
			name := fmt.Sprintf("after_keepalive_%d", i)
			more := strings.TrimSuffix(fakeMocks, "]") + `,{"id":"ka","namespace":"qa","mcp":{"tool":"` + name + `"}}]`
			h.SetMocks("mcp", mocksOf(t, more)...)
			c.waitNote(t, "notifications/tools/list_changed")
			if _, ok := c.tools(t)[name]; !ok {
				t.Fatalf("%s not listed", name)
			}
		})
	}
}

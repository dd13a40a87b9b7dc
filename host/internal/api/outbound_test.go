package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

type hookSink struct {
	mu    sync.Mutex
	calls []hookCall
	fail  int // answer 500 to this many calls first
}

type hookCall struct {
	method, path, sig, body, header string
}

func (h *hookSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, hookCall{r.Method, r.URL.Path, r.Header.Get("X-Mockarty-Signature"), string(b), r.Header.Get("X-Order")})
	if h.fail > 0 {
		h.fail--
		w.WriteHeader(500)
		return
	}
	w.WriteHeader(204)
}

func (h *hookSink) snapshot() []hookCall {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookCall(nil), h.calls...)
}

func TestWebhooks(t *testing.T) {
	sink := &hookSink{fail: 1}
	up := httptest.NewServer(sink)
	defer up.Close()
	s := newTestServer(t)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", fmt.Sprintf(`{"id":"order","http":{"route":"/orders/:id","httpMethod":"POST"},
"response":{"statusCode":201,"payload":{"orderId":"$.pathParam.id","total":"$.body.total"}},
"webhooks":[
 {"type":"http","trigger":"on_success","url":"%[1]s/hook","method":"PUT","secret":"s3cret","retryCount":2,"retryDelay":10,"headers":{"X-Order":"order-$.pathParam.id"},
  "body":{"event":"order.created","id":"$.response.orderId","total":"$.response.total"}},
 {"url":"%[1]s/errors","trigger":"on_error","body":{"x":1}}
]}`, up.URL))
	s.expect(201, "POST", "/stubs/sandbox/orders/o-7", `{"total":12.5}`)
	// A synchronous webhook (async false) has been delivered, after one retry, before the reply.
	calls := sink.snapshot()
	if len(calls) != 2 {
		t.Fatalf("calls = %+v", calls)
	}
	c := calls[1]
	if c.method != "PUT" || c.path != "/hook" || c.body != `{"event":"order.created","id":"o-7","total":12.5}` || c.header != "order-o-7" {
		t.Fatalf("webhook: %+v", c)
	}
	mac := hmac.New(sha256.New, []byte("s3cret"))
	mac.Write([]byte(c.body))
	if c.sig != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
		t.Fatalf("signature %q", c.sig)
	}

	// Async webhooks and on_error.
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", fmt.Sprintf(`{"id":"broken","http":{"route":"/broken"},
"response":{"statusCode":503,"payload":{"e":1}},"webhooks":[{"url":"%[1]s/err","trigger":"on_error","async":true,"body":"failed $.response.e"},{"url":"%[1]s/ok","body":{}}]}`, up.URL))
	if r := s.do("GET", "/stubs/sandbox/broken", nil); r.Status != 503 {
		t.Fatalf("status %d", r.Status)
	}
	plugintest.EventuallyNoError(t, 20*time.Second, func() error {
		calls = sink.snapshot()
		if len(calls) == 3 {
			return nil
		}
		if len(calls) > 3 {
			t.Fatalf("calls = %+v", calls)
		}
		return fmt.Errorf("calls = %+v", calls)
	}, "three webhook calls")
	if calls[2].path != "/err" || calls[2].body != "failed 1" {
		t.Fatalf("on_error webhook: %+v", calls[2])
	}
}

func TestProxyAndPrivateGuard(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Upstream", "yes")
		w.WriteHeader(207)
		fmt.Fprintf(w, `{"path":%q,"q":%q,"body":%q,"auth":%q}`, r.URL.Path, r.URL.RawQuery, b, r.Header.Get("Authorization"))
	}))
	defer up.Close()
	mock := fmt.Sprintf(`{"id":"p","http":{"route":"/real/*"},"proxy":{"target":"%s/base"},"response":{"headers":{"X-Mocked":["via-proxy"]}}}`, up.URL)

	s := newTestServer(t)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", mock)
	r := s.do("POST", "/stubs/sandbox/real/a/b?x=1", `{"k":1}`, "Authorization", "Bearer z")
	if r.Status != 207 || r.Header.Get("X-Upstream") != "yes" || r.Header.Get("X-Mocked") != "via-proxy" {
		t.Fatalf("proxy: %d %v %s", r.Status, r.Header, r.Body)
	}
	v := r.JSON(t)
	if v["path"] != "/base/real/a/b" || v["q"] != "x=1" || v["body"] != `{"k":1}` || v["auth"] != "Bearer z" {
		t.Fatalf("forwarded request: %v", v)
	}

	// By default private and loopback targets are refused.
	guarded := newTestServer(t, serverOpts{denyPrivate: true})
	guarded.expect(http.StatusCreated, "POST", "/api/v1/mocks", mock)
	guarded.expectError(http.StatusBadGateway, "external", "", "GET", "/stubs/sandbox/real/x", nil)
}

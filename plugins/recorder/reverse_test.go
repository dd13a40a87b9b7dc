package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
	"github.com/mockarty-oss/mockarty/sdk/recjob"
)

var (
	compressible = strings.Repeat("compressed text, ", 50) // 850 bytes: under the tests' 1024-byte cap
	binaryBody   = func() []byte {
		b := make([]byte, 512)
		for i := range b {
			b[i] = byte(i)
		}
		return b
	}()
)

// upstream is the app a reverse proxy stands before, under /api.
func upstream(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/hello", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", "a=1")
		w.Header().Add("Set-Cookie", "b=2")
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"hello": "world", "x": r.URL.Query().Get("x"), "client": r.Header.Get("X-Client")})
	})
	mux.HandleFunc("POST /api/echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", r.Header.Get("Content-Type"))
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(b)
	})
	mux.HandleFunc("GET /api/gzip", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Type", "text/plain")
		zw := gzip.NewWriter(w)
		_, _ = io.WriteString(zw, compressible)
		_ = zw.Close()
	})
	mux.HandleFunc("GET /api/gzip-large", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		_, _ = io.WriteString(zw, strings.Repeat(compressible, 4))
		_ = zw.Close()
	})
	mux.HandleFunc("GET /api/br", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Encoding", "br")
		w.Header().Set("Content-Type", "text/plain")
		bw := brotli.NewWriter(w)
		_, _ = io.WriteString(bw, compressible)
		_ = bw.Close()
	})
	mux.HandleFunc("GET /api/binary", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(binaryBody)
	})
	mux.HandleFunc("GET /api/large", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, strings.Repeat("0123456789", 500))
	})
	mux.HandleFunc("GET /api/headers", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Up", "1")
		w.Header().Set("X-Keep", "k")
		_ = json.NewEncoder(w).Encode(r.Header)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// A reverse proxy forwards everything to the target and records each
// exchange: fields, headers, bodies (compressed ones decoded, binary ones
// base64, large ones cut and marked) and timings, while the client gets
// every answer whole.
func TestReverseProxyRecordsExchanges(t *testing.T) {
	up := upstream(t)
	before := time.Now().UnixMilli()
	rec := record(t, recjob.Job{SessionID: "s1", Mode: recjob.ModeReverse, TargetURL: up.URL + "/api", AllowPrivate: true,
		MaxBodyBytes: 1024})
	c := &http.Client{}

	status, h, body := send(t, c, "GET", rec.URL()+"/hello?x=1", "", map[string]string{"X-Client": "c1"})
	if status != 200 || !strings.Contains(string(body), `"hello":"world"`) || !strings.Contains(string(body), `"x":"1"`) ||
		!strings.Contains(string(body), `"client":"c1"`) || len(h.Values("Set-Cookie")) != 2 {
		t.Fatalf("GET /hello through the proxy: %d %v %s", status, h, body)
	}
	status, _, body = send(t, c, "POST", rec.URL()+"/echo", `{"name":"x"}`, map[string]string{"Content-Type": "application/json"})
	if status != 201 || string(body) != `{"name":"x"}` {
		t.Fatalf("POST /echo: %d %s", status, body)
	}
	status, _, body = send(t, c, "GET", rec.URL()+"/gzip", "", nil) // the client asks for gzip and decodes it
	if status != 200 || string(body) != compressible {
		t.Fatalf("GET /gzip: %d, %d bytes", status, len(body))
	}
	if status, _, body = send(t, c, "GET", rec.URL()+"/gzip-large", "", nil); status != 200 || string(body) != strings.Repeat(compressible, 4) {
		t.Fatalf("GET /gzip-large: %d, %d bytes", status, len(body))
	}
	status, h, body = send(t, c, "GET", rec.URL()+"/br", "", map[string]string{"Accept-Encoding": "br"})
	if decoded, err := io.ReadAll(brotli.NewReader(bytes.NewReader(body))); status != 200 || h.Get("Content-Encoding") != "br" ||
		err != nil || string(decoded) != compressible {
		t.Fatalf("GET /br: %d %v: %v", status, h, err)
	}
	if status, _, body = send(t, c, "GET", rec.URL()+"/binary", "", nil); status != 200 || !bytes.Equal(body, binaryBody) {
		t.Fatalf("GET /binary: %d, %d bytes", status, len(body))
	}
	large := strings.Repeat("0123456789", 500)
	if status, _, body = send(t, c, "GET", rec.URL()+"/large", "", nil); status != 200 || string(body) != large {
		t.Fatalf("GET /large: %d, %d bytes (the client must get all of it)", status, len(body))
	}
	bigRequest := "a" + strings.Repeat("é", 1500) // 3001 bytes: the cap falls in the middle of a rune
	if status, _, body = send(t, c, "POST", rec.URL()+"/echo", bigRequest, map[string]string{"Content-Type": "text/plain"}); status != 201 ||
		string(body) != bigRequest {
		t.Fatalf("POST /echo (large): %d, %d bytes", status, len(body))
	}
	status, _, _ = send(t, c, "GET", rec.URL()+"/nowhere", "", nil)
	if status != 404 {
		t.Fatalf("GET /nowhere: %d", status)
	}

	entries := rec.wait(9)
	after := time.Now().UnixMilli()
	for i, e := range entries {
		if e.Sequence != int64(i+1) || e.Proto != "HTTP/1.1" || e.Timestamp < before || e.Timestamp > after || e.Duration < 0 ||
			e.Timings.Total < 0 || e.Timings.TTFB < 0 || e.Timings.DNS != -1 || e.Error != "" || e.FaultInjected != "" {
			t.Errorf("entry %d: %+v", i, e)
		}
		if !strings.HasPrefix(e.URL, up.URL+"/api/") {
			t.Errorf("entry %d: url %s", i, e.URL)
		}
	}
	if entries[0].Timings.Connect < 0 {
		t.Errorf("the first exchange opened a connection: %+v", entries[0].Timings)
	}

	hello := find(t, entries, "GET /hello", byPath("/hello"))
	if hello.Method != "GET" || hello.URL != up.URL+"/api/hello?x=1" || hello.StatusCode != 200 ||
		hello.RequestHeaders["X-Client"] != "c1" || hello.ResponseHeaders["Set-Cookie"] != "a=1, b=2" ||
		hello.ResponseHeaders["Content-Type"] != "application/json" || !strings.Contains(hello.ResponseBody, `"hello":"world"`) ||
		hello.ResponseBodyEncoding != "" || hello.RequestBody != "" || hello.ResponseBodySize != int64(len(hello.ResponseBody)) {
		t.Errorf("GET /hello: %+v", hello)
	}
	echo := find(t, entries, "POST /echo (small)", func(e recjob.Entry) bool { return e.Path == "/echo" && e.RequestBodySize < 100 })
	if echo.Method != "POST" || echo.StatusCode != 201 || echo.RequestBody != `{"name":"x"}` || echo.ResponseBody != `{"name":"x"}` ||
		echo.RequestBodySize != 12 || echo.RequestHeaders["Content-Type"] != "application/json" || echo.RequestTruncated {
		t.Errorf("POST /echo: %+v", echo)
	}
	gz := find(t, entries, "GET /gzip", byPath("/gzip"))
	if !gz.ResponseDecompressed || gz.ResponseBody != compressible || gz.ResponseBodySize != int64(len(compressible)) ||
		gz.ResponseHeaders["Content-Encoding"] != "gzip" || gz.ResponseTruncated {
		t.Errorf("GET /gzip: decompressed %v, %d bytes of %d, headers %v", gz.ResponseDecompressed, len(gz.ResponseBody),
			gz.ResponseBodySize, gz.ResponseHeaders)
	}
	gzl := find(t, entries, "GET /gzip-large", byPath("/gzip-large"))
	if !gzl.ResponseDecompressed || !gzl.ResponseTruncated || gzl.ResponseBodySize != int64(4*len(compressible)) ||
		gzl.ResponseBody != strings.Repeat(compressible, 4)[:1024] {
		t.Errorf("GET /gzip-large: decompressed %v truncated %v, %d bytes of %d", gzl.ResponseDecompressed, gzl.ResponseTruncated,
			len(gzl.ResponseBody), gzl.ResponseBodySize)
	}
	br := find(t, entries, "GET /br", byPath("/br"))
	if !br.ResponseDecompressed || br.ResponseBody != compressible || br.ResponseHeaders["Content-Encoding"] != "br" {
		t.Errorf("GET /br: decompressed %v, %q", br.ResponseDecompressed, br.ResponseBody[:min(40, len(br.ResponseBody))])
	}
	bin := find(t, entries, "GET /binary", byPath("/binary"))
	if got, err := base64.StdEncoding.DecodeString(bin.ResponseBody); bin.ResponseBodyEncoding != "base64" || err != nil ||
		!bytes.Equal(got, binaryBody) || bin.ResponseBodySize != int64(len(binaryBody)) {
		t.Errorf("GET /binary: encoding %q, %v", bin.ResponseBodyEncoding, err)
	}
	lg := find(t, entries, "GET /large", byPath("/large"))
	if !lg.ResponseTruncated || lg.ResponseBodySize != 5000 || lg.ResponseBody != large[:1024] {
		t.Errorf("GET /large: truncated %v, size %d, %d bytes kept", lg.ResponseTruncated, lg.ResponseBodySize, len(lg.ResponseBody))
	}
	bigEcho := find(t, entries, "POST /echo (large)", func(e recjob.Entry) bool { return e.Path == "/echo" && e.RequestBodySize > 100 })
	if !bigEcho.RequestTruncated || bigEcho.RequestBodySize != 3001 || bigEcho.RequestBody != bigRequest[:1023] ||
		bigEcho.RequestBodyEncoding != "" || !bigEcho.ResponseTruncated || bigEcho.ResponseBody != bigRequest[:1023] {
		t.Errorf("POST /echo (large): request truncated %v size %d kept %d (%q); response truncated %v kept %d",
			bigEcho.RequestTruncated, bigEcho.RequestBodySize, len(bigEcho.RequestBody), bigEcho.RequestBodyEncoding,
			bigEcho.ResponseTruncated, len(bigEcho.ResponseBody))
	}
	if nf := find(t, entries, "GET /nowhere", byPath("/nowhere")); nf.StatusCode != 404 {
		t.Errorf("GET /nowhere: %+v", nf)
	}

}

// Run returns {"entries": n} once it is cancelled (through the contract
// the host sees the cancellation, so this calls Run itself).
func TestRunResult(t *testing.T) {
	up := upstream(t)
	params, _ := json.Marshal(recjob.Job{Mode: recjob.ModeReverse, TargetURL: up.URL, AllowPrivate: true, Address: "127.0.0.1:0"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var addr string
	var entries int
	done := make(chan struct{})
	var out json.RawMessage
	var err error
	go func() {
		defer close(done)
		out, err = (&Recorder{}).Run(ctx, sdk.Job{ID: "r", Kind: recjob.KindSession, Params: params}, nil, func(p sdk.Progress) {
			mu.Lock()
			defer mu.Unlock()
			switch p.ItemKind {
			case recjob.ItemListening:
				var l recjob.Listening
				_ = json.Unmarshal(p.Item, &l)
				addr = l.Address
			case recjob.ItemEntry:
				entries++
			}
		})
	}()
	plugintest.Eventually(t, guard, func() bool { mu.Lock(); defer mu.Unlock(); return addr != "" }, "listening")
	for range 2 {
		if status, _, _ := send(t, http.DefaultClient, "GET", "http://"+addr+"/api/hello", "", nil); status != 200 {
			t.Fatalf("status %d", status)
		}
	}
	plugintest.Eventually(t, guard, func() bool { mu.Lock(); defer mu.Unlock(); return entries == 2 }, "two entries")
	cancel()
	<-done
	var res struct{ Entries int64 }
	if err != nil || json.Unmarshal(out, &res) != nil || res.Entries != 2 {
		t.Fatalf("result %s: %v", out, err)
	}
}

// Header rules change what goes up and what comes back, and the entry
// records the headers as they were sent.
func TestModifications(t *testing.T) {
	up := upstream(t)
	rec := record(t, recjob.Job{Mode: recjob.ModeReverse, TargetURL: up.URL, AllowPrivate: true,
		Modifications: recjob.Modifications{
			RequestHeaders:  recjob.HeaderRules{Add: map[string]string{"X-Added": "yes"}, Remove: []string{"X-Secret"}},
			ResponseHeaders: recjob.HeaderRules{Add: map[string]string{"X-Resp": "r"}, Remove: []string{"X-Up"}},
		}})
	status, h, body := send(t, http.DefaultClient, "GET", rec.URL()+"/api/headers", "", map[string]string{"X-Secret": "s", "X-Other": "o"})
	var seen http.Header
	if err := json.Unmarshal(body, &seen); err != nil || status != 200 {
		t.Fatalf("%d %s: %v", status, body, err)
	}
	if seen.Get("X-Added") != "yes" || seen.Get("X-Secret") != "" || seen.Get("X-Other") != "o" {
		t.Errorf("the upstream saw %v", seen)
	}
	if h.Get("X-Resp") != "r" || h.Get("X-Up") != "" || h.Get("X-Keep") != "k" {
		t.Errorf("the client got %v", h)
	}
	e := rec.wait(1)[0]
	if e.RequestHeaders["X-Added"] != "yes" || e.RequestHeaders["X-Secret"] != "" || e.RequestHeaders["X-Other"] != "o" ||
		e.ResponseHeaders["X-Resp"] != "r" || e.ResponseHeaders["X-Up"] != "" || e.ResponseHeaders["X-Keep"] != "k" {
		t.Errorf("entry headers: %v / %v", e.RequestHeaders, e.ResponseHeaders)
	}
}

// An error rate of 1 answers every request with the error status without
// calling the upstream; latency and bandwidth faults still deliver the
// whole answer, and every entry says which fault it got.
func TestFaults(t *testing.T) {
	var hits atomic.Int64
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.WriteString(w, strings.Repeat("x", 20000))
	}))
	defer up.Close()

	rec := record(t, recjob.Job{Mode: recjob.ModeReverse, TargetURL: up.URL, AllowPrivate: true,
		Faults: recjob.Faults{ErrorRate: 1}})
	for range 3 {
		if status, _, body := send(t, http.DefaultClient, "POST", rec.URL()+"/x", "payload", nil); status != 503 ||
			!strings.Contains(string(body), "injected") {
			t.Fatalf("with errorRate 1: %d %s", status, body)
		}
	}
	for _, e := range rec.wait(3) {
		if e.StatusCode != 503 || e.FaultInjected != "error" || e.RequestBody != "payload" || !strings.Contains(e.ResponseBody, "injected") {
			t.Errorf("fault entry: %+v", e)
		}
	}
	if hits.Load() != 0 {
		t.Fatalf("the upstream was called %d times under errorRate 1", hits.Load())
	}
	_, _ = rec.stop()

	rec = record(t, recjob.Job{Mode: recjob.ModeReverse, TargetURL: up.URL, AllowPrivate: true,
		Faults: recjob.Faults{ErrorRate: 1, ErrorStatus: 429}})
	if status, _, _ := send(t, http.DefaultClient, "GET", rec.URL()+"/x", "", nil); status != 429 {
		t.Fatalf("errorStatus 429: %d", status)
	}
	_, _ = rec.stop()

	rec = record(t, recjob.Job{Mode: recjob.ModeReverse, TargetURL: up.URL, AllowPrivate: true,
		Faults: recjob.Faults{LatencyMs: 20, JitterMs: 10, BandwidthKBps: 64}})
	status, _, body := send(t, http.DefaultClient, "GET", rec.URL()+"/x", "", nil)
	if status != 200 || len(body) != 20000 {
		t.Fatalf("under latency and bandwidth faults: %d, %d bytes", status, len(body))
	}
	e := rec.wait(1)[0]
	if e.StatusCode != 200 || e.FaultInjected != "latency,bandwidth" || e.ResponseBodySize != 20000 || e.Error != "" {
		t.Errorf("entry: status %d fault %q size %d error %q", e.StatusCode, e.FaultInjected, e.ResponseBodySize, e.Error)
	}
}

// A refused connection is a 502, an upstream that does not answer in time
// a 504, and both are entries with their error.
func TestUpstreamFailures(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	_ = ln.Close()
	rec := record(t, recjob.Job{Mode: recjob.ModeReverse, TargetURL: "http://" + closed, AllowPrivate: true})
	if status, _, body := send(t, http.DefaultClient, "GET", rec.URL()+"/x", "", nil); status != 502 || !strings.Contains(string(body), "upstream") {
		t.Fatalf("a refused upstream: %d %s", status, body)
	}
	e := rec.wait(1)[0]
	if e.StatusCode != 502 || !strings.Contains(e.Error, "refused") || e.URL != "http://"+closed+"/x" {
		t.Errorf("refused entry: %+v", e)
	}
	_, _ = rec.stop()

	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	rec = record(t, recjob.Job{Mode: recjob.ModeReverse, TargetURL: slow.URL, AllowPrivate: true, TimeoutMs: 200})
	if status, _, _ := send(t, http.DefaultClient, "GET", rec.URL()+"/slow", "", nil); status != 504 {
		t.Fatalf("a silent upstream: %d", status)
	}
	e = rec.wait(1)[0]
	if e.StatusCode != 504 || !strings.Contains(e.Error, "did not answer") {
		t.Errorf("timeout entry: %+v", e)
	}
}

// Forwarding obeys the network policy: a loopback upstream is refused
// without allowPrivate, unless it is one of allowHosts.
func TestNetworkPolicy(t *testing.T) {
	up := upstream(t)
	rec := record(t, recjob.Job{Mode: recjob.ModeReverse, TargetURL: up.URL})
	if status, _, _ := send(t, http.DefaultClient, "GET", rec.URL()+"/api/hello", "", nil); status != 502 {
		t.Fatalf("a loopback upstream without allowPrivate: %d", status)
	}
	e := rec.wait(1)[0]
	if e.StatusCode != 502 || !strings.Contains(e.Error, "refusing to call private address") {
		t.Errorf("entry: %+v", e)
	}
	_, _ = rec.stop()

	rec = record(t, recjob.Job{Mode: recjob.ModeReverse, TargetURL: up.URL, AllowHosts: []string{strings.TrimPrefix(up.URL, "http://")}})
	if status, _, _ := send(t, http.DefaultClient, "GET", rec.URL()+"/api/hello", "", nil); status != 200 {
		t.Fatalf("an allowed host: %d", status)
	}
}

// A taken port fails the session with "address already in use" (the host
// answers 409); port-check tells taken from free.
func TestPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	rec := record(t, recjob.Job{Mode: recjob.ModeReverse, TargetURL: "http://example.com", Address: ln.Addr().String()})
	if err := rec.failed(); err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("a taken port: %v", err)
	}

	p := plugintest.Start(t, &Recorder{}, nil, nil)
	check := func(addr string) PortCheckResult {
		b, _ := json.Marshal(PortCheck{Address: addr})
		out, err := p.Client.Call(context.Background(), ActionPortCheck, b)
		if err != nil {
			t.Fatal(err)
		}
		var r PortCheckResult
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := check(ln.Addr().String()); r.Available || !strings.Contains(r.Error, "address already in use") {
		t.Errorf("a taken port: %+v", r)
	}
	if r := check("127.0.0.1:0"); !r.Available || r.Error != "" {
		t.Errorf("a free port: %+v", r)
	}
	if _, err := p.Client.Call(context.Background(), ActionPortCheck, json.RawMessage(`{}`)); err == nil {
		t.Error("port-check without an address was accepted")
	}
	if _, err := p.Client.Call(context.Background(), "other", json.RawMessage(`{}`)); err == nil {
		t.Error("an unknown action was accepted")
	}
}

// Bad jobs are refused with what is wrong.
func TestBadJobs(t *testing.T) {
	p := plugintest.Start(t, &Recorder{}, nil, nil)
	for _, c := range []struct{ kind, params, want string }{
		{"other", `{}`, "unknown job kind"},
		{recjob.KindSession, `{"mode": 5}`, "unreadable job"},
		{recjob.KindSession, `{"mode": "reverse", "targetUrl": "http://x"}`, "address is required"},
		{recjob.KindSession, `{"mode": "reverse", "address": "127.0.0.1:0"}`, "targetUrl"},
		{recjob.KindSession, `{"mode": "reverse", "address": "127.0.0.1:0", "targetUrl": "ftp://x"}`, "targetUrl"},
		{recjob.KindSession, `{"mode": "reverse", "address": "127.0.0.1:0", "targetUrl": "http://"}`, "targetUrl"},
		{recjob.KindSession, `{"mode": "sideways", "address": "127.0.0.1:0"}`, "mode"},
		{recjob.KindSession, `{"mode": "forward", "address": "127.0.0.1:0", "caCertPem": "x"}`, "caKeyPem"},
		{recjob.KindSession, `{"mode": "forward", "address": "127.0.0.1:0", "caCertPem": "x", "caKeyPem": "y"}`, "the CA"},
		{recjob.KindSession, `{"mode": "forward", "address": "127.0.0.1:0", "faults": {"errorRate": 2}}`, "errorRate"},
		{recjob.KindSession, `{"mode": "forward", "address": "127.0.0.1:0", "maxBodyBytes": -1}`, "maxBodyBytes"},
		{recjob.KindSession, `{"mode": "forward", "address": "no-port"}`, "listen on no-port"},
	} {
		_, _, err := p.Run(context.Background(), sdk.Job{ID: "bad", Kind: c.kind, Params: json.RawMessage(c.params)})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: %v, want an error about %q", c.kind, c.params, err, c.want)
		}
	}
}

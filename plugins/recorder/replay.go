package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/mockarty-oss/mockarty/sdk/outbound"
	"github.com/mockarty-oss/mockarty/sdk/recjob"
)

// Bounds of a replay.
const (
	maxReplayRequests    = 10_000
	maxReplayConcurrency = 32
	replayPreviewBytes   = 2048
)

// replay sends recorded requests again under the network policy and says
// what came back; ctx (the caller's) ends it.
func replay(ctx context.Context, p *recjob.Replay) ([]recjob.ReplayResult, error) {
	if len(p.Requests) > maxReplayRequests {
		return nil, fmt.Errorf("replay: at most %d requests", maxReplayRequests)
	}
	conc := p.Concurrency
	if conc <= 0 {
		conc = 1
	}
	conc = min(conc, maxReplayConcurrency)
	timeout := 30 * time.Second
	if p.TimeoutMs > 0 {
		timeout = time.Duration(p.TimeoutMs) * time.Millisecond
	}
	roots, err := upstreamRoots()
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{DialContext: outbound.Policy{AllowPrivate: p.AllowPrivate, Allow: p.AllowHosts}.Dialer(),
		TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}, ForceAttemptHTTP2: true, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	if !p.FollowRedirects {
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	out := make([]recjob.ReplayResult, len(p.Requests))
	var wg sync.WaitGroup
	sem := make(chan struct{}, conc)
	for i := range p.Requests {
		if ctx.Err() != nil {
			out[i] = recjob.ReplayResult{EntryID: p.Requests[i].EntryID, Skipped: true, SkippedReason: "the replay was cancelled"}
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			out[i] = replayOne(ctx, client, timeout, &p.Requests[i])
		}(i)
	}
	wg.Wait()
	return out, nil
}

// hopByHop are the request headers the client sets itself.
var hopByHop = map[string]bool{"Host": true, "Content-Length": true, "Connection": true, "Keep-Alive": true, "Proxy-Connection": true,
	"Transfer-Encoding": true, "Te": true, "Trailer": true, "Upgrade": true}

func replayOne(ctx context.Context, client *http.Client, timeout time.Duration, q *recjob.ReplayRequest) recjob.ReplayResult {
	res := recjob.ReplayResult{EntryID: q.EntryID, OriginalStatus: q.OriginalStatus, ReplayedURL: q.URL}
	if !strings.HasPrefix(q.URL, "http://") && !strings.HasPrefix(q.URL, "https://") {
		res.Skipped, res.SkippedReason = true, "not an http or https request"
		return res
	}
	body := []byte(q.Body)
	if q.BodyEncoding == "base64" {
		b, err := base64.StdEncoding.DecodeString(q.Body)
		if err != nil {
			res.Error = "the recorded body does not decode: " + err.Error()
			return res
		}
		body = b
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, q.Method, q.URL, bytes.NewReader(body))
	if err != nil {
		res.Error = err.Error()
		return res
	}
	for k, v := range q.Headers {
		if !hopByHop[http.CanonicalHeaderKey(k)] {
			req.Header.Set(k, v)
		}
	}
	start := time.Now()
	r, err := client.Do(req)
	res.DurationMs = time.Since(start).Milliseconds()
	if err != nil {
		res.Error = err.Error()
		return res
	}
	defer r.Body.Close()
	preview, _ := io.ReadAll(io.LimitReader(r.Body, replayPreviewBytes))
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 64<<20))
	res.DurationMs = time.Since(start).Milliseconds()
	res.NewStatus, res.StatusMatch = r.StatusCode, r.StatusCode == q.OriginalStatus
	if utf8.Valid(preview) {
		res.ResponsePreview = string(preview)
	} else {
		res.ResponsePreview = base64.StdEncoding.EncodeToString(preview)
	}
	return res
}

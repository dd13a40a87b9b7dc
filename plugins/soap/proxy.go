package main

// Proxy mocks: the call is forwarded as it came to the mock's upstream
// (target + the request's path and query) and the upstream's answer is
// returned, with the mock's headers added.

import (
	"bytes"
	"context"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/handoff"
	"io"
	"net/http"
	"strings"
	"time"
)

// hopHeaders are not forwarded (RFC 9110 section 7.6.1), nor are the
// host's hand-off headers.
var hopHeaders = map[string]bool{"Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true,
	"Proxy-Authorization": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
	"Content-Length": true, handoff.HeaderNamespace: true, handoff.HeaderPrefix: true, handoff.HeaderSecret: true}

// maxProxyAnswer caps an upstream's answer.
const maxProxyAnswer = 64 << 20

func (l *Listener) proxy(ctx context.Context, w http.ResponseWriter, r *http.Request, path string, body []byte,
	resp *find.SOAPResponse, v version, client *http.Client) {
	target := strings.TrimRight(resp.Proxy.Target, "/") + path
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	pctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	up, err := http.NewRequestWithContext(pctx, r.Method, target, bytes.NewReader(body))
	if err != nil {
		writeFault(w, v, http.StatusBadGateway, fault{code: codeServer, reason: "proxy target: " + err.Error()})
		return
	}
	for k, vals := range r.Header {
		if !hopHeaders[k] {
			up.Header[k] = vals
		}
	}
	res, err := client.Do(up)
	if err != nil {
		writeFault(w, v, http.StatusBadGateway, fault{code: codeServer, reason: "proxy: " + err.Error()})
		return
	}
	defer res.Body.Close()
	out, err := io.ReadAll(io.LimitReader(res.Body, maxProxyAnswer))
	if err != nil {
		writeFault(w, v, http.StatusBadGateway, fault{code: codeServer, reason: "proxy: reading the upstream answer: " + err.Error()})
		return
	}
	for k, vals := range res.Header {
		if !hopHeaders[k] {
			w.Header()[k] = vals
		}
	}
	for k, vals := range resp.Headers {
		w.Header()[http.CanonicalHeaderKey(k)] = vals
	}
	w.Header().Set("X-Mockarty-Mock-Id", resp.MockID)
	w.WriteHeader(res.StatusCode)
	_, _ = w.Write(out)
}

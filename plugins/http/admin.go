package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/handoff"
	"github.com/valyala/fasthttp"
)

// The optional /__admin (setting wiremockAdmin): WireMock's admin API on
// the listener's own address, so WireMock clients pointed at it work
// unchanged. The host owns mocks, mappings and the request journal; the
// listener relays each call to the host's /__admin for its namespace,
// with the caller's own credentials.

// maxAdminResponse bounds what is relayed back of one answer.
const maxAdminResponse = 64 << 20

var adminClient = &http.Client{Timeout: 60 * time.Second}

func isAdminPath(p []byte) bool {
	return bytes.Equal(p, []byte("/__admin")) || bytes.HasPrefix(p, []byte("/__admin/"))
}

func relayAdmin(ctx *fasthttp.RequestCtx, namespace string, base context.Context) {
	api := os.Getenv(handoff.EnvAPIURL)
	if api == "" {
		writeError(ctx, http.StatusServiceUnavailable, "unavailable", "the host did not say where its API listens ("+handoff.EnvAPIURL+")")
		return
	}
	q, _ := url.ParseQuery(string(ctx.QueryArgs().QueryString()))
	q.Set("namespace", namespace)
	// The path arrives decoded: escape it again, so a "?" in it stays
	// part of the path and cannot bring its own namespace.
	u := api + (&url.URL{Path: string(ctx.Path())}).EscapedPath() + "?" + q.Encode()
	req, err := http.NewRequestWithContext(base, string(ctx.Method()), u, bytes.NewReader(ctx.PostBody()))
	if err != nil {
		writeError(ctx, http.StatusBadRequest, "validation", err.Error())
		return
	}
	for _, h := range []string{"Content-Type", "Authorization", "X-API-Key", "Cookie", "X-Request-Id"} {
		if v := ctx.Request.Header.Peek(h); len(v) > 0 {
			req.Header.Set(h, string(v))
		}
	}
	res, err := adminClient.Do(req)
	if err != nil {
		writeError(ctx, http.StatusBadGateway, "unavailable", "the host's /__admin: "+err.Error())
		return
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxAdminResponse))
	if err != nil {
		writeError(ctx, http.StatusBadGateway, "unavailable", "the host's /__admin: "+err.Error())
		return
	}
	ctx.SetStatusCode(res.StatusCode)
	if ct := res.Header.Get("Content-Type"); ct != "" {
		ctx.SetContentType(ct)
	}
	if id := res.Header.Get("X-Request-Id"); id != "" {
		ctx.Response.Header.Set("X-Request-Id", id)
	}
	ctx.SetBody(body)
}

package main

// The real client of these tests: mcp-go's, over streamable HTTP (the
// stateless 2026-07-28 protocol, and the 2025-11-25 one with its GET
// listening stream) and over SSE.

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// Client modes.
const (
	modeHTTP       = "streamable-http"        // the stateless protocol (server/discover)
	modeHTTPLegacy = "streamable-http-legacy" // initialize + GET listening stream
	modeSSE        = "sse"                    // what mcp-go's SSE client negotiates (2026-07-28)
	modeSSELegacy  = "sse-legacy"             // initialize, as the SSE transport's own protocol had it
)

var allModes = []string{modeHTTP, modeHTTPLegacy, modeSSE, modeSSELegacy}

type conn struct {
	*client.Client
	mode  string
	notes chan string // methods of the notifications received
	hc    *http.Client
	close func() // ends the client (also when the test ends)
}

// endpoint is a server's URL for a mode, from the base of its paths ("" or
// /<serverName>).
func endpoint(base, mode string) string {
	if mode == modeSSE || mode == modeSSELegacy {
		return base + "/sse"
	}
	return base + "/mcp"
}

// dial connects and initializes a client, and for the stateless protocol
// opens its subscriptions/listen stream, so list changes reach it in every
// mode. The client is closed when the test ends.
func dial(t *testing.T, mode, url string, headers map[string]string) *conn {
	t.Helper()
	c, err := tryDial(t, mode, url, headers)
	if err != nil {
		t.Fatalf("connect %s over %s: %v", url, mode, err)
	}
	return c
}

func tryDial(t *testing.T, mode, url string, headers map[string]string) (*conn, error) {
	t.Helper()
	// An own transport, closed with the client: no idle connection is left
	// to look like a leak.
	return tryDialHC(t, mode, url, headers, &http.Client{Transport: &http.Transport{}})
}

// tryDialHC is tryDial through hc.
func tryDialHC(t *testing.T, mode, url string, headers map[string]string, hc *http.Client) (*conn, error) {
	t.Helper()
	var (
		mc  *client.Client
		err error
	)
	switch mode {
	case modeSSE:
		mc, err = client.NewSSEMCPClient(url, client.WithHeaders(headers), client.WithHTTPClient(hc))
	case modeSSELegacy:
		var tr *transport.SSE
		tr, err = transport.NewSSE(url, transport.WithHeaders(headers), transport.WithHTTPClient(hc))
		if err == nil {
			mc = client.NewClient(tr, client.WithProtocolVersion(mcp.LATEST_LEGACY_PROTOCOL_VERSION))
		}
	case modeHTTPLegacy:
		var tr *transport.StreamableHTTP
		tr, err = transport.NewStreamableHTTP(url, transport.WithHTTPHeaders(headers),
			transport.WithHTTPBasicClient(hc), transport.WithContinuousListening())
		if err == nil {
			mc = client.NewClient(tr)
		}
	default:
		mc, err = client.NewStreamableHttpClient(url, transport.WithHTTPHeaders(headers), transport.WithHTTPBasicClient(hc))
	}
	if err != nil {
		return nil, err
	}
	c := &conn{Client: mc, mode: mode, notes: make(chan string, 64), hc: hc}
	mc.OnNotification(func(n mcp.JSONRPCNotification) {
		select {
		case c.notes <- n.Method:
		default:
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	closeAll := func() {
		_ = mc.Close()
		hc.CloseIdleConnections()
	}
	// Start's context lives as long as the SSE stream: the client's, ended by Close.
	if err := mc.Start(context.Background()); err != nil {
		closeAll()
		return nil, err
	}
	init := mcp.InitializeRequest{}
	init.Params.ClientInfo = mcp.Implementation{Name: "mockarty-test", Version: "1"}
	if _, err := mc.Initialize(ctx, init); err != nil {
		closeAll()
		return nil, err
	}
	stop := func() {}
	if mcp.IsModernProtocol(mc.ProtocolVersion()) {
		s, err := mc.ListenAsync(context.Background(), mcp.SubscriptionFilter{ToolsListChanged: true,
			ResourcesListChanged: true, PromptsListChanged: true}, nil)
		if err != nil {
			closeAll()
			return nil, err
		}
		stop = s
	}
	var once sync.Once
	c.close = func() {
		once.Do(func() {
			stop()
			closeAll()
		})
	}
	t.Cleanup(c.close)
	return c, nil
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// toolNames lists the tools, sorted as the server sends them.
func (c *conn) tools(t *testing.T) map[string]mcp.Tool {
	t.Helper()
	res, err := c.ListTools(ctxT(t), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatalf("tools/list over %s: %v", c.mode, err)
	}
	out := map[string]mcp.Tool{}
	for _, tool := range res.Tools {
		out[tool.Name] = tool
	}
	return out
}

func (c *conn) call(t *testing.T, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	req := mcp.CallToolRequest{}
	req.Params.Name, req.Params.Arguments = name, args
	res, err := c.CallTool(ctxT(t), req)
	if err != nil {
		t.Fatalf("tools/call %s over %s: %v", name, c.mode, err)
	}
	return res
}

// text joins a result's text contents.
func text(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := mcp.AsTextContent(c); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// waitNote waits for a notification of method.
func (c *conn) waitNote(t *testing.T, method string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case m := <-c.notes:
			if m == method {
				return
			}
		case <-deadline:
			t.Fatalf("no %s notification over %s", method, c.mode)
		}
	}
}

// drainNotes forgets the notifications received so far.
func (c *conn) drainNotes() {
	for {
		select {
		case <-c.notes:
		default:
			return
		}
	}
}

func schemaOf(t *testing.T, tool mcp.Tool) map[string]any {
	t.Helper()
	b, err := json.Marshal(tool)
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		InputSchema map[string]any `json:"inputSchema"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v.InputSchema
}

// clientEndpoint is the message endpoint the SSE transport was given.
func clientEndpoint(c *conn) *url.URL { return client.GetEndpoint(c.Client) }

package mcpgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// liveTimeout bounds the whole read of a live server when the caller set
// no deadline.
const liveTimeout = 30 * time.Second

// Conn says how to reach a live MCP server.
type Conn struct {
	// URL of the server; Transport "http" (streamable HTTP, the default) or "sse".
	URL, Transport string
	// Headers are sent with every request (authentication).
	Headers map[string]string
	// HTTPClient, when set, is what talks to URL (nil: mcp-go's own).
	HTTPClient *http.Client
	// ClientName is how the client introduces itself.
	ClientName string
}

// Connect starts an mcp-go client on a live server and initializes the
// session; the caller closes the client. An SSE stream lives as long as
// ctx, so ctx must outlive every call made on the client.
func Connect(ctx context.Context, cn Conn) (*client.Client, *mcp.InitializeResult, error) {
	var (
		c   *client.Client
		err error
	)
	if cn.Transport == TransportSSE {
		opts := []transport.ClientOption{transport.WithHeaders(cn.Headers)}
		if cn.HTTPClient != nil {
			opts = append(opts, transport.WithHTTPClient(cn.HTTPClient))
		}
		var tr *transport.SSE
		if tr, err = transport.NewSSE(cn.URL, opts...); err == nil {
			c = client.NewClient(tr)
		}
	} else {
		opts := []transport.StreamableHTTPCOption{transport.WithHTTPHeaders(cn.Headers)}
		if cn.HTTPClient != nil {
			opts = append(opts, transport.WithHTTPBasicClient(cn.HTTPClient))
		}
		var tr *transport.StreamableHTTP
		if tr, err = transport.NewStreamableHTTP(cn.URL, opts...); err == nil {
			c = client.NewClient(tr)
		}
	}
	if err != nil {
		return nil, nil, err
	}
	if err := c.Start(ctx); err != nil {
		_ = c.Close()
		return nil, nil, fmt.Errorf("connect: %w", err)
	}
	name := cn.ClientName
	if name == "" {
		name = "mockarty"
	}
	init := mcp.InitializeRequest{}
	init.Params.ClientInfo = mcp.Implementation{Name: name, Version: "1.0.0"}
	res, err := c.Initialize(ctx, init)
	if err != nil {
		_ = c.Close()
		return nil, nil, fmt.Errorf("initialize: %w", err)
	}
	return c, res, nil
}

// readLive connects to the server with mcp-go's client and reads its lists
// (each only when the server declares it).
func readLive(ctx context.Context, in *Input) (*description, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, liveTimeout)
		defer cancel()
	}
	c, res, err := Connect(ctx, Conn{URL: in.URL, Transport: in.Transport, Headers: in.Headers, HTTPClient: in.HTTPClient,
		ClientName: "mockarty-generator"})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	caps := res.Capabilities
	d := &description{}
	if caps.Tools != nil {
		tools, err := c.ListTools(ctx, mcp.ListToolsRequest{})
		if err != nil {
			return nil, fmt.Errorf("tools/list: %w", err)
		}
		if err := recode(tools.Tools, &d.Tools); err != nil {
			return nil, fmt.Errorf("tools/list: %w", err)
		}
	}
	if caps.Resources != nil {
		list, err := c.ListResources(ctx, mcp.ListResourcesRequest{})
		if err != nil {
			return nil, fmt.Errorf("resources/list: %w", err)
		}
		if err := recode(list.Resources, &d.Resources); err != nil {
			return nil, fmt.Errorf("resources/list: %w", err)
		}
	}
	if caps.Prompts != nil {
		list, err := c.ListPrompts(ctx, mcp.ListPromptsRequest{})
		if err != nil {
			return nil, fmt.Errorf("prompts/list: %w", err)
		}
		if err := recode(list.Prompts, &d.Prompts); err != nil {
			return nil, fmt.Errorf("prompts/list: %w", err)
		}
	}
	if err := d.check(""); err != nil {
		return nil, fmt.Errorf("the server's lists: %w", err)
	}
	if len(d.Tools)+len(d.Resources)+len(d.Prompts) == 0 {
		return nil, errors.New("the server offers no tools, resources or prompts")
	}
	return d, nil
}

// recode moves mcp-go's typed list items into the description's shapes,
// through their JSON (the wire form).
func recode(from, to any) error {
	b, err := json.Marshal(from)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, to)
}

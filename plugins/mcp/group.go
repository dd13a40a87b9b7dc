package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/mockarty-oss/mockarty/sdk"
)

// group is one MCP server (a namespace's, or one serverName's) with its two
// transports. The protocol is mcp-go's; the group only keeps its lists in
// step with the mocks and answers calls through the host.
type group struct {
	host        sdk.Host
	ns, sn      string
	srv         *server.MCPServer
	http        *server.StreamableHTTPServer
	httpHandler http.Handler // g.http with keep-alives on POST event streams
	sse         *server.SSEServer
	sseStream   http.Handler // GET /sse
	sseMessage  http.Handler // POST /message
	holds       listenHolds
	mu          sync.Mutex
	applied     [3]string // the tools, resources and prompts last set, as JSON
	appliedAny  bool
}

// transportLog is where mcp-go's streamable transport reports its own
// troubles; stderr reaches the host's log.
var transportLog = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

// newGroup makes the server of (ns, serverName). keepAlive is how often a
// quiet event stream is written to, so that one whose client is gone (a
// proxy in between keeps no connection of its own alive) is noticed.
func newGroup(host sdk.Host, ns, sn string, keepAlive time.Duration) *group {
	name := "mockarty " + ns
	if sn != "" {
		name += "/" + sn
	}
	g := &group{host: host, ns: ns, sn: sn}
	hooks := &server.Hooks{}
	g.holds.hook(hooks, func() *server.MCPServer { return g.srv })
	g.srv = server.NewMCPServer(name, "1.0.0",
		server.WithHooks(hooks),
		// listChanged everywhere: agents learn of a new or deleted mock at once.
		server.WithToolCapabilities(true),
		server.WithResourceCapabilities(false, true),
		server.WithPromptCapabilities(true),
		server.WithRecovery(),
		server.WithResourceRecovery(),
		server.WithInstructions("Mock server of Mockarty namespace "+ns+": every tool, resource and prompt is answered by a mock."),
	)
	g.http = server.NewStreamableHTTPServer(g.srv, server.WithStreamableHTTPLogger(transportLog),
		server.WithSessionIdManager(&sessionIDs{}),
		server.WithHeartbeatInterval(keepAlive), // pings on the GET listening stream
	)
	g.sse = server.NewSSEServer(g.srv,
		server.WithDynamicBasePath(func(r *http.Request, _ string) string { return ssePath(r, sn) }),
		server.WithMessageEndpoint("/"+kindMessage),
		server.WithSSEEndpoint("/"+kindSSE),
		server.WithKeepAlive(true),
		server.WithKeepAliveInterval(keepAlive), // pings on the event stream
	)
	g.httpHandler = streamKeepAlive(g.http, keepAlive) // comments on POST event streams
	g.sseStream = markSSE(g.sse.SSEHandler(), 0)
	g.sseMessage = markSSE(g.sse.MessageHandler(), maxBody)
	return g
}

// sessionIDs are mcp-go's stateless session ids (any instance accepts
// any well-formed id, so a plugin restart loses no client), and a request
// without one is served too: a plain JSON-RPC POST (tools/list,
// tools/call) works without an initialize first, as the spec's
// "POST /stubs/<namespace> speaking JSON-RPC 2.0" has it.
type sessionIDs struct {
	server.StatelessGeneratingSessionIdManager
}

func (m *sessionIDs) Validate(id string) (bool, error) {
	if id == "" {
		return false, nil
	}
	return m.StatelessGeneratingSessionIdManager.Validate(id)
}

// apply sets the server's lists to c; a list that did not change is left
// alone, so clients hear list_changed only when something changed.
func (g *group) apply(c *catalog) {
	g.mu.Lock()
	defer g.mu.Unlock()
	enc := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	tools, resources, prompts := enc(c.Tools), enc(c.Resources), enc(c.Prompts)
	first := !g.appliedAny
	g.appliedAny = true
	if first || tools != g.applied[0] {
		g.applied[0] = tools
		list := make([]server.ServerTool, 0, len(c.Tools))
		for _, t := range c.Tools {
			tool := mcp.Tool{Name: t.Name, Description: t.Description, RawInputSchema: t.InputSchema}
			// mcp-go refuses (panics on) a schema whose x-mcp-header
			// annotations break its rules: such a tool is left out.
			if err := mcp.ValidateParamHeaderAnnotations(&tool); err != nil {
				pluginLog.Warn("tool left out: its inputSchema has invalid x-mcp-header annotations",
					"namespace", g.ns, "serverName", g.sn, "tool", t.Name, "error", err)
				continue
			}
			list = append(list, server.ServerTool{Tool: tool, Handler: g.callTool})
		}
		g.srv.SetTools(list...)
	}
	if first || resources != g.applied[1] {
		g.applied[1] = resources
		list := make([]server.ServerResource, 0, len(c.Resources))
		for _, r := range c.Resources {
			res := mcp.Resource{URI: r.URI, Name: r.Name, Description: r.Description, MIMEType: r.MimeType}
			list = append(list, server.ServerResource{Resource: res, Handler: g.readResource(r)})
		}
		g.srv.SetResources(list...)
	}
	if first || prompts != g.applied[2] {
		g.applied[2] = prompts
		list := make([]server.ServerPrompt, 0, len(c.Prompts))
		for _, p := range c.Prompts {
			pr := mcp.Prompt{Name: p.Name, Description: p.Description}
			for _, a := range p.Arguments {
				pr.Arguments = append(pr.Arguments, mcp.PromptArgument{Name: a.Name, Description: a.Description, Required: a.Required})
			}
			list = append(list, server.ServerPrompt{Prompt: pr, Handler: g.getPrompt(p)})
		}
		g.srv.SetPrompts(list...)
	}
}

// close ends the server's sessions: SSE streams and streamable listening
// streams return at once.
func (g *group) close(ctx context.Context) {
	g.sse.CloseSessions()
	_ = g.http.Shutdown(ctx) // no HTTP server of its own: closes sessions, stops its sweeper
}

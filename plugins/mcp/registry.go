package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/listen"
)

// registry holds the MCP servers, made on first use: per namespace, the
// namespace's server and one per serverName. Each namespace keeps the last
// listing of its MCP mocks; a change announced by Watch (or, from a host
// without Watch, a poll) lists them again and updates every server, which
// tells its connected clients when a list changed.
type registry struct {
	host      sdk.Host
	defaultNS string
	keepAlive time.Duration // how often quiet event streams are written to

	mu     sync.Mutex
	spaces map[string]*space
}

type space struct {
	ns string

	mu     sync.Mutex // held while the mocks are listed and applied
	mocks  []*mockDoc
	groups map[string]*group // by serverName; "" is the namespace's server
}

// notFoundError is a request for a server that has no mocks.
type notFoundError struct{ msg string }

func (e *notFoundError) Error() string { return e.msg }

// listTimeout bounds one ListMocks call.
const listTimeout = 10 * time.Second

// pollEvery is how often mocks are listed again when the host cannot Watch.
const pollEvery = 2 * time.Second

func newRegistry(host sdk.Host, defaultNS string, keepAlive time.Duration) *registry {
	return &registry{host: host, defaultNS: defaultNS, keepAlive: keepAlive, spaces: map[string]*space{}}
}

func (r *registry) list(ctx context.Context, ns string) ([]*mockDoc, error) {
	ctx, cancel := context.WithTimeout(ctx, listTimeout)
	defer cancel()
	raw, err := r.host.ListMocks(ctx, "mcp", ns)
	if err != nil {
		return nil, err
	}
	return parseMocks(raw), nil
}

// group returns the server of (ns, serverName), making it when needed. A
// namespace other than the configured one is served once it has MCP
// mocks, and a serverName once a mock names it, so stray paths and
// headers cannot make servers without end.
func (r *registry) group(ctx context.Context, ns, serverName string) (*group, error) {
	sp, err := r.space(ctx, ns)
	if err != nil {
		return nil, err
	}
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if g := sp.groups[serverName]; g != nil {
		return g, nil
	}
	if serverName != "" && !serverNames(sp.mocks)[serverName] {
		return nil, &notFoundError{fmt.Sprintf("no MCP mock has serverName %q in namespace %s", serverName, ns)}
	}
	g := newGroup(r.host, ns, serverName, r.keepAlive)
	g.apply(buildCatalog(sp.mocks, serverName))
	sp.groups[serverName] = g
	return g, nil
}

func (r *registry) space(ctx context.Context, ns string) (*space, error) {
	r.mu.Lock()
	sp := r.spaces[ns]
	r.mu.Unlock()
	if sp != nil {
		return sp, nil
	}
	mocks, err := r.list(ctx, ns)
	if err != nil {
		return nil, fmt.Errorf("cannot list the MCP mocks of namespace %s: %w", ns, err)
	}
	if len(mocks) == 0 && ns != r.defaultNS {
		return nil, &notFoundError{fmt.Sprintf("namespace %s has no MCP mocks", ns)}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if sp := r.spaces[ns]; sp != nil {
		return sp, nil // made by a concurrent request
	}
	sp = &space{ns: ns, mocks: mocks, groups: map[string]*group{}}
	r.spaces[ns] = sp
	return sp, nil
}

// refresh lists every known namespace's mocks again and updates its servers.
func (r *registry) refresh(ctx context.Context) {
	r.mu.Lock()
	spaces := make([]*space, 0, len(r.spaces))
	for _, sp := range r.spaces {
		spaces = append(spaces, sp)
	}
	r.mu.Unlock()
	for _, sp := range spaces {
		mocks, err := r.list(ctx, sp.ns)
		if err != nil {
			if ctx.Err() == nil {
				pluginLog.Warn("cannot list the MCP mocks", "namespace", sp.ns, "error", err)
			}
			continue
		}
		sp.mu.Lock()
		sp.mocks = mocks
		for sn, g := range sp.groups {
			g.apply(buildCatalog(mocks, sn))
		}
		sp.mu.Unlock()
	}
}

// follow keeps the servers in step with the mocks until ctx ends: through
// Watch, set up again if the host's stream breaks, else by polling.
func (r *registry) follow(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		ch, err := r.host.Watch(ctx, []string{sdk.MocksTopic("mcp")})
		if errors.Is(err, sdk.ErrNotSupported) {
			pluginLog.Info("the host cannot watch mocks; the MCP mocks are listed again every few seconds")
			r.poll(ctx)
			return
		}
		if err != nil {
			if ctx.Err() == nil {
				pluginLog.Warn("cannot watch the MCP mocks; trying again", "error", err)
			}
			if !listen.Sleep(ctx, backoff) {
				return
			}
			backoff = min(2*backoff, 5*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		// Changes made before the watch started (while a server was being
		// made) are caught by one read now.
		r.refresh(ctx)
		for range ch {
			r.refresh(ctx)
		}
	}
}

func (r *registry) poll(ctx context.Context) {
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.refresh(ctx)
		}
	}
}

// closeSessions ends every client session of every server.
func (r *registry) closeSessions(ctx context.Context) {
	r.mu.Lock()
	spaces := make([]*space, 0, len(r.spaces))
	for _, sp := range r.spaces {
		spaces = append(spaces, sp)
	}
	r.mu.Unlock()
	for _, sp := range spaces {
		sp.mu.Lock()
		for _, g := range sp.groups {
			g.close(ctx)
		}
		sp.mu.Unlock()
	}
}

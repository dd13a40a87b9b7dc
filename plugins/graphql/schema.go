package main

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// schemaCache holds each namespace's schema: every SDL file registered in
// the namespace (ListDocuments kind "graphql"), loaded together. It is read
// again after a change notice (Watch), or, from a host without Watch,
// after noWatchTTL. It keeps the namespaces used last, at most limit of
// them: the namespaces a listener is asked for are few, but nothing else
// would stop the cache from growing with every name it hears.
type schemaCache struct {
	host  sdk.HostData
	limit int

	mu       sync.Mutex
	entries  map[string]*list.Element // of *schemaEntry, used last first in order
	order    *list.List
	gen      uint64 // bumped by every change notice
	watching bool
}

// schemaCacheSize is how many namespaces' schemas are kept.
const schemaCacheSize = 256

type schemaEntry struct {
	ns       string
	mu       sync.Mutex // one load at a time per namespace
	loaded   bool
	gen      uint64
	loadedAt time.Time
	schema   *ast.Schema // nil: no SDL registered
	err      error       // the SDL does not load
}

// sdlError is a namespace whose registered SDL does not make a schema.
type sdlError struct {
	namespace string
	err       error
}

func (e *sdlError) Error() string {
	return fmt.Sprintf("the GraphQL schema registered in namespace %q does not load: %v", e.namespace, e.err)
}

// noWatchTTL is how long a read is trusted without change notices.
const noWatchTTL = 2 * time.Second

func newSchemaCache(host sdk.HostData) *schemaCache {
	return &schemaCache{host: host, limit: schemaCacheSize, entries: map[string]*list.Element{}, order: list.New()}
}

// entry is namespace ns's entry, made when there is none (and the one used
// longest ago dropped when the cache is full).
func (c *schemaCache) entry(ns string) *schemaEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el := c.entries[ns]; el != nil {
		c.order.MoveToFront(el)
		return el.Value.(*schemaEntry)
	}
	e := &schemaEntry{ns: ns}
	c.entries[ns] = c.order.PushFront(e)
	for c.order.Len() > c.limit {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.entries, last.Value.(*schemaEntry).ns) // a load under way keeps its entry to itself
	}
	return e
}

// size is how many namespaces are cached.
func (c *schemaCache) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// watch marks every schema stale on each change of the GraphQL documents,
// until ctx ends.
func (c *schemaCache) watch(ctx context.Context) {
	ch, err := c.host.Watch(ctx, []string{sdk.DocumentsTopic(sdk.DocumentGraphQL)})
	if err != nil {
		if !errors.Is(err, sdk.ErrNotSupported) && ctx.Err() == nil {
			pluginLog.Warn("cannot watch the GraphQL schemas; they are re-read every few seconds", "error", err)
		}
		return
	}
	c.mu.Lock()
	c.watching = true
	c.gen++ // a read made before the watch began may have missed a change
	c.mu.Unlock()
	for range ch {
		c.mu.Lock()
		c.gen++
		c.mu.Unlock()
	}
	c.mu.Lock()
	c.watching = false
	c.mu.Unlock()
}

// get returns the schema of namespace ns (nil when it registered no SDL).
func (c *schemaCache) get(ctx context.Context, ns string) (*ast.Schema, error) {
	e := c.entry(ns)
	e.mu.Lock()
	defer e.mu.Unlock()
	c.mu.Lock()
	gen, watching := c.gen, c.watching
	c.mu.Unlock()
	if e.loaded && e.gen == gen && (watching || time.Since(e.loadedAt) < noWatchTTL) {
		return e.schema, e.err
	}
	lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	docs, err := c.host.ListDocuments(lctx, sdk.DocumentGraphQL, ns)
	switch {
	case errors.Is(err, sdk.ErrNotSupported):
		docs = nil // a host without documents: every namespace is schemaless
	case err != nil:
		if e.loaded {
			pluginLog.Warn("cannot re-read the GraphQL schema; serving the last one", "namespace", ns, "error", err)
			return e.schema, e.err
		}
		return nil, err
	}
	e.schema, e.err = loadSchema(ns, docs)
	e.loaded, e.gen, e.loadedAt = true, gen, time.Now()
	return e.schema, e.err
}

// loadSchema loads the SDL files of a namespace together, in name order
// (errors then name the file, line and column).
func loadSchema(ns string, docs []sdk.Document) (*ast.Schema, error) {
	var sources []*ast.Source
	for _, d := range docs {
		if d.Namespace != "" && d.Namespace != ns {
			continue
		}
		sources = append(sources, &ast.Source{Name: d.Name, Input: string(d.Content)})
	}
	if len(sources) == 0 {
		return nil, nil
	}
	sort.Slice(sources, func(i, j int) bool { return sources[i].Name < sources[j].Name })
	schema, err := gqlparser.LoadSchema(sources...)
	if err != nil {
		return nil, &sdlError{namespace: ns, err: err}
	}
	return schema, nil
}

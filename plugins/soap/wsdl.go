package main

// GET <path>?wsdl serves a WSDL registered with the host (documents of
// kind "wsdl"): the one whose soap:address location has this path, else
// the namespace's only one. Every soap:address location is rewritten to
// this listener's URL (keeping the location's own path), so a client
// generated from the WSDL calls the mock.

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mockarty-oss/mockarty/sdk"
)

// The WSDL SOAP binding namespaces (SOAP 1.1 and 1.2 addresses).
var addressNS = map[string]bool{
	"http://schemas.xmlsoap.org/wsdl/soap/":   true,
	"http://schemas.xmlsoap.org/wsdl/soap12/": true,
}

// wsdlDoc is a registered WSDL with its addresses located.
type wsdlDoc struct {
	name    string
	content []byte
	addrs   []address
}

// address is one soap:address location: its value's byte span in content.
type address struct {
	start, end int
	location   string
	path       string // the location's path, normalised
	suffix     string // what follows the host in the rewritten location: the path and query
}

// wsdlNoWatchTTL is how long a read of the documents is trusted when the
// host cannot announce changes.
const wsdlNoWatchTTL = 2 * time.Second

// maxWSDLNamespaces bounds the namespaces whose WSDLs are held: past it
// the least recently used is dropped.
const maxWSDLNamespaces = 256

// wsdlCache holds the WSDLs of each namespace that has some (a namespace
// without any is not held, so asking for many names costs no memory),
// read again when the host announces a change (Watch) or, without Watch,
// every few seconds.
type wsdlCache struct {
	host sdk.Host

	mu       sync.Mutex
	byNS     map[string]*wsdlSet
	watching bool
	// gen counts the announced changes: a read that began before one is
	// not kept, as it may predate the change.
	gen uint64
	// uses counts the reads of the cache, to order the sets by last use.
	uses uint64
}

type wsdlSet struct {
	docs     []*wsdlDoc
	loadedAt time.Time
	usedAt   uint64 // the uses count of its last read
}

func newWSDLCache(host sdk.Host) *wsdlCache {
	return &wsdlCache{host: host, byNS: map[string]*wsdlSet{}}
}

// watch forgets what was read whenever the WSDLs change, until ctx ends.
func (c *wsdlCache) watch(ctx context.Context) {
	ch, err := c.host.Watch(ctx, []string{sdk.DocumentsTopic(sdk.DocumentWSDL)})
	if err != nil {
		if !errors.Is(err, sdk.ErrNotSupported) && ctx.Err() == nil {
			pluginLog.Warn("cannot watch the WSDL documents; they are re-read every few seconds", "error", err)
		}
		return
	}
	c.mu.Lock()
	c.watching = true
	c.forget() // anything read before the watch began may be stale
	c.mu.Unlock()
	for range ch {
		c.mu.Lock()
		c.forget()
		c.mu.Unlock()
	}
	c.mu.Lock()
	c.watching = false
	c.mu.Unlock()
}

// forget drops every namespace's WSDLs (c.mu held).
func (c *wsdlCache) forget() {
	clear(c.byNS)
	c.gen++
}

// docs returns the namespace's WSDLs, from the cache unless fresh is set.
func (c *wsdlCache) docs(ctx context.Context, ns string, fresh bool) ([]*wsdlDoc, error) {
	c.mu.Lock()
	set, gen := c.byNS[ns], c.gen
	ok := set != nil && !fresh && (c.watching || time.Since(set.loadedAt) < wsdlNoWatchTTL)
	if ok {
		c.uses++
		set.usedAt = c.uses
	}
	c.mu.Unlock()
	if ok {
		return set.docs, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	list, err := c.host.ListDocuments(ctx, sdk.DocumentWSDL, ns)
	if err != nil {
		return nil, err
	}
	docs := make([]*wsdlDoc, 0, len(list))
	for _, d := range list {
		if d.Namespace != "" && d.Namespace != ns {
			continue
		}
		docs = append(docs, &wsdlDoc{name: d.Name, content: d.Content, addrs: findAddresses(d.Content)})
	}
	sort.Slice(docs, func(i, j int) bool { return docs[i].name < docs[j].name })
	c.mu.Lock()
	c.keep(ns, docs, gen)
	c.mu.Unlock()
	return docs, nil
}

// keep holds a namespace's WSDLs as read at generation gen (c.mu held):
// none, or a read older than the last change, drops what was held.
func (c *wsdlCache) keep(ns string, docs []*wsdlDoc, gen uint64) {
	if len(docs) == 0 || gen != c.gen {
		delete(c.byNS, ns)
		return
	}
	if _, held := c.byNS[ns]; !held && len(c.byNS) >= maxWSDLNamespaces {
		oldest, at := "", uint64(0)
		for k, set := range c.byNS {
			if oldest == "" || set.usedAt < at {
				oldest, at = k, set.usedAt
			}
		}
		delete(c.byNS, oldest)
	}
	c.uses++
	c.byNS[ns] = &wsdlSet{docs: docs, loadedAt: time.Now(), usedAt: c.uses}
}

// pick chooses the WSDL for a request path: by name when the query names
// one (?wsdl=<name>), else the one with an address at path, else the only
// one. A miss is read again from the host before it is reported, so a
// WSDL registered a moment ago is found.
func (c *wsdlCache) pick(ctx context.Context, ns, path, name string) (*wsdlDoc, []*wsdlDoc, error) {
	var docs []*wsdlDoc
	for _, fresh := range []bool{false, true} {
		var err error
		if docs, err = c.docs(ctx, ns, fresh); err != nil {
			return nil, nil, err
		}
		if d := choose(docs, normalisePath(path), name); d != nil {
			return d, docs, nil
		}
	}
	return nil, docs, nil
}

func choose(docs []*wsdlDoc, path, name string) *wsdlDoc {
	if name != "" {
		for _, d := range docs {
			if d.name == name {
				return d
			}
		}
		return nil
	}
	for _, d := range docs {
		for _, a := range d.addrs {
			if a.path == path {
				return d
			}
		}
	}
	if len(docs) == 1 {
		return docs[0]
	}
	return nil
}

// rewrite returns the document with every address pointing at base (the
// listener's scheme, host and public prefix) plus the address's own path
// and query.
func (d *wsdlDoc) rewrite(base string) []byte {
	var b bytes.Buffer
	last := 0
	for _, a := range d.addrs {
		b.Write(d.content[last:a.start])
		escape(&b, base+a.suffix)
		last = a.end
	}
	b.Write(d.content[last:])
	return b.Bytes()
}

// findAddresses locates the location attribute of every soap:address and
// soap12:address element. A document that cannot be read has none (it is
// served as it is).
func findAddresses(content []byte) []address {
	d := xml.NewDecoder(bytes.NewReader(content))
	// The offsets must be those of the stored bytes: no charset
	// conversion (the names and attribute looked for are ASCII).
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	var out []address
	for {
		start := d.InputOffset()
		tok, err := d.Token()
		if err != nil {
			return out
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "address" || !addressNS[se.Name.Space] {
			continue
		}
		end := d.InputOffset()
		if vs, ve, ok := attrSpan(content[start:end], "location"); ok {
			loc := string(content[int(start)+vs : int(start)+ve])
			for _, a := range se.Attr {
				if a.Name.Space == "" && a.Name.Local == "location" {
					loc = a.Value // unescaped
				}
			}
			path, suffix := locationPath(loc)
			out = append(out, address{start: int(start) + vs, end: int(start) + ve, location: loc, path: path, suffix: suffix})
		}
	}
}

// attrSpan finds the value of the unprefixed attribute name in a start
// tag: the span between its quotes.
func attrSpan(tag []byte, name string) (int, int, bool) {
	i := 1 // past '<'
	for i < len(tag) && !isSpace(tag[i]) && tag[i] != '>' && tag[i] != '/' {
		i++ // the element name
	}
	for i < len(tag) {
		for i < len(tag) && isSpace(tag[i]) {
			i++
		}
		ns := i
		for i < len(tag) && !isSpace(tag[i]) && tag[i] != '=' && tag[i] != '>' && tag[i] != '/' {
			i++
		}
		attr := string(tag[ns:i])
		for i < len(tag) && isSpace(tag[i]) {
			i++
		}
		if attr == "" || i >= len(tag) || tag[i] != '=' {
			return 0, 0, false
		}
		i++
		for i < len(tag) && isSpace(tag[i]) {
			i++
		}
		if i >= len(tag) || (tag[i] != '"' && tag[i] != '\'') {
			return 0, 0, false
		}
		q := tag[i]
		vs := i + 1
		ve := bytes.IndexByte(tag[vs:], q)
		if ve < 0 {
			return 0, 0, false
		}
		ve += vs
		if attr == name {
			return vs, ve, true
		}
		i = ve + 1
	}
	return 0, 0, false
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// locationPath is the normalised path of an address location ("/" when
// it has none), and its path and query as written.
func locationPath(loc string) (string, string) {
	u, err := url.Parse(strings.TrimSpace(loc))
	if err != nil {
		return "/", "/"
	}
	suffix := u.EscapedPath()
	if suffix == "" {
		suffix = "/"
	}
	if u.RawQuery != "" {
		suffix += "?" + u.RawQuery
	}
	return normalisePath(u.EscapedPath()), suffix
}

// normalisePath gives a path a leading slash and no trailing one.
func normalisePath(p string) string {
	if p == "" || p[0] != '/' {
		p = "/" + p
	}
	for len(p) > 1 && p[len(p)-1] == '/' {
		p = p[:len(p)-1]
	}
	return p
}

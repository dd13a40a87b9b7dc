package sdk

import (
	"fmt"
	"strconv"
)

// A listener may run several servers of its protocol (SMTP servers, socket
// servers, RabbitMQ brokers), each named by the serverName its find requests
// carry. Mocks name a serverName too, and one rule, ServerSet's, says which
// server serves a mock:
//
//   - a mock without a serverName is served by every server of its protocol;
//   - a mock naming a server that exists is served by that server only;
//   - a mock naming a server that no server of its protocol has is served by
//     that protocol's default server (so it still answers, and the API warns
//     when it is saved).
//
// The host applies the rule to every find request, with the servers of every
// running listener; a listener that places mocks itself (the queues a
// RabbitMQ listener consumes on each broker) applies it to its own servers.

// Server is one server of a listener.
type Server struct {
	// Name is the serverName its find requests carry ("" for a server
	// without one).
	Name string `json:"name"`
	// Namespace is whose mocks it serves ("" for any namespace).
	Namespace string `json:"namespace,omitempty"`
	// Protocol is the protocol it serves ("" for every protocol of the plugin).
	Protocol string `json:"protocol,omitempty"`
	// Default makes it the default server of its protocol and namespace.
	// When no server sets it, the default is the server named "default",
	// else the first one without a name, else the first one listed.
	Default bool `json:"default,omitempty"`
	// AnyName says the server takes its name from each request (the HTTP
	// listener's hostRouting): every serverName is then one of its servers.
	AnyName bool `json:"anyName,omitempty"`
}

// ServerLister is implemented by a listener that names its servers. The
// SDK asks it right after Configure and hands the list to the host, which
// shows it in GET /api/v1/plugins and applies the serverName rule with it.
type ServerLister interface {
	// Servers lists the servers the configured settings make, in order.
	Servers() []Server
}

// DefaultServerName is the name that makes a server the default one when
// no server is marked Default.
const DefaultServerName = "default"

// ServerSet is the servers of one protocol, by namespace, with the rule
// that says which of them serves a mock. The zero value and nil hold no
// server. It is immutable once made, so it is safe to share.
type ServerSet struct {
	groups map[string]*serverGroup // by namespace; "" holds the servers of any namespace
}

// serverGroup is what the servers of one namespace know.
type serverGroup struct {
	names   []string
	has     map[string]bool
	anyName bool
	def     string
	hasDef  bool
}

// NewServerSet makes the set of the given servers (of one protocol), in
// the order given.
func NewServerSet(servers []Server) *ServerSet {
	byNS := map[string][]Server{}
	for _, s := range servers {
		byNS[s.Namespace] = append(byNS[s.Namespace], s)
	}
	set := &ServerSet{groups: map[string]*serverGroup{}}
	anyNS := byNS[""]
	for ns, list := range byNS {
		if ns == "" {
			set.groups[""] = newGroup(nil, anyNS)
			continue
		}
		set.groups[ns] = newGroup(list, anyNS)
	}
	return set
}

// newGroup is a namespace's own servers followed by those of any
// namespace; the default is picked among its own first.
func newGroup(own, anyNS []Server) *serverGroup {
	g := &serverGroup{has: map[string]bool{}}
	for _, list := range [][]Server{own, anyNS} {
		for _, s := range list {
			g.anyName = g.anyName || s.AnyName
			if !g.has[s.Name] {
				g.has[s.Name] = true
				g.names = append(g.names, s.Name)
			}
		}
	}
	if d, ok := pickDefault(own); ok {
		g.def, g.hasDef = d, true
	} else if d, ok := pickDefault(anyNS); ok {
		g.def, g.hasDef = d, true
	}
	return g
}

func pickDefault(list []Server) (string, bool) {
	for _, s := range list {
		if s.Default {
			return s.Name, true
		}
	}
	for _, s := range list {
		if s.Name == DefaultServerName {
			return s.Name, true
		}
	}
	for _, s := range list {
		if s.Name == "" {
			return "", true
		}
	}
	if len(list) > 0 {
		return list[0].Name, true
	}
	return "", false
}

func (s *ServerSet) group(namespace string) *serverGroup {
	if s == nil {
		return nil
	}
	if g, ok := s.groups[namespace]; ok {
		return g
	}
	return s.groups[""]
}

// Empty reports whether no server serves the namespace.
func (s *ServerSet) Empty(namespace string) bool { return s.group(namespace) == nil }

// Names lists the server names of a namespace in order ("" is a server
// without a name).
func (s *ServerSet) Names(namespace string) []string {
	g := s.group(namespace)
	if g == nil {
		return nil
	}
	return append([]string(nil), g.names...)
}

// Default is the default server of a namespace; ok is false when the
// namespace has no server.
func (s *ServerSet) Default(namespace string) (name string, ok bool) {
	g := s.group(namespace)
	if g == nil {
		return "", false
	}
	return g.def, g.hasDef
}

// Knows reports whether a server of the namespace has the name.
func (s *ServerSet) Knows(namespace, name string) bool {
	g := s.group(namespace)
	return g != nil && (g.has[name] || g.anyName)
}

// Serves says whether the server named server serves a mock whose
// serverName is mockServer, and why not when it does not. A caller that is
// none of the set's servers (a generated server calling POST /mock/find*,
// the host's own /stubs) is served the mocks without a serverName and
// those naming its own; one without a serverName is served every mock.
func (s *ServerSet) Serves(namespace, server, mockServer string) (ok bool, reason string) {
	if mockServer == "" || mockServer == server {
		return true, ""
	}
	g := s.group(namespace)
	if g == nil || !(g.has[server] || g.anyName) {
		if server == "" {
			return true, ""
		}
		return false, "serverName " + mockServer + " does not match " + server
	}
	if g.has[mockServer] || g.anyName {
		return false, fmt.Sprintf("serverName %q is served by server %q, not by %s", mockServer, mockServer, label(server))
	}
	if g.hasDef && server == g.def {
		return true, ""
	}
	return false, fmt.Sprintf("serverName %q names no server, so the default server %s serves it, not %s",
		mockServer, label(g.def), label(server))
}

// ServersFor lists the servers that serve a mock whose serverName is
// mockServer: every server for a mock without one, the named server when
// it exists, else the default server. A server that takes its name from
// each request (AnyName) is listed by the name it was given.
func (s *ServerSet) ServersFor(namespace, mockServer string) []string {
	g := s.group(namespace)
	switch {
	case g == nil:
		return nil
	case mockServer == "":
		return append([]string(nil), g.names...)
	case g.has[mockServer]:
		return []string{mockServer}
	case g.anyName:
		return nil // served by the requests that name it, not by a listed server
	case g.hasDef:
		return []string{g.def}
	}
	return nil
}

// label quotes a server name for messages, and names the unnamed server.
func label(name string) string {
	if name == "" {
		return "(the server without a name)"
	}
	return strconv.Quote(name)
}

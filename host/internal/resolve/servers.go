package resolve

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/match"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/sdk"
)

// ServerDirectory says which servers each protocol's running listeners
// have (the plugin manager knows).
type ServerDirectory interface {
	// ServerSet is the servers of a protocol (nil: none).
	ServerSet(protocol string) *sdk.ServerSet
}

// serverDir holds the directory the resolver asks; it is set once the
// plugin manager exists, after the resolver.
type serverDir struct{ d ServerDirectory }

// SetServers tells the resolver where the listeners' servers are listed.
// Until it is called, every find request is treated as coming from a
// caller that is none of the listeners' servers.
func (r *Resolver) SetServers(d ServerDirectory) {
	r.serverDir.Store(&serverDir{d: d})
}

// serverSet is the servers of a protocol, nil when none is known.
func (r *Resolver) serverSet(protocol string) *sdk.ServerSet {
	if r == nil {
		return nil
	}
	sd := r.serverDir.Load()
	if sd == nil || sd.d == nil {
		return nil
	}
	return sd.d.ServerSet(protocol)
}

// MockServer is the serverName a mock names and the field that names it:
// its protocol block's serverName (kafka, rabbitmq, smtp, socket), else
// the top-level one (match.Protocol.Server).
func MockServer(m *model.Mock) (name, field string) { return match.ProtocolOf(m).Server(m) }

func mockServer(m *model.Mock) string {
	name, _ := MockServer(m)
	return name
}

// ServerWarning says that a saved mock names a serverName that no server of
// its protocol has: the protocol's default server serves it.
type ServerWarning struct {
	MockID     string `json:"mockId"`
	Field      string `json:"field"`
	ServerName string `json:"serverName"`
	Protocol   string `json:"protocol"`
	// Servers are the server names of the protocol in the mock's namespace
	// ("" is a server without a name).
	Servers []string `json:"servers"`
	// ServedBy is the default server that serves the mock.
	ServedBy string `json:"servedBy"`
	Message  string `json:"message"`
	// Spec, on a warning about http.validateRequest rather than a
	// serverName, is the OpenAPI spec the mock names (see specWarning).
	Spec string `json:"spec,omitempty"`
}

// MarshalJSON writes a warning about a spec without the serverName
// fields, which say nothing about it.
func (w ServerWarning) MarshalJSON() ([]byte, error) {
	type plain ServerWarning
	if w.Spec == "" {
		return json.Marshal(plain(w))
	}
	return json.Marshal(struct {
		MockID   string `json:"mockId"`
		Field    string `json:"field"`
		Protocol string `json:"protocol"`
		Spec     string `json:"spec"`
		Message  string `json:"message"`
	}{w.MockID, w.Field, w.Protocol, w.Spec, w.Message})
}

// ServerWarnings checks the mocks against the running listeners' servers.
// A protocol none of whose listeners serves the namespace gives no warning:
// nothing is known to compare with. An HTTP mock whose validateRequest
// names a spec that is not registered, or an operation it lacks, is
// warned about too: it is saved, and answers unchecked.
func (r *Resolver) ServerWarnings(mocks ...*model.Mock) []ServerWarning {
	var out []ServerWarning
	for _, m := range mocks {
		if m == nil {
			continue
		}
		if w, ok := r.specWarning(m); ok {
			out = append(out, w)
		}
		name, field := MockServer(m)
		if name == "" {
			continue
		}
		proto := m.Protocol()
		set := r.serverSet(proto)
		ns := m.Namespace
		if ns == "" {
			ns = model.DefaultNamespace
		}
		if set.Empty(ns) || set.Knows(ns, name) {
			continue
		}
		def, _ := set.Default(ns)
		names := set.Names(ns)
		quoted := make([]string, len(names))
		for i, n := range names {
			quoted[i] = strconv.Quote(n)
		}
		served := strconv.Quote(def)
		if def == "" {
			served = "(the one without a name)"
		}
		out = append(out, ServerWarning{MockID: m.ID, Field: field, ServerName: name, Protocol: proto,
			Servers: names, ServedBy: def,
			Message: fmt.Sprintf("no %s server is named %q (servers: %s); the default server %s serves this mock",
				proto, name, strings.Join(quoted, ", "), served)})
	}
	return out
}

package main

import "github.com/mockarty-oss/mockarty/sdk"

// Servers names the mail servers for the host's serverName rule, in the
// order of the settings: in each namespace the first server without a
// serverName (else the first server) is the default one, which also
// answers mail for mocks naming a serverName that no server has.
func (l *Listener) Servers() []sdk.Server {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]sdk.Server, 0, len(l.configs))
	for _, c := range l.configs {
		out = append(out, sdk.Server{Name: c.ServerName, Namespace: c.Namespace})
	}
	return out
}

package main

import "github.com/mockarty-oss/mockarty/sdk"

// Servers names the socket servers for the host's serverName rule, in the
// order of the settings: in each namespace the server named "default"
// (else the first) is the default one, which also answers the mocks that
// name a serverName no server has.
func (l *Listener) Servers() []sdk.Server {
	l.mu.Lock()
	defer l.mu.Unlock()
	return serverList(l.settings)
}

func serverList(s Settings) []sdk.Server {
	out := make([]sdk.Server, 0, len(s.Servers))
	for _, ss := range s.Servers {
		out = append(out, sdk.Server{Name: ss.ServerName, Namespace: ss.Namespace})
	}
	return out
}

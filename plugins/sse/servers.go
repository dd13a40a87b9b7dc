package main

import "github.com/mockarty-oss/mockarty/sdk"

// Servers names the listener's one server, which has no serverName, for
// the host's serverName rule: it serves the mocks of every serverName.
func (l *Listener) Servers() []sdk.Server {
	l.mu.Lock()
	defer l.mu.Unlock()
	return []sdk.Server{{Name: "", Namespace: l.settings.Namespace}}
}

package main

import "github.com/mockarty-oss/mockarty/sdk"

// Servers names the listener's one server for the host's serverName rule.
// It serves any namespace the host hands over, not only its own.
func (l *Listener) Servers() []sdk.Server {
	l.mu.Lock()
	defer l.mu.Unlock()
	return []sdk.Server{{Name: l.settings.ServerName}}
}

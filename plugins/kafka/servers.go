package main

import "github.com/mockarty-oss/mockarty/sdk"

// Servers names the listener's servers for the host's serverName rule.
func (l *Listener) Servers() []sdk.Server {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.settings == nil {
		return nil
	}
	return l.settings.serverList()
}

package main

import "github.com/mockarty-oss/mockarty/sdk"

// Servers names the listener's one server, which has no serverName, for
// the host's serverName rule: it serves the mocks of every serverName. It
// serves any namespace the host hands over, not only its own.
func (l *Listener) Servers() []sdk.Server {
	return []sdk.Server{{Name: ""}}
}

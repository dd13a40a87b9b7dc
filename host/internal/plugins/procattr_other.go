//go:build !linux

package plugins

import "os/exec"

// dieWithHost has no equivalent outside Linux: plugins left by a host that
// was killed exit when they notice the host is gone (go-plugin closes their
// connection), not at once.
func dieWithHost(*exec.Cmd) {}

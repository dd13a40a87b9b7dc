package plugins

import (
	"os/exec"
	"syscall"
)

// dieWithHost makes the plugin get SIGKILL when the host dies, even by
// SIGKILL. Linux sends it when the thread that started the child exits;
// the host starts plugins from ordinary goroutines and never locks or ends
// OS threads, so in practice that is when the process exits.
func dieWithHost(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

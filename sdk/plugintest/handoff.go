package plugintest

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"os"
	"sync"

	"github.com/mockarty-oss/mockarty/sdk/handoff"
)

var secretOnce sync.Once

// HandOffSecret is the hand-off secret of this test process, as the host
// would pass it to a plugin (handoff.EnvSecret): the first call makes one
// when the environment has none, so that a plugin run in-process by Start
// trusts what HandOff marks.
func HandOffSecret() string {
	secretOnce.Do(func() {
		if os.Getenv(handoff.EnvSecret) != "" {
			return
		}
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		if err := os.Setenv(handoff.EnvSecret, hex.EncodeToString(b)); err != nil {
			panic(err)
		}
	})
	return os.Getenv(handoff.EnvSecret)
}

// HandOff marks h as the host's /stubs hand-off of a request in namespace
// under the public prefix, with this process's secret.
func HandOff(h http.Header, namespace, prefix string) {
	handoff.Mark(h, HandOffSecret(), namespace, prefix)
}

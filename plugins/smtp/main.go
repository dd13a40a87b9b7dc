// Command mockarty-plugin-smtp is the SMTP listener plugin: mail servers
// that accept or reject each mail as the matching mock says, and keep the
// mail a mock asks to store for the host's API.
package main

import "github.com/mockarty-oss/mockarty/sdk"

func main() { sdk.Serve(&Listener{}) }

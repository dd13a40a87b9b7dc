// Command crasher is a plugin that dies at start, for the crash-loop test.
package main

import "os"

func main() { os.Exit(3) }

//go:build !race

package plugintest

const builtWithRace = false

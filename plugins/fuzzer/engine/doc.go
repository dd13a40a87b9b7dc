// Package engine generates a fuzzing run's requests from its seeds and
// judges the target's answers (see Run).
package engine

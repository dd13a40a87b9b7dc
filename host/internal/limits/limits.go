// Package limits holds the bounds on the work of one request: set once at
// start from configuration, read on every request.
package limits

import "sync/atomic"

// Limit is a positive bound with a default.
type Limit struct {
	def int64
	v   atomic.Int64
}

// New makes a limit that starts at its default.
func New(def int) *Limit {
	l := &Limit{def: int64(def)}
	l.v.Store(l.def)
	return l
}

// Set sets the bound; n <= 0 restores the default.
func (l *Limit) Set(n int) {
	if n <= 0 {
		l.v.Store(l.def)
		return
	}
	l.v.Store(int64(n))
}

// Get is the bound in force.
func (l *Limit) Get() int { return int(l.v.Load()) }

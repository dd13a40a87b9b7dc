package engine

import "sync"

// Apdex scores the requests' response times against a target T: a request
// answered within T satisfies, within 4T is tolerated, and a slower or
// failed one frustrates; the score is (satisfied + tolerated/2) / all.
// It is kept overall and per route (the request's name tag).
type Apdex struct {
	// Score is the overall score, 0 to 1.
	Score float64 `json:"score"`
	// PerRoute is the score of each request name.
	PerRoute map[string]float64 `json:"perRoute"`
	// ThresholdMs is T.
	ThresholdMs float64 `json:"thresholdMs"`
	// Samples is the number of requests scored.
	Samples int64 `json:"samples"`
}

// apdexT is the target response time (the common default of 500 ms).
const apdexT = 500.0

// maxApdexRoutes bounds the routes scored one by one; the rest count only
// in the overall score.
const maxApdexRoutes = 1000

type apdexCount struct{ satisfied, tolerated, total int64 }

func (c *apdexCount) add(ms float64, failed bool) {
	c.total++
	switch {
	case failed:
	case ms <= apdexT:
		c.satisfied++
	case ms <= 4*apdexT:
		c.tolerated++
	}
}

func (c *apdexCount) score() float64 {
	if c.total == 0 {
		return 0
	}
	return (float64(c.satisfied) + float64(c.tolerated)/2) / float64(c.total)
}

// apdexBook keeps a run's counts.
type apdexBook struct {
	mu     sync.Mutex
	all    apdexCount
	routes map[string]*apdexCount
}

// add scores one request of route (its name tag).
func (b *apdexBook) add(route string, ms float64, failed bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.all.add(ms, failed)
	c, ok := b.routes[route]
	if !ok {
		if b.routes == nil {
			b.routes = map[string]*apdexCount{}
		}
		if len(b.routes) >= maxApdexRoutes {
			return
		}
		c = &apdexCount{}
		b.routes[route] = c
	}
	c.add(ms, failed)
}

// result is the scores, nil when no request was made.
func (b *apdexBook) result() *Apdex {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.all.total == 0 {
		return nil
	}
	a := &Apdex{Score: b.all.score(), PerRoute: map[string]float64{}, ThresholdMs: apdexT, Samples: b.all.total}
	for r, c := range b.routes {
		a.PerRoute[r] = c.score()
	}
	return a
}

package auth

import (
	"sync"
	"time"
)

// Limiter is a token bucket per key (a token, a client address, a login):
// Rate requests per minute on average, with bursts up to Burst.
type Limiter struct {
	rate  float64 // tokens per second
	burst float64

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewLimiter allows perMinute requests a minute per key with bursts of
// burst; perMinute <= 0 makes a limiter that allows everything.
func NewLimiter(perMinute, burst int) *Limiter {
	if perMinute <= 0 {
		return nil
	}
	if burst <= 0 {
		burst = perMinute
	}
	return &Limiter{rate: float64(perMinute) / 60, burst: float64(burst), buckets: map[string]*bucket{}, swept: time.Now()}
}

// Allow takes one token for key; when none is left it returns how long
// until one is.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	return l.take(key, 1)
}

// Peek reports whether key has a token left without taking it.
func (l *Limiter) Peek(key string) (bool, time.Duration) {
	return l.take(key, 0)
}

func (l *Limiter) take(key string, n float64) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		l.sweep(now)
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
	b.at = now
	if b.tokens >= 1 {
		b.tokens -= n
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	return false, wait
}

// sweep forgets buckets that have refilled: they hold no state worth keeping.
func (l *Limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.at).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
	l.swept = now
}

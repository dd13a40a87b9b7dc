package fuzz

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
)

// Canary is the host's out-of-band endpoint for SSRF and XXE payloads:
// each run gets a secret, its payloads point at
// /api/v1/fuzzing/canary/<secret>/<token>, and a fetch of one proves the
// target made a request it was told to. Hits are kept in memory while the
// run lasts.
type Canary struct {
	mu   sync.Mutex
	runs map[string]map[string]bool // secret -> tokens hit
}

// maxCanaryTokens bounds the hits one run keeps.
const maxCanaryTokens = 100_000

// NewCanary returns an empty canary.
func NewCanary() *Canary { return &Canary{runs: map[string]map[string]bool{}} }

// open starts a run's callbacks and returns its secret.
func (c *Canary) open() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	secret := hex.EncodeToString(b)
	c.mu.Lock()
	c.runs[secret] = map[string]bool{}
	c.mu.Unlock()
	return secret
}

// close ends a run's callbacks.
func (c *Canary) close(secret string) {
	c.mu.Lock()
	delete(c.runs, secret)
	c.mu.Unlock()
}

// Record notes a fetch of token's URL; false when no run has the secret.
func (c *Canary) Record(secret, token string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	hits, ok := c.runs[secret]
	if !ok {
		return false
	}
	if len(hits) < maxCanaryTokens {
		hits[token] = true
	}
	return true
}

// Hit says whether token's URL was fetched.
func (c *Canary) Hit(secret, token string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.runs[secret][token]
}

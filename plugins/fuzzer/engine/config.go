package engine

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/fuzzjob"
)

// Seed is one request the run mutates (model-tools.md §3.2).
type Seed = fuzzjob.Seed

// Options are a run's bounds and switches (model-tools.md §3.2 options).
type Options struct {
	Concurrency    int
	MaxRPS         int
	MaxRequests    int64
	MaxDuration    time.Duration
	TimeoutPerReq  time.Duration
	StopOnCritical bool
	StopOnFinding  bool
	// VerifyFindings sends a finding's request once more before reporting
	// it, and leaves it out when the answer does not show it again.
	VerifyFindings   bool
	FollowRedirects  bool
	StatusCodeAlerts []int
	// AuthHeader is the Authorization value every request carries; the
	// auth checks send the request without it and with a wrong one.
	AuthHeader    string
	CustomHeaders map[string]string
	// IncludeRoutes, when set, keeps only the seeds of these paths;
	// ExcludeRoutes drops seeds. A route is a path as written in the seed
	// or the description (/users/{id}), or a prefix ending in *.
	IncludeRoutes []string
	ExcludeRoutes []string
}

// routeMatch says whether path is one of routes.
func routeMatch(routes []string, path string) bool {
	for _, r := range routes {
		if r == path || (strings.HasSuffix(r, "*") && strings.HasPrefix(path, strings.TrimSuffix(r, "*"))) {
			return true
		}
	}
	return false
}

// Config is one run.
type Config struct {
	TargetBaseURL string
	// Strategy is mutation, security, schema_aware or all (anything else
	// counts as all).
	Strategy string
	// Categories narrow the payloads (category or mutator names, aliases
	// accepted); none: every category of the strategy.
	Categories []string
	Seeds      []Seed
	// OpenAPISpec, when set, gives the seeds (when Seeds is empty) and
	// the responses' declared statuses and schemas.
	OpenAPISpec []byte
	Options     Options
	// Canary, when set, receives out-of-band callbacks (SSRF).
	Canary Canary
	// Transports send the seeds whose URL scheme is not http(s).
	Transports Transports
}

// Canary is an endpoint the run's SSRF payloads point at: a fetch of one
// of its URLs proves the target made a request it was told to.
type Canary interface {
	// URL is the address of token's callback.
	URL(token string) string
	// Hit says whether token's callback was fetched.
	Hit(token string) bool
}

// Defaults of Options.
const (
	DefaultConcurrency   = 8
	DefaultMaxRequests   = 10000
	DefaultMaxDuration   = 10 * time.Minute
	DefaultTimeoutPerReq = 10 * time.Second
	MaxConcurrency       = 256
	MaxMaxRequests       = 10_000_000
)

var defaultAlerts = []int{500, 502, 503, 504}

// normalize fills the defaults and checks the config.
func (c *Config) normalize() error {
	o := &c.Options
	switch {
	case o.Concurrency <= 0:
		o.Concurrency = DefaultConcurrency
	case o.Concurrency > MaxConcurrency:
		return fmt.Errorf("options.concurrency %d: at most %d", o.Concurrency, MaxConcurrency)
	}
	switch {
	case o.MaxRequests <= 0:
		o.MaxRequests = DefaultMaxRequests
	case o.MaxRequests > MaxMaxRequests:
		return fmt.Errorf("options.maxRequests %d: at most %d", o.MaxRequests, MaxMaxRequests)
	}
	if o.MaxDuration <= 0 {
		o.MaxDuration = DefaultMaxDuration
	}
	if o.TimeoutPerReq <= 0 {
		o.TimeoutPerReq = DefaultTimeoutPerReq
	}
	if len(o.StatusCodeAlerts) == 0 {
		o.StatusCodeAlerts = defaultAlerts
	}
	if c.TargetBaseURL != "" {
		u, err := url.Parse(c.TargetBaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https" && c.Transports.of(c.TargetBaseURL) == nil) || u.Host == "" {
			return fmt.Errorf("targetBaseUrl %q: an http or https URL with a host is needed (or grpc://, ws://, kafka://, amqp://)", c.TargetBaseURL)
		}
	}
	for _, s := range c.Seeds {
		if s.URL == "" && c.TargetBaseURL == "" {
			return fmt.Errorf("seed %q has no url and the config no targetBaseUrl", s.ID)
		}
	}
	if len(c.Seeds) == 0 && len(c.OpenAPISpec) == 0 {
		return errors.New("no seed requests and no OpenAPI description to make them from")
	}
	return nil
}

// alert says whether status is one the run flags as a server error.
func (o *Options) alert(status int) bool {
	for _, s := range o.StatusCodeAlerts {
		if s == status {
			return true
		}
	}
	return false
}

// strategyCategories are the payload categories a strategy uses.
func strategyCategories(strategy string) []string {
	switch strings.ToLower(strategy) {
	case "security":
		return securityCategories
	case "mutation", "schema_aware":
		return surfaceCategories
	}
	return append(append([]string{}, securityCategories...), surfaceCategories...)
}

// Package loadjob is the job wire between the host's performance-testing
// API and the perf tool plugin: a k6-style script with the run's
// overrides, the per-second samples the plugin streams, and its result.
package loadjob

import "github.com/mockarty-oss/mockarty/sdk/postman"

// Kinds of the perf plugin's jobs.
const (
	// KindRun runs a script.
	KindRun = "run"
)

// ItemSample is the ItemKind of the once-a-second progress products.
const ItemSample = "sample"

// Job is a KindRun job's params.
type Job struct {
	// Script is the k6-style script (JavaScript or TypeScript ES module);
	// Filename names it in errors ("script.js", "test.ts").
	Script   string `json:"script"`
	Filename string `json:"filename,omitempty"`
	// Files are what open() and relative imports may read, by path.
	Files map[string]string `json:"files,omitempty"`
	// VUs, Duration (a Go or k6 duration: "30s", "5m") and Iterations
	// override the script's options as k6's flags do (zero: the script's).
	VUs        int    `json:"vus,omitempty"`
	Duration   string `json:"duration,omitempty"`
	Iterations int    `json:"iterations,omitempty"`
	// Env is the script's __ENV.
	Env map[string]string `json:"env,omitempty"`
	// Thresholds are added to the script's: {"http_req_duration": ["p(95)<500"]}.
	Thresholds map[string][]string `json:"thresholds,omitempty"`
	// AllowPrivate and AllowHosts are where the load may go, as for the
	// API tester (the server's own listeners are allowed).
	AllowPrivate bool     `json:"allowPrivate,omitempty"`
	AllowHosts   []string `json:"allowHosts,omitempty"`
	// MaxDurationMs stops a run gracefully after it (0: no limit).
	MaxDurationMs int64 `json:"maxDurationMs,omitempty"`
	// MaxVUs bounds the VUs a run may create (0: the engine's default).
	MaxVUs int `json:"maxVUs,omitempty"`
	// Target, when Script is empty, is load without a script: the plugin
	// writes the k6 script that sends it (VUs and Duration apply; RPS
	// makes it a constant arrival rate).
	Target *Target `json:"target,omitempty"`
	// Collection, when Script is empty, is an API-tester collection's job:
	// each iteration runs its requests with their pre-request and test
	// scripts, as the tester does (VUs, Duration and Iterations apply).
	Collection *postman.Job `json:"collection,omitempty"`
}

// Target is one request to send as load.
type Target struct {
	URL     string            `json:"url"`
	Method  string            `json:"method,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body,omitempty"`
	RPS     int               `json:"rps,omitempty"`
}

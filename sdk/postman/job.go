package postman

import "encoding/json"

// Job kinds the tester plugin runs.
const (
	// JobRun runs a collection (or the folders and requests Job.Folder
	// names), like newman.
	JobRun = "run"
)

// Job is what the host hands the tester plugin: a collection in v2.1 form
// and everything a run needs besides. It is sdk.Job's Params.
type Job struct {
	Collection  *Collection  `json:"collection"`
	Environment *Environment `json:"environment,omitempty"`
	Globals     *Environment `json:"globals,omitempty"`
	// IterationData is one object of variables per iteration (a CSV's
	// rows, a JSON data file's elements).
	IterationData []map[string]any `json:"iterationData,omitempty"`
	// Iterations is how many times to run (default: len(IterationData), at least 1).
	Iterations int `json:"iterations,omitempty"`
	// Folder limits the run to these items (folders or requests, by id or
	// name), as newman's --folder.
	Folder []string `json:"folder,omitempty"`
	// Bail stops the run at the first failed test or request error.
	Bail bool `json:"bail,omitempty"`
	// TimeoutRequestMs bounds each request (default 30 s); ScriptTimeoutMs
	// each script (default 5 s); DelayRequestMs waits between requests.
	TimeoutRequestMs int `json:"timeoutRequestMs,omitempty"`
	ScriptTimeoutMs  int `json:"scriptTimeoutMs,omitempty"`
	DelayRequestMs   int `json:"delayRequestMs,omitempty"`
	// ScriptMemoryBytes bounds what a script may allocate (default 64 MiB).
	ScriptMemoryBytes int64 `json:"scriptMemoryBytes,omitempty"`
	InsecureTLS       bool  `json:"insecureTls,omitempty"`
	// FollowRedirects is on unless false, as in newman.
	FollowRedirects *bool `json:"followRedirects,omitempty"`
	// AllowPrivate lets requests reach private and loopback addresses;
	// AllowHosts lists host:port addresses reachable even so (the
	// server's own listeners).
	AllowPrivate bool     `json:"allowPrivate,omitempty"`
	AllowHosts   []string `json:"allowHosts,omitempty"`
	// MaxBodyBytes caps each response body kept in a step (default 64 KiB);
	// scripts always see the whole body up to MaxResponseBytes (default 16 MiB).
	MaxBodyBytes     int   `json:"maxBodyBytes,omitempty"`
	MaxResponseBytes int64 `json:"maxResponseBytes,omitempty"`
}

// ItemStep is the ItemKind of a Step product.
const ItemStep = "step"

// Step statuses.
const (
	StepPassed  = "passed"
	StepFailed  = "failed"
	StepSkipped = "skipped"
	StepError   = "error"
)

// Step is the result of one request of a run, streamed as it completes.
type Step struct {
	Iteration int      `json:"iteration"`
	ItemID    string   `json:"itemId"`
	Name      string   `json:"name"`
	Path      []string `json:"path,omitempty"` // the folders it is in
	Status    string   `json:"status"`
	Error     string   `json:"error,omitempty"`
	// Warnings are what the run could not do as asked but went on without
	// (an auth type it cannot compute, say).
	Warnings []string `json:"warnings,omitempty"`
	// StartedAt is epoch ms; DurationMs is the whole step, scripts included.
	StartedAt  int64         `json:"startedAt"`
	DurationMs int64         `json:"durationMs"`
	Request    *StepRequest  `json:"request,omitempty"`
	Response   *StepResponse `json:"response,omitempty"`
	Tests      []TestResult  `json:"tests"`
	PreRequest *ScriptRun    `json:"preRequest,omitempty"`
	Test       *ScriptRun    `json:"test,omitempty"`
}

// StepRequest is what was sent.
type StepRequest struct {
	Method  string   `json:"method"`
	URL     string   `json:"url"`
	Headers []Header `json:"headers,omitempty"`
	Body    string   `json:"body,omitempty"`
}

// StepResponse is what came back; Body is capped (BodyTruncated).
type StepResponse struct {
	Code          int      `json:"code"`
	Status        string   `json:"status"`
	Headers       []Header `json:"headers,omitempty"`
	Body          string   `json:"body,omitempty"`
	BodyTruncated bool     `json:"bodyTruncated,omitempty"`
	Size          int64    `json:"size"`
	TimeMs        float64  `json:"timeMs"`
}

// TestResult is one pm.test (or tests[...]) outcome.
type TestResult struct {
	Name    string `json:"name"`
	Passed  bool   `json:"passed"`
	Skipped bool   `json:"skipped,omitempty"`
	Error   string `json:"error,omitempty"`
}

// ScriptRun is how one event's scripts went.
type ScriptRun struct {
	Error      string   `json:"error,omitempty"`
	Logs       []string `json:"logs,omitempty"`
	DurationMs float64  `json:"durationMs"`
}

// Summary is a run's result (the job's result JSON).
type Summary struct {
	Iterations     int     `json:"iterations"`
	Requests       int     `json:"requests"`
	FailedRequests int     `json:"failedRequests"`
	Tests          int     `json:"tests"`
	FailedTests    int     `json:"failedTests"`
	SkippedTests   int     `json:"skippedTests"`
	ScriptErrors   int     `json:"scriptErrors"`
	Skipped        int     `json:"skipped"` // requests skipped (skipRequest)
	DurationMs     int64   `json:"durationMs"`
	AvgResponseMs  float64 `json:"avgResponseMs"`
	Bailed         bool    `json:"bailed,omitempty"`
	// Environment and Globals are the variables as the scripts left them.
	Environment map[string]any `json:"environment,omitempty"`
	Globals     map[string]any `json:"globals,omitempty"`
}

// DecodeJob reads a job's params.
func DecodeJob(params []byte) (*Job, error) {
	var j Job
	if err := json.Unmarshal(params, &j); err != nil {
		return nil, err
	}
	return &j, nil
}

// AuthTypes are the auth types of Postman collections.
var AuthTypes = []string{"apikey", "awsv4", "basic", "bearer", "digest", "edgegrid", "hawk", "inherit", "jwt", "noauth", "ntlm", "oauth1", "oauth2", "asap", "akamai"}

// KnownAuth says whether typ is a Postman auth type ("" counts as none).
func KnownAuth(typ string) bool {
	if typ == "" {
		return true
	}
	for _, t := range AuthTypes {
		if t == typ {
			return true
		}
	}
	return false
}

// JobScript runs one script on its own (the API tester's run-script).
const JobScript = "script"

// ScriptJob is a JobScript's params: a script and what it sees.
type ScriptJob struct {
	Script string `json:"script"`
	// Listen is "prerequest" or "test" (default: test when Response is set).
	Listen      string        `json:"listen,omitempty"`
	Request     *StepRequest  `json:"request,omitempty"`
	Response    *StepResponse `json:"response,omitempty"`
	Environment *Environment  `json:"environment,omitempty"`
	Globals     *Environment  `json:"globals,omitempty"`
	// AllowPrivate and AllowHosts bound pm.sendRequest as a run's requests.
	AllowPrivate    bool     `json:"allowPrivate,omitempty"`
	AllowHosts      []string `json:"allowHosts,omitempty"`
	ScriptTimeoutMs int      `json:"scriptTimeoutMs,omitempty"`
}

// ScriptResult is a JobScript's result.
type ScriptResult struct {
	Tests       []TestResult   `json:"tests"`
	Logs        []string       `json:"logs"`
	Error       string         `json:"error,omitempty"`
	DurationMs  float64        `json:"durationMs"`
	Environment map[string]any `json:"environment"`
	Globals     map[string]any `json:"globals"`
	NextRequest *string        `json:"nextRequest,omitempty"`
	Skip        bool           `json:"skipRequest,omitempty"`
}

// ProtocolHeader is the disabled header by which an item says its protocol
// when it is not HTTP ("grpc" for the methods of an imported .proto).
const ProtocolHeader = "x-protocol"

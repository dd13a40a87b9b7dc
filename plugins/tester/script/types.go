package script

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Limits bound one script: its run time, including the async work it queues
// (timers, pm.sendRequest), and how much heap it may grow.
type Limits struct {
	// Timeout is the wall-clock budget of one script; default 5s.
	Timeout time.Duration
	// Memory is how far a script may grow the live Go heap, in bytes; default 64 MiB.
	Memory int64
}

// DefaultTimeout and DefaultMemory are the limits a zero Limits field means.
const (
	DefaultTimeout = 5 * time.Second
	DefaultMemory  = 64 << 20
)

func (l Limits) withDefaults() Limits {
	if l.Timeout <= 0 {
		l.Timeout = DefaultTimeout
	}
	if l.Memory <= 0 {
		l.Memory = DefaultMemory
	}
	return l
}

// Header is one HTTP header line; a disabled one is shown to scripts but not sent.
type Header struct {
	Key, Value string
	Disabled   bool
}

// Request is what pm.request shows. A pre-request script may change it (method,
// url, headers.add/upsert/remove, body); Run writes the changes back here.
type Request struct {
	ID, Name, Method, URL string
	Headers               []Header
	Body                  string
}

// Response is what pm.response shows in a test script, and what Exec.Send
// returns for pm.sendRequest.
type Response struct {
	Code int
	// Status is the reason phrase ("OK"); a leading status code, as in Go's
	// http.Response.Status ("200 OK"), is dropped. Empty means the standard phrase.
	Status  string
	Headers []Header
	Body    []byte
	Time    time.Duration
}

// reasonPhrase returns the reason phrase scripts see for r.
func (r *Response) reasonPhrase() string {
	s := strings.TrimSpace(r.Status)
	if code := strconv.Itoa(r.Code); strings.HasPrefix(s, code+" ") || s == code {
		s = strings.TrimSpace(s[len(code):])
	}
	if s == "" {
		s = http.StatusText(r.Code)
	}
	return s
}

// Info describes the script being run, as pm.info shows it.
type Info struct {
	EventName                 string // "prerequest" or "test"
	Iteration, IterationCount int
	RequestName, RequestID    string
}

// Exec is one event of one request: its scripts and what they can see.
type Exec struct {
	// Scripts are the collection, folder... and request scripts of one event,
	// run in that order (Postman's order), each in its own function scope.
	Scripts  []string
	Request  *Request
	Response *Response // nil for prerequest
	Scopes   *Scopes
	Info     Info
	// Send performs pm.sendRequest; nil makes pm.sendRequest throw.
	Send func(ctx context.Context, r *Request) (*Response, error)
}

// TestResult is one pm.test, pm.test.skip or legacy tests["name"] entry.
// Like Postman, a skipped test has Passed and Skipped both true.
type TestResult struct {
	Name            string
	Passed, Skipped bool
	Error           string
}

// ScriptError is why one script of an Exec failed.
type ScriptError struct {
	// Script is the index in Exec.Scripts.
	Script int
	// Message names the script and says what went wrong.
	Message string
	// Async is true when the error came from a timer or pm.sendRequest
	// callback, or was thrown by the body while such work was pending: newman
	// reports those as run exceptions, not as failed scripts.
	Async bool
}

// Result is what one Run produced.
type Result struct {
	Tests []TestResult
	// Logs holds console output as "[level] text" lines, bounded in count and size.
	Logs []string
	// Error is the first script failure (thrown, syntax error, timed out,
	// memory limit); Errors lists all of them.
	Error  string
	Errors []ScriptError
	// NextRequest is the name or id given to pm.execution.setNextRequest or
	// postman.setNextRequest; nil when not called, never a pointer to "".
	NextRequest *string
	// Stop is true when setNextRequest got null (or a value naming nothing,
	// such as "" or undefined): Postman stops the iteration after this request.
	Stop bool
	// Skip is true when a prerequest script called pm.execution.skipRequest();
	// the remaining scripts of the event were not run.
	Skip bool
}

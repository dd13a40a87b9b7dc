package engine

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"time"
)

// Replayed is what sending a finding's request again showed.
type Replayed struct {
	StatusCode int    `json:"statusCode"`
	StillFails bool   `json:"stillFails"`
	Response   string `json:"response"`
	TimeMs     int64  `json:"responseTimeMs"`
	Error      string `json:"error,omitempty"`
}

// Replay sends a finding's stored request again and says whether the
// problem is still there: the signature its check matched is in the new
// answer (a database error, a system file, the XSS payload), a time-based
// SQL injection's request still waits its sleep, an unsigned JWT (alg
// none) is still answered 2xx, or, for the checks that compare answers,
// the answer is the one the finding recorded (same status). The SSRF check
// cannot be replayed without its canary: its request is sent, and the
// answer's status is compared. The timeout must leave room for a
// time-based finding's sleep (sleepDelay).
func Replay(ctx context.Context, client *http.Client, tr Transports, f *Finding, timeout time.Duration) *Replayed {
	if timeout <= 0 {
		timeout = DefaultTimeoutPerReq
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	q := &request{method: f.RequestMethod, url: f.RequestURL, header: http.Header{}, body: []byte(f.RequestBody)}
	for k, v := range f.RequestHeaders {
		q.header.Set(k, v)
	}
	r := &run{cfg: Config{Options: Options{MaxRequests: 1, TimeoutPerReq: timeout}, Transports: tr}, client: client, emit: func(Event) {}}
	r.ctx, r.cancel = context.WithCancelCause(ctx)
	defer r.cancel(nil)
	res := r.send(q)
	out := &Replayed{}
	if res == nil {
		out.Error = "not sent"
		return out
	}
	out.TimeMs = res.duration.Milliseconds()
	if res.err != nil {
		out.Error = res.err.Error()
		out.StillFails = stillFails(f, res)
		return out
	}
	out.StatusCode, out.Response = res.status, clip(res.body)
	out.StillFails = stillFails(f, res)
	return out
}

// stillFails says whether an answer to a finding's request shows the
// finding's problem again (see Replay).
func stillFails(f *Finding, res *response) bool {
	if res.err != nil {
		return (f.Category == "timeout" && res.timedOut) || (f.Category == "empty_response" && dropped(res.err))
	}
	switch f.Category {
	case "empty_response":
		return res.status == f.ResponseStatus && len(res.body) == 0
	case "sqli":
		switch {
		case strings.Contains(f.Fingerprint, "|sql-error:"):
			return sqlError.Match(res.body)
		case strings.HasSuffix(f.Fingerprint, "|time-based"):
			return res.duration >= sleepDelay
		}
	case "jwt_none_alg":
		return res.status >= 200 && res.status < 300
	case "xss":
		return isHTML(res.header) && payloadOf(f) != "" && bytes.Contains(res.body, []byte(payloadOf(f)))
	case "path_traversal":
		return fileLeak.Match(res.body)
	case "ssti":
		return bytes.Contains(res.body, []byte("50337"))
	}
	return res.status == f.ResponseStatus
}

// payloadOf is the value a finding's mutation put in ("point: payload").
func payloadOf(f *Finding) string {
	_, p, ok := strings.Cut(f.MutationApplied, ": ")
	if !ok {
		return ""
	}
	return p
}

package collection

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/mockarty-oss/mockarty/plugins/tester/script"
	"github.com/mockarty-oss/mockarty/sdk/postman"
)

// RunScript runs one script on its own, with the request and response
// the job gives (a script being written in the UI).
func RunScript(ctx context.Context, j *postman.ScriptJob) (*postman.ScriptResult, error) {
	if j.Script == "" {
		return nil, errors.New("the job has no script")
	}
	sb, err := script.NewSandbox(script.Limits{Timeout: time.Duration(j.ScriptTimeoutMs) * time.Millisecond})
	if err != nil {
		return nil, err
	}
	defer sb.Close()
	sc := &script.Scopes{Globals: varsOf(j.Globals), Environment: varsOf(j.Environment), Collection: script.NewVars()}
	req := &script.Request{Method: http.MethodGet}
	if r := j.Request; r != nil {
		req.Method, req.URL, req.Body = r.Method, r.URL, r.Body
		for _, h := range r.Headers {
			req.Headers = append(req.Headers, script.Header{Key: h.Key, Value: h.Value, Disabled: h.Disabled})
		}
	}
	var resp *script.Response
	listen := j.Listen
	if r := j.Response; r != nil {
		resp = &script.Response{Code: r.Code, Status: r.Status, Body: []byte(r.Body), Time: time.Duration(r.TimeMs * float64(time.Millisecond))}
		for _, h := range r.Headers {
			resp.Headers = append(resp.Headers, script.Header{Key: h.Key, Value: h.Value})
		}
		if listen == "" {
			listen = postman.ListenTest
		}
	}
	if listen == "" {
		listen = postman.ListenPrerequest
	}
	if listen == postman.ListenTest && resp == nil {
		resp = &script.Response{}
	}
	if listen == postman.ListenPrerequest {
		resp = nil
	}
	snd := newSender(&postman.Job{AllowPrivate: j.AllowPrivate, AllowHosts: j.AllowHosts})
	t0 := time.Now()
	res := sb.Run(ctx, &script.Exec{Scripts: []string{j.Script}, Request: req, Response: resp, Scopes: sc,
		Info: script.Info{EventName: listen, IterationCount: 1, RequestName: "script"}, Send: snd.script})
	out := &postman.ScriptResult{Tests: []postman.TestResult{}, Logs: res.Logs, Error: res.Error, DurationMs: ms(time.Since(t0)),
		Environment: sc.Environment.Map(), Globals: sc.Globals.Map(), NextRequest: res.NextRequest, Skip: res.Skip}
	if out.Logs == nil {
		out.Logs = []string{}
	}
	for _, t := range res.Tests {
		out.Tests = append(out.Tests, postman.TestResult{Name: t.Name, Passed: t.Passed, Skipped: t.Skipped, Error: t.Error})
	}
	return out, nil
}

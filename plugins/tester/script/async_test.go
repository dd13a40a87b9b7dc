package script

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// httpSender is the sender a runner would give: a real HTTP round trip.
func httpSender(client *http.Client) func(ctx context.Context, r *Request) (*Response, error) {
	return func(ctx context.Context, r *Request) (*Response, error) {
		req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, strings.NewReader(r.Body))
		if err != nil {
			return nil, err
		}
		for _, h := range r.Headers {
			if !h.Disabled {
				req.Header.Add(h.Key, h.Value)
			}
		}
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			return nil, err
		}
		out := &Response{Code: resp.StatusCode, Status: resp.Status, Body: body, Time: time.Since(start)}
		for k, vs := range resp.Header {
			for _, v := range vs {
				out.Headers = append(out.Headers, Header{Key: k, Value: v})
			}
		}
		return out, nil
	}
}

func echoServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
			return
		}
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Method", r.Method)
		if r.URL.Path == "/missing" {
			w.WriteHeader(http.StatusNotFound)
		}
		_, _ = io.WriteString(w, `{"method":"`+r.Method+`","ct":"`+r.Header.Get("Content-Type")+`","auth":"`+
			r.Header.Get("Authorization")+`","query":"`+r.URL.RawQuery+`","body":`+jsonQuote(string(body))+`}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func jsonQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`)
	return `"` + r.Replace(s) + `"`
}

func TestSendRequest(t *testing.T) {
	srv := echoServer(t)
	sb := newTestSandbox(t, Limits{})
	scopes := &Scopes{}
	res := sb.Run(context.Background(), &Exec{
		Scopes: scopes, Info: Info{EventName: "test"},
		Request: &Request{Method: "GET", URL: srv.URL}, Response: jsonResponse(`{}`),
		Send: httpSender(srv.Client()),
		Scripts: []string{`
var base = "` + srv.URL + `";
pm.sendRequest(base + "/get?x=1", function (err, res) {
  pm.test("string url", function () {
    pm.expect(err).to.be.null;
    pm.expect(res.code).to.equal(200);
    pm.expect(res.json().method).to.equal("GET");
    pm.expect(res.json().query).to.equal("x=1");
    pm.expect(res.headers.get("x-method")).to.equal("GET");
    res.to.have.status(200);
  });
  pm.environment.set("fromCallback", res.json().method);
});
pm.sendRequest({
  url: base + "/post", method: "POST",
  header: {Authorization: "Bearer t"},
  body: {mode: "raw", raw: JSON.stringify({a: 1}), options: {raw: {language: "json"}}}
}, function (err, res) {
  pm.test("raw json post", function () {
    var j = res.json();
    pm.expect(j.method).to.equal("POST");
    pm.expect(j.ct).to.equal("application/json");
    pm.expect(j.auth).to.equal("Bearer t");
    pm.expect(JSON.parse(j.body)).to.eql({a: 1});
  });
});
pm.sendRequest({url: base + "/form", method: "POST", header: [{key: "X-A", value: "1"}],
  body: {mode: "urlencoded", urlencoded: [{key: "a b", value: "c&d"}, {key: "off", value: "x", disabled: true}]}},
  function (err, res) {
    pm.test("urlencoded", function () {
      pm.expect(res.json().ct).to.equal("application/x-www-form-urlencoded");
      pm.expect(res.json().body).to.equal("a+b=c%26d");
    });
  });
pm.sendRequest(base + "/missing", function (err, res) {
  pm.test("404 is a response, not an error", function () { pm.expect(err).to.be.null; res.to.be.notFound; });
});
pm.sendRequest("http://127.0.0.1:1/refused", function (err, res) {
  pm.test("connection error", function () { pm.expect(err).to.be.an("error"); pm.expect(res.code).to.be.undefined; });
});
pm.sendRequest(base + "/throws", function () { throw new Error("callback boom"); });
pm.sendRequest("", function (err) { pm.test("empty request", function () { pm.expect(err.message).to.equal("sendrequest: nothing to request"); }); });
`},
	})
	passed, failed, _ := counts(res)
	if passed != 6 || failed != 0 {
		t.Fatalf("passed/failed %d/%d:\n%s\n%+v", passed, failed, failedNames(res), res)
	}
	if len(res.Errors) != 1 || !res.Errors[0].Async || !strings.Contains(res.Errors[0].Message, "callback boom") {
		t.Errorf("callback error not reported as async: %+v", res.Errors)
	}
	if v, _ := scopes.Environment.Get("fromCallback"); v != "GET" {
		t.Errorf("variable set in callback = %v", v)
	}
}

func TestSendRequestNotAllowed(t *testing.T) {
	sb := newTestSandbox(t, Limits{})
	res := runTest(t, sb, jsonResponse(`{}`), `pm.sendRequest("http://127.0.0.1:1/", function () {});`)
	if !strings.Contains(res.Error, "pm.sendRequest is not allowed in this run") {
		t.Fatalf("error = %q", res.Error)
	}
	res = runTest(t, sb, jsonResponse(`{}`), `pm.test("after", function () {});`)
	expectClean(t, res)
}

func TestSendRequestSenderError(t *testing.T) {
	sb := newTestSandbox(t, Limits{})
	res := sb.Run(context.Background(), &Exec{
		Scripts:  []string{`pm.sendRequest("http://x", function (err, res) { pm.test("err", function () { pm.expect(err.message).to.equal("dial failed"); }); });`},
		Request:  &Request{URL: "http://x"},
		Response: jsonResponse(`{}`),
		Send:     func(context.Context, *Request) (*Response, error) { return nil, errors.New("dial failed") },
	})
	expectClean(t, res)
	if tr := testByName(t, res, "err"); !tr.Passed {
		t.Fatal(tr.Error)
	}
}

func TestPendingRequestCountsInTimeLimit(t *testing.T) {
	srv := echoServer(t)
	sb := newTestSandbox(t, Limits{Timeout: 300 * time.Millisecond})
	res := sb.Run(context.Background(), &Exec{
		Scripts: []string{`pm.sendRequest("` + srv.URL + `/slow", function () { pm.test("never", function () {}); });`},
		Request: &Request{URL: srv.URL}, Response: jsonResponse(`{}`), Send: httpSender(srv.Client()),
	})
	if !strings.Contains(res.Error, "script timed out after 300ms") || len(res.Tests) != 0 {
		t.Fatalf("result %+v", res)
	}
	res = runTest(t, sb, jsonResponse(`{}`), `pm.test("after", function () {});`)
	expectClean(t, res)
}

func TestTimers(t *testing.T) {
	sb := newTestSandbox(t, Limits{})
	res := runTest(t, sb, jsonResponse(`{}`), `
var order = [];
setTimeout(function (a, b) { order.push("t20:" + a + b); }, 20, "x", "y");
setTimeout(function () { order.push("t0"); }, 0);
setImmediate(function () { order.push("imm"); });
var cancelled = setTimeout(function () { order.push("cancelled"); }, 5);
clearTimeout(cancelled);
var n = 0, iv = setInterval(function () { order.push("iv" + (++n)); if (n === 3) { clearInterval(iv); } }, 1);
setTimeout(function () {
  pm.test("order", function () {
    pm.expect(order.slice(0, 3)).to.eql(["sync", "t0", "imm"]);
    pm.expect(order).to.include.members(["iv1", "iv2", "iv3", "t20:xy"]);
    pm.expect(order).to.not.include("cancelled");
    pm.expect(order.indexOf("iv4")).to.equal(-1);
  });
}, 60);
order.push("sync");
pm.test("sync first", function () { pm.expect(order).to.eql(["sync"]); });
`)
	expectClean(t, res)
	if _, failed, _ := counts(res); failed != 0 || len(res.Tests) != 2 {
		t.Fatalf("tests %+v\n%s", res.Tests, failedNames(res))
	}
	// a sync error with timers pending is a run exception in Postman
	res = runTest(t, sb, jsonResponse(`{}`), `setTimeout(function () {}, 1); missing();`)
	if len(res.Errors) != 1 || !res.Errors[0].Async || !strings.Contains(res.Error, "ReferenceError") {
		t.Errorf("errors %+v", res.Errors)
	}
}

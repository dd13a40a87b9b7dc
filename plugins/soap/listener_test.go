package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

// recordingHost answers FindSOAP with a function of the test's and keeps
// the requests.
type recordingHost struct {
	mu   sync.Mutex
	reqs []find.SOAPRequest
}

func (h *recordingHost) fake(answer func(req find.SOAPRequest) (*find.SOAPResponse, error)) *plugintest.FakeHost {
	return &plugintest.FakeHost{FindSOAPFunc: func(_ context.Context, req *find.SOAPRequest) (*find.SOAPResponse, error) {
		h.mu.Lock()
		h.reqs = append(h.reqs, *req)
		h.mu.Unlock()
		return answer(*req)
	}}
}

func (h *recordingHost) last(t *testing.T) find.SOAPRequest {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.reqs) == 0 {
		t.Fatal("the listener made no FindSOAP call")
	}
	return h.reqs[len(h.reqs)-1]
}

func (h *recordingHost) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.reqs)
}

func startFake(t *testing.T, fake *plugintest.FakeHost) string {
	t.Helper()
	p := plugintest.Start(t, &Listener{}, json.RawMessage(`{"addresses":["127.0.0.1:0"],"namespace":"qa"}`), fake)
	return "http://" + p.Addresses[0]
}

const getAccount = `<acc:GetAccount><acc:id>42</acc:id><acc:currency code="EUR"/><acc:tag>a</acc:tag><acc:tag>b</acc:tag></acc:GetAccount>`

func TestCallIsResolvedAndAnswered(t *testing.T) {
	h := &recordingHost{}
	base := startFake(t, h.fake(func(req find.SOAPRequest) (*find.SOAPResponse, error) {
		return &find.SOAPResponse{MockID: "acc", StatusCode: 200, Headers: map[string][]string{"X-Trace": {"t1"}},
			Data: json.RawMessage(`{"GetAccountResponse":{"id":"42","owner":"Ada","balance":10.50,"tag":["gold","vip"],` +
				`"status":{"-code":"A","#text":"active"}}}`)}, nil
	}))
	a := post11(t, base+"/ws/accounts", "urn:GetAccount", envelope11(getAccount))
	if a.status != 200 || a.header.Get("X-Trace") != "t1" || a.header.Get("X-Mockarty-Mock-Id") != "acc" {
		t.Fatalf("answer: %d %v %s", a.status, a.header, a.body)
	}
	env := a.soap11(t)
	if env.Body.Fault != nil {
		t.Fatalf("fault: %+v", env.Body.Fault)
	}
	r := a.account(t, env.Body.Inner)
	if r.ID != "42" || r.Owner != "Ada" || r.Balance != 10.5 || strings.Join(r.Tags, ",") != "gold,vip" ||
		r.Status.Code != "A" || r.Status.Value != "active" {
		t.Fatalf("response: %+v\n%s", r, a.body)
	}
	if !strings.Contains(a.body, "<balance>10.50</balance>") {
		t.Fatalf("numbers are written as the mock has them: %s", a.body)
	}

	req := h.last(t)
	if req.Namespace != "qa" || req.Path != "/ws/accounts" || req.Action != "urn:GetAccount" || req.Operation != "GetAccount" ||
		req.Headers["Soapaction"][0] != `"urn:GetAccount"` || req.Headers["Host"][0] == "" || !strings.Contains(req.XML, "<acc:id>42</acc:id>") {
		t.Fatalf("find request: %+v", req)
	}
	if string(req.Data) != `{"GetAccount":{"id":"42","currency":{"-code":"EUR"},"tag":["a","b"]}}` {
		t.Fatalf("data: %s", req.Data)
	}
}

func TestSOAP12CallAndFaults(t *testing.T) {
	h := &recordingHost{}
	base := startFake(t, h.fake(func(req find.SOAPRequest) (*find.SOAPResponse, error) {
		switch req.Operation {
		case "Withdraw":
			return &find.SOAPResponse{MockID: "w", StatusCode: 400, Fault: &find.SOAPFault{FaultCode: "soap:Client.Funds",
				FaultString: "insufficient funds", FaultActor: "urn:bank", Detail: `<e:limit xmlns:e="urn:err">100</e:limit>`, HTTPStatus: 400}}, nil
		case "Crash":
			return &find.SOAPResponse{MockID: "c", Fault: &find.SOAPFault{FaultString: "boom", Detail: "a < b"}}, nil
		}
		return &find.SOAPResponse{MockID: "acc", StatusCode: 200,
			Data: json.RawMessage(`{"Envelope":{"Body":{"GetAccountResponse":{"id":"7"}}}}`)}, nil
	}))
	a := post12(t, base+"/ws", "urn:GetAccount", envelope12(getAccount))
	env := a.soap12(t)
	if a.status != 200 || env.Body.Fault != nil || a.account(t, env.Body.Inner).ID != "7" {
		t.Fatalf("answer: %d %s", a.status, a.body)
	}
	if req := h.last(t); req.Action != "urn:GetAccount" || req.Operation != "GetAccount" {
		t.Fatalf("find request: %+v", req)
	}

	a = post12(t, base+"/ws", "", envelope12(`<acc:Withdraw><acc:amount>500</acc:amount></acc:Withdraw>`))
	f := a.soap12(t).Body.Fault
	if a.status != 400 || f == nil || f.Code.Value != "soap:Sender" || f.Code.Subcode.Value != "Funds" ||
		f.Reason.Text.Value != "insufficient funds" || f.Reason.Text.Lang != "en" || f.Node != "urn:bank" ||
		!strings.Contains(f.Detail.Inner, `<e:limit xmlns:e="urn:err">100</e:limit>`) {
		t.Fatalf("1.2 fault: %d %+v\n%s", a.status, f, a.body)
	}
	a = post11(t, base+"/ws", "urn:Withdraw", envelope11(`<acc:Withdraw/>`))
	f11 := a.soap11(t).Body.Fault
	if a.status != 400 || f11 == nil || f11.Code != "soap:Client.Funds" || f11.String != "insufficient funds" || f11.Actor != "urn:bank" ||
		!strings.Contains(f11.Detail.Inner, "<e:limit") {
		t.Fatalf("1.1 fault: %d %+v\n%s", a.status, f11, a.body)
	}
	// No code: Server/Receiver, status 500; a detail that is not XML is escaped.
	a = post11(t, base+"/ws", "", envelope11(`<acc:Crash/>`))
	f11 = a.soap11(t).Body.Fault
	if a.status != 500 || f11.Code != "soap:Server" || f11.Detail.Inner != "a &lt; b" {
		t.Fatalf("1.1 default fault: %d %+v", a.status, f11)
	}
	a = post12(t, base+"/ws", "", envelope12(`<acc:Crash/>`))
	if f := a.soap12(t).Body.Fault; a.status != 500 || f.Code.Value != "soap:Receiver" {
		t.Fatalf("1.2 default fault: %d %+v", a.status, f)
	}
}

func TestNoMockIsAClientFault(t *testing.T) {
	h := &recordingHost{}
	base := startFake(t, h.fake(func(req find.SOAPRequest) (*find.SOAPResponse, error) {
		return nil, &sdk.NoMatch{Message: "no soap mock matches GetAccount in namespace qa; closest: acc (condition failed)", Code: "no_match",
			Namespace: "qa", Candidates: json.RawMessage(`[{"mockId":"acc","reason":"condition failed","where":"conditions",` +
				`"failedCondition":{"path":"$.GetAccount.id","assertAction":"equals","expected":"s3cret","reason":"value differs"}}]`)}
	}))
	a := post11(t, base+"/ws", "urn:GetAccount", envelope11(getAccount))
	f := a.soap11(t).Body.Fault
	if a.status != 500 || f == nil || f.Code != "soap:Client" || !strings.Contains(f.String, "closest: acc (condition failed)") {
		t.Fatalf("no mock: %d %s", a.status, a.body)
	}
	if !strings.Contains(f.Detail.Inner, `<nearMiss xmlns="urn:mockarty:near-miss"><code>no_match</code><namespace>qa</namespace>`) ||
		!strings.Contains(f.Detail.Inner, "<mockId>acc</mockId>") || strings.Contains(f.Detail.Inner, "s3cret") {
		t.Fatalf("near-miss detail (expected values are not shown): %s", f.Detail.Inner)
	}
	// SOAP 1.2's HTTP binding sends a Sender fault with 400.
	a = post12(t, base+"/ws", "urn:GetAccount", envelope12(getAccount))
	if f := a.soap12(t).Body.Fault; a.status != 400 || f.Code.Value != "soap:Sender" || !strings.Contains(f.Reason.Text.Value, "no soap mock") {
		t.Fatalf("1.2 no mock: %d %s", a.status, a.body)
	}
}

func TestBadRequestsAreClientFaults(t *testing.T) {
	h := &recordingHost{}
	base := startFake(t, h.fake(func(find.SOAPRequest) (*find.SOAPResponse, error) {
		return &find.SOAPResponse{MockID: "x"}, nil
	}))
	for _, tc := range []struct{ name, body, want string }{
		{"empty", "", "has no body"},
		{"not XML", "hello", "not well-formed XML"},
		{"truncated", `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>`, "not well-formed XML: line 1"},
		{"JSON", `{"GetAccount":{}}`, "not well-formed XML"},
		{"other root", `<GetAccount><id>1</id></GetAccount>`, "its root element is <GetAccount>"},
		{"no body", `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header/></s:Envelope>`, "has no Body"},
		{"two roots", envelope11("") + "<x/>", "more than one root"},
	} {
		// SOAP 1.1's HTTP binding sends every fault with 500.
		a := post11(t, base+"/ws", "urn:a", tc.body)
		f := a.soap11(t).Body.Fault
		if a.status != 500 || f == nil || f.Code != "soap:Client" || !strings.Contains(f.String, tc.want) {
			t.Errorf("%s: %d %s", tc.name, a.status, a.body)
		}
	}
	a := post12(t, base+"/ws", "", "<nope") // a Sender fault: 400 in SOAP 1.2
	if f := a.soap12(t).Body.Fault; a.status != 400 || f.Code.Value != "soap:Sender" {
		t.Errorf("1.2 bad envelope: %d %s", a.status, a.body)
	}
	res, err := http.Get(base + "/ws")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 405 || res.Header.Get("Allow") != "POST, GET" {
		t.Errorf("GET without ?wsdl: %d %v", res.StatusCode, res.Header)
	}
	if n := h.count(); n != 0 {
		t.Fatalf("bad requests reached the host: %d", n)
	}
}

func TestReplyPayloadForms(t *testing.T) {
	payloads := map[string]string{
		"Raw":      `"<acc:RawResponse xmlns:acc=\"urn:example:accounts\"><acc:ok>true</acc:ok></acc:RawResponse>"`,
		"Whole":    `"<?xml version=\"1.0\"?><S:Envelope xmlns:S=\"http://schemas.xmlsoap.org/soap/envelope/\"><S:Body><Mine/></S:Body></S:Envelope>"`,
		"Broken":   `"<a><b></a>"`,
		"Text":     `"just text"`,
		"Scalar":   `42`,
		"BadName":  `{"1st":"x"}`,
		"Empty":    ``,
		"Plain":    `{"PlainResponse":{"-xmlns":"urn:own","v":null,"flag":false}}`,
		"Header":   `{"Envelope":{"Header":{"Session":{"-xmlns":"urn:s","id":"9"}},"Body":{"HeaderResponse":{}}}}`,
		"Multiple": `[{"A":"1"},{"B":"2"}]`,
	}
	h := &recordingHost{}
	base := startFake(t, h.fake(func(req find.SOAPRequest) (*find.SOAPResponse, error) {
		return &find.SOAPResponse{MockID: "m", StatusCode: 200, Data: json.RawMessage(payloads[req.Operation])}, nil
	}))
	call := func(op string) (*answer, *parsed11) {
		a := post11(t, base+"/ws", "", envelope11(`<acc:`+op+`><acc:x>1</acc:x></acc:`+op+`>`))
		return a, a.soap11(t)
	}
	if a, env := call("Raw"); a.status != 200 || !strings.Contains(env.Body.Inner, `<acc:RawResponse xmlns:acc="urn:example:accounts"><acc:ok>true</acc:ok>`) {
		t.Errorf("raw fragment: %s", a.body)
	}
	if a, _ := call("Whole"); a.body != `<?xml version="1.0"?><S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body><Mine/></S:Body></S:Envelope>` {
		t.Errorf("whole envelope is sent as it is: %s", a.body)
	}
	for _, op := range []string{"Broken", "Text", "Scalar", "BadName"} {
		if a, env := call(op); a.status != 500 || env.Body.Fault == nil || env.Body.Fault.Code != "soap:Server" ||
			!strings.Contains(env.Body.Fault.String, "cannot be sent as SOAP") {
			t.Errorf("%s: %d %s", op, a.status, a.body)
		}
	}
	if a, env := call("Empty"); a.status != 200 || strings.TrimSpace(env.Body.Inner) != "" {
		t.Errorf("empty payload: %s", a.body)
	}
	if a, env := call("Plain"); !strings.Contains(env.Body.Inner, `<PlainResponse xmlns="urn:own"><v/><flag>false</flag></PlainResponse>`) {
		t.Errorf("own xmlns is kept: %s", a.body)
	}
	if a, _ := call("Header"); !strings.Contains(a.body, `<soap:Header><Session xmlns="urn:s"><id>9</id></Session></soap:Header>`) ||
		!strings.Contains(a.body, `<HeaderResponse xmlns="urn:example:accounts"/>`) {
		t.Errorf("header: %s", a.body)
	}
	if a, env := call("Multiple"); !strings.Contains(env.Body.Inner, `<A xmlns="urn:example:accounts">1</A><B xmlns="urn:example:accounts">2</B>`) {
		t.Errorf("several Body elements: %s", a.body)
	}
}

func TestUnqualifiedRequestGetsPrefixedReply(t *testing.T) {
	h := &recordingHost{}
	base := startFake(t, h.fake(func(find.SOAPRequest) (*find.SOAPResponse, error) {
		return &find.SOAPResponse{MockID: "m", StatusCode: 200, Data: json.RawMessage(`{"getQuoteResponse":{"return":"1.5"}}`)}, nil
	}))
	// JAX-WS style: the operation element is qualified, its children are not.
	a := post11(t, base+"/quotes", "", envelope11(`<ns2:getQuote xmlns:ns2="urn:quotes"><symbol>ACME</symbol></ns2:getQuote>`))
	if env := a.soap11(t); !strings.Contains(env.Body.Inner, `<m:getQuoteResponse xmlns:m="urn:quotes"><return>1.5</return></m:getQuoteResponse>`) {
		t.Fatalf("reply: %s", a.body)
	}
	if d := string(h.last(t).Data); d != `{"getQuote":{"symbol":"ACME"}}` {
		t.Fatalf("data: %s", d)
	}
}

func TestOneWayAndStatus(t *testing.T) {
	h := &recordingHost{}
	base := startFake(t, h.fake(func(req find.SOAPRequest) (*find.SOAPResponse, error) {
		if req.Operation == "Notify" {
			return &find.SOAPResponse{MockID: "n", StatusCode: 202}, nil
		}
		return &find.SOAPResponse{MockID: "c", StatusCode: 201, Headers: map[string][]string{"content-type": {"text/xml"}},
			Data: json.RawMessage(`{"R":"1"}`)}, nil
	}))
	a := post11(t, base+"/ws", "", envelope11(`<Notify/>`))
	if a.status != 202 || a.body != "" {
		t.Fatalf("one-way: %d %q", a.status, a.body)
	}
	a = post11(t, base+"/ws", "", envelope11(`<Create/>`))
	if a.status != 201 || a.contentType != "text/xml" {
		t.Fatalf("the mock's status and headers: %d %q", a.status, a.contentType)
	}
}

func TestHandOffFromTheHost(t *testing.T) {
	h := &recordingHost{}
	base := startFake(t, h.fake(func(find.SOAPRequest) (*find.SOAPResponse, error) {
		return &find.SOAPResponse{MockID: "m", StatusCode: 200, Data: json.RawMessage(`{"R":"1"}`)}, nil
	}))
	req, _ := http.NewRequest(http.MethodPost, base+"/ws/accounts", strings.NewReader(envelope11(getAccount)))
	req.Header.Set("Content-Type", "text/xml")
	req.Header.Set("SOAPAction", "urn:GetAccount")
	plugintest.HandOff(req.Header, "team-a", "/stubs/team-a")
	if a := send(t, req); a.status != 200 {
		t.Fatalf("hand-off: %d %s", a.status, a.body)
	}
	if r := h.last(t); r.Namespace != "team-a" || r.Path != "/ws/accounts" || r.Action != "urn:GetAccount" {
		t.Fatalf("find request: %+v", r)
	}
	// A proxy that keeps its prefix in the path.
	req, _ = http.NewRequest(http.MethodPost, base+"/stubs/team-a/ws/accounts", strings.NewReader(envelope11(getAccount)))
	req.Header.Set("Content-Type", "text/xml")
	plugintest.HandOff(req.Header, "team-a", "/stubs/team-a")
	send(t, req)
	if r := h.last(t); r.Path != "/ws/accounts" {
		t.Fatalf("prefix kept: %+v", r)
	}
	req, _ = http.NewRequest(http.MethodPost, base+"/ws", strings.NewReader(envelope11(getAccount)))
	plugintest.HandOff(req.Header, "../etc", "")
	if a := send(t, req); a.status != 400 || !strings.Contains(a.body, "not a namespace name") {
		t.Fatalf("bad namespace header: %d %s", a.status, a.body)
	}
}

func TestActionFromAddressingHeader(t *testing.T) {
	h := &recordingHost{}
	base := startFake(t, h.fake(func(find.SOAPRequest) (*find.SOAPResponse, error) {
		return &find.SOAPResponse{MockID: "m", StatusCode: 200}, nil
	}))
	env := `<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://www.w3.org/2005/08/addressing">
<e:Header><wsa:Action> urn:Ping </wsa:Action></e:Header><e:Body><Ping xmlns="urn:p"/></e:Body></e:Envelope>`
	post12(t, base+"/", "", env)
	if r := h.last(t); r.Action != "urn:Ping" || r.Operation != "Ping" || string(r.Data) != `{"Ping":""}` {
		t.Fatalf("find request: %+v %s", r, r.Data)
	}
}

func TestSettings(t *testing.T) {
	l := &Listener{}
	info := l.Info()
	var schema map[string]any
	if err := json.Unmarshal(info.SettingsSchema, &schema); err != nil || info.Name != "soap" || info.Kind != sdk.KindListener ||
		info.Protocols[0] != "soap" {
		t.Fatalf("info: %+v %v", info, err)
	}
	for _, bad := range []string{`{"addresses":[]}`, `{"namespace":"a b"}`, `{"maxBodyBytes":0}`, `{"maxElements":0}`, `[1]`} {
		if err := l.Configure(t.Context(), json.RawMessage(bad)); err == nil {
			t.Errorf("settings %s were accepted", bad)
		}
	}
	if err := l.Configure(t.Context(), nil); err != nil || l.settings.Addresses[0] != DefaultAddress || l.settings.Namespace != "sandbox" ||
		l.settings.MaxElements != 100000 {
		t.Fatalf("defaults: %+v %v", l.settings, err)
	}
	if err := l.Health(t.Context()); err == nil {
		t.Fatal("healthy before Start")
	}
}

func TestProxyMock(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("X-Upstream", r.URL.Path+" "+r.Header.Get("SOAPAction")+" "+r.Header.Get("X-Mockarty-Namespace"))
		w.WriteHeader(200)
		_, _ = w.Write(b) // echoes the envelope
	}))
	defer upstream.Close()
	h := &recordingHost{}
	fake := h.fake(func(find.SOAPRequest) (*find.SOAPResponse, error) {
		return &find.SOAPResponse{MockID: "p", Proxy: &find.ProxyTarget{Target: upstream.URL + "/real/"},
			Headers: map[string][]string{"X-Mock": {"1"}}}, nil
	})
	p := plugintest.Start(t, &Listener{}, json.RawMessage(`{"addresses":["127.0.0.1:0"],"allowPrivateProxy":true}`), fake)
	env := envelope11(getAccount)
	req, _ := http.NewRequest(http.MethodPost, "http://"+p.Addresses[0]+"/ws?x=1", strings.NewReader(env))
	req.Header.Set("Content-Type", "text/xml")
	req.Header.Set("SOAPAction", "urn:GetAccount")
	req.Header.Set("X-Mockarty-Namespace", "sandbox")
	a := send(t, req)
	if a.status != 200 || a.body != env || a.header.Get("X-Upstream") != "/real/ws urn:GetAccount" || a.header.Get("X-Mock") != "1" {
		t.Fatalf("proxied: %d %v %s", a.status, a.header, a.body)
	}
	// Loopback upstreams are refused unless allowPrivateProxy.
	base := startFake(t, fake)
	a = post11(t, base+"/ws", "urn:GetAccount", env)
	if f := a.soap11(t).Body.Fault; a.status != 502 || f == nil || !strings.Contains(f.String, "refusing to call private address") {
		t.Fatalf("private upstream: %d %s", a.status, a.body)
	}
}

func TestStopLetsCallsFinish(t *testing.T) {
	called := make(chan struct{}, 1)
	fake := &plugintest.FakeHost{FindSOAPFunc: func(context.Context, *find.SOAPRequest) (*find.SOAPResponse, error) {
		called <- struct{}{}
		return &find.SOAPResponse{MockID: "slow", StatusCode: 200, Delay: 300, Data: json.RawMessage(`{"R":"done"}`)}, nil
	}}
	l := &Listener{}
	if err := l.Configure(t.Context(), json.RawMessage(`{"addresses":["127.0.0.1:0"]}`)); err != nil {
		t.Fatal(err)
	}
	addrs, err := l.Start(t.Context(), fake)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Health(t.Context()); err != nil {
		t.Fatalf("health: %v", err)
	}
	type result struct {
		status int
		body   string
		err    error
	}
	res := make(chan result, 1)
	go func() { // post11 would call t.Fatal off the test's goroutine
		r, err := http.Post("http://"+addrs[0]+"/ws", "text/xml", strings.NewReader(envelope11(`<Slow/>`)))
		if err != nil {
			res <- result{err: err}
			return
		}
		defer r.Body.Close()
		b, err := io.ReadAll(r.Body)
		res <- result{r.StatusCode, string(b), err}
	}()
	<-called // the call is in its delay
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := l.Stop(ctx); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if a := <-res; a.err != nil || a.status != 200 || !strings.Contains(a.body, "<R>done</R>") {
		t.Fatalf("the call in progress: %v %d %s", a.err, a.status, a.body)
	}
	if err := l.Health(t.Context()); err == nil {
		t.Fatal("healthy after Stop")
	}
	if _, err := http.Post("http://"+addrs[0]+"/ws", "text/xml", strings.NewReader(envelope11(`<Slow/>`))); err == nil {
		t.Fatal("still listening after Stop")
	}
}

package main

// End-to-end tests: the real host binary runs the real plugin binary (both
// built by plugintest.StartHost), mocks are made through the REST API, and
// mail is sent with Go's net/smtp client. Each test starts its own host.

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/smtp"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	plugintest.Cleanup()
	os.Exit(code)
}

// hostEnv is a running host with the plugin's three servers.
type hostEnv struct {
	*plugintest.HostProc
	// Main: namespace mail-main, no serverName, rejects unmatched mail.
	// Secure: namespace mail-secure, serverName "secure", STARTTLS and
	// AUTH PLAIN (app / s3cret) required. Open: namespace mail-open,
	// accepts unmatched mail and any AUTH, 64 KiB messages.
	Main, Secure, Open string
}

// startHost starts the test's host with the smtp plugin and its three servers.
func startHost(t *testing.T) *hostEnv {
	t.Helper()
	h := plugintest.StartHost(t, plugintest.HostOptions{Plugins: map[string]plugintest.PluginSpec{"smtp": {Dir: ".", Settings: `{"servers": [
  {"address": "127.0.0.1:0", "namespace": "mail-main", "domain": "mx.mock.test"},
  {"address": "127.0.0.1:0", "namespace": "mail-secure", "serverName": "secure",
   "tls": {}, "auth": {"users": [{"username": "app", "password": "s3cret"}], "required": true, "requireTLS": true}},
  {"address": "127.0.0.1:0", "namespace": "mail-open", "acceptUnmatched": true, "maxMessageBytes": 65536,
   "auth": {"acceptAnyAuth": true}}
]}`}}})
	p := h.Plugin(t, "smtp")
	addrs := h.Addresses(t, "smtp")
	if p["kind"] != "listener" || len(addrs) != 3 || fmt.Sprint(p["protocols"]) != "[smtp]" {
		t.Fatalf("plugin status: %v", p)
	}
	return &hostEnv{HostProc: h, Main: addrs[0], Secure: addrs[1], Open: addrs[2]}
}

// api sends a request to the host and checks the status.
func (h *hostEnv) api(t *testing.T, want int, method, path, body string) []byte {
	t.Helper()
	return h.Do(t, method, path, body, want)
}

func (h *hostEnv) getJSON(t *testing.T, path string, into any) {
	t.Helper()
	if err := json.Unmarshal(h.api(t, http.StatusOK, "GET", path, ""), into); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

func (h *hostEnv) mock(t *testing.T, doc string) {
	t.Helper()
	h.api(t, http.StatusCreated, "POST", "/api/v1/mocks", doc)
}

// smtpCode is the reply code of a failed client call (0 when it is no SMTP reply).
func smtpCode(err error) (int, string) {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code, te.Msg
	}
	return 0, fmt.Sprint(err)
}

func simpleMail(from, to, subject, body string, headers ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: Tue, 03 Mar 2026 10:15:00 +0000\r\n", from, to, subject)
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n" + body + "\r\n")
	return []byte(b.String())
}

func TestAcceptAndReject(t *testing.T) {
	h := startHost(t)
	h.mock(t, `{"id":"e2e-accept","namespace":"mail-main","smtp":{"recipientConditions":[{"path":"","assertAction":"contains","value":"accept@e2e.test"}]},
		"response":{"statusCode":250,"payload":{"message":"queued by mock"}}}`)
	h.mock(t, `{"id":"e2e-reject","namespace":"mail-main","smtp":{"recipientConditions":[{"path":"","assertAction":"contains","value":"reject@e2e.test"}]},
		"response":{"statusCode":550,"error":"mailbox unavailable"}}`)
	h.mock(t, `{"id":"e2e-later","namespace":"mail-main","smtp":{"recipientConditions":[{"path":"","assertAction":"contains","value":"later@e2e.test"}]},
		"response":{"statusCode":451,"error":"try again later"}}`)

	if err := smtp.SendMail(h.Main, nil, "app@e2e.test", []string{"accept@e2e.test"}, simpleMail("app@e2e.test", "accept@e2e.test", "hello", "hi")); err != nil {
		t.Fatalf("accepted mail: %v", err)
	}
	err := smtp.SendMail(h.Main, nil, "app@e2e.test", []string{"reject@e2e.test"}, simpleMail("app@e2e.test", "reject@e2e.test", "hello", "hi"))
	if code, msg := smtpCode(err); code != 550 || !strings.Contains(msg, "mailbox unavailable") {
		t.Fatalf("rejected mail: %v", err)
	}
	err = smtp.SendMail(h.Main, nil, "app@e2e.test", []string{"later@e2e.test"}, simpleMail("app@e2e.test", "later@e2e.test", "hello", "hi"))
	if code, msg := smtpCode(err); code != 451 || !strings.Contains(msg, "try again later") {
		t.Fatalf("temporarily rejected mail: %v", err)
	}
	// The mock's log shows what was matched.
	var logs struct {
		Requests []map[string]any `json:"requests"`
	}
	plugintest.Eventually(t, 20*time.Second, func() bool { // logs are written in batches
		h.getJSON(t, "/api/v1/mocks/e2e-accept/logs", &logs)
		return len(logs.Requests) > 0
	}, "the accept mock's log")
	if !strings.Contains(fmt.Sprint(logs.Requests[0]), "accept@e2e.test") {
		t.Fatalf("the accept mock's log: %v", logs.Requests)
	}
}

func TestConditionsOnEachPart(t *testing.T) {
	h := startHost(t)
	for _, m := range []struct{ id, cond, code, msg string }{
		{"cond-sender", `"senderConditions":[{"path":"","assertAction":"equals","value":"boss@cond.test"}]`, "550", "matched on the sender"},
		{"cond-rcpt", `"recipientConditions":[{"path":"","assertAction":"contains","value":"payroll@cond.test"}]`, "551", "matched on a recipient"},
		{"cond-subject", `"subjectConditions":[{"path":"","assertAction":"matches","value":"^Invoice #[0-9]+$"}]`, "552", "matched on the subject"},
		{"cond-body", `"bodyConditions":[{"path":"","assertAction":"contains","value":"token-in-text"}]`, "553", "matched on the body"},
		{"cond-header", `"headerConditions":[{"path":"X-Campaign","assertAction":"equals","value":"spring-sale"}]`, "554", "matched on a header"},
	} {
		h.mock(t, `{"id":"`+m.id+`","namespace":"mail-main","smtp":{`+m.cond+`},"response":{"statusCode":`+m.code+`,"error":"`+m.msg+`"}}`)
	}
	multipart := func(text, html string) []byte {
		return []byte("From: a@cond.test\r\nTo: x@cond.test\r\nSubject: mixed\r\nMIME-Version: 1.0\r\n" +
			"Content-Type: multipart/alternative; boundary=zz\r\n\r\n" +
			"--zz\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + text + "\r\n" +
			"--zz\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html + "\r\n--zz--\r\n")
	}
	cases := []struct {
		name     string
		from     string
		to       []string
		msg      []byte
		wantCode int
		wantMsg  string
	}{
		{"sender", "boss@cond.test", []string{"x@cond.test"}, simpleMail("boss@cond.test", "x@cond.test", "s", "b"), 550, "matched on the sender"},
		{"other sender", "intern@cond.test", []string{"x@cond.test"}, simpleMail("intern@cond.test", "x@cond.test", "s", "b"), 550, "no smtp mock matches"},
		{"recipient among several", "a@cond.test", []string{"x@cond.test", "payroll@cond.test"}, simpleMail("a@cond.test", "x@cond.test", "s", "b"), 551, "matched on a recipient"},
		{"other recipients", "a@cond.test", []string{"x@cond.test", "y@cond.test"}, simpleMail("a@cond.test", "x@cond.test", "s", "b"), 550, "no smtp mock matches"},
		{"subject", "a@cond.test", []string{"x@cond.test"}, simpleMail("a@cond.test", "x@cond.test", "Invoice #1042", "b"), 552, "matched on the subject"},
		{"encoded subject", "a@cond.test", []string{"x@cond.test"}, simpleMail("a@cond.test", "x@cond.test", "=?UTF-8?Q?Invoice_#77?=", "b"), 552, "matched on the subject"},
		{"other subject", "a@cond.test", []string{"x@cond.test"}, simpleMail("a@cond.test", "x@cond.test", "Invoice #10 (copy)", "b"), 550, "no smtp mock matches"},
		{"body text part", "a@cond.test", []string{"x@cond.test"}, multipart("see token-in-=\r\ntext here", "<p>nothing</p>"), 553, "matched on the body"},
		{"body only in html", "a@cond.test", []string{"x@cond.test"}, multipart("nothing", "<p>token-in-text</p>"), 550, "no smtp mock matches"},
		{"header", "a@cond.test", []string{"x@cond.test"}, simpleMail("a@cond.test", "x@cond.test", "s", "b", "x-campaign: spring-sale"), 554, "matched on a header"},
		{"other header value", "a@cond.test", []string{"x@cond.test"}, simpleMail("a@cond.test", "x@cond.test", "s", "b", "X-Campaign: winter"), 550, "no smtp mock matches"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := smtp.SendMail(h.Main, nil, c.from, c.to, c.msg)
			if code, msg := smtpCode(err); code != c.wantCode || !strings.Contains(msg, c.wantMsg) {
				t.Fatalf("got %v, want %d %q", err, c.wantCode, c.wantMsg)
			}
		})
	}
}

// A swaks-style mail: several RCPT TO and one DATA, plain text and HTML
// alternatives and a PDF attachment.
const reportMail = "From: Reporter <reporter@store.test>\r\n" +
	"To: Team <team@store.test>\r\n" +
	"Cc: cc@store.test\r\n" +
	"Subject: =?UTF-8?Q?Weekly_report_=E2=80=93_week_9?=\r\n" +
	"Date: Tue, 03 Mar 2026 10:15:00 +0100\r\n" +
	"Message-ID: <report-9@store.test>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=\"----=_MIME_BOUNDARY_000_1\"\r\n" +
	"\r\n" +
	"This is a multi-part message in MIME format.\r\n" +
	"\r\n" +
	"------=_MIME_BOUNDARY_000_1\r\n" +
	"Content-Type: multipart/alternative; boundary=\"----=_MIME_BOUNDARY_000_2\"\r\n" +
	"\r\n" +
	"------=_MIME_BOUNDARY_000_2\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"Hello team, the report is attached. Caf=C3=A9 at 10.\r\n" +
	"------=_MIME_BOUNDARY_000_2\r\n" +
	"Content-Type: text/html; charset=utf-8\r\n" +
	"\r\n" +
	"<html><body><p>Hello team, the <b>report</b> is attached.</p></body></html>\r\n" +
	"------=_MIME_BOUNDARY_000_2--\r\n" +
	"\r\n" +
	"------=_MIME_BOUNDARY_000_1\r\n" +
	"Content-Type: application/pdf; name=\"report.pdf\"\r\n" +
	"Content-Description: report.pdf\r\n" +
	"Content-Disposition: attachment; filename=\"report.pdf\"\r\n" +
	"Content-Transfer-Encoding: BASE64\r\n" +
	"\r\n" +
	"JVBERi0xLjQKJcOkw7zDtsOfCjEgMCBvYmoKPDwvVHlwZS9DYXRhbG9nPj4KZW5kb2JqCnRyYWls\r\n" +
	"ZXIKPDwvUm9vdCAxIDAgUj4+CiUlRU9GCg==\r\n" +
	"\r\n" +
	"------=_MIME_BOUNDARY_000_1--\r\n"

func TestStoredMailReadBackThroughTheAPI(t *testing.T) {
	h := startHost(t)
	h.mock(t, `{"id":"e2e-store","namespace":"mail-main","smtp":{"recipientConditions":[{"path":"","assertAction":"contains","value":"team@store.test"}]},
		"response":{"statusCode":250,"payload":{"message":"stored","storeEmail":true}}}`)
	rcpts := []string{"team@store.test", "cc@store.test", "bcc@store.test"}
	if err := smtp.SendMail(h.Main, nil, "reporter@store.test", rcpts, []byte(reportMail)); err != nil {
		t.Fatalf("send: %v", err)
	}

	var list struct {
		Messages []struct {
			ID, Namespace, ServerName, MockID, From, Subject, Date, MessageID string
			To                                                                []string
			Size, ReceivedAt                                                  int64
		}
		Total int
	}
	h.getJSON(t, "/api/v1/smtp/messages?namespace=mail-main", &list)
	if list.Total != 1 || len(list.Messages) != 1 {
		t.Fatalf("list: %+v", list)
	}
	m := list.Messages[0]
	if m.Namespace != "mail-main" || m.ServerName != "" || m.MockID != "e2e-store" || m.From != "reporter@store.test" ||
		strings.Join(m.To, ",") != strings.Join(rcpts, ",") || m.Subject != "Weekly report – week 9" ||
		m.MessageID != "report-9@store.test" || m.Date != "2026-03-03T10:15:00+01:00" || m.Size != int64(len(reportMail)) ||
		m.ReceivedAt < time.Now().Add(-time.Hour).UnixMilli() {
		t.Fatalf("list item: %+v", m)
	}

	var one struct {
		ID, Text, HTML, Raw, Subject string
		To                           []string
		Headers                      map[string][]string
		Attachments                  []struct {
			Filename, ContentType string
			Size                  int
		}
		Problems []string
	}
	h.getJSON(t, "/api/v1/smtp/messages/"+m.ID, &one)
	if one.Text != "Hello team, the report is attached. Café at 10." ||
		one.HTML != "<html><body><p>Hello team, the <b>report</b> is attached.</p></body></html>" ||
		one.Raw != reportMail || len(one.To) != 3 || one.Subject != "Weekly report – week 9" || len(one.Problems) != 0 {
		t.Fatalf("message: %+v", one)
	}
	if len(one.Attachments) != 1 || one.Attachments[0].Filename != "report.pdf" || one.Attachments[0].ContentType != "application/pdf" ||
		one.Attachments[0].Size != 82 {
		t.Fatalf("attachments: %+v", one.Attachments)
	}
	if one.Headers["Cc"][0] != "cc@store.test" || one.Headers["To"][0] != "Team <team@store.test>" || one.Headers["Subject"][0] != "Weekly report – week 9" {
		t.Fatalf("headers: %v", one.Headers)
	}
	res, err := http.Get(h.URL + "/api/v1/smtp/messages/" + m.ID + "/raw")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "message/rfc822" || string(raw) != reportMail {
		t.Fatalf("raw: %d %s\n%s", res.StatusCode, res.Header.Get("Content-Type"), raw)
	}

	// Delete one, then a namespace.
	h.api(t, http.StatusOK, "DELETE", "/api/v1/smtp/messages/"+m.ID, "")
	h.api(t, http.StatusNotFound, "GET", "/api/v1/smtp/messages/"+m.ID, "")
	for i := 0; i < 2; i++ {
		if err := smtp.SendMail(h.Main, nil, "reporter@store.test", rcpts[:1], []byte(reportMail)); err != nil {
			t.Fatal(err)
		}
	}
	h.getJSON(t, "/api/v1/smtp/messages?namespace=mail-main", &list)
	if list.Total != 2 {
		t.Fatalf("two stored again: %+v", list)
	}
	var del struct{ Deleted int }
	if err := json.Unmarshal(h.api(t, http.StatusOK, "DELETE", "/api/v1/smtp/messages?namespace=mail-main", ""), &del); err != nil || del.Deleted != 2 {
		t.Fatalf("delete the namespace's mail: %+v %v", del, err)
	}
	h.getJSON(t, "/api/v1/smtp/messages?namespace=mail-main", &list)
	if list.Total != 0 || len(list.Messages) != 0 {
		t.Fatalf("after delete: %+v", list)
	}
}

func TestSTARTTLSAndAuthPlain(t *testing.T) {
	h := startHost(t)
	h.mock(t, `{"id":"e2e-secure","namespace":"mail-secure","smtp":{"serverName":"secure"},
		"response":{"statusCode":250,"payload":{"message":"secured","storeEmail":true}}}`)
	// The plain connection offers STARTTLS but not AUTH, and refuses mail.
	c, err := smtp.Dial(h.Secure)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.test"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		t.Fatal("STARTTLS is not offered")
	}
	if ok, _ := c.Extension("AUTH"); ok {
		t.Fatal("AUTH must wait for TLS (requireTLS)")
	}
	if code, _ := smtpCode(c.Mail("app@secure.test")); code != 530 {
		t.Fatalf("MAIL before AUTH: %v", code)
	}
	// The self-signed certificate names 127.0.0.1: trust it and verify.
	if err := c.StartTLS(&tls.Config{InsecureSkipVerify: true}); err != nil {
		t.Fatalf("STARTTLS: %v", err)
	}
	state, ok := c.TLSConnectionState()
	if !ok || len(state.PeerCertificates) == 0 {
		t.Fatal("no TLS state after STARTTLS")
	}
	pool := x509.NewCertPool()
	pool.AddCert(state.PeerCertificates[0])
	_ = c.Quit()

	dialTLS := func() *smtp.Client {
		t.Helper()
		c, err := smtp.Dial(h.Secure)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if err := c.StartTLS(&tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}); err != nil {
			t.Fatalf("STARTTLS with the certificate verified: %v", err)
		}
		return c
	}
	c = dialTLS()
	if ok, params := c.Extension("AUTH"); !ok || !strings.Contains(params, "PLAIN") {
		t.Fatalf("AUTH PLAIN after STARTTLS: %v %q", ok, params)
	}
	if code, _ := smtpCode(c.Auth(smtp.PlainAuth("", "app", "wrong", "127.0.0.1"))); code != 535 {
		t.Fatalf("a wrong password: %v", code)
	} // net/smtp hangs up after a failed AUTH
	c = dialTLS()
	if err := c.Auth(smtp.PlainAuth("", "app", "s3cret", "127.0.0.1")); err != nil {
		t.Fatalf("AUTH PLAIN: %v", err)
	}
	if err := c.Mail("app@secure.test"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("ops@secure.test"); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(simpleMail("app@secure.test", "ops@secure.test", "over TLS", "secret")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("mail over TLS: %v", err)
	}
	_ = c.Quit()

	var list struct {
		Messages []struct{ ServerName, MockID, Subject string }
	}
	h.getJSON(t, "/api/v1/smtp/messages?namespace=mail-secure&serverName=secure", &list)
	if len(list.Messages) != 1 || list.Messages[0].MockID != "e2e-secure" || list.Messages[0].Subject != "over TLS" {
		t.Fatalf("the mail sent over TLS: %+v", list)
	}
}

func TestUnmatchedMail(t *testing.T) {
	h := startHost(t)
	err := smtp.SendMail(h.Main, nil, "stranger@nowhere.test", []string{"nobody@nowhere.test"},
		simpleMail("stranger@nowhere.test", "nobody@nowhere.test", "unmatched-e2e", "anyone?"))
	if code, msg := smtpCode(err); code != 550 || !strings.Contains(msg, "no smtp mock matches") || !strings.Contains(msg, "mail-main") {
		t.Fatalf("an unmatched mail: %v", err)
	}
	// The open server accepts what no mock matches, with any credentials.
	err = smtp.SendMail(h.Open, smtp.PlainAuth("", "anyone", "anything", "127.0.0.1"), "stranger@nowhere.test", []string{"nobody@nowhere.test"},
		simpleMail("stranger@nowhere.test", "nobody@nowhere.test", "unmatched-open", "anyone?"))
	if err != nil {
		t.Fatalf("acceptUnmatched: %v", err)
	}
	// Both are unmatched requests of their namespaces (recorded in batches).
	for ns, subject := range map[string]string{"mail-main": "unmatched-e2e", "mail-open": "unmatched-open"} {
		var u struct {
			Requests []struct{ Protocol, Method, Namespace, RawBody string }
		}
		plugintest.Eventually(t, 20*time.Second, func() bool {
			u.Requests = nil
			h.getJSON(t, "/api/v1/undefined-requests?protocol=smtp&namespace="+ns, &u)
			// One entry per server (namespace, protocol, MAIL, serverName),
			// showing the last unmatched mail's subject.
			return len(u.Requests) == 1 && u.Requests[0].Protocol == "smtp" && u.Requests[0].Method == "MAIL" &&
				u.Requests[0].Namespace == ns && u.Requests[0].RawBody == subject
		}, "one undefined request of %s with subject %q", ns, subject)
	}
	// The open server's size limit.
	big := simpleMail("a@x.test", "b@x.test", "big", strings.Repeat("0123456789abcdef\r\n", 4000))
	if code, _ := smtpCode(smtp.SendMail(h.Open, nil, "a@x.test", []string{"b@x.test"}, big)); code != 552 {
		t.Fatalf("a mail over maxMessageBytes: %d", code)
	}
}

// signalConn tells when the end of a message (CRLF . CRLF) has been written.
type signalConn struct {
	net.Conn
	tail []byte
	once sync.Once
	sent chan struct{}
}

func (c *signalConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.tail = append(c.tail, p[:n]...)
	if len(c.tail) > 5 {
		c.tail = c.tail[len(c.tail)-5:]
	}
	if string(c.tail) == "\r\n.\r\n" {
		c.once.Do(func() { close(c.sent) })
	}
	return n, err
}

func TestDelayKeepsLaterMailFirst(t *testing.T) {
	h := startHost(t)
	const delay = 1500 * time.Millisecond
	h.mock(t, `{"id":"e2e-slow","namespace":"mail-main","smtp":{"recipientConditions":[{"path":"","assertAction":"contains","value":"slow@delay.test"}]},
		"response":{"statusCode":250,"delay":1500}}`)
	h.mock(t, `{"id":"e2e-fast","namespace":"mail-main","smtp":{"recipientConditions":[{"path":"","assertAction":"contains","value":"fast@delay.test"}]},
		"response":{"statusCode":250}}`)

	raw, err := net.Dial("tcp", h.Main)
	if err != nil {
		t.Fatal(err)
	}
	conn := &signalConn{Conn: raw, sent: make(chan struct{})}
	host, _, _ := net.SplitHostPort(h.Main)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail("a@delay.test"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("slow@delay.test"); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(simpleMail("a@delay.test", "slow@delay.test", "slow", "x")); err != nil {
		t.Fatal(err)
	}
	type done struct {
		name    string
		err     error
		elapsed time.Duration
	}
	order := make(chan done, 2)
	start := time.Now()
	go func() {
		err := w.Close() // sends the end of data and waits for the reply
		order <- done{"slow", err, time.Since(start)}
	}()
	select {
	case <-conn.sent:
	case <-time.After(30 * time.Second):
		t.Fatal("the slow mail was never sent")
	}
	// The second mail starts after the first has been handed over whole.
	err = smtp.SendMail(h.Main, nil, "a@delay.test", []string{"fast@delay.test"}, simpleMail("a@delay.test", "fast@delay.test", "fast", "x"))
	order <- done{"fast", err, time.Since(start)}

	first, second := <-order, <-order
	if first.name != "fast" || second.name != "slow" {
		t.Fatalf("the delayed mail must be answered last: %s then %s", first.name, second.name)
	}
	if first.err != nil || second.err != nil {
		t.Fatalf("both are accepted: %v / %v", first.err, second.err)
	}
	if second.elapsed < delay {
		t.Fatalf("the delayed mail was answered after %v, before its delay of %v", second.elapsed, delay)
	}
}

// TestSwaks sends with swaks, the SMTP test tool: two recipients and a file
// attachment in one transaction, read back through the API.
func TestSwaks(t *testing.T) {
	swaks, err := exec.LookPath("swaks")
	if err != nil {
		t.Skip("swaks is not installed (Debian package swaks): the net/smtp tests cover the same ground")
	}
	h := startHost(t)
	h.mock(t, `{"id":"e2e-swaks","namespace":"mail-main","smtp":{"headerConditions":[{"path":"X-Mailer","assertAction":"contains","value":"swaks"}]},
		"response":{"statusCode":250,"payload":{"message":"swaks mail kept","storeEmail":true}}}`)
	pdf := filepath.Join(t.TempDir(), "invoice.pdf")
	if err := os.WriteFile(pdf, []byte("%PDF-1.4\n%%EOF\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(h.Main)
	out, err := exec.Command(swaks, "--server", host, "--port", port, "--from", "billing@swaks.test",
		"--to", "ops@swaks.test,audit@swaks.test", "--header", "Subject: Invoice 7", "--body", "Invoice attached.",
		"--attach-type", "application/pdf", "--attach", pdf).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "250 2.0.0 swaks mail kept") {
		t.Fatalf("swaks: %v\n%s", err, out)
	}
	var list struct {
		Messages []struct {
			ID, MockID, From, Subject string
			To                        []string
		}
	}
	h.getJSON(t, "/api/v1/smtp/messages?namespace=mail-main", &list)
	var id string
	for _, m := range list.Messages {
		if m.MockID == "e2e-swaks" {
			if m.From != "billing@swaks.test" || strings.Join(m.To, ",") != "ops@swaks.test,audit@swaks.test" || m.Subject != "Invoice 7" {
				t.Fatalf("swaks mail: %+v", m)
			}
			id = m.ID
		}
	}
	if id == "" {
		t.Fatalf("the swaks mail was not kept: %+v", list)
	}
	var one struct {
		Text        string
		Attachments []struct {
			Filename, ContentType string
			Size                  int
		}
	}
	h.getJSON(t, "/api/v1/smtp/messages/"+id, &one)
	if one.Text != "Invoice attached." || len(one.Attachments) != 1 || one.Attachments[0].Filename != "invoice.pdf" ||
		one.Attachments[0].ContentType != "application/pdf" || one.Attachments[0].Size != 15 {
		t.Fatalf("swaks mail parts: %+v", one)
	}
	h.api(t, http.StatusOK, "DELETE", "/api/v1/smtp/messages/"+id, "")
}

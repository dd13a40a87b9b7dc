package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

func TestSettings(t *testing.T) {
	cfgs, err := parseSettings(nil)
	if err != nil || len(cfgs) != 1 {
		t.Fatalf("defaults: %v %v", cfgs, err)
	}
	c := cfgs[0]
	if c.Address != "127.0.0.1:2525" || c.Namespace != "sandbox" || c.Domain != "localhost" || c.ServerName != "" ||
		c.MaxMessageBytes != 10<<20 || c.MaxRecipients != 100 || c.AcceptUnmatched || c.TLS != nil || c.Auth != nil {
		t.Fatalf("defaults: %+v", c)
	}
	cfgs, err = parseSettings(json.RawMessage(`{"acceptUnmatched":true,"maxMessageBytes":2048,
		"servers":[{"address":"127.0.0.1:0"},{"address":"127.0.0.1:0","acceptUnmatched":false,"maxMessageBytes":10}]}`))
	if err != nil || !cfgs[0].AcceptUnmatched || cfgs[0].MaxMessageBytes != 2048 || cfgs[1].AcceptUnmatched || cfgs[1].MaxMessageBytes != 10 {
		t.Fatalf("top-level defaults and per-server values: %+v %v", cfgs, err)
	}
	for _, bad := range []string{
		`{"servers":[]}`,
		`{"servers":[{"adress":"typo"}]}`,
		`{"servers":[{"auth":{}}]}`,
		`{"servers":[{"auth":{"users":[{"username":"","password":"x"}]}}]}`,
		`{"servers":[{"auth":{"acceptAnyAuth":true,"requireTLS":true}}]}`,
		`{"servers":[{"tls":{"certFile":"a.crt"}}]}`,
		`{"servers":[{"tls":{"implicit":true,"required":true}}]}`,
		`{"maxMessageBytes":0}`,
		`{"servers":[{"maxMessageBytes":2147483648}]}`,
		`{"servers":[{"maxRecipients":0}]}`,
		`{"servers":`,
	} {
		if _, err := parseSettings(json.RawMessage(bad)); err == nil {
			t.Errorf("settings %s must be refused", bad)
		}
	}
	// A listen failure is an error from Start, not a crash.
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	l := &Listener{}
	if err := l.Configure(t.Context(), json.RawMessage(`{"servers":[{"address":"127.0.0.1:0"},{"address":"`+taken.Addr().String()+`"}]}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Start(t.Context(), nil); err == nil || !strings.Contains(err.Error(), "listen on") {
		t.Fatalf("a taken address: %v", err)
	}
	if l.Health(t.Context()) == nil {
		t.Fatal("a listener that failed to start is not healthy")
	}
}

// session is a raw SMTP conversation, to read the exact reply lines.
type rawSession struct {
	t *testing.T
	c *textproto.Conn
}

func dialRaw(t *testing.T, addr string) *rawSession {
	t.Helper()
	c, err := textproto.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s := &rawSession{t: t, c: c}
	s.expect(220)
	return s
}

// cmd sends a command and returns the reply text; the code must be want.
func (s *rawSession) cmd(want int, format string, args ...any) string {
	s.t.Helper()
	if err := s.c.PrintfLine(format, args...); err != nil {
		s.t.Fatal(err)
	}
	return s.expect(want)
}

func (s *rawSession) expect(want int) string {
	s.t.Helper()
	code, msg, err := s.c.ReadResponse(want)
	if err != nil {
		s.t.Fatalf("want %d, got %d %s (%v)", want, code, msg, err)
	}
	return msg
}

// send runs one mail transaction and returns the reply to the end of DATA.
func (s *rawSession) send(want int, from string, to []string, msg string) string {
	s.t.Helper()
	s.cmd(250, "MAIL FROM:<%s>", from)
	for _, r := range to {
		s.cmd(250, "RCPT TO:<%s>", r)
	}
	s.cmd(354, "DATA")
	w := s.c.DotWriter()
	if _, err := w.Write([]byte(msg)); err != nil {
		s.t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		s.t.Fatal(err)
	}
	return s.expect(want)
}

func TestResolvesEachMailThroughTheHost(t *testing.T) {
	host := &plugintest.FakeHost{FindSMTPFunc: func(_ context.Context, req *find.SMTPRequest) (*find.SMTPResponse, error) {
		switch {
		case strings.Contains(req.Subject, "keep"):
			return &find.SMTPResponse{Found: true, MockID: "keeper", StatusCode: 250, StatusMessage: "queued by mock",
				AcceptMail: true, StoreEmail: true}, nil
		case strings.Contains(req.Subject, "spam"):
			return &find.SMTPResponse{Found: true, MockID: "spam", StatusCode: 554, StatusMessage: "spam\r\nrefused"}, nil
		case strings.Contains(req.Subject, "odd"):
			return &find.SMTPResponse{Found: true, MockID: "odd", StatusCode: 42, AcceptMail: false}, nil
		}
		return nil, &sdk.NoMatch{Message: "no smtp mock matches mail in namespace qa; closest: keeper (condition failed)", Code: "no_match",
			Candidates: json.RawMessage(`[{"mockId":"keeper","reason":"condition failed","where":"subjectConditions",
				"failedCondition":{"path":"","assertAction":"contains","expected":"keep","actual":"other","reason":"value does not satisfy contains"}}]`)}
	}}
	p := plugintest.Start(t, &Listener{}, json.RawMessage(`{"servers":[
		{"address":"127.0.0.1:0","namespace":"qa","serverName":"mail","domain":"mx.qa.test"},
		{"address":"127.0.0.1:0","namespace":"qa","acceptUnmatched":true}]}`), host)
	if len(p.Addresses) != 2 {
		t.Fatalf("addresses %v", p.Addresses)
	}
	mail := "From: Ann <ann@corp.test>\r\nTo: a@x.test\r\nSubject: =?UTF-8?Q?please_keep_=E2=9C=93?=\r\nMessage-ID: <m1@corp.test>\r\n" +
		"X-Trace: t-1\r\n\r\nHello there.\r\n.leading dot\r\n"
	// Go's client: several recipients, one DATA.
	if err := smtp.SendMail(p.Addresses[0], nil, "ann@corp.test", []string{"a@x.test", "b@x.test", "c@x.test"}, []byte(mail)); err != nil {
		t.Fatalf("accepted mail: %v", err)
	}
	var req find.SMTPRequest
	_ = json.Unmarshal(host.Calls()[0].Body, &req)
	if req.Namespace != "qa" || req.ServerName != "mail" || req.From != "ann@corp.test" || strings.Join(req.To, ",") != "a@x.test,b@x.test,c@x.test" ||
		req.Subject != "please keep ✓" || req.Body != "Hello there.\n.leading dot" || req.Headers["X-Trace"] != "t-1" {
		t.Fatalf("the find request: %+v", req)
	}
	caps := host.Captured()
	if len(caps) != 1 {
		t.Fatalf("captured %d mails", len(caps))
	}
	var sum map[string]any
	_ = json.Unmarshal(caps[0].Summary, &sum)
	if c := caps[0]; c.Protocol != "smtp" || c.Namespace != "qa" || c.ServerName != "mail" || c.MockID != "keeper" ||
		string(c.Raw) != mail ||
		sum["from"] != "ann@corp.test" || len(sum["to"].([]any)) != 3 || sum["subject"] != "please keep ✓" ||
		sum["messageId"] != "m1@corp.test" || sum["size"] != float64(len(c.Raw)) {
		t.Fatalf("captured %+v summary %v", c, sum)
	}

	// The exact replies.
	s := dialRaw(t, p.Addresses[0])
	if greet := s.cmd(250, "EHLO client.test"); !strings.Contains(greet, "SIZE 10485760") || strings.Contains(greet, "AUTH") || strings.Contains(greet, "STARTTLS") {
		t.Fatalf("EHLO: %q", greet)
	}
	if got := s.send(250, "ann@corp.test", []string{"a@x.test"}, "Subject: keep again\r\n\r\nx\r\n"); got != "2.0.0 queued by mock" {
		t.Fatalf("accept reply: %q", got)
	}
	if got := s.send(554, "ann@corp.test", []string{"a@x.test"}, "Subject: spam\r\n\r\nx\r\n"); got != "5.0.0 spam refused" {
		t.Fatalf("reject reply: %q", got)
	}
	if got := s.send(554, "ann@corp.test", []string{"a@x.test"}, "Subject: odd\r\n\r\nx\r\n"); got != "5.0.0 rejected by mock odd" {
		t.Fatalf("a reject with a code that is no SMTP rejection: %q", got)
	}
	if got := s.send(550, "ann@corp.test", []string{"a@x.test"}, "Subject: other\r\n\r\nx\r\n"); !strings.Contains(got, "no smtp mock matches") ||
		!strings.HasSuffix(got, `: subjectConditions contains "keep"`) {
		t.Fatalf("miss reply: %q", got)
	}
	// The same miss on the server that accepts unmatched mail.
	u := dialRaw(t, p.Addresses[1])
	u.cmd(250, "HELO client.test")
	if got := u.send(250, "ann@corp.test", []string{"a@x.test"}, "Subject: other\r\n\r\nx\r\n"); !strings.Contains(got, "no mock matched") {
		t.Fatalf("accepted miss: %q", got)
	}
	if len(host.Captured()) != 2 {
		t.Fatalf("only mails whose mock says storeEmail are kept: %d", len(host.Captured()))
	}
}

func TestSizeAndRecipientLimits(t *testing.T) {
	host := &plugintest.FakeHost{FindSMTPFunc: func(context.Context, *find.SMTPRequest) (*find.SMTPResponse, error) {
		return &find.SMTPResponse{Found: true, MockID: "ok", StatusCode: 250, AcceptMail: true}, nil
	}}
	p := plugintest.Start(t, &Listener{}, json.RawMessage(`{"servers":[{"address":"127.0.0.1:0","maxMessageBytes":1024,"maxRecipients":2}]}`), host)
	err := smtp.SendMail(p.Addresses[0], nil, "a@x.test", []string{"b@x.test"}, []byte("Subject: big\r\n\r\n"+strings.Repeat("0123456789\r\n", 200)))
	var te *textproto.Error
	if !errors.As(err, &te) || te.Code != 552 {
		t.Fatalf("an oversize mail gets 552: %v", err)
	}
	err = smtp.SendMail(p.Addresses[0], nil, "a@x.test", []string{"b@x.test", "c@x.test", "d@x.test"}, []byte("Subject: many\r\n\r\nx\r\n"))
	if !errors.As(err, &te) || te.Code != 452 {
		t.Fatalf("a third recipient is refused: %v", err)
	}
	if len(host.Calls()) != 0 {
		t.Fatalf("refused mails must not reach the host: %d calls", len(host.Calls()))
	}
	s := dialRaw(t, p.Addresses[0])
	s.cmd(250, "HELO c")
	s.cmd(250, "MAIL FROM:<a@x.test>")
	s.cmd(250, "RCPT TO:<b@x.test>")
	s.cmd(354, "DATA")
	if got := s.cmd(500, "%s", strings.Repeat("y", 2100)); !strings.Contains(got, "Line too long") {
		t.Fatalf("a line over 2000 octets: %q", got)
	}
	if err := smtp.SendMail(p.Addresses[0], nil, "a@x.test", []string{"b@x.test"}, []byte("Subject: small\r\n\r\nx\r\n")); err != nil {
		t.Fatalf("a mail under the limits: %v", err)
	}
}

func TestAuthAndRequiredTLS(t *testing.T) {
	host := &plugintest.FakeHost{FindSMTPFunc: func(context.Context, *find.SMTPRequest) (*find.SMTPResponse, error) {
		return &find.SMTPResponse{Found: true, MockID: "ok", StatusCode: 250, AcceptMail: true}, nil
	}}
	p := plugintest.Start(t, &Listener{}, json.RawMessage(`{"servers":[
		{"address":"127.0.0.1:0","auth":{"acceptAnyAuth":true,"required":true}},
		{"address":"127.0.0.1:0","tls":{"required":true}},
		{"address":"127.0.0.1:0","tls":{"implicit":true,"hosts":["mail.test"]},"auth":{"users":[{"username":"u","password":"p"}],"requireTLS":true}}]}`), host)
	// Any credentials pass; without AUTH, MAIL is refused.
	s := dialRaw(t, p.Addresses[0])
	if ehlo := s.cmd(250, "EHLO c"); !strings.Contains(ehlo, "AUTH PLAIN") {
		t.Fatalf("AUTH PLAIN is offered: %q", ehlo)
	}
	s.cmd(530, "MAIL FROM:<a@x.test>")
	s.cmd(504, "AUTH LOGIN")
	s.cmd(235, "AUTH PLAIN AGFueW9uZQBhbnl0aGluZw==") // \0anyone\0anything
	s.send(250, "a@x.test", []string{"b@x.test"}, "Subject: x\r\n\r\nx\r\n")
	// A required STARTTLS refuses MAIL on a plain connection.
	r := dialRaw(t, p.Addresses[1])
	if ehlo := r.cmd(250, "EHLO c"); !strings.Contains(ehlo, "STARTTLS") {
		t.Fatalf("STARTTLS is offered: %q", ehlo)
	}
	r.cmd(530, "MAIL FROM:<a@x.test>")

	// Implicit TLS (SMTPS): TLS from the first byte, with the certificate
	// made for the configured host name.
	conn, err := tls.Dial("tcp", p.Addresses[2], &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	if names := conn.ConnectionState().PeerCertificates[0].DNSNames; len(names) != 1 || names[0] != "mail.test" {
		t.Fatalf("certificate names %v", names)
	}
	c, err := smtp.NewClient(conn, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		t.Fatal("an implicit TLS server offers no STARTTLS")
	}
	if err := c.Auth(smtp.PlainAuth("", "u", "p", "127.0.0.1")); err != nil {
		t.Fatalf("AUTH over implicit TLS: %v", err)
	}
	if err := c.Mail("a@x.test"); err != nil {
		t.Fatal(err)
	}
}

func TestStopAnswersMailInFlight(t *testing.T) {
	resolving := make(chan struct{}, 1)
	host := &plugintest.FakeHost{FindSMTPFunc: func(context.Context, *find.SMTPRequest) (*find.SMTPResponse, error) {
		resolving <- struct{}{}
		return &find.SMTPResponse{Found: true, MockID: "slow", StatusCode: 250, StatusMessage: "late but fine",
			AcceptMail: true, Delay: 300}, nil
	}}
	p := plugintest.Start(t, &Listener{}, json.RawMessage(`{"servers":[{"address":"127.0.0.1:0"}]}`), host)
	s := dialRaw(t, p.Addresses[0])
	s.cmd(250, "HELO c")
	s.cmd(250, "MAIL FROM:<a@x.test>")
	s.cmd(250, "RCPT TO:<b@x.test>")
	s.cmd(354, "DATA")
	if err := s.c.PrintfLine("Subject: x\r\n\r\nbody\r\n."); err != nil {
		t.Fatal(err)
	}
	<-resolving
	if err := p.Client.Stop(t.Context()); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if got := s.expect(250); got != "2.0.0 late but fine" {
		t.Fatalf("the mail in flight is answered before the server stops: %q", got)
	}
	if p.Client.Health(t.Context()) == nil {
		t.Fatal("a stopped listener is not healthy")
	}
	if c, err := net.Dial("tcp", p.Addresses[0]); err == nil {
		c.Close()
		t.Fatal("a stopped listener accepts no connection")
	}
}

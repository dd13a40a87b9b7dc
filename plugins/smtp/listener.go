package main

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/hashicorp/go-hclog"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/listen"
)

// Listener runs the configured SMTP servers. Every mail is resolved through
// the host's FindSMTP once its DATA has arrived (the decision needs the
// subject, body and headers), and answered with the mock's code.
type Listener struct {
	mu      sync.Mutex
	configs []serverConfig
	servers []*mailServer
	host    sdk.Host
	// base is the context of every host call and delay; Stop cancels it
	// once the mails in flight are answered (or its deadline passes).
	base   context.Context
	cancel context.CancelFunc
	// inflight counts mails between DATA and their reply.
	inflight atomic.Int64
}

// mailServer is one configured server.
type mailServer struct {
	cfg  serverConfig
	srv  *smtp.Server
	ln   net.Listener
	l    *Listener
	host sdk.Host
	base context.Context
}

var pluginLog = sdk.Logger().Named("smtp")

// Info describes the plugin.
func (l *Listener) Info() sdk.Info {
	return sdk.Info{Name: "smtp", Kind: sdk.KindListener, Version: "1.0.0", Protocols: []string{"smtp"},
		Description:    "SMTP servers that accept or reject each mail as its mock says, and keep mail for the API.",
		SettingsSchema: json.RawMessage(settingsSchema)}
}

// Configure reads the settings (validated by the host against the schema).
func (l *Listener) Configure(_ context.Context, raw json.RawMessage) error {
	cfgs, err := parseSettings(raw)
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.configs = cfgs
	l.mu.Unlock()
	return nil
}

// Health reports a problem when no server is running.
func (l *Listener) Health(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.servers) == 0 {
		return errors.New("not listening")
	}
	return nil
}

// Start listens on every server's address and serves until Stop.
func (l *Listener) Start(_ context.Context, host sdk.Host) ([]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.servers) > 0 {
		return nil, errors.New("already started")
	}
	if l.configs == nil {
		cfgs, err := parseSettings(nil)
		if err != nil {
			return nil, err
		}
		l.configs = cfgs
	}
	l.host = host
	l.base, l.cancel = context.WithCancel(context.Background())
	// Every server is made before any address is opened: a server that
	// cannot be made leaves nothing to close.
	servers := make([]*mailServer, 0, len(l.configs))
	implicit := make([]*tls.Config, 0, len(l.configs))
	addresses := make([]string, 0, len(l.configs))
	for _, cfg := range l.configs {
		ms, tlsCfg, err := l.newServer(cfg)
		if err != nil {
			l.cancel()
			return nil, err
		}
		servers = append(servers, ms)
		implicit = append(implicit, tlsCfg)
		addresses = append(addresses, cfg.Address)
	}
	lns, err := listen.Bind(addresses)
	if err != nil {
		l.cancel()
		return nil, err
	}
	addrs := make([]string, 0, len(lns))
	for i, ms := range servers {
		ms.ln = lns[i]
		if implicit[i] != nil {
			ms.ln = tls.NewListener(ms.ln, implicit[i])
		}
		addrs = append(addrs, ms.ln.Addr().String())
		go func() { _ = ms.srv.Serve(ms.ln) }()
	}
	l.servers = servers
	return addrs, nil
}

// newServer makes the server of cfg, without its listener: with the TLS
// config to wrap that in when cfg's TLS is implicit (nil otherwise).
func (l *Listener) newServer(cfg serverConfig) (*mailServer, *tls.Config, error) {
	ms := &mailServer{cfg: cfg, l: l, host: l.host, base: l.base}
	srv := smtp.NewServer(ms)
	srv.Domain = cfg.Domain
	srv.MaxMessageBytes = cfg.MaxMessageBytes
	srv.MaxRecipients = cfg.MaxRecipients
	srv.ReadTimeout = 5 * time.Minute // RFC 5321 4.5.3.2.7
	srv.WriteTimeout = time.Minute
	srv.EnableSMTPUTF8 = true
	srv.ErrorLog = pluginLog.StandardLogger(&hclog.StandardLoggerOptions{ForceLevel: hclog.Debug})
	srv.AllowInsecureAuth = cfg.Auth != nil && !cfg.Auth.RequireTLS
	ms.srv = srv
	if cfg.TLS == nil {
		return ms, nil, nil
	}
	tlsCfg, err := cfg.TLS.config()
	if err != nil {
		return nil, nil, fmt.Errorf("server %s: %w", cfg.Address, err)
	}
	if cfg.TLS.Implicit {
		return ms, tlsCfg, nil
	}
	srv.TLSConfig = tlsCfg // offered as STARTTLS
	return ms, nil, nil
}

// Stop stops accepting connections, lets the mails in flight get their
// answer (until ctx ends), then closes every connection.
func (l *Listener) Stop(ctx context.Context) error {
	l.mu.Lock()
	servers, cancel := l.servers, l.cancel
	l.servers = nil
	l.mu.Unlock()
	for _, s := range servers {
		_ = s.ln.Close() // no new connections
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
wait:
	for l.inflight.Load() > 0 {
		select {
		case <-ctx.Done():
			break wait
		case <-tick.C:
		}
	}
	if cancel != nil {
		cancel() // delays still running end now
	}
	var errs []error
	for _, s := range servers {
		if err := s.srv.Close(); err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, smtp.ErrServerClosed) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// NewSession implements smtp.Backend.
func (ms *mailServer) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{ms: ms, conn: c}, nil
}

// session is one client connection's state (go-smtp calls it from one
// goroutine at a time).
type session struct {
	ms     *mailServer
	conn   *smtp.Conn
	authed bool
	from   string
	to     []string
}

func (s *session) isTLS() bool {
	_, ok := s.conn.TLSConnectionState()
	return ok
}

// Mail implements smtp.Session.
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	cfg := s.ms.cfg
	if cfg.TLS != nil && cfg.TLS.Required && !s.isTLS() {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Must issue a STARTTLS command first"}
	}
	if cfg.Auth != nil && cfg.Auth.Required && !s.authed {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	s.from, s.to = from, nil
	return nil
}

// Rcpt implements smtp.Session (go-smtp enforces maxRecipients).
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

// Reset implements smtp.Session.
func (s *session) Reset() { s.from, s.to = "", nil }

// Logout implements smtp.Session.
func (s *session) Logout() error { return nil }

// AuthMechanisms implements smtp.AuthSession: PLAIN when auth is configured.
func (s *session) AuthMechanisms() []string {
	if s.ms.cfg.Auth == nil {
		return nil
	}
	return []string{sasl.Plain}
}

// Auth implements smtp.AuthSession.
func (s *session) Auth(mech string) (sasl.Server, error) {
	a := s.ms.cfg.Auth
	if a == nil {
		return nil, smtp.ErrAuthUnsupported
	}
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if identity != "" && identity != username {
			return smtp.ErrAuthFailed
		}
		if !a.AcceptAnyAuth && !knownUser(a.Users, username, password) {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}), nil
}

func knownUser(users []User, name, password string) bool {
	ok := false
	for _, u := range users {
		// Every entry is compared, so the time taken says nothing.
		n := subtle.ConstantTimeCompare([]byte(u.Username), []byte(name))
		p := subtle.ConstantTimeCompare([]byte(u.Password), []byte(password))
		if n&p == 1 {
			ok = true
		}
	}
	return ok
}

// Data implements smtp.Session: the mail is resolved and answered.
func (s *session) Data(r io.Reader) error {
	s.ms.l.inflight.Add(1)
	defer s.ms.l.inflight.Add(-1)
	raw, err := io.ReadAll(r)
	if err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) { // over maxMessageBytes: 552
			return se
		}
		if errors.Is(err, smtp.ErrTooLongLine) { // RFC 5321 4.5.3.1.6
			return &smtp.SMTPError{Code: 500, EnhancedCode: smtp.EnhancedCode{5, 5, 6}, Message: "Line too long"}
		}
		return reply(451, "could not read the message: "+err.Error())
	}
	return s.ms.deliver(s.from, append([]string(nil), s.to...), raw)
}

// deliver resolves one mail and returns its answer (a *smtp.SMTPError for
// every code, 250 included, so that the mock's message is what is sent).
func (ms *mailServer) deliver(from string, to []string, raw []byte) error {
	cfg := ms.cfg
	info := parseMail(raw)
	if from == "" { // the null reverse-path of a bounce: match on the header
		from = info.HeaderFrom
	}
	req := &find.SMTPRequest{Namespace: cfg.Namespace, ServerName: cfg.ServerName, From: from, To: to,
		Subject: info.Subject, Body: info.Text, Headers: info.Headers}
	resp, err := ms.host.FindSMTP(ms.base, req)
	var nm *sdk.NoMatch
	switch {
	case errors.As(err, &nm):
		pluginLog.Debug("no mock matched", "server", cfg.Address, "from", from, "to", to, "subject", info.Subject)
		if cfg.AcceptUnmatched {
			return reply(250, "OK: accepted (no mock matched)")
		}
		return reply(550, noMatchText(nm))
	case err != nil:
		pluginLog.Warn("find failed", "server", cfg.Address, "error", err)
		return reply(451, "the mock host did not answer: "+err.Error())
	}
	code, msg := answer(resp)
	if code < 400 && resp.StoreEmail {
		summary, _ := json.Marshal(map[string]any{"from": from, "to": to, "subject": info.Subject,
			"messageId": info.MessageID, "date": info.Date, "size": len(raw)})
		if _, err := ms.host.Capture(ms.base, &sdk.Captured{Protocol: "smtp", Namespace: cfg.Namespace,
			ServerName: cfg.ServerName, MockID: resp.MockID, Summary: summary, Raw: raw}); err != nil {
			pluginLog.Warn("could not store a mail", "mock", resp.MockID, "error", err)
			return reply(451, "mock "+resp.MockID+" accepted the mail but it could not be stored: "+err.Error())
		}
	}
	if !listen.Sleep(ms.base, time.Duration(resp.Delay)*time.Millisecond) {
		return reply(421, "shutting down") // the listener is stopping
	}
	pluginLog.Debug("mail answered", "server", cfg.Address, "mock", resp.MockID, "code", code)
	return reply(code, msg)
}

// answer is the SMTP code and text of a matched mock. The host says whether
// the mock accepts; a code that does not fit that decision is replaced by
// the usual one (250 to accept, 554 to reject).
func answer(resp *find.SMTPResponse) (int, string) {
	code, msg := resp.StatusCode, resp.StatusMessage
	if resp.AcceptMail {
		if code < 200 || code > 299 {
			code = 250
		}
		if msg == "" {
			msg = "OK"
		}
		return code, msg
	}
	if code < 400 || code > 599 {
		code = 554
	}
	if msg == "" {
		msg = "rejected by mock " + resp.MockID
	}
	return code, msg
}

// maxReplyText keeps a reply line well under RFC 5321's 512 octets.
const maxReplyText = 400

// reply is an SMTP answer with its code; the enhanced code is derived from
// the class (2.0.0, 4.0.0, 5.0.0). The text is made one printable line.
func reply(code int, text string) *smtp.SMTPError {
	text = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, text)
	text = shorten(strings.Join(strings.Fields(text), " "), maxReplyText)
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCodeNotSet, Message: text}
}

// shorten cuts s to at most n bytes (on a character boundary) and marks the cut.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - 3
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// noMatchText is the short reason of a miss: the host's message and, when
// the closest mock failed on a condition, which one.
func noMatchText(nm *sdk.NoMatch) string {
	msg := nm.Message
	if msg == "" {
		msg = "no mock matches this mail"
	}
	var cands []struct {
		MockID string `json:"mockId"`
		Reason string `json:"reason"`
		Where  string `json:"where"`
		Failed *struct {
			Path     string `json:"path"`
			Action   string `json:"assertAction"`
			Expected any    `json:"expected"`
		} `json:"failedCondition"`
	}
	if json.Unmarshal(nm.Candidates, &cands) != nil || len(cands) == 0 {
		return msg
	}
	// The closest mock, and why it did not answer (a failed condition, or
	// the serverName rule giving it to another server).
	c := cands[0]
	detail := c.Reason
	if f := c.Failed; f != nil {
		detail = c.Where
		if f.Path != "" {
			detail += " " + f.Path
		}
		detail += " " + f.Action
		if f.Expected != nil {
			b, _ := json.Marshal(f.Expected)
			detail += " " + shorten(string(b), 80)
		}
	}
	if c.MockID != "" {
		detail = "mock " + shorten(c.MockID, 100) + ": " + strings.TrimSpace(detail)
	}
	if detail = strings.TrimSpace(detail); detail != "" {
		msg += "; " + detail
	}
	return msg
}

package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/listen"
)

var pluginLog = sdk.Logger().Named("socket")

// Listener serves WebSocket, TCP and UDP traffic of the configured servers
// and resolves every message through the host as a socket message.
type Listener struct {
	mu       sync.Mutex
	settings Settings
	host     sdk.Host
	servers  map[string]*server // by serverName, while started
	order    []*server
	closers  []io.Closer // the listening sockets and HTTP servers
	// base is the context of every host call and delay; Stop cancels it.
	base     context.Context
	cancel   context.CancelFunc
	stopping bool
	// running counts the goroutines that serve connections and messages.
	running   sync.WaitGroup
	lifecycle *lifecycleMocks
}

// Info describes the plugin.
func (l *Listener) Info() sdk.Info {
	return sdk.Info{Name: "socket", Kind: sdk.KindListener, Version: "1.0.0", Protocols: []string{"socket"},
		Description: "WebSocket, TCP and UDP servers: each message, connect and disconnect is resolved as a socket mock; " +
			"the host's API pushes messages to open connections.",
		SettingsSchema: json.RawMessage(settingsSchema)}
}

// Configure reads the settings (validated by the host against the schema).
func (l *Listener) Configure(_ context.Context, raw json.RawMessage) error {
	s, err := parseSettings(raw)
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.settings = s
	l.mu.Unlock()
	return nil
}

// Health reports a problem when nothing is being served.
func (l *Listener) Health(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.closers) == 0 {
		return errors.New("not listening")
	}
	return nil
}

// Start listens on every transport of every server and serves until Stop.
func (l *Listener) Start(_ context.Context, host sdk.Host) ([]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.closers) > 0 {
		return nil, errors.New("already started")
	}
	if l.settings.Servers == nil { // Start without Configure: the defaults
		s, err := parseSettings(nil)
		if err != nil {
			return nil, err
		}
		l.settings = s
	}
	l.host, l.stopping = host, false
	l.base, l.cancel = context.WithCancel(context.Background())
	l.servers = map[string]*server{}
	l.order = nil
	l.lifecycle = &lifecycleMocks{servers: sdk.NewServerSet(serverList(l.settings))}
	var addrs []string
	for _, ss := range l.settings.Servers {
		srv := &server{ServerSettings: ss, l: l, maxBytes: l.settings.MaxMessageBytes, conns: map[string]*conn{}, peers: map[string]*conn{}}
		got, err := srv.listen()
		if err != nil {
			for _, c := range l.closers {
				_ = c.Close()
			}
			l.closers, l.servers, l.order = nil, nil, nil
			l.cancel()
			return nil, fmt.Errorf("server %s: %w", ss.ServerName, err)
		}
		l.servers[ss.ServerName] = srv
		l.order = append(l.order, srv)
		addrs = append(addrs, got...)
	}
	l.lifecycle.start(l.base, host)
	for _, srv := range l.order {
		srv.serve()
	}
	return addrs, nil
}

// Stop closes the listeners and every open connection (WebSocket clients
// get a going-away close frame), then waits for messages in flight.
func (l *Listener) Stop(ctx context.Context) error {
	l.mu.Lock()
	closers, servers, cancel := l.closers, l.order, l.cancel
	l.closers, l.stopping = nil, true
	l.mu.Unlock()
	var errs []error
	for _, c := range closers {
		if err := c.Close(); err != nil && !isClosed(err) {
			errs = append(errs, err)
		}
	}
	for _, srv := range servers {
		for _, c := range srv.list() {
			c.shutdown()
		}
	}
	if cancel != nil {
		cancel() // ends delays and host calls in flight
	}
	done := make(chan struct{})
	go func() {
		l.running.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("connections still closing: %w", ctx.Err()))
	}
	return errors.Join(errs...)
}

// begin counts a goroutine that serves traffic; false once Stop has begun
// (Stop then waits for exactly the goroutines counted before).
func (l *Listener) begin() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopping {
		return false
	}
	l.running.Add(1)
	return true
}

func (l *Listener) isStopping() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stopping
}

// state returns what a message needs from the listener.
func (l *Listener) state() (sdk.Host, context.Context) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.host, l.base
}

// server is one configured server while the listener runs.
type server struct {
	ServerSettings
	l        *Listener
	maxBytes int
	addrs    []string
	starts   []func() // begin serving, after every listener is open

	mu    sync.Mutex
	conns map[string]*conn // open connections and recent UDP peers, by id
	peers map[string]*conn // the UDP peers, by remote address
}

// listen opens the server's sockets; serve starts serving them.
func (s *server) listen() ([]string, error) {
	if s.WebSocket != nil {
		if err := s.listenWebSocket(); err != nil {
			return nil, err
		}
	}
	if s.TCP != nil {
		if err := s.listenTCP(); err != nil {
			return nil, err
		}
	}
	if s.UDP != nil {
		if err := s.listenUDP(); err != nil {
			return nil, err
		}
	}
	return s.addrs, nil
}

func (s *server) serve() {
	for _, start := range s.starts {
		start()
	}
	s.starts = nil
}

// addCloser keeps c to close at Stop (the listener's lock is held by Start).
func (s *server) addCloser(c io.Closer) { s.l.closers = append(s.l.closers, c) }

func (s *server) add(c *conn) {
	s.mu.Lock()
	s.conns[c.id] = c
	s.mu.Unlock()
}

func (s *server) remove(c *conn) {
	s.mu.Lock()
	delete(s.conns, c.id)
	s.mu.Unlock()
}

// list returns the open connections (and UDP peers heard from recently),
// oldest first.
func (s *server) list() []*conn {
	s.mu.Lock()
	s.forgetExpiredLocked(time.Now())
	out := make([]*conn, 0, len(s.conns))
	for _, c := range s.conns {
		out = append(out, c)
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].connectedAt.Equal(out[j].connectedAt) {
			return out[i].connectedAt.Before(out[j].connectedAt)
		}
		return out[i].id < out[j].id
	})
	return out
}

func (s *server) get(id string) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forgetExpiredLocked(time.Now())
	return s.conns[id]
}

// forgetExpiredLocked drops the UDP peers silent for too long.
func (s *server) forgetExpiredLocked(now time.Time) {
	for addr, c := range s.peers {
		if c.expired(now) {
			delete(s.peers, addr)
			delete(s.conns, c.id)
		}
	}
}

// Transports, as connections report them.
const (
	transportWebSocket = "websocket"
	transportTCP       = "tcp"
	transportUDP       = "udp"
)

// writeTimeout bounds one write to a client, so that a client that stopped
// reading cannot hold a push or a reply forever.
const writeTimeout = 10 * time.Second

// conn is an open connection, or for UDP a sender heard from recently.
type conn struct {
	id          string
	srv         *server
	transport   string
	remoteAddr  string
	connectedAt time.Time
	// info is what the connect and disconnect events carry besides the
	// connection's own fields (WebSocket: path, query, headers).
	info map[string]any

	wmu   sync.Mutex
	write func([]byte) error // sends one message, framed; called with wmu held
	// closeNow ends the connection (nil for UDP peers).
	closeNow func()
	// goingAway, when set, says goodbye before closeNow at Stop.
	goingAway func()

	idle     time.Duration // UDP peers: forgotten after this long without a datagram
	lastSeen time.Time     // UDP peers; guarded by srv.mu
}

func newConnID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// send writes one message to the client; writes never interleave.
func (c *conn) send(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.write(b)
}

func (c *conn) expired(now time.Time) bool {
	return c.idle > 0 && now.Sub(c.lastSeen) > c.idle
}

func (c *conn) shutdown() {
	if c.goingAway != nil {
		c.wmu.Lock()
		c.goingAway()
		c.wmu.Unlock()
	}
	if c.closeNow != nil {
		c.closeNow()
	}
}

// connJSON is a connection as the "connections" action lists it.
type connJSON struct {
	ID          string `json:"id"`
	ServerName  string `json:"serverName"`
	Namespace   string `json:"namespace"`
	Transport   string `json:"transport"`
	RemoteAddr  string `json:"remoteAddr"`
	ConnectedAt string `json:"connectedAt"`
}

func (c *conn) json() connJSON {
	return connJSON{ID: c.id, ServerName: c.srv.ServerName, Namespace: c.srv.Namespace, Transport: c.transport,
		RemoteAddr: c.remoteAddr, ConnectedAt: c.connectedAt.UTC().Format(time.RFC3339Nano)}
}

// lifecycleData is the data of a connect or disconnect event.
func (c *conn) lifecycleData(event string) json.RawMessage {
	d := map[string]any{"event": event, "connectionId": c.id, "serverName": c.srv.ServerName,
		"transport": c.transport, "remoteAddr": c.remoteAddr}
	for k, v := range c.info {
		d[k] = v
	}
	b, _ := json.Marshal(d)
	return b
}

// run serves one stream connection: the connect event, every message in
// order, then the disconnect event. read returns the next message.
func (s *server) run(c *conn, read func() ([]byte, error)) {
	s.add(c)
	host, base := s.l.state()
	if s.l.lifecycle.wants(s.Namespace, s.ServerName, eventConnect) {
		s.answer(base, host, c, eventConnect, c.lifecycleData(eventConnect), true)
	}
	for {
		msg, err := read()
		if err != nil {
			var tooLarge *errTooLarge
			if errors.As(err, &tooLarge) {
				_ = c.send(errorReply("payload_too_large", tooLarge.Error()))
			} else if !isClosed(err) && !errors.Is(err, io.EOF) {
				pluginLog.Debug("connection ended", "server", s.ServerName, "transport", c.transport, "remote", c.remoteAddr, "error", err)
			}
			break
		}
		event, data, ok := s.parse(msg)
		if !ok {
			continue
		}
		s.answer(base, host, c, event, data, false)
	}
	s.remove(c)
	c.closeNow()
	if !s.l.isStopping() && s.l.lifecycle.wants(s.Namespace, s.ServerName, eventDisconnect) {
		// The client is gone: the mock is resolved (and logged) for its
		// side effects, such as stores and webhooks; its reply goes nowhere.
		s.resolve(base, host, c.transport, eventDisconnect, c.lifecycleData(eventDisconnect), true)
	}
}

// Lifecycle events.
const (
	eventConnect    = "connect"
	eventDisconnect = "disconnect"
)

// answer resolves one event and sends the reply, after the mock's delay.
func (s *server) answer(base context.Context, host sdk.Host, c *conn, event string, data json.RawMessage, lifecycle bool) {
	out, delay := s.resolve(base, host, c.transport, event, data, lifecycle)
	if out == nil {
		return
	}
	if !listen.Sleep(base, delay) {
		return // the listener has stopped
	}
	if err := c.send(out); err != nil {
		pluginLog.Debug("reply not sent", "server", s.ServerName, "transport", c.transport, "remote", c.remoteAddr, "error", err)
	}
}

// resolve asks the host which mock answers and returns the bytes to send
// (nil: nothing) and the delay before sending them.
func (s *server) resolve(base context.Context, host sdk.Host, transport, event string, data json.RawMessage, lifecycle bool) ([]byte, time.Duration) {
	resp, err := host.FindSocket(base, &find.SocketRequest{Namespace: s.Namespace, ServerName: s.ServerName,
		SocketType: transport, Event: event, Data: data})
	var nm *sdk.NoMatch
	switch {
	case errors.As(err, &nm):
		if lifecycle || s.Unmatched == unmatchedIgnore {
			return nil, 0
		}
		b, _ := json.Marshal(nm)
		return b, 0
	case err != nil:
		if base.Err() != nil {
			return nil, 0
		}
		pluginLog.Warn("the host did not answer", "server", s.ServerName, "event", event, "error", err)
		return errorReply("unavailable", "the mock host did not answer: "+err.Error()), 0
	}
	delay := time.Duration(resp.Delay) * time.Millisecond
	switch {
	case resp.Error != nil:
		b, _ := json.Marshal(struct {
			Error      string `json:"error"`
			StatusCode int    `json:"statusCode,omitempty"`
		}{resp.Error.Message, resp.Error.Code})
		return b, delay
	case resp.Proxy != nil:
		return errorReply("unsupported", "proxy mocks are not supported for socket messages (target "+resp.Proxy.Target+")"), delay
	}
	return payload(resp.Data), delay
}

// payload turns a JSON value into the bytes to send: a JSON string is sent
// as its text, other JSON as it is; nothing for no value or null.
func payload(v json.RawMessage) []byte {
	if len(v) == 0 || string(v) == "null" {
		return nil
	}
	if v[0] == '"' {
		var text string
		if json.Unmarshal(v, &text) == nil {
			return []byte(text)
		}
	}
	return v
}

// errorReply is the plugin's own error message (the mock host's errors and
// limits): {"error": message, "code": code}.
func errorReply(code, msg string) []byte {
	b, _ := json.Marshal(map[string]string{"error": msg, "code": code})
	return b
}

// errTooLarge: a message over maxMessageBytes; the connection is closed.
type errTooLarge struct{ size, limit int }

func (e *errTooLarge) Error() string {
	if e.size > 0 {
		return fmt.Sprintf("message of %d bytes is larger than maxMessageBytes (%d); closing the connection", e.size, e.limit)
	}
	return fmt.Sprintf("message is larger than maxMessageBytes (%d); closing the connection", e.limit)
}

// Package plugins is the plugin manager: it finds plugin binaries
// (mockarty-plugin-<name>) in the plugin folder, loads the ones this
// deployment selects, checks and configures them, starts listeners with the
// host's resolution service, watches their health, restarts them with
// backoff, and gives up on a crash loop. A plugin that fails never blocks
// the host or the other plugins.
package plugins

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/handoff"
	"github.com/mockarty-oss/mockarty/sdk/pluginhost"
)

// BinaryPrefix names plugin binaries: mockarty-plugin-<name>.
const BinaryPrefix = "mockarty-plugin-"

// States of a plugin.
const (
	StateStarting   = "starting"
	StateRunning    = "running"
	StateRestarting = "restarting"
	StateUnhealthy  = "unhealthy"
	StateFailed     = "failed"  // gave up after a crash loop
	StateRefused    = "refused" // wrong protocol, bad settings, refused configuration
	StateStopped    = "stopped"
)

// Spec is one plugin the deployment wants.
type Spec struct {
	Name     string
	Path     string          // the binary
	SHA256   string          // optional pin of the binary's hash
	Settings json.RawMessage // a JSON object
}

// Status is what GET /api/v1/plugins shows of a plugin.
type Status struct {
	Name        string   `json:"name"`
	Kind        string   `json:"kind,omitempty"`
	Version     string   `json:"version,omitempty"`
	Description string   `json:"description,omitempty"`
	Protocols   []string `json:"protocols,omitempty"`
	State       string   `json:"state"`
	Restarts    int      `json:"restarts"`
	Addresses   []string `json:"addresses"`
	LastError   string   `json:"lastError,omitempty"`
	PID         int      `json:"pid,omitempty"`
	Path        string   `json:"path"`
	StartedAt   int64    `json:"startedAt,omitempty"`
	// Servers are the listener's servers (the serverName of each), as it
	// named them after its settings were applied; Default marks the server
	// of its protocol and namespace that serves mocks naming a serverName
	// no server has.
	Servers []sdk.Server `json:"servers"`
}

// Options tune supervision.
type Options struct {
	Logger         hclog.Logger
	Finder         pluginhost.Finder // the host's resolution service
	HealthInterval time.Duration     // default 5s
	MaxRestarts    int               // restarts within CrashWindow before giving up (default 5)
	CrashWindow    time.Duration     // default 1 minute
	BackoffMin     time.Duration     // default 100ms
	BackoffMax     time.Duration     // default 5s
	StartTimeout   time.Duration     // handshake to running (default 15s)
	// ConfigPath is the plugins configuration file: restarts read a
	// plugin's settings from it again, and settings changed through the
	// API are written to it ("": neither).
	ConfigPath string
}

// Manager runs the plugins of one host.
type Manager struct {
	opts     Options
	mu       sync.Mutex
	plugins  map[string]*managed
	order    []*managed // in start order; Stop goes backwards
	wg       sync.WaitGroup
	stopOnce sync.Once

	// servers is every running listener's servers by protocol, rebuilt
	// when one changes, read on every find request.
	servers atomic.Pointer[map[string]*sdk.ServerSet]
	// apiURL is the host's management API (SetAPIURL).
	apiURL atomic.Pointer[string]
	// settingsMu makes one settings change (validate, write, reload) one step.
	settingsMu sync.Mutex
	// handOffSecret is this boot's hand-off secret (see sdk/handoff): every
	// plugin gets it at launch, and listeners trust the /stubs hand-off
	// headers only next to it.
	handOffSecret string
}

type managed struct {
	spec      Spec // Settings and SHA256 change under mu (restart, settings API)
	mu        sync.Mutex
	status    Status
	client    *plugin.Client
	handle    *pluginhost.Client
	stop      chan struct{}
	done      chan struct{} // closed when its supervisor has returned
	restart   chan struct{}
	crashes   []time.Time
	failures  int  // consecutive starts that did not reach running
	requested bool // the next restart was asked for: not a crash

	schema   json.RawMessage // the settings schema from the last Info
	gen      uint64          // bumped when the settings change
	launched launchResult    // the outcome of the last launch
	// launchedCh is closed (and replaced) when a launch ends.
	launchedCh chan struct{}
}

// launchResult is how one launch ended, with the settings it used.
type launchResult struct {
	gen uint64
	err error
}

// New makes a manager; call Start to launch plugins.
func New(o Options) *Manager {
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	if o.HealthInterval == 0 {
		o.HealthInterval = 5 * time.Second
	}
	if o.MaxRestarts == 0 {
		o.MaxRestarts = 5
	}
	if o.CrashWindow == 0 {
		o.CrashWindow = time.Minute
	}
	if o.BackoffMin == 0 {
		o.BackoffMin = 100 * time.Millisecond
	}
	if o.BackoffMax == 0 {
		o.BackoffMax = 5 * time.Second
	}
	if o.StartTimeout == 0 {
		o.StartTimeout = 15 * time.Second
	}
	return &Manager{opts: o, plugins: map[string]*managed{}, handOffSecret: newSecret()}
}

// newSecret is 32 random bytes in hex (crypto/rand does not fail).
func newSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// HandOffSecret is the secret the host's /stubs hand-off sends to
// listeners (handoff.HeaderSecret).
func (m *Manager) HandOffSecret() string {
	if m == nil {
		return ""
	}
	return m.handOffSecret
}

// SetAPIURL tells plugins started from now on where the host's management
// API listens (handoff.EnvAPIURL).
func (m *Manager) SetAPIURL(u string) { m.apiURL.Store(&u) }

// APIURL is the host's management API as plugins reach it ("" before SetAPIURL).
func (m *Manager) APIURL() string {
	if u := m.apiURL.Load(); u != nil {
		return *u
	}
	return ""
}

// pluginEnv is the environment of a plugin process: the host's, with this
// boot's hand-off secret and API address in place of any the host was
// itself started with.
func (m *Manager) pluginEnv() []string {
	env := make([]string, 0, len(os.Environ())+2)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, handoff.EnvSecret+"=") && !strings.HasPrefix(kv, handoff.EnvAPIURL+"=") {
			env = append(env, kv)
		}
	}
	env = append(env, handoff.EnvSecret+"="+m.handOffSecret)
	if api := m.apiURL.Load(); api != nil {
		env = append(env, handoff.EnvAPIURL+"="+*api)
	}
	return env
}

// Discover lists the plugin binaries in dir by name.
func Discover(dir string) (map[string]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return map[string]string{}, nil
		}
		return nil, err
	}
	out := map[string]string{}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, BinaryPrefix) || e.IsDir() {
			continue
		}
		info, err := e.Info()
		if err != nil || info.Mode()&0o111 == 0 {
			continue
		}
		out[strings.TrimPrefix(name, BinaryPrefix)] = filepath.Join(dir, name)
	}
	return out, nil
}

// Start launches every plugin in the background: it returns at once, and
// each plugin comes up (or fails) on its own. A spec without a binary is
// listed as refused.
func (m *Manager) Start(specs []Spec) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range specs {
		p := &managed{spec: s, stop: make(chan struct{}), done: make(chan struct{}), restart: make(chan struct{}, 1),
			launchedCh: make(chan struct{}),
			status:     Status{Name: s.Name, State: StateStarting, Path: s.Path, Addresses: []string{}, Servers: []sdk.Server{}}}
		m.plugins[s.Name] = p
		m.order = append(m.order, p)
		if s.Path == "" {
			p.status.State, p.status.LastError = StateRefused, "no binary "+BinaryPrefix+s.Name+" in the plugin folder"
			close(p.done)
			continue
		}
		m.wg.Add(1)
		go m.supervise(p)
	}
}

// List reports every plugin, sorted by name.
func (m *Manager) List() []Status {
	m.mu.Lock()
	list := make([]*managed, 0, len(m.plugins))
	for _, p := range m.plugins {
		list = append(list, p)
	}
	m.mu.Unlock()
	out := make([]Status, 0, len(list))
	for _, p := range list {
		p.mu.Lock()
		st := p.status
		st.Addresses = append([]string{}, p.status.Addresses...)
		st.Servers = m.markDefaults(st.Protocols, p.status.Servers)
		p.mu.Unlock()
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ErrUnknown is returned for a plugin name that is not loaded.
var ErrUnknown = errors.New("no such plugin")

// ErrNoBinary is returned when restarting a plugin whose binary was missing at start.
var ErrNoBinary = errors.New("the plugin's binary was not found when the host started; add it and restart the host")

// Restart restarts one plugin now (also one that failed or was refused).
func (m *Manager) Restart(name string) error {
	m.mu.Lock()
	p, ok := m.plugins[name]
	m.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknown, name)
	}
	if p.spec.Path == "" {
		return ErrNoBinary
	}
	if m.opts.ConfigPath != "" {
		fc, err := ReadConfig(m.opts.ConfigPath)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrConfig, err)
		}
		c := fc[name]
		p.mu.Lock()
		if !bytes.Equal(c.Settings, p.spec.Settings) || c.SHA256 != p.spec.SHA256 {
			p.spec.Settings, p.spec.SHA256 = c.Settings, c.SHA256
			p.gen++
		}
		p.mu.Unlock()
	}
	m.requestRestart(p)
	return nil
}

// requestRestart asks the supervisor for a restart (also of a plugin that
// failed or was refused), forgetting its crashes.
func (m *Manager) requestRestart(p *managed) {
	p.mu.Lock()
	p.crashes, p.failures = nil, 0
	p.mu.Unlock()
	select {
	case p.restart <- struct{}{}:
	default:
	}
}

// ErrNotRunning is returned when calling a plugin that is not running.
var ErrNotRunning = errors.New("the plugin is not running")

// Call runs one of a running plugin's actions (sdk.Caller); it returns
// sdk.ErrUnknownAction for an action the plugin does not have.
func (m *Manager) Call(ctx context.Context, name, action string, params json.RawMessage) (json.RawMessage, error) {
	h, err := m.handle(name)
	if err != nil {
		return nil, err
	}
	return h.Call(ctx, action, params)
}

// Run runs a job on a running tool plugin, calling onProgress for each
// step and product; host is what the job may resolve mocks with (nil: none).
func (m *Manager) Run(ctx context.Context, name string, job sdk.Job, host pluginhost.Finder, onProgress func(sdk.Progress)) (json.RawMessage, error) {
	h, err := m.handle(name)
	if err != nil {
		return nil, err
	}
	return h.Run(ctx, job, host, onProgress)
}

// handle is a running plugin's client.
func (m *Manager) handle(name string) (*pluginhost.Client, error) {
	m.mu.Lock()
	p, ok := m.plugins[name]
	m.mu.Unlock()
	if !ok {
		return nil, ErrUnknown
	}
	p.mu.Lock()
	h := p.handle
	p.mu.Unlock()
	if h == nil {
		return nil, ErrNotRunning
	}
	return h, nil
}

// Stop stops every plugin gracefully and kills what is left when ctx ends.
// Calling it again does nothing.
func (m *Manager) Stop(ctx context.Context) {
	m.stopOnce.Do(func() {
		m.mu.Lock()
		list := append([]*managed(nil), m.order...)
		m.mu.Unlock()
		// Plugins start at once, in name order (none waits for another); they
		// stop one by one in the reverse order, each gracefully, until ctx
		// ends: then the rest are killed.
		for i := len(list) - 1; i >= 0; i-- {
			p := list[i]
			close(p.stop)
			select {
			case <-p.done:
				m.opts.Logger.Debug("plugin stopped", "plugin", p.spec.Name)
				continue
			case <-ctx.Done():
			}
			for _, q := range list[:i+1] {
				if q != p {
					close(q.stop)
				}
				m.kill(q) // also ends a start that hangs in the handshake
			}
			break
		}
		m.wg.Wait()
		for _, p := range list {
			p.set(func(s *Status) {
				if s.State != StateRefused {
					s.State, s.PID, s.Addresses = StateStopped, 0, []string{}
				}
			})
		}
	})
}

func (p *managed) set(fn func(s *Status)) {
	p.mu.Lock()
	fn(&p.status)
	p.mu.Unlock()
}

// supervise keeps one plugin running until Stop.
func (m *Manager) supervise(p *managed) {
	defer m.wg.Done()
	defer close(p.done)
	log := m.opts.Logger.Named(p.spec.Name)
	backoff := m.opts.BackoffMin
	for {
		gen, err := m.launch(p, log)
		p.mu.Lock()
		p.launched = launchResult{gen: gen, err: err}
		close(p.launchedCh)
		p.launchedCh = make(chan struct{})
		p.mu.Unlock()
		var refused *refusal
		switch {
		case errors.As(err, &refused):
			m.kill(p)
			log.Error("plugin refused", "reason", refused.reason)
			p.set(func(s *Status) {
				s.State, s.LastError, s.PID, s.Addresses = StateRefused, refused.reason, 0, []string{}
			})
			if !m.wait(p, 0) {
				return
			}
			continue
		case err != nil:
			log.Error("plugin did not start", "error", err)
			p.set(func(s *Status) { s.LastError = err.Error() })
			p.mu.Lock()
			p.failures++
			p.mu.Unlock()
		default:
			backoff = m.opts.BackoffMin
			p.mu.Lock()
			p.failures = 0
			p.mu.Unlock()
			if !m.watch(p, log) {
				m.shutdown(p, log)
				return
			}
		}
		p.mu.Lock()
		requested := p.requested
		p.requested = false
		p.mu.Unlock()
		if requested {
			// An asked-for restart: stop gracefully, and it is no crash.
			m.shutdown(p, log)
			p.set(func(s *Status) { s.State, s.Restarts = StateRestarting, s.Restarts+1 })
			continue
		}
		m.kill(p)
		// A crash, a failed health check or a failed start: restart with backoff,
		// unless the plugin keeps crashing (too many restarts within the window,
		// or too many starts in a row that never reached running, however slow).
		now := time.Now()
		p.mu.Lock()
		p.crashes = append(p.crashes, now)
		for len(p.crashes) > 0 && now.Sub(p.crashes[0]) > m.opts.CrashWindow {
			p.crashes = p.crashes[1:]
		}
		loop := len(p.crashes) > m.opts.MaxRestarts || p.failures > m.opts.MaxRestarts
		if loop {
			p.failures = 0
		}
		p.mu.Unlock()
		if loop {
			log.Error("plugin is crash-looping; giving up", "restarts_in_window", m.opts.MaxRestarts)
			p.set(func(s *Status) { s.State, s.PID, s.Addresses = StateFailed, 0, []string{} })
			if !m.wait(p, 0) {
				return
			}
			backoff = m.opts.BackoffMin
			continue
		}
		p.set(func(s *Status) {
			s.State, s.Restarts, s.PID, s.Addresses = StateRestarting, s.Restarts+1, 0, []string{}
		})
		log.Warn("restarting plugin", "in", backoff)
		if !m.wait(p, backoff) {
			return
		}
		backoff *= 2
		if backoff > m.opts.BackoffMax {
			backoff = m.opts.BackoffMax
		}
	}
}

// wait sleeps for d (0: until a restart request); false means stop.
func (m *Manager) wait(p *managed, d time.Duration) bool {
	var timer <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-p.stop:
		return false
	case <-p.restart:
		return true
	case <-timer:
		return true
	}
}

// refusal is a reason not to retry until someone asks (a restart request).
type refusal struct{ reason string }

func (r *refusal) Error() string { return r.reason }

// launch starts the process, checks it and starts it serving; gen is the
// generation of the settings it used.
func (m *Manager) launch(p *managed, log hclog.Logger) (gen uint64, err error) {
	p.mu.Lock()
	gen, settings, pin := p.gen, p.spec.Settings, p.spec.SHA256
	p.mu.Unlock()
	return gen, m.launchWith(p, log, settings, pin)
}

func (m *Manager) launchWith(p *managed, log hclog.Logger, settings json.RawMessage, pin string) error {
	if pin != "" {
		sum, err := fileSHA256(p.spec.Path)
		if err != nil {
			return &refusal{fmt.Sprintf("read the binary: %v", err)}
		}
		if !strings.EqualFold(sum, pin) {
			return &refusal{fmt.Sprintf("binary sha256 %s does not match the pinned %s", sum, pin)}
		}
	}
	p.set(func(s *Status) { s.State = StateStarting })
	cmd := exec.Command(p.spec.Path)
	cmd.Env = m.pluginEnv()
	dieWithHost(cmd)
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  pluginhost.Handshake,
		SkipHostEnv:      true, // pluginEnv is the host's environment already
		Plugins:          plugin.PluginSet{pluginhost.PluginKey: &pluginhost.GRPCPlugin{}},
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           log,
		StartTimeout:     m.opts.StartTimeout,
		SyncStdout:       io.Discard,
		SyncStderr:       io.Discard,
	})
	p.mu.Lock()
	p.client = client
	p.mu.Unlock()
	rpc, err := client.Client()
	if err != nil {
		msg := err.Error()
		if l := strings.ToLower(msg); strings.Contains(l, "incompatible api version") || strings.Contains(l, "protocol version") {
			return &refusal{fmt.Sprintf("plugin speaks another protocol version (host: %d): %s", pluginhost.ProtocolVersion, msg)}
		}
		return fmt.Errorf("handshake: %w", err)
	}
	raw, err := rpc.Dispense(pluginhost.PluginKey)
	if err != nil {
		return fmt.Errorf("dispense: %w", err)
	}
	h := raw.(*pluginhost.Client)
	ctx, cancel := context.WithTimeout(context.Background(), m.opts.StartTimeout)
	defer cancel()
	info, err := h.Info(ctx)
	if err != nil {
		return fmt.Errorf("info: %w", err)
	}
	p.set(func(s *Status) {
		s.Kind, s.Version, s.Description, s.Protocols = info.Kind, info.Version, info.Description, info.Protocols
		if rc := client.ReattachConfig(); rc != nil {
			s.PID = rc.Pid
		}
	})
	p.mu.Lock()
	p.schema = append(json.RawMessage(nil), info.SettingsSchema...)
	p.mu.Unlock()
	if info.Name != p.spec.Name {
		return &refusal{fmt.Sprintf("binary %s calls itself %q", filepath.Base(p.spec.Path), info.Name)}
	}
	if noSettings(settings) {
		settings = json.RawMessage(`{}`)
	}
	if err := validateSettings(info.SettingsSchema, settings); err != nil {
		return &refusal{"invalid settings: " + err.Error()}
	}
	if err := h.Configure(ctx, settings); err != nil {
		return &refusal{"configure: " + err.Error()}
	}
	servers := h.Servers()
	p.set(func(s *Status) { s.Servers = servers })
	m.rebuildServers()
	if info.Kind != sdk.KindListener && info.Kind != sdk.KindTool {
		return &refusal{fmt.Sprintf("unknown plugin kind %q (want %s or %s)", info.Kind, sdk.KindListener, sdk.KindTool)}
	}
	var addrs []string
	if info.Kind == sdk.KindListener {
		if addrs, err = h.Start(ctx, m.opts.Finder); err != nil {
			return fmt.Errorf("start: %w", err)
		}
	}
	p.mu.Lock()
	p.handle = h
	p.status.State, p.status.Addresses, p.status.LastError = StateRunning, append([]string{}, addrs...), ""
	p.status.StartedAt = time.Now().UnixMilli()
	p.mu.Unlock()
	log.Info("plugin running", "version", info.Version, "addresses", addrs)
	return nil
}

// watch returns false on Stop, true when the plugin must be restarted.
func (m *Manager) watch(p *managed, log hclog.Logger) bool {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	health := time.NewTicker(m.opts.HealthInterval)
	defer health.Stop()
	for {
		select {
		case <-p.stop:
			return false
		case <-p.restart:
			log.Info("restart requested")
			p.mu.Lock()
			p.requested = true
			p.mu.Unlock()
			return true
		case <-tick.C:
			p.mu.Lock()
			exited := p.client.Exited()
			p.mu.Unlock()
			if exited {
				log.Error("plugin process exited")
				p.set(func(s *Status) { s.LastError = "process exited" })
				return true
			}
		case <-health.C:
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			err := p.handle.Health(ctx)
			cancel()
			if err != nil {
				log.Warn("plugin unhealthy", "error", err)
				p.set(func(s *Status) { s.State, s.LastError = StateUnhealthy, "health: "+err.Error() })
				return true
			}
		}
	}
}

// shutdown stops a listener gracefully, then ends the process.
func (m *Manager) shutdown(p *managed, log hclog.Logger) {
	p.mu.Lock()
	h := p.handle
	p.mu.Unlock()
	if h != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := h.Stop(ctx); err != nil {
			log.Warn("plugin stop", "error", err)
		}
		cancel()
	}
	m.kill(p)
	p.set(func(s *Status) { s.State, s.PID, s.Addresses = StateStopped, 0, []string{} })
}

func (m *Manager) kill(p *managed) {
	p.mu.Lock()
	c := p.client
	p.client, p.handle = nil, nil
	hadServers := len(p.status.Servers) > 0
	p.status.Servers = []sdk.Server{}
	p.mu.Unlock()
	if hadServers {
		m.rebuildServers()
	}
	if c != nil {
		c.Kill()
	}
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Endpoint is where the running plugin serving protocol listens (its first
// address, with a wildcard host made dialable), for the host's /stubs
// hand-off. ok is false when no plugin of that protocol is running; state
// then says what the plugin is doing ("" when none is loaded).
func (m *Manager) Endpoint(protocol string) (addr, name, state string, ok bool) {
	if m == nil {
		return "", "", "", false
	}
	for _, st := range m.List() {
		serves := false
		for _, p := range st.Protocols {
			serves = serves || p == protocol
		}
		if !serves {
			continue
		}
		if st.State == StateRunning && len(st.Addresses) > 0 {
			return dialable(st.Addresses[0]), st.Name, st.State, true
		}
		name, state = st.Name, st.State
	}
	return "", name, state, false
}

// dialable turns a listen address (":5787", "0.0.0.0:5787", "[::]:5787")
// into one to connect to.
func dialable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return net.JoinHostPort(host, port)
}

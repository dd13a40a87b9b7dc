package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/httpserve"
	"github.com/mockarty-oss/mockarty/sdk/outbound"
)

// Settings of the SOAP listener.
type Settings struct {
	// Addresses to listen on (host:port; port 0 picks a free one).
	Addresses []string `json:"addresses"`
	// Namespace whose SOAP mocks are served (a request handed over by the
	// host's /stubs carries its own in X-Mockarty-Namespace).
	Namespace string `json:"namespace"`
	// ServerName, when set, serves only mocks without a serverName or with this one.
	ServerName string `json:"serverName"`
	// MaxBodyBytes caps request envelopes (default 5 MiB).
	MaxBodyBytes int64 `json:"maxBodyBytes"`
	// MaxElements caps the elements of a request envelope (default 100000):
	// a parsed element costs far more memory than its bytes.
	MaxElements int `json:"maxElements"`
	// AllowPrivateProxy lets proxy mocks reach private and loopback addresses.
	AllowPrivateProxy bool `json:"allowPrivateProxy"`
}

// DefaultAddress is where the plugin listens when the settings name none.
const DefaultAddress = "127.0.0.1:5789"

var settingsSchema = `{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "addresses": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1,
      "default": ["` + DefaultAddress + `"], "description": "host:port to listen on (port 0 picks a free one)"},
    "namespace": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$", "default": "sandbox",
      "description": "namespace whose SOAP mocks and WSDLs are served"},
    "serverName": {"type": "string", "maxLength": 200},
    "maxBodyBytes": {"type": "integer", "minimum": 1, "maximum": 1073741824, "default": 5242880},
    "maxElements": {"type": "integer", "minimum": 1, "maximum": 100000000, "default": 100000,
      "description": "most elements a request envelope may have (a larger one gets a Client/Sender fault)"},
    "allowPrivateProxy": {"type": "boolean", "default": false}
  }
}`

// Listener serves SOAP mocks over HTTP (net/http): every call is resolved
// through the host's FindSOAP.
type Listener struct {
	mu       sync.Mutex
	settings Settings
	// run is the servers; Stop cancels the base context of their requests
	// after the graceful shutdown, which ends delays and host calls still
	// in flight, and the WSDL watch.
	run    httpserve.Service
	host   sdk.Host
	wsdls  *wsdlCache
	client *http.Client // for proxy mocks
}

// Info describes the plugin.
func (l *Listener) Info() sdk.Info {
	return sdk.Info{Name: "soap", Kind: sdk.KindListener, Version: "1.0.0", Protocols: []string{"soap"},
		Description:    "Serves a namespace's SOAP 1.1/1.2 mocks and its registered WSDLs (?wsdl) on its own addresses.",
		SettingsSchema: json.RawMessage(settingsSchema)}
}

// Configure reads the settings (validated by the host against the schema).
func (l *Listener) Configure(_ context.Context, raw json.RawMessage) error {
	s := defaultSettings()
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &s); err != nil {
			return fmt.Errorf("settings: %w", err)
		}
	}
	switch {
	case len(s.Addresses) == 0:
		return errors.New("settings: addresses must not be empty")
	case !validNamespace(s.Namespace):
		return fmt.Errorf("settings: namespace %q: use 1-100 letters, digits, '.', '_' or '-'", s.Namespace)
	case s.MaxBodyBytes < 1:
		return errors.New("settings: maxBodyBytes must be at least 1")
	case s.MaxElements < 1:
		return errors.New("settings: maxElements must be at least 1")
	}
	l.mu.Lock()
	l.settings = s
	l.client = outbound.NewClient(s.AllowPrivateProxy)
	l.mu.Unlock()
	return nil
}

func defaultSettings() Settings {
	return Settings{Addresses: []string{DefaultAddress}, Namespace: "sandbox", MaxBodyBytes: 5 << 20, MaxElements: defaultMaxElements}
}

// validNamespace is the host's namespace pattern.
func validNamespace(ns string) bool {
	if ns == "" || len(ns) > 100 {
		return false
	}
	for i, r := range ns {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case i > 0 && (r == '.' || r == '_' || r == '-'):
		default:
			return false
		}
	}
	return true
}

// Health reports a problem when no address is being served.
func (l *Listener) Health(ctx context.Context) error { return l.run.Health(ctx) }

var pluginLog = sdk.Logger().Named("soap")

// Start listens on every address and serves until Stop.
func (l *Listener) Start(_ context.Context, host sdk.Host) ([]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.client == nil { // started without Configure: the defaults
		l.settings = defaultSettings()
		l.client = outbound.NewClient(false)
	}
	base, addrs, err := l.run.Start(l.settings.Addresses, l, pluginLog)
	if err != nil {
		return nil, err
	}
	// Requests wait for l.mu: they see what is set here.
	l.host = host
	l.wsdls = newWSDLCache(host)
	go l.wsdls.watch(base)
	return addrs, nil
}

// Stop shuts the servers down gracefully: calls in progress finish
// (their delays included) until ctx ends; then they are cut short.
func (l *Listener) Stop(ctx context.Context) error {
	return l.run.Stop(ctx, httpserve.Graceful)
}

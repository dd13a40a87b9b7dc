package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/listen"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthgrpc "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	reflectionv1 "google.golang.org/grpc/reflection/grpc_reflection_v1"
	reflectionv1alpha "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"
)

// Settings of the gRPC listener.
type Settings struct {
	// Addresses to listen on (host:port; port 0 picks a free one).
	Addresses []string `json:"addresses"`
	// Namespace whose protos and mocks are served.
	Namespace string `json:"namespace"`
	// ServerName, when set, serves only mocks without a serverName or with this one.
	ServerName string `json:"serverName"`
	// Reflection serves the server reflection services (v1 and v1alpha).
	Reflection *bool `json:"reflection"`
	// MaxMessageBytes caps a message in either direction (default 16 MiB).
	MaxMessageBytes int `json:"maxMessageBytes"`
	// AllowPrivateProxy lets proxy mocks reach private and loopback addresses.
	AllowPrivateProxy bool `json:"allowPrivateProxy"`
}

const settingsSchema = `{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "addresses": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1},
    "namespace": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"},
    "serverName": {"type": "string", "maxLength": 200},
    "reflection": {"type": "boolean"},
    "maxMessageBytes": {"type": "integer", "minimum": 1024, "maximum": 1073741824},
    "allowPrivateProxy": {"type": "boolean"}
  }
}`

// Listener serves the registered gRPC services.
type Listener struct {
	mu       sync.Mutex
	settings Settings
	host     sdk.Host
	servers  []*grpc.Server
	cancel   context.CancelFunc
	current  atomic.Pointer[snapshot]
	proxies  *proxyPool
	health   *health.Server // grpc.health.v1.Health, shared by every address
	log      interface{ Warn(string, ...any) }
}

// Info describes the plugin.
func (l *Listener) Info() sdk.Info {
	return sdk.Info{Name: "grpc", Kind: sdk.KindListener, Version: "1.0.0", Protocols: []string{"grpc"},
		Description:    "Serves every gRPC service of the proto registry: unary and streaming calls, reflection, rich errors.",
		SettingsSchema: json.RawMessage(settingsSchema)}
}

// Configure reads the settings (validated by the host against the schema).
func (l *Listener) Configure(_ context.Context, raw json.RawMessage) error {
	s := Settings{Addresses: []string{"127.0.0.1:5782"}, Namespace: "sandbox", MaxMessageBytes: 16 << 20}
	if err := json.Unmarshal(raw, &s); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	if len(s.Addresses) == 0 {
		return errors.New("settings: addresses must not be empty")
	}
	l.mu.Lock()
	l.settings = s
	l.mu.Unlock()
	return nil
}

// Health reports a listener that is not serving, or a registry that no
// longer compiles (the previous services keep being served).
func (l *Listener) Health(context.Context) error {
	l.mu.Lock()
	n := len(l.servers)
	l.mu.Unlock()
	if n == 0 {
		return errors.New("not listening")
	}
	if s := l.current.Load(); s != nil && s.err != nil {
		return fmt.Errorf("serving the previous protos: %v", s.err)
	}
	return nil
}

// Start loads the protos, listens, and reloads when the registry changes.
func (l *Listener) Start(ctx context.Context, host sdk.Host) ([]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.host = host
	l.log = sdk.Logger().Named("grpc")
	l.proxies = newProxyPool(l.settings.AllowPrivateProxy)
	l.health = health.NewServer()
	snap, err := load(ctx, host, l.settings.Namespace)
	if err != nil {
		// The listener still starts: the registry can be fixed while it runs.
		l.log.Warn("protos do not compile; serving none until they do", "error", err)
		snap = emptySnapshot()
		snap.err = err
	}
	l.publish(snap)
	base, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	changes, err := host.Watch(base, []string{sdk.DocumentsTopic(sdk.DocumentProto)})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("watch the proto registry: %w", err)
	}
	go l.reload(base, changes)

	lns, err := listen.Bind(l.settings.Addresses)
	if err != nil {
		cancel()
		return nil, err
	}
	var addrs []string
	for _, ln := range lns {
		// Streams run on a pool of workers whose stacks stay grown: a
		// goroutine per call would grow (copy) its stack on every call.
		srv := grpc.NewServer(grpc.UnknownServiceHandler(l.handle), grpc.ForceServerCodecV2(newCodec()),
			grpc.MaxRecvMsgSize(l.settings.MaxMessageBytes), grpc.MaxSendMsgSize(l.settings.MaxMessageBytes),
			grpc.NumStreamWorkers(uint32(16*runtime.GOMAXPROCS(0))))
		healthgrpc.RegisterHealthServer(srv, l.health)
		if l.settings.Reflection == nil || *l.settings.Reflection {
			opts := reflection.ServerOptions{Services: dynServices{l, srv}, DescriptorResolver: dynFiles{l}, ExtensionResolver: noExtensions{}}
			reflectionv1.RegisterServerReflectionServer(srv, reflection.NewServerV1(opts))
			reflectionv1alpha.RegisterServerReflectionServer(srv, reflection.NewServer(opts))
		}
		l.servers = append(l.servers, srv)
		addrs = append(addrs, ln.Addr().String())
		go func() { _ = srv.Serve(ln) }()
	}
	return addrs, nil
}

// reload swaps in a new snapshot when the registry changes; streams in
// progress keep the one they started with.
func (l *Listener) reload(ctx context.Context, changes <-chan []string) {
	for range changes {
		snap, err := load(ctx, l.host, l.settings.Namespace)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			l.log.Warn("protos do not compile; keeping the previous services", "error", err)
			prev := *l.current.Load()
			prev.err = err
			l.publish(&prev)
			continue
		}
		l.publish(snap)
	}
}

// Stop drains the servers (in-flight calls finish) until ctx ends.
func (l *Listener) Stop(ctx context.Context) error {
	l.mu.Lock()
	servers, cancel, hs := l.servers, l.cancel, l.health
	l.servers = nil
	l.mu.Unlock()
	if hs != nil {
		// Watchers and checks during the drain see NOT_SERVING.
		hs.Shutdown()
	}
	done := make(chan struct{})
	go func() {
		for _, s := range servers {
			s.GracefulStop()
		}
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		for _, s := range servers {
			s.Stop()
		}
	}
	if cancel != nil {
		cancel()
	}
	if l.proxies != nil {
		l.proxies.close()
	}
	return nil
}

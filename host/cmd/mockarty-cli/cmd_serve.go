package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	hostapi "github.com/mockarty-oss/mockarty/host/internal/api"
	"github.com/mockarty-oss/mockarty/host/internal/auth"
	"github.com/mockarty-oss/mockarty/host/internal/catalog"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/resolve"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/host/internal/templatefiles"
	"github.com/spf13/cobra"
	"github.com/valyala/fasthttp"
)

// `mock serve` is a whole mock server in this binary, for containers and
// tests: no database to set up (SQLite in a temporary folder), the stub
// files of a folder loaded at start, mocks answered at the root path.

// Stub file formats.
const (
	formatAuto     = "auto"
	formatMockarty = "mockarty"
	formatWireMock = "wiremock"
	formatMockoon  = "mockoon"
)

type serveOptions struct {
	dir, format, addr, healthAddr, namespace string
}

func (a *app) mockServeCmd() *cobra.Command {
	o := serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a standalone mock server that serves a folder of stub files",
		Long: `Run a mock server in this process, with no database to set up: mocks are kept in
SQLite in a temporary folder and gone when it stops. The stub files of --dir
(Mockarty mocks, WireMock mappings or Mockoon environments, --format or
MOCKARTY_STUB_FORMAT) are loaded at start. Mocks answer at the root path of
--addr; the management API is at /api/v1 and /ui/api on the same address, and
/health and /metrics are also on --health-addr. There is no access control:
run it where only its clients reach it (a container, a test).`,
		Example: `  mockarty-cli mock serve --dir ./stubs
  MOCKARTY_STUB_FORMAT=wiremock mockarty-cli mock serve --dir ./mappings --addr :8080
  curl http://127.0.0.1:8080/hello`,
		Args: exactArgs(),
		RunE: runE(func(cmd *cobra.Command, _ []string) error { return a.serve(cmd.Context(), o) }),
	}
	f := cmd.Flags()
	f.StringVar(&o.dir, "dir", envOr(a.getenv, "MOCKARTY_STUBS_DIR", "/data/stubs"), "folder of stub files loaded at start (env MOCKARTY_STUBS_DIR; a missing folder loads nothing)")
	f.StringVar(&o.format, "format", envOr(a.getenv, "MOCKARTY_STUB_FORMAT", formatAuto), "stub file format: auto, mockarty, wiremock or mockoon (env MOCKARTY_STUB_FORMAT)")
	f.StringVar(&o.addr, "addr", ":8080", "address of the mocks and the management API")
	f.StringVar(&o.healthAddr, "health-addr", ":9090", "address of /health and /metrics (\"\": none)")
	f.StringVar(&o.namespace, "stub-namespace", "sandbox", "namespace of the loaded stubs and of the root path")
	return cmd
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

func (a *app) serve(parent context.Context, o serveOptions) error {
	switch o.format {
	case formatAuto, formatMockarty, formatWireMock, formatMockoon:
	default:
		return usagef("--format %q: use auto, mockarty, wiremock or mockoon", o.format)
	}
	if !model.NamePattern.MatchString(o.namespace) {
		return usagef("--stub-namespace %q: use letters, digits, '.', '_' or '-'", o.namespace)
	}
	started := time.Now()
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := hclog.New(&hclog.LoggerOptions{Name: "mockarty", Output: a.stderr, Level: hclog.LevelFromString(envOr(a.getenv, "LOG_LEVEL", "info"))})

	tmp, err := os.MkdirTemp("", "mockarty-serve-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	st, err := store.Open(ctx, store.Options{Driver: "sqlite", DSN: filepath.Join(tmp, "mockarty.db"), Logger: log})
	if err != nil {
		return err
	}
	defer st.Close()
	tpl, err := templatefiles.Open(filepath.Join(tmp, "templates"))
	if err != nil {
		return err
	}
	defer tpl.Close()
	res, err := resolve.New(ctx, resolve.Options{Store: st, Templates: tpl, Logger: log.Named("resolve"), LogLimit: 1000, AllowPrivate: true})
	if err != nil {
		return err
	}
	defer res.Close()
	res.JournalHTTP(o.namespace) // WireMock clients verify their calls through /__admin
	cat := catalog.New(st, false, res)
	loaded, err := loadStubs(ctx, cat, o, log)
	if err != nil {
		return err
	}

	streams, endStreams := context.WithCancel(context.Background())
	defer endStreams()
	app := hostapi.New(hostapi.Deps{
		Streams: streams, Auth: auth.New(auth.Options{Store: st, Mode: auth.ModeLocal, Logger: log.Named("auth")}),
		Catalog: cat, Resolver: res, AllowPrivateProxy: true, Templates: tpl, Logger: log.Named("api"),
		BodyLimit: 32 << 20, ReleaseID: releaseID, StartedAt: started, DBDriver: "sqlite", RootNamespace: o.namespace,
	}, func() bool { return true })
	serveErr := make(chan error, 2)
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.addr, err)
	}
	go func() { serveErr <- app.Listener(ln) }()
	log.Info("listening", "addr", "http://"+ln.Addr().String())
	if o.healthAddr != "" {
		hln, err := net.Listen("tcp", o.healthAddr)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", o.healthAddr, err)
		}
		// Only /health and /metrics here: the port probes and scrapers see.
		h := app.Handler()
		health := &fasthttp.Server{Name: "mockarty", NoDefaultServerHeader: true, Handler: func(ctx *fasthttp.RequestCtx) {
			switch string(ctx.Path()) {
			case "/health", "/metrics":
				h(ctx)
			default:
				ctx.SetStatusCode(fasthttp.StatusNotFound)
				ctx.SetContentType("application/json")
				ctx.SetBodyString(`{"error":"only /health and /metrics are served here","code":"not_found"}`)
			}
		}}
		defer health.Shutdown()
		go func() { serveErr <- health.Serve(hln) }()
		log.Info("health and metrics", "addr", "http://"+hln.Addr().String())
	}
	log.Info("mock server started", "stubs", loaded, "dir", o.dir, "namespace", o.namespace, "startup", time.Since(started).Round(time.Millisecond))
	select {
	case err := <-serveErr:
		if err != nil && !errors.Is(err, net.ErrClosed) {
			return err
		}
	case <-ctx.Done():
	}
	endStreams()
	return app.ShutdownWithTimeout(5 * time.Second)
}

// loadStubs saves the stub files of o.dir as mocks and says how many.
func loadStubs(ctx context.Context, cat *catalog.Catalog, o serveOptions, log hclog.Logger) (int, error) {
	entries, err := os.ReadDir(o.dir)
	if errors.Is(err, os.ErrNotExist) {
		log.Info("no stub folder; starting empty", "dir", o.dir)
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(strings.ToLower(e.Name()), ".json") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	total := 0
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(o.dir, name))
		if err != nil {
			return total, err
		}
		mocks, notes, err := stubMocks(data, o.format, o.namespace, strings.TrimSuffix(name, filepath.Ext(name)))
		if err != nil {
			return total, fmt.Errorf("%s: %w", name, err)
		}
		for _, n := range notes {
			log.Warn("not carried over", "file", name, "note", n)
		}
		for _, m := range mocks {
			if ferr := catalog.Prepare(m, o.namespace); ferr != nil {
				return total, fmt.Errorf("%s: mock %q: %v", name, m.ID, ferr)
			}
		}
		if _, err := cat.SaveBatch(ctx, mocks); err != nil {
			return total, fmt.Errorf("%s: %w", name, err)
		}
		log.Info("stubs loaded", "file", name, "mocks", len(mocks))
		total += len(mocks)
	}
	return total, nil
}

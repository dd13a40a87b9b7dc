// Command mockarty is the host: the management REST API, the storage and the
// matching core of the multi-protocol mock platform.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hashicorp/go-hclog"
	"github.com/mockarty-oss/mockarty/host/internal/api"
	"github.com/mockarty-oss/mockarty/host/internal/auth"
	"github.com/mockarty-oss/mockarty/host/internal/catalog"
	"github.com/mockarty-oss/mockarty/host/internal/config"
	"github.com/mockarty-oss/mockarty/host/internal/fuzz"
	"github.com/mockarty-oss/mockarty/host/internal/perf"
	"github.com/mockarty-oss/mockarty/host/internal/plugins"
	"github.com/mockarty-oss/mockarty/host/internal/recorder"
	"github.com/mockarty-oss/mockarty/host/internal/resolve"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/host/internal/templatefiles"
	"github.com/mockarty-oss/mockarty/host/internal/tester"
)

// releaseID is set at build time with -ldflags "-X main.releaseID=...".
var releaseID = "dev"

func main() {
	showVersion := flag.Bool("version", false, "print the version and exit")
	migrate := flag.String("migrate", "", "run database migrations and exit: up | version")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to this file until the server stops (for diagnosing)")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "mockarty:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "mockarty:", err)
			os.Exit(1)
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	if *showVersion {
		fmt.Println("mockarty", releaseID)
		return
	}
	if err := run(*migrate); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "mockarty:", err)
		os.Exit(1)
	}
}

func newLogger(cfg *config.Config) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:       "mockarty",
		Level:      hclog.LevelFromString(cfg.LogLevel),
		JSONFormat: cfg.LogFormat == "json",
		Output:     os.Stderr,
		TimeFormat: time.RFC3339Nano,
	})
}

// run starts the host and blocks until a signal or a server failure; each
// step below is one seam, and the defers undo them in reverse order.
func run(migrate string) error {
	cfg, log, err := loadConfig()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	dsn := storeDSN(cfg)
	if migrate != "" {
		return migrateOnly(ctx, cfg, log, dsn, migrate)
	}

	started := time.Now()
	st, err := store.Open(ctx, store.Options{Driver: cfg.DBUse, DSN: dsn, Logger: log})
	if err != nil {
		return err
	}
	defer st.Close()
	tpl, err := templatefiles.Open(cfg.TemplatesDir)
	if err != nil {
		return err
	}
	defer tpl.Close()

	res, err := loadMocks(ctx, cfg, log, st, tpl)
	if err != nil {
		return err
	}
	defer res.Close()

	pm, specs := newPluginManager(cfg, log, res)
	defer stopPlugins(cfg, pm)

	access, err := newAccess(ctx, cfg, log, st)
	if err != nil {
		return err
	}

	var ready atomic.Bool
	streams, endStreams := context.WithCancel(context.Background())
	defer endStreams()
	testerSvc := tester.NewService(st)
	testerRuns := tester.NewRuns(streams, testerSvc, pm, testerNet(cfg, pm), log.Named("tester"))
	defer testerRuns.Wait() // runs end with streams; their last writes land before the store closes
	perfRuns := perf.NewRuns(streams, perf.NewService(st), pm, testerNet(cfg, pm), log.Named("perf"))
	perfRuns.Collections = testerRuns.LoadJob
	defer perfRuns.Wait()
	fuzzRuns := fuzz.NewRuns(streams, fuzz.NewService(st), pm, testerNet(cfg, pm), log.Named("fuzz"))
	fuzzRuns.Canary, fuzzRuns.APIURL = fuzz.NewCanary(), pm.APIURL
	defer fuzzRuns.Wait()
	perfSchedules := perf.NewScheduler(ctx, perfRuns, log.Named("perf"))
	defer perfSchedules.Stop()
	testerSchedules := tester.NewScheduler(ctx, testerRuns, log.Named("tester"))
	defer testerSchedules.Stop()
	recorderRuns := recorder.NewRuns(streams, recorder.NewService(st), pm, testerNet(cfg, pm), log.Named("recorder"))
	recorderRuns.BindHost, recorderRuns.CA = cfg.BindAddr, recorder.NewCA(cfg.DataDir)
	recorderRuns.Recover(ctx)
	defer recorderRuns.Wait()
	fuzzSchedules := fuzz.NewScheduler(ctx, fuzzRuns, log.Named("fuzz"))
	defer fuzzSchedules.Stop()
	app := newApp(cfg, log, streams, access, pm, st, res, tpl, started, ready.Load, testerSvc, testerRuns, testerSchedules, perfRuns, perfSchedules,
		fuzzRuns, fuzzSchedules, recorderRuns)

	serveErr, addr, err := serve(cfg, log, app, res, started)
	if err != nil {
		return err
	}
	pm.SetAPIURL(loopbackURL(addr))
	startPlugins(cfg, log, pm, specs)
	ready.Store(true)

	return waitAndShutdown(ctx, cfg, log, app, serveErr, &ready, endStreams)
}

// loadConfig reads the settings from the environment and builds the logger
// they describe.
func loadConfig() (*config.Config, hclog.Logger, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, nil, err
	}
	cfg.ReleaseID = releaseID
	cfg.ApplyLimits()
	return cfg, newLogger(cfg), nil
}

// storeDSN is what the store opens: the configured DSN, or the SQLite file.
func storeDSN(cfg *config.Config) string {
	dsn := cfg.DBDSN
	if cfg.DBUse == "sqlite" {
		dsn = cfg.SQLitePath()
	}
	return dsn
}

// migrateOnly serves --migrate: it migrates (or only reads) the schema,
// prints its version and returns without starting the server.
func migrateOnly(ctx context.Context, cfg *config.Config, log hclog.Logger, dsn, migrate string) error {
	switch migrate {
	case "up", "version":
		st, err := store.Open(ctx, store.Options{Driver: cfg.DBUse, DSN: dsn, Logger: log, NoMigrate: migrate == "version"})
		if err != nil {
			return err
		}
		defer st.Close()
		v, err := st.SchemaVersion(ctx)
		if err != nil {
			return err
		}
		fmt.Printf("schema version %d (this build: %d)\n", v, store.LatestSchemaVersion())
		return nil
	default:
		return fmt.Errorf("--migrate %q: use up or version", migrate)
	}
}

// loadMocks builds the resolver, which loads every mock from the store.
func loadMocks(ctx context.Context, cfg *config.Config, log hclog.Logger, st *store.Store, tpl *templatefiles.Dir) (*resolve.Resolver, error) {
	res, err := resolve.New(ctx, resolve.Options{Store: st, Templates: tpl, Logger: log.Named("resolve"), LogLimit: cfg.LogLimit,
		AllowPrivate: cfg.AllowPrivateProxy})
	if err != nil {
		return nil, fmt.Errorf("load mocks: %w", err)
	}
	return res, nil
}

// newPluginManager reads the plugin configuration and folder and builds the
// manager, not started yet; specs are the plugins it will start.
func newPluginManager(cfg *config.Config, log hclog.Logger, res *resolve.Resolver) (*plugins.Manager, []plugins.Spec) {
	// Plugin trouble never stops the host: it runs without the plugins it cannot load.
	pluginCfg, err := plugins.ReadConfig(cfg.PluginsConfig)
	if err != nil {
		log.Error("plugins configuration unreadable; loading no plugins", "file", cfg.PluginsConfig, "error", err)
		cfg.Plugins = "none"
	}
	found, err := plugins.Discover(cfg.PluginsDir)
	if err != nil {
		log.Error("plugin folder unreadable; loading no plugins", "folder", cfg.PluginsDir, "error", err)
		cfg.Plugins = "none"
	}
	pm := plugins.New(plugins.Options{Logger: log.Named("plugin"), Finder: resolve.Finder{R: res}, ConfigPath: cfg.PluginsConfig})
	res.SetServers(pm) // the serverName rule asks the running listeners' servers
	return pm, plugins.Select(found, cfg.Plugins, pluginCfg)
}

// stopPlugins stops every plugin, waiting at most the shutdown timeout.
func stopPlugins(cfg *config.Config, pm *plugins.Manager) {
	ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	pm.Stop(ctx)
}

// newAccess builds the auth service and, in full mode, the first admin.
func newAccess(ctx context.Context, cfg *config.Config, log hclog.Logger, st *store.Store) (*auth.Service, error) {
	access := auth.New(auth.Options{Store: st, Mode: cfg.AuthMode, Logger: log.Named("auth"),
		SessionTTL: cfg.SessionTTL, BcryptCost: cfg.BcryptCost})
	if cfg.AuthMode == auth.ModeFull {
		created, oneTime, err := access.EnsureFirstAdmin(ctx, cfg.FirstAdminLogin, cfg.FirstAdminPass, cfg.FirstAdminEmail)
		if err != nil {
			return nil, fmt.Errorf("create the first admin: %w", err)
		}
		switch {
		case created && oneTime != "":
			// Shown once, here, and never stored in clear.
			log.Warn("first admin created with a one-time password: log in and change it (POST /api/v1/auth/change-password)",
				"login", cfg.FirstAdminLogin, "password", oneTime)
		case created:
			log.Info("first admin created from FIRST_ADMIN_LOGIN / FIRST_ADMIN_PASSWORD", "login", cfg.FirstAdminLogin)
		}
	} else if !cfg.Loopback() {
		log.Warn("AUTH_MODE=local on a non-loopback address: anyone who can reach the server can change every mock", "addr", cfg.Addr())
	}
	return access, nil
}

// newApp builds the REST API over the services.
func newApp(cfg *config.Config, log hclog.Logger, streams context.Context, access *auth.Service, pm *plugins.Manager,
	st *store.Store, res *resolve.Resolver, tpl *templatefiles.Dir, started time.Time, ready func() bool,
	ts *tester.Service, tr *tester.Runs, sch *tester.Scheduler, pr *perf.Runs, psch *perf.Scheduler, fr *fuzz.Runs, fsch *fuzz.Scheduler, rr *recorder.Runs) *fiber.App {
	return api.New(api.Deps{
		FuzzRuns:          fr,
		FuzzScheduler:     fsch,
		Recorder:          rr,
		PerfRuns:          pr,
		PerfScheduler:     psch,
		Tester:            ts,
		TesterRuns:        tr,
		TesterScheduler:   sch,
		Streams:           streams,
		Auth:              access,
		RateLimit:         auth.NewLimiter(cfg.RateLimit, cfg.RateBurst),
		LoginLimit:        auth.NewLimiter(cfg.LoginAttempts, cfg.LoginAttempts),
		CookieSecure:      cfg.CookieSecure,
		Plugins:           pm,
		Catalog:           catalog.New(st, cfg.EnableVersioning, res),
		Resolver:          res,
		AllowPrivateProxy: cfg.AllowPrivateProxy,
		Templates:         tpl,
		Logger:            log.Named("api"),
		BodyLimit:         cfg.BodyLimitBytes,
		IdleTimeout:       cfg.KeepAliveTimeout,
		ReleaseID:         cfg.ReleaseID,
		StartedAt:         started,
		DBDriver:          cfg.DBUse,
	}, ready)
}

// serve listens on the configured address and serves app in the background;
// the channel gets the server's end.
func serve(cfg *config.Config, log hclog.Logger, app *fiber.App, res *resolve.Resolver, started time.Time) (<-chan error, net.Addr, error) {
	ln, err := net.Listen("tcp", cfg.Addr())
	if err != nil {
		return nil, nil, fmt.Errorf("listen on %s: %w", cfg.Addr(), err)
	}
	where := cfg.SQLitePath()
	if cfg.DBUse == "pg" {
		where = "postgresql"
	}
	log.Info("mockarty started", "auth", cfg.AuthMode, "mocks", res.Index.Len(), "addr", "http://"+ln.Addr().String(), "db", cfg.DBUse, "data", where,
		"templates", cfg.TemplatesDir, "release", cfg.ReleaseID, "startup", time.Since(started).Round(time.Millisecond))
	serveErr := make(chan error, 1)
	go func() { serveErr <- app.Listener(ln) }()
	return serveErr, ln.Addr(), nil
}

// loopbackURL is the URL plugins on this machine reach the API at: the
// listening address, or the loopback one when it listens on every address.
func loopbackURL(a net.Addr) string {
	t, ok := a.(*net.TCPAddr)
	if !ok {
		return "http://" + a.String()
	}
	ip := t.IP
	if ip == nil || ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
		if t.IP != nil && t.IP.To4() == nil {
			ip = net.IPv6loopback
		}
	}
	return "http://" + net.JoinHostPort(ip.String(), fmt.Sprint(t.Port))
}

// startPlugins starts the selected plugins once the API answers.
func startPlugins(cfg *config.Config, log hclog.Logger, pm *plugins.Manager, specs []plugins.Spec) {
	pm.Start(specs)
	names := make([]string, 0, len(specs))
	for _, s := range specs {
		names = append(names, s.Name)
	}
	log.Info("plugins", "folder", cfg.PluginsDir, "loading", names)
}

// waitAndShutdown blocks until the server ends or ctx is cancelled (a signal),
// then shuts the server down within the shutdown timeout.
func waitAndShutdown(ctx context.Context, cfg *config.Config, log hclog.Logger, app *fiber.App, serveErr <-chan error,
	ready *atomic.Bool, endStreams context.CancelFunc) error {
	select {
	case err := <-serveErr:
		if err != nil && !errors.Is(err, net.ErrClosed) {
			return err
		}
		return nil
	case <-ctx.Done():
	}
	ready.Store(false)
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	endStreams() // open event streams end now; other requests get the timeout
	if err := app.ShutdownWithTimeout(cfg.ShutdownTimeout); err != nil {
		log.Warn("shutdown did not finish cleanly", "error", err)
	}
	log.Info("stopped")
	return nil
}

// testerNet is where collection runs and load tests may send requests: what
// ALLOW_PROXY_TO_PRIVATE_IPS allows, and always this server's own API and
// listeners (a run against this server's mocks is the common case).
func testerNet(cfg *config.Config, pm *plugins.Manager) func() tester.NetPolicy {
	return func() tester.NetPolicy {
		np := tester.NetPolicy{AllowPrivate: cfg.AllowPrivateProxy}
		if u := pm.APIURL(); u != "" {
			np.AllowHosts = append(np.AllowHosts, strings.TrimPrefix(strings.TrimPrefix(u, "http://"), "https://"))
		}
		for _, p := range pm.List() {
			np.AllowHosts = append(np.AllowHosts, p.Addresses...)
		}
		return np
	}
}

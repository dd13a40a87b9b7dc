// Package config reads the host's configuration from the environment, using
// the variable names of the spec (model.md section 7.2) wherever they apply.
package config

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mockarty-oss/mockarty/host/internal/jpath"
	"github.com/mockarty-oss/mockarty/host/internal/match"
	"github.com/mockarty-oss/mockarty/host/internal/render"
)

// Config is the host configuration.
type Config struct {
	// HTTP
	BindAddr         string        // HTTP_BIND_ADDR (default 127.0.0.1)
	Port             int           // HTTP_PORT (default 5770)
	BodyLimitBytes   int           // HTTP_REQUEST_BODY_SIZE_LIMIT_MB (default 5)
	KeepAliveTimeout time.Duration // HTTP_KEEP_ALIVE_TIMEOUT: idle keep-alive connections close after this
	ShutdownTimeout  time.Duration // SHUTDOWN_TIMEOUT (default 10s)

	// Work one request may cause (ApplyLimits puts them in force)
	MaxBodyDepth      int // MAX_BODY_DEPTH: JSON bodies nested deeper get 413 (default 512)
	JSONPathWorkLimit int // JSONPATH_WORK_LIMIT: nodes one JSONPath evaluation may visit (default 1,000,000)
	RegexMaxInput     int // REGEX_MAX_INPUT_BYTES: text one matches condition may read (default 1 MiB)
	TemplateMaxOutput int // TEMPLATE_MAX_OUTPUT_MB: bytes one rendering may produce (default 16 MiB)

	// Storage
	DataDir          string // MOCKARTY_DATA_DIR (default ./.mockarty)
	DBUse            string // DB_USE: sqlite | pg (derived from DB_DSN when unset)
	DBDSN            string // DB_DSN
	EnableVersioning bool   // DB_ENABLE_VERSIONING
	TemplatesDir     string // TEMPLATES_DIR (default <data>/templates)
	LogLimit         int    // REPO_LOG_LIMIT (default 3)

	// Logging
	LogLevel  string // LOG_LEVEL (default info)
	LogFormat string // LOG_FORMAT: text | json (default text)
	Env       string // ENV

	// Plugins
	PluginsDir    string // PLUGINS_DIR (default: the folder of the mockarty binary)
	Plugins       string // PLUGINS: comma list to load; "none"; empty loads every plugin found
	PluginsConfig string // PLUGINS_CONFIG (default <data>/plugins.json): settings per plugin

	// AllowPrivateProxy lets proxy mocks and webhooks reach private and
	// loopback addresses (ALLOW_PROXY_TO_PRIVATE_IPS, default false).
	AllowPrivateProxy bool

	// Access control
	AuthMode        string        // AUTH_MODE: local | full (default: local on a loopback address, full elsewhere)
	SessionTTL      time.Duration // AUTH_SESSION_EXPIRATION in hours (default 24)
	CookieSecure    bool          // COOKIE_SECURE: the session cookie only travels over HTTPS
	FirstAdminLogin string        // FIRST_ADMIN_LOGIN (default admin)
	FirstAdminPass  string        // FIRST_ADMIN_PASSWORD (default: generated, printed once)
	FirstAdminEmail string        // FIRST_ADMIN_EMAIL
	RateLimit       int           // AUTH_RATE_LIMIT_PER_MINUTE: management API calls per token or client address (0: off)
	RateBurst       int           // AUTH_RATE_LIMIT_BURST
	LoginAttempts   int           // AUTH_LOGIN_ATTEMPTS_PER_MINUTE: failed logins per address and per login
	BcryptCost      int           // AUTH_BCRYPT_COST (default 10)

	ReleaseID string // set at build time
}

// Loopback reports whether the server listens only on a loopback address.
func (c *Config) Loopback() bool {
	ip := net.ParseIP(strings.Trim(c.BindAddr, "[]"))
	return ip != nil && ip.IsLoopback()
}

// Addr is the HTTP listen address.
func (c *Config) Addr() string {
	return joinHostPort(c.BindAddr, c.Port)
}

func joinHostPort(host string, port int) string {
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		host = "[" + host + "]"
	}
	return host + ":" + strconv.Itoa(port)
}

// SQLitePath is the database file used when the embedded store is selected.
func (c *Config) SQLitePath() string {
	if c.DBUse == "sqlite" && c.DBDSN != "" {
		return c.DBDSN
	}
	return filepath.Join(c.DataDir, "mockarty.db")
}

// FromEnv reads the configuration from the process environment.
func FromEnv() (*Config, error) { return Load(os.Getenv) }

// Load reads the configuration through getenv, so tests can pass a map.
func Load(getenv func(string) string) (*Config, error) {
	r := reader{getenv: getenv}
	c := &Config{
		BindAddr:         r.str("HTTP_BIND_ADDR", "127.0.0.1"),
		Port:             r.port("HTTP_PORT", 5770),
		BodyLimitBytes:   r.positiveInt("HTTP_REQUEST_BODY_SIZE_LIMIT_MB", 5) << 20,
		KeepAliveTimeout: r.duration("HTTP_KEEP_ALIVE_TIMEOUT", 120*time.Second),
		ShutdownTimeout:  r.duration("SHUTDOWN_TIMEOUT", 10*time.Second),

		MaxBodyDepth:      r.positiveInt("MAX_BODY_DEPTH", jpath.DefaultMaxDepth),
		JSONPathWorkLimit: r.positiveInt("JSONPATH_WORK_LIMIT", jpath.DefaultWorkLimit),
		RegexMaxInput:     r.positiveInt("REGEX_MAX_INPUT_BYTES", match.DefaultMaxRegexInput),
		TemplateMaxOutput: r.positiveInt("TEMPLATE_MAX_OUTPUT_MB", render.DefaultMaxOutput>>20) << 20,

		DataDir:          r.str("MOCKARTY_DATA_DIR", ".mockarty"),
		DBDSN:            r.str("DB_DSN", ""),
		DBUse:            strings.ToLower(r.str("DB_USE", "")),
		EnableVersioning: r.boolean("DB_ENABLE_VERSIONING", false),
		LogLimit:         r.positiveInt("REPO_LOG_LIMIT", 3),
		LogLevel:         strings.ToLower(r.str("LOG_LEVEL", "info")),
		LogFormat:        strings.ToLower(r.str("LOG_FORMAT", "text")),
		Env:              r.str("ENV", ""),

		AllowPrivateProxy: r.boolean("ALLOW_PROXY_TO_PRIVATE_IPS", false),
	}
	if c.MaxBodyDepth > maxBodyDepth {
		r.errs = append(r.errs, fmt.Sprintf("MAX_BODY_DEPTH=%d: use 1 to %d (Go's JSON decoder refuses deeper bodies anyway)", c.MaxBodyDepth, maxBodyDepth))
	}
	if c.BindAddr == "localhost" {
		c.BindAddr = "127.0.0.1"
	}
	c.TemplatesDir = r.str("TEMPLATES_DIR", filepath.Join(c.DataDir, "templates"))
	exeDir := "."
	if exe, err := os.Executable(); err == nil {
		exeDir = filepath.Dir(exe)
	}
	c.AuthMode = strings.ToLower(r.str("AUTH_MODE", ""))
	switch c.AuthMode {
	case "":
		c.AuthMode = "full"
		if c.Loopback() {
			c.AuthMode = "local"
		}
	case "local", "full":
	default:
		r.errs = append(r.errs, fmt.Sprintf("AUTH_MODE=%q: use local or full", c.AuthMode))
	}
	c.SessionTTL = time.Duration(r.positiveInt("AUTH_SESSION_EXPIRATION", 24)) * time.Hour
	c.CookieSecure = r.boolean("COOKIE_SECURE", false)
	c.FirstAdminLogin = r.str("FIRST_ADMIN_LOGIN", "admin")
	c.FirstAdminPass = r.str("FIRST_ADMIN_PASSWORD", "")
	c.FirstAdminEmail = r.str("FIRST_ADMIN_EMAIL", "")
	defRate := 0 // a developer's own machine is not throttled
	if c.AuthMode == "full" {
		defRate = 3000
	}
	c.RateLimit = r.nonNegativeInt("AUTH_RATE_LIMIT_PER_MINUTE", defRate)
	c.RateBurst = r.nonNegativeInt("AUTH_RATE_LIMIT_BURST", max(c.RateLimit/6, 100))
	c.LoginAttempts = r.positiveInt("AUTH_LOGIN_ATTEMPTS_PER_MINUTE", 5)
	c.BcryptCost = r.positiveInt("AUTH_BCRYPT_COST", 10)
	if c.BcryptCost < 4 || c.BcryptCost > 31 {
		r.errs = append(r.errs, fmt.Sprintf("AUTH_BCRYPT_COST=%d: use 4 to 31", c.BcryptCost))
	}
	if c.FirstAdminPass != "" && len(c.FirstAdminPass) < 8 {
		r.errs = append(r.errs, "FIRST_ADMIN_PASSWORD must have at least 8 characters")
	}
	c.PluginsDir = r.str("PLUGINS_DIR", exeDir)
	c.Plugins = r.str("PLUGINS", "")
	c.PluginsConfig = r.str("PLUGINS_CONFIG", filepath.Join(c.DataDir, "plugins.json"))
	switch c.DBUse {
	case "":
		if isPostgresDSN(c.DBDSN) {
			c.DBUse = "pg"
		} else {
			c.DBUse = "sqlite"
		}
	case "pg", "postgres", "postgresql":
		c.DBUse = "pg"
		if c.DBDSN == "" {
			r.errs = append(r.errs, "DB_USE=pg needs DB_DSN (for example postgres://user:pass@host:5432/db)")
		}
	case "sqlite", "sqlite3":
		c.DBUse = "sqlite"
	case "mysql":
		r.errs = append(r.errs, "DB_USE=mysql is not supported; use sqlite (default) or pg")
	default:
		r.errs = append(r.errs, fmt.Sprintf("DB_USE=%q: use sqlite or pg", c.DBUse))
	}
	if c.DBUse == "sqlite" && isPostgresDSN(c.DBDSN) {
		r.errs = append(r.errs, "DB_USE=sqlite but DB_DSN is a postgres:// URL")
	}
	switch c.LogLevel {
	case "trace", "debug", "info", "warn", "error", "off":
	default:
		r.errs = append(r.errs, fmt.Sprintf("LOG_LEVEL=%q: use trace, debug, info, warn, error or off", c.LogLevel))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		r.errs = append(r.errs, fmt.Sprintf("LOG_FORMAT=%q: use text or json", c.LogFormat))
	}
	if len(r.errs) > 0 {
		return nil, fmt.Errorf("configuration: %s", strings.Join(r.errs, "; "))
	}
	return c, nil
}

// maxBodyDepth is the deepest nesting encoding/json decodes.
const maxBodyDepth = 10000

// ApplyLimits puts the limits on work per request in force: they are
// process-wide, read by the matching and rendering code on every request.
func (c *Config) ApplyLimits() {
	jpath.SetMaxDepth(c.MaxBodyDepth)
	jpath.SetWorkLimit(c.JSONPathWorkLimit)
	match.SetMaxRegexInput(c.RegexMaxInput)
	render.SetMaxOutput(c.TemplateMaxOutput)
}

func isPostgresDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") ||
		strings.Contains(dsn, "host=") && strings.Contains(dsn, "dbname=")
}

type reader struct {
	getenv func(string) string
	errs   []string
}

func (r *reader) str(name, def string) string {
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return def
}

func (r *reader) positiveInt(name string, def int) int {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		r.errs = append(r.errs, fmt.Sprintf("%s=%q: want a positive integer", name, v))
		return def
	}
	return n
}

func (r *reader) nonNegativeInt(name string, def int) int {
	v := r.getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		r.errs = append(r.errs, fmt.Sprintf("%s=%q: want a whole number, 0 or more", name, v))
		return def
	}
	return n
}

func (r *reader) port(name string, def int) int {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 65535 {
		r.errs = append(r.errs, fmt.Sprintf("%s=%q: want a port number (0-65535; 0 picks a free port)", name, v))
		return def
	}
	return n
}

func (r *reader) boolean(name string, def bool) bool {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.errs = append(r.errs, fmt.Sprintf("%s=%q: want true or false", name, v))
		return def
	}
	return b
}

// duration accepts Go durations ("30s") or a bare number of seconds.
func (r *reader) duration(name string, def time.Duration) time.Duration {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return def
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		r.errs = append(r.errs, fmt.Sprintf("%s=%q: want a duration such as 30s", name, v))
		return def
	}
	return d
}

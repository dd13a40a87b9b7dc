package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Defaults, used when neither a flag, an environment variable nor the
// config file gives a value.
const (
	defaultServer    = "http://127.0.0.1:5770"
	defaultNamespace = "sandbox"
)

// Environment variables that override the config file.
const (
	envServer    = "MOCKARTY_SERVER"
	envToken     = "MOCKARTY_TOKEN"
	envNamespace = "MOCKARTY_NAMESPACE"
)

// configKeys are the keys `config set` accepts, in display order.
var configKeys = []string{"server", "token", "namespace"}

// fileConfig is ~/.mockarty-cli/config.yaml.
type fileConfig struct {
	Server    string `yaml:"server,omitempty"`
	Token     string `yaml:"token,omitempty"`
	Namespace string `yaml:"namespace,omitempty"`
}

func (c *fileConfig) get(key string) string {
	switch key {
	case "server":
		return c.Server
	case "token":
		return c.Token
	case "namespace":
		return c.Namespace
	}
	return ""
}

func (c *fileConfig) set(key, value string) {
	switch key {
	case "server":
		c.Server = value
	case "token":
		c.Token = value
	case "namespace":
		c.Namespace = value
	}
}

// configPath is $HOME/.mockarty-cli/config.yaml.
func (a *app) configPath() (string, error) {
	home := a.getenv("HOME")
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("cannot find the home folder for the config file: %v", err)
		}
		home = h
	}
	return filepath.Join(home, ".mockarty-cli", "config.yaml"), nil
}

// loadConfig reads the config file; a missing file is an empty config.
func loadConfig(path string) (*fileConfig, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &fileConfig{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the config file: %v", err)
	}
	var c fileConfig
	if err := yaml.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("the config file %s is not valid YAML: %v (fix it, or remove it and run mockarty-cli config set again)", path, err)
	}
	return &c, nil
}

// saveConfig writes the file with mode 0600 (its folder 0700), replacing
// the old one in one rename so a reader never sees half a file.
func saveConfig(path string, c *fileConfig) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %v", dir, err)
	}
	b, err := yaml.Marshal(c)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".config-*.yaml")
	if err != nil {
		return fmt.Errorf("write the config file: %v", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write the config file: %v", err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write the config file: %v", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write the config file: %v", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write the config file: %v", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write the config file: %v", err)
	}
	return nil
}

// namePattern is what the server accepts as a namespace.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

func checkNamespace(ns string) error {
	if !namePattern.MatchString(ns) {
		return fmt.Errorf("namespace %q: use 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit", ns)
	}
	return nil
}

// normaliseServer turns "host:port" or a URL into a base URL without a
// trailing slash.
func normaliseServer(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("the server address is empty")
	}
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("server address %q: %v", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("server address %q: use http:// or https://", s)
	}
	if u.Host == "" {
		return "", fmt.Errorf("server address %q has no host", s)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("server address %q: no query or fragment, please", s)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// maskToken shows only the ends of a token.
func maskToken(t string) string {
	switch {
	case t == "":
		return ""
	case len(t) <= 8:
		return strings.Repeat("*", len(t))
	default:
		return t[:4] + strings.Repeat("*", 4) + t[len(t)-2:]
	}
}

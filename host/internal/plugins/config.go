package plugins

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
)

// FileConfig is the plugins configuration file: settings and an optional
// binary hash per plugin name.
//
//	{"http": {"settings": {"addresses": ["0.0.0.0:8080"]}, "sha256": "…"},
//	 "grpc": {"enabled": false}}
type FileConfig map[string]struct {
	Enabled  *bool           `json:"enabled"`
	SHA256   string          `json:"sha256"`
	Settings json.RawMessage `json:"settings"`
}

// ReadConfig reads the configuration file; a missing file is an empty configuration.
func ReadConfig(path string) (FileConfig, error) {
	if path == "" {
		return FileConfig{}, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return FileConfig{}, nil
	}
	if err != nil {
		return nil, err
	}
	var fc FileConfig
	if err := json.Unmarshal(b, &fc); err != nil {
		return nil, fmt.Errorf("plugins configuration %s: %w", path, err)
	}
	return fc, nil
}

// Select decides which plugins load: the names in only (a comma list; "none"
// loads nothing; empty means every plugin found in the folder), minus those
// the file disables. A name asked for but not found is kept (it will be
// reported as refused).
func Select(found map[string]string, only string, fc FileConfig) []Spec {
	names := map[string]bool{}
	switch strings.TrimSpace(only) {
	case "none":
	case "":
		for n := range found {
			names[n] = true
		}
	default:
		for _, n := range strings.Split(only, ",") {
			if n = strings.TrimSpace(n); n != "" {
				names[n] = true
			}
		}
	}
	var specs []Spec
	for n := range names {
		c := fc[n]
		if c.Enabled != nil && !*c.Enabled {
			continue
		}
		specs = append(specs, Spec{Name: n, Path: found[n], SHA256: c.SHA256, Settings: c.Settings})
	}
	sort.Slice(specs, func(i, j int) bool { return specs[i].Name < specs[j].Name })
	return specs
}

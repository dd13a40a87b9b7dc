package plugins

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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

// WriteSettings sets one plugin's settings in the configuration file and
// keeps everything else in it (the other plugins, "enabled", "sha256").
// The file is replaced atomically: a new file is written and synced beside
// it, then renamed over it, so a crash leaves the old file or the new one.
// A file that is not valid JSON is left alone (an error), never overwritten.
func WriteSettings(path, name string, settings json.RawMessage) error {
	if path == "" {
		return errors.New("no configuration file")
	}
	var doc map[string]json.RawMessage
	mode := os.FileMode(0o600) // settings may hold passwords
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return err
	default:
		if len(bytes.TrimSpace(b)) > 0 {
			if err := json.Unmarshal(b, &doc); err != nil {
				return fmt.Errorf("%s is not a JSON object, so it is not rewritten: %w", path, err)
			}
		}
		if fi, err := os.Stat(path); err == nil {
			mode = fi.Mode().Perm()
		}
	}
	if doc == nil {
		doc = map[string]json.RawMessage{}
	}
	entry := map[string]json.RawMessage{}
	if raw, ok := doc[name]; ok && !bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		if err := json.Unmarshal(raw, &entry); err != nil {
			return fmt.Errorf("%s: the entry of %q is not a JSON object, so it is not rewritten: %w", path, name, err)
		}
	}
	if noSettings(settings) {
		// The plugin had none: putting them back means none again.
		delete(entry, "settings")
	} else {
		var compact bytes.Buffer
		if err := json.Compact(&compact, settings); err != nil {
			return fmt.Errorf("settings: %w", err)
		}
		entry["settings"] = compact.Bytes()
	}
	if doc[name], err = json.Marshal(entry); err != nil {
		return err
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	out = append(out, '\n')
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // gone after the rename; cleans up on failure
	if _, err := tmp.Write(out); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	// The rename is durable once the folder is synced.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

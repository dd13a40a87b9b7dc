// Package perf is the host side of load testing: perf configs (stored as
// objects), runs handed to the perf plugin (tasks of mode "load" whose
// per-second samples are stored as they arrive) and the results views the
// SDKs read (model-tools §2).
package perf

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/objects"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/sdk/loadjob"
)

// KindConfig is the object kind of perf configs.
const KindConfig = "perfconfig"

// Duration is a run length as the SDKs send it: "30s", "5m" (Go), or a
// number of seconds (Java); it is always written as a string.
type Duration string

// UnmarshalJSON reads a string or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*d = Duration(s)
		return nil
	}
	if bytes.Equal(b, []byte("null")) {
		*d = ""
		return nil
	}
	n, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("want a duration (\"30s\") or seconds")
	}
	*d = Duration(strconv.FormatFloat(n, 'f', -1, 64) + "s")
	return nil
}

// check reads the duration; "" is none.
func (d Duration) check(field string) (time.Duration, error) {
	if d == "" {
		return 0, nil
	}
	v, err := time.ParseDuration(string(d))
	if err != nil || v < 0 {
		return 0, &model.FieldError{Field: field, Message: fmt.Sprintf("%q is not a duration (\"30s\", \"5m\", or seconds)", string(d))}
	}
	if v > maxDuration {
		return 0, &model.FieldError{Field: field, Message: fmt.Sprintf("at most %s", maxDuration)}
	}
	return v, nil
}

// Bounds of a run.
const (
	maxDuration = 24 * time.Hour
	maxVUs      = 5000
	// DefaultDuration is a run's length when nothing says (the docs' 30 s).
	DefaultDuration = "30s"
)

// Thresholds are k6 thresholds by metric: a string or a list of them.
type Thresholds map[string][]string

// UnmarshalJSON reads {"metric": "p(95)<500"} and {"metric": ["p(95)<500", ...]}.
func (t *Thresholds) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := Thresholds{}
	for k, v := range raw {
		var one string
		if json.Unmarshal(v, &one) == nil {
			out[k] = []string{one}
			continue
		}
		var many []string
		if err := json.Unmarshal(v, &many); err != nil {
			return fmt.Errorf("%s: want a threshold or a list of them", k)
		}
		out[k] = many
	}
	*t = out
	return nil
}

// Config is a perf config: the union of the script-based (Go, Python) and
// URL-based (Java) shapes (model-tools §2.5).
type Config struct {
	ID        string `json:"id"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Script    string `json:"script"`
	// Filename names the script in errors; a .ts name is TypeScript.
	Filename     string `json:"filename,omitempty"`
	CollectionID string `json:"collectionId,omitempty"`
	// EnvironmentID is the collection's environment (default: the
	// namespace's active one).
	EnvironmentID string `json:"environmentId,omitempty"`
	// RunGroupID ties runs together (a CI pipeline's, or one test spread
	// over runners): GET /perf-results/group/:runGroupId lists them.
	RunGroupID  string            `json:"runGroupId,omitempty"`
	Duration    Duration          `json:"duration"`
	VUs         int               `json:"vus"`
	Iterations  int               `json:"iterations"`
	Thresholds  Thresholds        `json:"thresholds,omitempty"`
	Tags        []string          `json:"tags"`
	Environment map[string]string `json:"environment,omitempty"`
	Metadata    map[string]any    `json:"metadata,omitempty"`
	TargetURL   string            `json:"targetUrl,omitempty"`
	Method      string            `json:"method,omitempty"`
	Headers     map[string]string `json:"headers,omitempty"`
	Body        json.RawMessage   `json:"body,omitempty"`
	Concurrency int               `json:"concurrency,omitempty"`
	RPS         int               `json:"rps,omitempty"`
	CreatedAt   string            `json:"createdAt"`
	UpdatedAt   string            `json:"updatedAt"`
}

// checkConfig validates a config (a run request too).
func checkConfig(c *Config) error {
	c.Name = strings.TrimSpace(c.Name)
	if len(c.Name) > 300 || !model.PlainText(c.Name) {
		return &model.FieldError{Field: "name", Message: "at most 300 characters, no control characters"}
	}
	c.RunGroupID = strings.TrimSpace(c.RunGroupID)
	if len(c.RunGroupID) > 100 || !model.PlainText(c.RunGroupID) {
		return &model.FieldError{Field: "runGroupId", Message: "at most 100 characters, no control characters"}
	}
	if _, err := c.Duration.check("duration"); err != nil {
		return err
	}
	if c.Concurrency > 0 && c.VUs == 0 {
		c.VUs = c.Concurrency
	}
	switch {
	case c.VUs < 0 || c.VUs > maxVUs:
		return &model.FieldError{Field: "vus", Message: fmt.Sprintf("must be 0-%d", maxVUs)}
	case c.Iterations < 0:
		return &model.FieldError{Field: "iterations", Message: "must not be negative"}
	case c.RPS < 0 || c.RPS > 1_000_000:
		return &model.FieldError{Field: "rps", Message: "must be 0-1000000"}
	case len(c.Script) > 4<<20:
		return &model.FieldError{Field: "script", Message: "at most 4 MiB"}
	}
	if c.Script == "" && c.TargetURL != "" && !strings.HasPrefix(c.TargetURL, "http://") && !strings.HasPrefix(c.TargetURL, "https://") {
		return &model.FieldError{Field: "targetUrl", Message: "must be an http:// or https:// URL"}
	}
	return nil
}

// Service keeps perf configs.
type Service struct {
	st *store.Store
}

// NewService returns the service over a store.
func NewService(st *store.Store) *Service { return &Service{st: st} }

// Store is the service's store.
func (s *Service) Store() *store.Store { return s.st }

// configs are the perf configs.
var configs = &objects.Kind[Config, *Service]{Name: KindConfig,
	Of: func(o *store.TesterObject) (*Config, error) {
		var c Config
		if err := objects.Decode(o, &c); err != nil {
			return nil, err
		}
		c.ID, c.Namespace, c.Name = o.ID, o.Namespace, o.Name
		c.CreatedAt, c.UpdatedAt = objects.ISO(o.CreatedMs), objects.ISO(o.UpdatedMs)
		if c.Tags == nil {
			c.Tags = []string{}
		}
		return &c, nil
	},
	Object: func(namespace string, c *Config) (*store.TesterObject, error) {
		o := &store.TesterObject{Kind: KindConfig, ID: c.ID, Namespace: namespace, Name: c.Name}
		doc := *c
		return o, objects.Encode(o, &doc)
	},
	Owned: []string{"id", "namespace", "createdAt", "updatedAt"},
	Check: func(_ context.Context, _ *Service, c *Config) error { return checkConfig(c) },
}

// Configs lists the configs of the namespaces.
func (s *Service) Configs(ctx context.Context, namespace string, namespaces []string) ([]Config, error) {
	return configs.List(ctx, s, store.TesterFilter{Namespace: namespace, Namespaces: namespaces})
}

// Config loads one config.
func (s *Service) Config(ctx context.Context, id string) (*Config, error) {
	return configs.Get(ctx, s, id)
}

// SaveConfig creates a config, or replaces the one its id names.
func (s *Service) SaveConfig(ctx context.Context, c *Config) (*Config, error) {
	return configs.Save(ctx, s, c.Namespace, &c.ID, c)
}

// UpdateConfig merges body into a config.
func (s *Service) UpdateConfig(ctx context.Context, id string, body []byte) (*Config, error) {
	return configs.Update(ctx, s, id, body)
}

// DeleteConfig removes a config.
func (s *Service) DeleteConfig(ctx context.Context, id string) error {
	return configs.Delete(ctx, s, id, "perf config")
}

// job is the plugin job of a config (a run request), with the server's
// network policy applied by the caller.
func job(c *Config) (*loadjob.Job, error) {
	j := &loadjob.Job{Script: c.Script, VUs: c.VUs, Duration: string(c.Duration), Iterations: c.Iterations, Env: c.Environment,
		Thresholds: c.Thresholds}
	if j.Script == "" && c.CollectionID != "" {
		if j.Duration == "" && j.Iterations == 0 {
			j.Duration = DefaultDuration
		}
		if j.VUs == 0 {
			j.VUs = 1
		}
	} else if j.Script == "" {
		if c.TargetURL == "" {
			return nil, &model.FieldError{Field: "script", Message: "give a script, a collectionId, or a targetUrl to load without a script"}
		}
		body := ""
		if len(c.Body) > 0 {
			var text string
			if json.Unmarshal(c.Body, &text) == nil {
				body = text
			} else {
				body = string(c.Body)
			}
		}
		j.Target = &loadjob.Target{URL: c.TargetURL, Method: strings.ToUpper(c.Method), Headers: c.Headers, Body: body, RPS: c.RPS}
		if j.Duration == "" {
			j.Duration = DefaultDuration
		}
		if j.VUs == 0 {
			j.VUs = 1
		}
	}
	j.Filename = c.Filename
	return j, nil
}

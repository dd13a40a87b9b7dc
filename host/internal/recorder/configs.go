package recorder

import (
	"context"

	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/objects"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/sdk/recjob"
)

// KindConfig is the object kind of saved recorder configs.
const KindConfig = "rec-config"

// Config is a saved recording setup (model-tools §4.2 {id, name,
// targetUrl, port}, with the session settings beside them), to start
// sessions from and to share (export, import).
type Config struct {
	ID            string               `json:"id"`
	Name          string               `json:"name"`
	Namespace     string               `json:"namespace"`
	TargetURL     string               `json:"targetUrl"`
	Port          int                  `json:"port"`
	Mode          string               `json:"mode,omitempty"`
	Modifications recjob.Modifications `json:"modifications"`
	Faults        recjob.Faults        `json:"faults"`
	CreatedAt     int64                `json:"createdAt"`
	UpdatedAt     int64                `json:"updatedAt"`
}

var configs = &objects.Kind[Config, *Service]{Name: KindConfig,
	Of: func(o *store.TesterObject) (*Config, error) {
		var c Config
		if err := objects.Decode(o, &c); err != nil {
			return nil, err
		}
		c.ID, c.Namespace, c.Name, c.CreatedAt, c.UpdatedAt = o.ID, o.Namespace, o.Name, o.CreatedMs, o.UpdatedMs
		return &c, nil
	},
	Object: func(namespace string, c *Config) (*store.TesterObject, error) {
		o := &store.TesterObject{Kind: KindConfig, ID: c.ID, Namespace: namespace, Name: c.Name}
		return o, objects.Encode(o, c)
	},
	Owned: []string{"id", "namespace", "createdAt", "updatedAt"},
	Check: func(_ context.Context, _ *Service, c *Config) error {
		sn := Session{Name: c.Name, TargetURL: c.TargetURL, Mode: c.Mode, Port: c.Port, Faults: c.Faults}
		if err := checkSession(&sn); err != nil {
			return err
		}
		if c.Name == "" {
			return &model.FieldError{Field: "name", Message: "is required"}
		}
		c.Mode = sn.Mode
		return nil
	},
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
	return configs.Delete(ctx, s, id, "recorder config")
}

// SessionOf is a new session with a config's settings.
func (c *Config) SessionOf(namespace string) *Session {
	return &Session{Name: c.Name, Namespace: namespace, TargetURL: c.TargetURL, Mode: c.Mode, Port: c.Port,
		Modifications: c.Modifications, Faults: c.Faults}
}

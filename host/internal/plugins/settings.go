package plugins

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/pluginhost"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// Errors of the settings API.
var (
	// ErrConfig: the plugins configuration file cannot be read or written.
	ErrConfig = errors.New("plugins configuration file")
	// ErrNoConfigFile: PLUGINS_CONFIG is empty, so settings cannot be kept.
	ErrNoConfigFile = errors.New("PLUGINS_CONFIG is empty: settings changed here could not survive a restart, so they are not changed")
	// ErrNoSchema: the plugin has not described its settings yet.
	ErrNoSchema = errors.New("the plugin has not described its settings yet (it never started far enough); restart it first")
	// ErrReloadTimeout: the plugin did not come back in time.
	ErrReloadTimeout = errors.New("the plugin did not finish starting with the new settings in time; it keeps trying (see GET /api/v1/plugins)")
)

// SettingsError is settings that the plugin's JSON Schema refuses.
type SettingsError struct {
	// Field is where, as a path into the settings ("servers[0].address";
	// "" for the object itself).
	Field   string
	Message string
}

func (e *SettingsError) Error() string { return e.Message }

// ApplyError is settings that passed the schema but that the plugin refused
// or could not start with; the previous settings were put back.
type ApplyError struct {
	Reason string
	// Refused: the plugin's Configure refused them (rather than failing to
	// start with them, for example on an address in use).
	Refused bool
}

func (e *ApplyError) Error() string {
	return "the plugin did not start with these settings, so the previous ones were put back: " + e.Reason
}

// PluginSettings is what GET /api/v1/plugins/{name}/settings shows.
type PluginSettings struct {
	Name     string          `json:"name"`
	Settings json.RawMessage `json:"settings"`
	// Schema is the JSON Schema the settings follow (absent until the
	// plugin has described itself).
	Schema json.RawMessage `json:"schema,omitempty"`
}

// noSettings reports whether a plugin's entry gives no settings (none, or
// null): the plugin then gets {} and its defaults.
func noSettings(raw json.RawMessage) bool {
	b := bytes.TrimSpace(raw)
	return len(b) == 0 || bytes.Equal(b, []byte("null"))
}

func (m *Manager) lookup(name string) (*managed, error) {
	m.mu.Lock()
	p, ok := m.plugins[name]
	m.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknown, name)
	}
	return p, nil
}

// Settings returns the settings a plugin runs with (or will run with at
// its next start) and their schema.
func (m *Manager) Settings(name string) (*PluginSettings, error) {
	p, err := m.lookup(name)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	settings := p.spec.Settings
	if noSettings(settings) {
		settings = json.RawMessage(`{}`)
	}
	out := &PluginSettings{Name: name, Settings: append(json.RawMessage(nil), settings...)}
	if len(p.schema) > 0 {
		out.Schema = append(json.RawMessage(nil), p.schema...)
	}
	return out, nil
}

// UpdateSettings replaces a plugin's settings: it checks them against the
// plugin's JSON Schema (a *SettingsError), writes them to the configuration
// file, and reloads the plugin gracefully with them (its listener's Stop,
// then a new process). When the plugin refuses them or cannot start with
// them, the previous settings are written back and reloaded, and an
// *ApplyError says why. It returns once the plugin runs again.
func (m *Manager) UpdateSettings(ctx context.Context, name string, settings json.RawMessage) (*Status, error) {
	return m.ChangeSettings(ctx, name, func(json.RawMessage) (json.RawMessage, error) { return settings, nil })
}

// ChangeSettings is UpdateSettings with the new settings made by change
// from the current ones ({} when none), under the same lock: two merge
// patches at once both count.
func (m *Manager) ChangeSettings(ctx context.Context, name string, change func(cur json.RawMessage) (json.RawMessage, error)) (*Status, error) {
	m.settingsMu.Lock()
	defer m.settingsMu.Unlock()
	p, err := m.lookup(name)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	cur := append(json.RawMessage(nil), p.spec.Settings...)
	p.mu.Unlock()
	if noSettings(cur) {
		cur = json.RawMessage(`{}`)
	}
	settings, err := change(cur)
	if err != nil {
		return nil, err
	}
	if p.spec.Path == "" {
		return nil, ErrNoBinary
	}
	if m.opts.ConfigPath == "" {
		return nil, ErrNoConfigFile
	}
	p.mu.Lock()
	schema, old := p.schema, p.spec.Settings
	p.mu.Unlock()
	if schema == nil {
		return nil, ErrNoSchema
	}
	if err := validateSettings(schema, settings); err != nil {
		return nil, err
	}
	if err := WriteSettings(m.opts.ConfigPath, name, settings); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	res, err := m.reload(ctx, p, settings)
	if err != nil {
		return nil, err
	}
	if res != nil {
		m.opts.Logger.Warn("new settings refused; putting the previous ones back", "plugin", name, "reason", res.Error())
		if werr := WriteSettings(m.opts.ConfigPath, name, old); werr != nil {
			return nil, fmt.Errorf("%w: %v (and the previous settings could not be written back: %v)", ErrConfig, res, werr)
		}
		if _, err := m.reload(ctx, p, old); err != nil {
			return nil, err
		}
		var refused *refusal
		return nil, &ApplyError{Reason: res.Error(), Refused: errors.As(res, &refused)}
	}
	st := m.status(p)
	return &st, nil
}

// reload restarts the plugin with settings and waits for the first launch
// that uses them; it returns how that launch ended (nil: running).
func (m *Manager) reload(ctx context.Context, p *managed, settings json.RawMessage) (launchErr error, err error) {
	wait := 2*m.opts.StartTimeout + 10*time.Second // a graceful stop, then a start
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	p.mu.Lock()
	p.spec.Settings = append(json.RawMessage(nil), settings...)
	p.gen++
	want := p.gen
	p.mu.Unlock()
	m.requestRestart(p)
	for {
		p.mu.Lock()
		res, ch := p.launched, p.launchedCh
		p.mu.Unlock()
		if res.gen >= want {
			return res.err, nil
		}
		select {
		case <-ch:
		case <-p.done:
			return nil, ErrNotRunning // the host is stopping
		case <-ctx.Done():
			return nil, ErrReloadTimeout
		}
	}
}

func (m *Manager) status(p *managed) Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.status
	st.Addresses = append([]string{}, p.status.Addresses...)
	st.Servers = m.markDefaults(st.Protocols, p.status.Servers)
	return st
}

// rebuildServers lists every running listener's servers by protocol, in
// start order, for the resolver's serverName rule.
func (m *Manager) rebuildServers() {
	m.mu.Lock()
	list := append([]*managed(nil), m.order...)
	m.mu.Unlock()
	byProto := map[string][]sdk.Server{}
	for _, p := range list {
		p.mu.Lock()
		for _, sv := range p.status.Servers {
			protos := p.status.Protocols
			if sv.Protocol != "" {
				protos = []string{sv.Protocol}
			}
			for _, proto := range protos {
				byProto[proto] = append(byProto[proto], sv)
			}
		}
		p.mu.Unlock()
	}
	sets := make(map[string]*sdk.ServerSet, len(byProto))
	for proto, servers := range byProto {
		sets[proto] = sdk.NewServerSet(servers)
	}
	m.servers.Store(&sets)
	// The serverName rule changed: plugins drop the answers it gave.
	if rc, ok := m.opts.Finder.(pluginhost.ReplyCacher); ok {
		rc.ReplyCache().Invalidate()
	}
}

// ServerSet is the servers the running listeners of a protocol have (nil:
// none), for the serverName rule (resolve.ServerDirectory).
func (m *Manager) ServerSet(protocol string) *sdk.ServerSet {
	if m == nil {
		return nil
	}
	sets := m.servers.Load()
	if sets == nil {
		return nil
	}
	return (*sets)[protocol]
}

// markDefaults copies a plugin's servers for the API: the protocol filled
// in when the plugin has one, and Default set on the server the rule picks.
func (m *Manager) markDefaults(protocols []string, servers []sdk.Server) []sdk.Server {
	out := make([]sdk.Server, len(servers))
	for i, sv := range servers {
		if sv.Protocol == "" && len(protocols) == 1 {
			sv.Protocol = protocols[0]
		}
		if set := m.ServerSet(sv.Protocol); set != nil {
			def, ok := set.Default(sv.Namespace)
			sv.Default = ok && def == sv.Name
		}
		out[i] = sv
	}
	return out
}

// validateSettings checks settings against the plugin's JSON Schema; a
// violation is a *SettingsError naming the field.
func validateSettings(schema, settings json.RawMessage) error {
	var doc any
	if err := json.Unmarshal(settings, &doc); err != nil {
		return &SettingsError{Message: fmt.Sprintf("not JSON: %v", err)}
	}
	if _, ok := doc.(map[string]any); !ok {
		return &SettingsError{Message: "settings must be a JSON object"}
	}
	if len(bytes.TrimSpace(schema)) == 0 {
		if m := doc.(map[string]any); len(m) > 0 {
			return &SettingsError{Message: "the plugin takes no settings"}
		}
		return nil
	}
	s, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return fmt.Errorf("the plugin's settings schema is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("settings.json", s); err != nil {
		return err
	}
	sch, err := c.Compile("settings.json")
	if err != nil {
		return fmt.Errorf("the plugin's settings schema does not compile: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(settings))
	if err != nil {
		return &SettingsError{Message: err.Error()}
	}
	err = sch.Validate(inst)
	if err == nil {
		return nil
	}
	// The first line names the schema file; the rest says what is wrong where.
	lines := strings.Split(err.Error(), "\n")
	if len(lines) > 1 {
		lines = lines[1:]
	}
	for i := range lines {
		lines[i] = strings.TrimPrefix(strings.TrimSpace(lines[i]), "- ")
	}
	out := &SettingsError{Message: strings.Join(lines, "; ")}
	var ve *jsonschema.ValidationError
	if errors.As(err, &ve) {
		out.Field = violationField(ve, inst)
	}
	return out
}

// violationField names the setting of the first violation: its location,
// and the property a "required" or "additionalProperties" violation is about.
func violationField(ve *jsonschema.ValidationError, doc any) string {
	for len(ve.Causes) > 0 {
		ve = ve.Causes[0]
	}
	loc := append([]string(nil), ve.InstanceLocation...)
	switch k := ve.ErrorKind.(type) {
	case *kind.Required:
		if len(k.Missing) > 0 {
			loc = append(loc, k.Missing[0])
		}
	case *kind.AdditionalProperties:
		if len(k.Properties) > 0 {
			loc = append(loc, k.Properties[0])
		}
	}
	var b strings.Builder
	cur := doc
	for _, seg := range loc {
		if list, ok := cur.([]any); ok {
			b.WriteString("[" + seg + "]")
			if i, err := strconv.Atoi(seg); err == nil && i >= 0 && i < len(list) {
				cur = list[i]
			} else {
				cur = nil
			}
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(seg)
		if obj, ok := cur.(map[string]any); ok {
			cur = obj[seg]
		} else {
			cur = nil
		}
	}
	return b.String()
}

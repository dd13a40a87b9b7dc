// Package fuzz is the host's side of security fuzzing (api-reference
// section 9, model-tools.md §3): configs, runs and findings are kept here;
// the fuzzer plugin sends the requests and judges the answers.
package fuzz

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/objects"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/sdk/fuzzjob"
)

// Object kinds.
const (
	KindConfig  = "fuzz-config"
	KindFinding = "fuzz-finding"
)

func newID() string { return uuid.NewString() }

// Seed is one seed request (model-tools §3.2).
type Seed = fuzzjob.Seed

// Options are FuzzConfig.options; the fuzzer reads them, the host checks
// them. Options the server does not use (grpcAddress, llmEnabled, ...) are
// kept as sent.
type Options struct {
	Concurrency      int               `json:"concurrency,omitempty"`
	MaxRPS           int               `json:"maxRps,omitempty"`
	MaxRequests      int64             `json:"maxRequests,omitempty"`
	MaxDuration      string            `json:"maxDuration,omitempty"`
	TimeoutPerReq    string            `json:"timeoutPerReq,omitempty"`
	MutationDepth    int               `json:"mutationDepth,omitempty"`
	StopOnCritical   bool              `json:"stopOnCritical,omitempty"`
	StopOnFinding    bool              `json:"stopOnFinding,omitempty"`
	FollowRedirects  bool              `json:"followRedirects,omitempty"`
	VerifyFindings   bool              `json:"verifyFindings,omitempty"`
	StatusCodeAlerts []int             `json:"statusCodeAlerts,omitempty"`
	AuthHeader       string            `json:"authHeader,omitempty"`
	CustomHeaders    map[string]string `json:"customHeaders,omitempty"`
	IncludeRoutes    []string          `json:"includeRoutes,omitempty"`
	ExcludeRoutes    []string          `json:"excludeRoutes,omitempty"`
	// GraphQL sources: the endpoint (or targetBaseUrl + graphqlPath,
	// default /graphql), introspected for its operations unless
	// graphqlQuery names the one to fuzz.
	GraphQLEndpoint  string `json:"graphqlEndpoint,omitempty"`
	GraphQLPath      string `json:"graphqlPath,omitempty"`
	GraphQLQuery     string `json:"graphqlQuery,omitempty"`
	GraphQLOperation string `json:"graphqlOperation,omitempty"`
	// gRPC sources: the server (or a grpc:// targetBaseUrl), its methods
	// read by reflection, narrowed to these services and methods.
	GRPCAddress  string   `json:"grpcAddress,omitempty"`
	GRPCServices []string `json:"grpcServices,omitempty"`
	GRPCMethods  []string `json:"grpcMethods,omitempty"`
	GRPCUseTLS   bool     `json:"grpcUseTls,omitempty"`
	// Message sources: each seed's body is a message to the WebSocket,
	// Kafka topic or RabbitMQ exchange these name.
	WebSocketURL   string `json:"websocketUrl,omitempty"`
	KafkaBrokers   string `json:"kafkaBrokers,omitempty"`
	KafkaTopic     string `json:"kafkaTopic,omitempty"`
	AMQPURL        string `json:"amqpUrl,omitempty"`
	AMQPExchange   string `json:"amqpExchange,omitempty"`
	AMQPRoutingKey string `json:"amqpRoutingKey,omitempty"`

	Extra map[string]json.RawMessage `json:"-"`
}

// Source is the config's kind of source (fuzzjob.SourceKind).
func (c *Config) Source() string {
	o := c.Options
	var protocol string
	_ = json.Unmarshal(c.Extra["protocol"], &protocol)
	return fuzzjob.SourceKind(c.SourceType, protocol, c.TargetBaseURL, fuzzjob.SourceHints{GraphQLEndpoint: o.GraphQLEndpoint,
		GRPCAddress: o.GRPCAddress, WebSocketURL: o.WebSocketURL, KafkaBrokers: o.KafkaBrokers, AMQPURL: o.AMQPURL})
}

// GraphQLEndpoint is where a GraphQL source is served ("" when the config
// is not one, or names none).
func (c *Config) GraphQLEndpoint() string {
	o := c.Options
	switch {
	case c.Source() != fuzzjob.SourceGraphQL:
		return ""
	case o.GraphQLEndpoint != "":
		return o.GraphQLEndpoint
	case c.TargetBaseURL == "":
		return ""
	}
	p := o.GraphQLPath
	if p == "" {
		p = "/graphql"
	}
	return strings.TrimRight(c.TargetBaseURL, "/") + "/" + strings.TrimLeft(p, "/")
}

type optionsFieldsOnly Options

// UnmarshalJSON reads the known fields and keeps the others.
func (o *Options) UnmarshalJSON(b []byte) error {
	var known optionsFieldsOnly
	extra, err := decodeKeeping(b, &known)
	*o = Options(known)
	o.Extra = extra
	return err
}

// MarshalJSON writes the known fields and the kept ones.
func (o Options) MarshalJSON() ([]byte, error) { return encodeKeeping(optionsFieldsOnly(o), o.Extra) }

// Config is a FuzzConfig (model-tools §3.2). Fields the server does not
// use (the SDKs' annotations: protocol, reporter, mutators, assertions,
// _sdkMeta, ...) are kept as sent.
type Config struct {
	ID                string   `json:"id"`
	Name              string   `json:"name"`
	Namespace         string   `json:"namespace"`
	Description       string   `json:"description,omitempty"`
	SourceType        string   `json:"sourceType,omitempty"`
	TargetBaseURL     string   `json:"targetBaseUrl"`
	Strategy          string   `json:"strategy"`
	PayloadCategories []string `json:"payloadCategories"`
	SeedRequests      []Seed   `json:"seedRequests"`
	OpenAPISpec       string   `json:"openapiSpec,omitempty"`
	Options           Options  `json:"options"`
	SortOrder         int64    `json:"sortOrder"`
	CreatedAt         string   `json:"createdAt,omitempty"`
	UpdatedAt         string   `json:"updatedAt,omitempty"`

	Extra map[string]json.RawMessage `json:"-"`
}

type configFieldsOnly Config

// UnmarshalJSON reads the known fields and keeps the others.
func (c *Config) UnmarshalJSON(b []byte) error {
	var known configFieldsOnly
	extra, err := decodeKeeping(b, &known)
	*c = Config(known)
	c.Extra = extra
	return err
}

// MarshalJSON writes the known fields and the kept ones.
func (c Config) MarshalJSON() ([]byte, error) { return encodeKeeping(configFieldsOnly(c), c.Extra) }

// decodeKeeping decodes b into known (a struct pointer) and returns the
// members of b that known has no field for.
func decodeKeeping(b []byte, known any) (map[string]json.RawMessage, error) {
	if err := json.Unmarshal(b, known); err != nil {
		return nil, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, err
	}
	names := jsonNames(reflect.TypeOf(known).Elem())
	var extra map[string]json.RawMessage
	for k, v := range all {
		if !names[k] {
			if extra == nil {
				extra = map[string]json.RawMessage{}
			}
			extra[k] = v
		}
	}
	return extra, nil
}

// encodeKeeping writes known and the kept members beside it.
func encodeKeeping(known any, extra map[string]json.RawMessage) ([]byte, error) {
	b, err := json.Marshal(known)
	if err != nil || len(extra) == 0 {
		return b, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, err
	}
	names := jsonNames(reflect.TypeOf(known))
	for k, v := range extra {
		if !names[k] {
			all[k] = v
		}
	}
	return json.Marshal(all)
}

// jsonNames are the JSON names of a struct's fields.
func jsonNames(t reflect.Type) map[string]bool {
	out := map[string]bool{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out[name] = true
		}
	}
	return out
}

// Bounds of a config.
const (
	maxSeeds       = 1000
	maxConcurrency = 256
	maxRequests    = 10_000_000
)

// targetSchemes are the schemes a targetBaseUrl may have: HTTP, and the
// other sources' (model-tools §3.2: the Go DSL writes kafka://<brokers>).
var targetSchemes = map[string]bool{"http": true, "https": true, "grpc": true, "grpcs": true, "ws": true, "wss": true,
	"kafka": true, "amqp": true, "amqps": true}

// checkConfig says what is wrong with a config, as a field error.
func checkConfig(c *Config) error {
	fe := func(field, format string, args ...any) error {
		return &model.FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
	}
	if c.TargetBaseURL != "" {
		u, err := url.Parse(c.TargetBaseURL)
		if err != nil || !targetSchemes[u.Scheme] || u.Host == "" {
			return fe("targetBaseUrl", "a URL with a host, such as http://localhost:8080 (or grpc://, ws://, kafka://, amqp://)")
		}
	}
	kind := c.Source()
	gql := c.GraphQLEndpoint()
	switch {
	case kind == fuzzjob.SourceGraphQL && gql == "":
		return fe("options.graphqlEndpoint", "a GraphQL source needs options.graphqlEndpoint or a targetBaseUrl")
	case gql != "":
		if u, err := url.Parse(gql); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fe("options.graphqlEndpoint", "an http or https URL, such as http://localhost:8080/graphql (or a targetBaseUrl)")
		}
	case kind == fuzzjob.SourceGRPC && c.Options.GRPCAddress == "" && !strings.HasPrefix(c.TargetBaseURL, "grpc"):
		return fe("options.grpcAddress", "a gRPC source needs options.grpcAddress (host:port) or a grpc:// targetBaseUrl")
	}
	discovered := kind == fuzzjob.SourceGraphQL || kind == fuzzjob.SourceGRPC // seeds come from the endpoint
	if len(c.SeedRequests) == 0 && strings.TrimSpace(c.OpenAPISpec) == "" && !discovered {
		return fe("seedRequests", "give at least one seed request (or an openapiSpec, a GraphQL endpoint or a gRPC server to make them from)")
	}
	if len(c.SeedRequests) > maxSeeds {
		return fe("seedRequests", "at most %d seed requests", maxSeeds)
	}
	messages := kind == fuzzjob.SourceWebSocket || kind == fuzzjob.SourceKafka || kind == fuzzjob.SourceRabbitMQ
	for i, s := range c.SeedRequests {
		if s.URL == "" && c.TargetBaseURL == "" && !messages {
			return fe(fmt.Sprintf("seedRequests[%d].url", i), "a seed without url needs the config's targetBaseUrl")
		}
	}
	o := c.Options
	if o.Concurrency < 0 || o.Concurrency > maxConcurrency {
		return fe("options.concurrency", "0 (the default, 8) to %d", maxConcurrency)
	}
	if o.MaxRequests < 0 || o.MaxRequests > maxRequests {
		return fe("options.maxRequests", "0 (the default, 10000) to %d", maxRequests)
	}
	if o.MaxRPS < 0 {
		return fe("options.maxRps", "cannot be negative")
	}
	for field, v := range map[string]string{"options.maxDuration": o.MaxDuration, "options.timeoutPerReq": o.TimeoutPerReq} {
		if v == "" {
			continue
		}
		if d, err := time.ParseDuration(v); err != nil || d < 0 {
			return fe(field, "a duration such as \"30s\" or \"5m\"")
		}
	}
	return nil
}

// Service keeps fuzz configs and findings.
type Service struct {
	st *store.Store
}

// NewService returns the service over a store.
func NewService(st *store.Store) *Service { return &Service{st: st} }

// Store is the service's store.
func (s *Service) Store() *store.Store { return s.st }

var configs = &objects.Kind[Config, *Service]{Name: KindConfig,
	Of: func(o *store.TesterObject) (*Config, error) {
		var c Config
		if err := objects.Decode(o, &c); err != nil {
			return nil, err
		}
		c.ID, c.Namespace, c.Name = o.ID, o.Namespace, o.Name
		c.CreatedAt, c.UpdatedAt = objects.ISO(o.CreatedMs), objects.ISO(o.UpdatedMs)
		if c.PayloadCategories == nil {
			c.PayloadCategories = []string{}
		}
		if c.SeedRequests == nil {
			c.SeedRequests = []Seed{}
		}
		return &c, nil
	},
	Object: func(namespace string, c *Config) (*store.TesterObject, error) {
		o := &store.TesterObject{Kind: KindConfig, ID: c.ID, Namespace: namespace, Name: c.Name, SortOrder: c.SortOrder}
		return o, objects.Encode(o, c)
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
	return configs.Delete(ctx, s, id, "fuzz config")
}

// ReorderConfigs puts the configs of ids first in that order (sortOrder 0,
// 1, ...), the namespace's others after them in their order, and returns
// the namespace's configs as now listed.
func (s *Service) ReorderConfigs(ctx context.Context, namespace string, ids []string) ([]Config, error) {
	list, err := s.Configs(ctx, namespace, nil)
	if err != nil {
		return nil, err
	}
	pos := map[string]int{}
	for i, id := range ids {
		if _, dup := pos[id]; dup {
			return nil, &model.FieldError{Field: fmt.Sprintf("ids[%d]", i), Message: fmt.Sprintf("%q is listed twice", id)}
		}
		pos[id] = i
	}
	found := map[string]bool{}
	for _, c := range list {
		found[c.ID] = true
	}
	for i, id := range ids {
		if !found[id] {
			return nil, &model.FieldError{Field: fmt.Sprintf("ids[%d]", i), Message: fmt.Sprintf("fuzz config %q is not in namespace %q", id, namespace)}
		}
	}
	var objs []*store.TesterObject
	next := int64(len(ids))
	for i := range list {
		c := &list[i]
		if p, ok := pos[c.ID]; ok {
			c.SortOrder = int64(p)
		} else {
			c.SortOrder = next
			next++
		}
		o, err := configs.Object(namespace, c)
		if err != nil {
			return nil, err
		}
		objs = append(objs, o)
	}
	if err := s.st.PutTesterObjects(ctx, objs...); err != nil {
		return nil, err
	}
	return s.Configs(ctx, namespace, nil)
}

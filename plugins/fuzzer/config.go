package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/mockarty-oss/mockarty/plugins/fuzzer/engine"
	"github.com/mockarty-oss/mockarty/sdk/fuzzjob"
)

// RunConfig is a FuzzConfig as the API takes it (model-tools.md §3.2):
// the fields the engine uses; the rest are the host's.
type RunConfig struct {
	TargetBaseURL     string        `json:"targetBaseUrl"`
	Strategy          string        `json:"strategy"`
	PayloadCategories []string      `json:"payloadCategories"`
	SeedRequests      []engine.Seed `json:"seedRequests"`
	OpenAPISpec       string        `json:"openapiSpec"`
	Options           RunOptions    `json:"options"`
	SourceType        string        `json:"sourceType"`
	Protocol          string        `json:"protocol"`
}

// source is the config's kind of source (fuzzjob.SourceKind).
func (c *RunConfig) source() string {
	o := c.Options
	return fuzzjob.SourceKind(c.SourceType, c.Protocol, c.TargetBaseURL, fuzzjob.SourceHints{GraphQLEndpoint: o.GraphQLEndpoint,
		GRPCAddress: o.GRPCAddress, WebSocketURL: o.WebSocketURL, KafkaBrokers: o.KafkaBrokers, AMQPURL: o.AMQPURL})
}

// graphQLEndpoint is where a GraphQL source is served ("" when the config
// is not one): options.graphqlEndpoint, or targetBaseUrl + graphqlPath
// (default /graphql).
func (c *RunConfig) graphQLEndpoint() string {
	o := c.Options
	if c.source() != fuzzjob.SourceGraphQL {
		return ""
	}
	if o.GraphQLEndpoint != "" {
		return o.GraphQLEndpoint
	}
	p := o.GraphQLPath
	if p == "" {
		p = "/graphql"
	}
	return strings.TrimRight(c.TargetBaseURL, "/") + "/" + strings.TrimLeft(p, "/")
}

// headers are what every request of the run carries.
func (o RunOptions) headers() map[string]string {
	h := map[string]string{}
	for k, v := range o.CustomHeaders {
		h[k] = v
	}
	if o.AuthHeader != "" {
		h["Authorization"] = o.AuthHeader
	}
	return h
}

// RunOptions are FuzzConfig.options; durations are Go duration strings ("5m").
type RunOptions struct {
	Concurrency      int               `json:"concurrency"`
	MaxRPS           int               `json:"maxRps"`
	MaxRequests      int64             `json:"maxRequests"`
	MaxDuration      string            `json:"maxDuration"`
	TimeoutPerReq    string            `json:"timeoutPerReq"`
	StopOnCritical   bool              `json:"stopOnCritical"`
	StopOnFinding    bool              `json:"stopOnFinding"`
	VerifyFindings   bool              `json:"verifyFindings"`
	FollowRedirects  bool              `json:"followRedirects"`
	StatusCodeAlerts []int             `json:"statusCodeAlerts"`
	AuthHeader       string            `json:"authHeader"`
	CustomHeaders    map[string]string `json:"customHeaders"`
	IncludeRoutes    []string          `json:"includeRoutes"`
	ExcludeRoutes    []string          `json:"excludeRoutes"`
	GraphQLEndpoint  string            `json:"graphqlEndpoint"`
	GraphQLPath      string            `json:"graphqlPath"`
	GraphQLQuery     string            `json:"graphqlQuery"`
	GraphQLOperation string            `json:"graphqlOperation"`
	GRPCAddress      string            `json:"grpcAddress"`
	GRPCServices     []string          `json:"grpcServices"`
	GRPCMethods      []string          `json:"grpcMethods"`
	GRPCUseTLS       bool              `json:"grpcUseTls"`
	WebSocketURL     string            `json:"websocketUrl"`
	KafkaBrokers     string            `json:"kafkaBrokers"`
	KafkaTopic       string            `json:"kafkaTopic"`
	// KafkaReplyTopic: the topic the consumer answers on (records carry
	// a mockarty-fuzz-id header that its answer repeats).
	KafkaReplyTopic string `json:"kafkaReplyTopic"`
	AMQPURL         string `json:"amqpUrl"`
	AMQPExchange    string `json:"amqpExchange"`
	AMQPRoutingKey  string `json:"amqpRoutingKey"`
	// AMQPRPC: the consumer answers each message on its replyTo queue
	// with its correlationId.
	AMQPRPC bool `json:"amqpRpc"`
}

// grpcAddress is the server of a gRPC source ("" when the config is not
// one): options.grpcAddress, or a grpc:// targetBaseUrl.
func (c *RunConfig) grpcAddress() string {
	switch {
	case c.source() != fuzzjob.SourceGRPC:
		return ""
	case c.Options.GRPCAddress != "":
		return c.Options.GRPCAddress
	}
	return c.TargetBaseURL
}

// engineConfig checks the config and turns it into the engine's.
func (c *RunConfig) engineConfig() (engine.Config, error) {
	o := c.Options
	maxDur, err := duration("options.maxDuration", o.MaxDuration)
	if err != nil {
		return engine.Config{}, err
	}
	perReq, err := duration("options.timeoutPerReq", o.TimeoutPerReq)
	if err != nil {
		return engine.Config{}, err
	}
	if o.Concurrency < 0 || o.MaxRPS < 0 || o.MaxRequests < 0 {
		return engine.Config{}, fmt.Errorf("options: concurrency, maxRps and maxRequests cannot be negative")
	}
	return engine.Config{TargetBaseURL: c.TargetBaseURL, Strategy: c.Strategy, Categories: c.PayloadCategories,
		Seeds: c.SeedRequests, OpenAPISpec: []byte(c.OpenAPISpec),
		Options: engine.Options{Concurrency: o.Concurrency, MaxRPS: o.MaxRPS, MaxRequests: o.MaxRequests, MaxDuration: maxDur,
			TimeoutPerReq: perReq, StopOnCritical: o.StopOnCritical, StopOnFinding: o.StopOnFinding, VerifyFindings: o.VerifyFindings,
			FollowRedirects: o.FollowRedirects, StatusCodeAlerts: o.StatusCodeAlerts, AuthHeader: o.AuthHeader,
			CustomHeaders: o.CustomHeaders, IncludeRoutes: o.IncludeRoutes, ExcludeRoutes: o.ExcludeRoutes}}, nil
}

// duration reads a Go duration string ("" is 0: the default).
func duration(field, s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s %q: a duration such as \"30s\" or \"5m\" is needed", field, s)
	}
	return d, nil
}

// Package fuzzjob is the job wire between the host's fuzzing API and the
// fuzzer tool plugin: a run's config and network policy, the seeds, and
// the findings the plugin reports (model-tools.md §3).
package fuzzjob

import (
	"encoding/json"
	"strings"
)

// The fuzzer plugin's job kind, product and actions.
const (
	// KindRun is a fuzz run; its params are a Job.
	KindRun = "fuzz.run"
	// ItemFinding is the ItemKind of a finding reported while a run goes.
	ItemFinding = "finding"
	// ActionCategories lists the payload categories.
	ActionCategories = "categories"
	// ActionReplay sends a finding's request again; its params are a Replay.
	ActionReplay = "replay"
	// ActionIntrospectGraphQL lists a GraphQL endpoint's operations as the
	// run would fuzz them; its params are an Introspect.
	ActionIntrospectGraphQL = "introspect-graphql"
	// ActionDiscoverGRPC lists a gRPC server's methods (by reflection) as
	// the seeds a run would fuzz; its params are a Discover.
	ActionDiscoverGRPC = "discover-grpc"
)

// Job is a KindRun job's params.
type Job struct {
	// Config is the run's FuzzConfig as the API takes it.
	Config json.RawMessage `json:"config"`
	// AllowPrivate and AllowHosts are where requests may go, as for the
	// API tester (the server's own listeners are allowed).
	AllowPrivate bool     `json:"allowPrivate,omitempty"`
	AllowHosts   []string `json:"allowHosts,omitempty"`
	// CanaryURL + token is a callback URL the host records fetches of;
	// CanaryCheckURL + token answers {"hit": bool} (none: no SSRF check).
	CanaryURL      string `json:"canaryUrl,omitempty"`
	CanaryCheckURL string `json:"canaryCheckUrl,omitempty"`
}

// Replay is an ActionReplay's params.
type Replay struct {
	Finding      Finding  `json:"finding"`
	AllowPrivate bool     `json:"allowPrivate,omitempty"`
	AllowHosts   []string `json:"allowHosts,omitempty"`
}

// Introspect is an ActionIntrospectGraphQL's params.
type Introspect struct {
	Endpoint     string            `json:"endpoint"`
	Headers      map[string]string `json:"headers,omitempty"`
	AllowPrivate bool              `json:"allowPrivate,omitempty"`
	AllowHosts   []string          `json:"allowHosts,omitempty"`
}

// Discover is an ActionDiscoverGRPC's params.
type Discover struct {
	Address      string   `json:"address"`
	UseTLS       bool     `json:"useTls,omitempty"`
	Services     []string `json:"services,omitempty"`
	Methods      []string `json:"methods,omitempty"`
	AllowPrivate bool     `json:"allowPrivate,omitempty"`
	AllowHosts   []string `json:"allowHosts,omitempty"`
}

// Seed is one seed request (model-tools §3.2).
type Seed struct {
	ID          string            `json:"id"`
	Name        string            `json:"name,omitempty"`
	Method      string            `json:"method,omitempty"`
	URL         string            `json:"url,omitempty"`
	Path        string            `json:"path,omitempty"`
	Body        string            `json:"body,omitempty"`
	ContentType string            `json:"contentType,omitempty"`
	Headers     map[string]string `json:"headers,omitempty"`
	QueryParams map[string]string `json:"queryParams,omitempty"`
	PathParams  map[string]string `json:"pathParams,omitempty"`
	// Operation names the seed's requests in findings when the path does
	// not (a GraphQL field: "query user"); empty: "METHOD /path".
	Operation string `json:"operation,omitempty"`
	// Fixed are top-level fields of the JSON body the run leaves alone (a
	// GraphQL request's query: its variables are what is fuzzed).
	Fixed []string `json:"fixed,omitempty"`
}

// Finding is one problem as the plugin reports it, however many requests
// showed it (model-tools §3.4: the host adds id, runId, triage).
type Finding struct {
	Severity        string            `json:"severity"`
	Category        string            `json:"category"`
	Title           string            `json:"title"`
	Description     string            `json:"description"`
	RequestMethod   string            `json:"requestMethod"`
	RequestURL      string            `json:"requestUrl"`
	RequestBody     string            `json:"requestBody"`
	RequestHeaders  map[string]string `json:"requestHeaders"`
	ResponseStatus  int               `json:"responseStatus"`
	ResponseTimeMs  int64             `json:"responseTimeMs"`
	ResponseBody    string            `json:"responseBody"`
	ResponseHeaders map[string]string `json:"responseHeaders"`
	MutationApplied string            `json:"mutationApplied"`
	OriginalSeedID  string            `json:"originalSeedId"`
	// Fingerprint groups the requests that show the same problem:
	// operation, check, status and signature.
	Fingerprint string `json:"fingerprint"`
	// Count is how many requests showed it.
	Count int64 `json:"reproduceCount"`
}

// Source kinds of a FuzzConfig.
const (
	SourceHTTP      = "http"
	SourceGraphQL   = "graphql"
	SourceGRPC      = "grpc"
	SourceWebSocket = "websocket"
	SourceKafka     = "kafka"
	SourceRabbitMQ  = "rabbitmq"
)

// SourceHints are what says a config's source besides its sourceType and
// protocol: the options that name an endpoint of one kind.
type SourceHints struct {
	GraphQLEndpoint, GRPCAddress, WebSocketURL, KafkaBrokers, AMQPURL string
}

// SourceKind says what a config fuzzes (model-tools §3.2): its sourceType
// or, failing that, its protocol when either names a non-HTTP source;
// otherwise the scheme of its targetBaseUrl (grpc://, ws://, kafka://,
// amqp://); otherwise, when neither sourceType nor protocol is set, the
// option naming an endpoint. Anything else is HTTP (the SDKs' manual,
// curl, openapi, collection, recorder and mock sources).
func SourceKind(sourceType, protocol, targetBaseURL string, h SourceHints) string {
	for _, k := range []string{sourceType, protocol} {
		switch k {
		case SourceGraphQL, SourceGRPC, SourceWebSocket, SourceKafka, SourceRabbitMQ:
			return k
		}
	}
	scheme, _, _ := strings.Cut(targetBaseURL, "://")
	switch strings.ToLower(scheme) {
	case "grpc", "grpcs":
		return SourceGRPC
	case "ws", "wss":
		return SourceWebSocket
	case "kafka":
		return SourceKafka
	case "amqp", "amqps":
		return SourceRabbitMQ
	}
	if sourceType == "" && protocol == "" {
		switch {
		case h.GRPCAddress != "":
			return SourceGRPC
		case h.GraphQLEndpoint != "":
			return SourceGraphQL
		case h.WebSocketURL != "":
			return SourceWebSocket
		case h.KafkaBrokers != "":
			return SourceKafka
		case h.AMQPURL != "":
			return SourceRabbitMQ
		}
	}
	return SourceHTTP
}

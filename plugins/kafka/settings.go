package main

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"maps"
	"net"
	"slices"
	"time"

	"github.com/IBM/sarama"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/certs"
	"github.com/xdg-go/scram"
)

// Settings of the Kafka listener.
type Settings struct {
	// Namespace whose Kafka mocks are served.
	Namespace string `json:"namespace"`
	// Servers are the Kafka clusters by name: a mock's serverName picks
	// one, a mock without a serverName uses "default" (or the only one).
	// None: the embedded broker serves every mock.
	Servers map[string]*Server `json:"servers"`
	// Embedded is the Kafka-protocol broker run when no server is set.
	Embedded EmbeddedSettings `json:"embedded"`
}

// Server is one Kafka cluster.
type Server struct {
	Brokers []string `json:"brokers"`
	SASL    *SASL    `json:"sasl"`
	TLS     *TLS     `json:"tls"`
	// Version is the Kafka protocol version sarama speaks (default 2.8.0).
	Version string `json:"version"`
	// ClientID is sent to the brokers (default mockarty-kafka).
	ClientID string `json:"clientId"`
	// CreateTopics creates the mocks' topics that are missing (default
	// true), for clusters whose auto.create.topics.enable is off.
	CreateTopics *bool `json:"createTopics"`
	// Partitions and ReplicationFactor of the topics created (default 1).
	Partitions        int32 `json:"partitions"`
	ReplicationFactor int16 `json:"replicationFactor"`

	name    string
	version sarama.KafkaVersion
}

// SASL authentication (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512).
type SASL struct {
	Mechanism string `json:"mechanism"`
	Username  string `json:"username"`
	Password  string `json:"password"`
}

// TLS of the connections to a cluster.
type TLS = certs.ClientTLS

// EmbeddedSettings configure the embedded broker.
type EmbeddedSettings struct {
	// Address to listen on (default 127.0.0.1:9092; port 0 picks one).
	Address string `json:"address"`
	// AdvertisedAddress is the host:port clients are told to connect to
	// (default: the address listened on).
	AdvertisedAddress string `json:"advertisedAddress"`
	// Partitions of the topics it creates (default 1).
	Partitions int32 `json:"partitions"`
}

const defaultEmbeddedAddress = "127.0.0.1:9092"

var settingsSchema = `{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "namespace": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"},
    "servers": {
      "type": "object",
      "propertyNames": {"minLength": 1, "maxLength": 200},
      "additionalProperties": {
        "type": "object",
        "additionalProperties": false,
        "required": ["brokers"],
        "properties": {
          "brokers": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 3}},
          "sasl": {
            "type": "object",
            "additionalProperties": false,
            "required": ["username"],
            "properties": {
              "mechanism": {"enum": ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]},
              "username": {"type": "string", "minLength": 1},
              "password": {"type": "string"}
            }
          },
          "tls": {
            "type": "object",
            "additionalProperties": false,
            "properties": {
              "caFile": {"type": "string"},
              "certFile": {"type": "string"},
              "keyFile": {"type": "string"},
              "serverName": {"type": "string"},
              "insecureSkipVerify": {"type": "boolean"}
            }
          },
          "version": {"type": "string", "pattern": "^[0-9]+\\.[0-9]+\\.[0-9]+(\\.[0-9]+)?$"},
          "clientId": {"type": "string", "minLength": 1, "maxLength": 200},
          "createTopics": {"type": "boolean"},
          "partitions": {"type": "integer", "minimum": 1, "maximum": 10000},
          "replicationFactor": {"type": "integer", "minimum": 1, "maximum": 100}
        }
      }
    },
    "embedded": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "address": {"type": "string", "minLength": 1},
        "advertisedAddress": {"type": "string", "minLength": 1},
        "partitions": {"type": "integer", "minimum": 1, "maximum": 1000}
      }
    }
  }
}`

// parseSettings reads and checks the settings, filling in defaults.
func parseSettings(raw json.RawMessage) (*Settings, error) {
	s := &Settings{Namespace: "sandbox"}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, s); err != nil {
			return nil, fmt.Errorf("settings: %w", err)
		}
	}
	if s.Namespace == "" {
		s.Namespace = "sandbox"
	}
	if s.Embedded.Address == "" {
		s.Embedded.Address = defaultEmbeddedAddress
	}
	if _, _, err := net.SplitHostPort(s.Embedded.Address); err != nil {
		return nil, fmt.Errorf("settings: embedded.address %q: %v", s.Embedded.Address, err)
	}
	if a := s.Embedded.AdvertisedAddress; a != "" {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return nil, fmt.Errorf("settings: embedded.advertisedAddress %q: %v", a, err)
		}
	}
	if s.Embedded.Partitions <= 0 {
		s.Embedded.Partitions = 1
	}
	for name, srv := range s.Servers {
		if srv == nil {
			return nil, fmt.Errorf("settings: servers.%s: must be an object", name)
		}
		if err := srv.check(name); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (srv *Server) check(name string) error {
	srv.name = name
	if len(srv.Brokers) == 0 {
		return fmt.Errorf("settings: servers.%s.brokers must not be empty", name)
	}
	for _, b := range srv.Brokers {
		if _, _, err := net.SplitHostPort(b); err != nil {
			return fmt.Errorf("settings: servers.%s.brokers: %q is not host:port", name, b)
		}
	}
	srv.version = sarama.V2_8_0_0
	if srv.Version != "" {
		v, err := sarama.ParseKafkaVersion(srv.Version)
		if err != nil {
			return fmt.Errorf("settings: servers.%s.version: %v", name, err)
		}
		srv.version = v
	}
	if srv.ClientID == "" {
		srv.ClientID = "mockarty-kafka"
	}
	if srv.Partitions <= 0 {
		srv.Partitions = 1
	}
	if srv.ReplicationFactor <= 0 {
		srv.ReplicationFactor = 1
	}
	if srv.SASL != nil {
		switch srv.SASL.Mechanism {
		case "":
			srv.SASL.Mechanism = sarama.SASLTypePlaintext
		case sarama.SASLTypePlaintext, sarama.SASLTypeSCRAMSHA256, sarama.SASLTypeSCRAMSHA512:
		default:
			return fmt.Errorf("settings: servers.%s.sasl.mechanism %q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", name, srv.SASL.Mechanism)
		}
		if srv.SASL.Username == "" {
			return fmt.Errorf("settings: servers.%s.sasl.username is required", name)
		}
	}
	if t := srv.TLS; t != nil {
		if _, err := t.Config(); err != nil {
			return fmt.Errorf("settings: servers.%s.tls: %v", name, err)
		}
	}
	return nil
}

func (srv *Server) createTopics() bool { return srv.CreateTopics == nil || *srv.CreateTopics }

// saramaConfig is the client configuration for a cluster (srv nil: a
// plain connection, for outputBrokers that name no configured server).
func saramaConfig(srv *Server) (*sarama.Config, error) {
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_8_0_0
	cfg.ClientID = "mockarty-kafka"
	cfg.Net.DialTimeout = 10 * time.Second
	cfg.Metadata.AllowAutoTopicCreation = false
	// Consumers: a new group starts at the newest offset; offsets are
	// committed every second and when a session ends.
	cfg.Consumer.Offsets.Initial = sarama.OffsetNewest
	cfg.Consumer.Offsets.AutoCommit.Enable = true
	cfg.Consumer.Offsets.AutoCommit.Interval = time.Second
	cfg.Consumer.Return.Errors = true
	cfg.Consumer.MaxWaitTime = 100 * time.Millisecond
	cfg.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategyRoundRobin()}
	// Replies: sent at once (batched while a request is in flight), each
	// acknowledged by the leader; failures are logged.
	cfg.Producer.RequiredAcks = sarama.WaitForLocal
	cfg.Producer.Return.Successes = false
	cfg.Producer.Return.Errors = true
	cfg.Producer.Retry.Max = 5
	if srv == nil {
		return cfg, cfg.Validate()
	}
	cfg.Version = srv.version
	cfg.ClientID = srv.ClientID
	if srv.TLS != nil {
		tc, err := srv.TLS.Config()
		if err != nil {
			return nil, err
		}
		cfg.Net.TLS.Enable = true
		cfg.Net.TLS.Config = tc
	}
	if a := srv.SASL; a != nil {
		cfg.Net.SASL.Enable = true
		cfg.Net.SASL.Handshake = true
		cfg.Net.SASL.User = a.Username
		cfg.Net.SASL.Password = a.Password
		cfg.Net.SASL.Mechanism = sarama.SASLMechanism(a.Mechanism)
		switch a.Mechanism {
		case sarama.SASLTypeSCRAMSHA256:
			cfg.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &scramClient{hash: sha256.New} }
		case sarama.SASLTypeSCRAMSHA512:
			cfg.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &scramClient{hash: sha512.New} }
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("servers.%s: %w", srv.name, err)
	}
	return cfg, nil
}

// scramClient is sarama's SCRAM conversation over xdg-go/scram.
type scramClient struct {
	hash func() hash.Hash
	conv *scram.ClientConversation
}

func (c *scramClient) Begin(user, pass, authzID string) error {
	gen := scram.HashGeneratorFcn(c.hash)
	cl, err := gen.NewClient(user, pass, authzID)
	if err != nil {
		return err
	}
	c.conv = cl.NewConversation()
	return nil
}

func (c *scramClient) Step(challenge string) (string, error) {
	if c.conv == nil {
		return "", errors.New("scram: Begin was not called")
	}
	return c.conv.Step(challenge)
}

func (c *scramClient) Done() bool { return c.conv != nil && c.conv.Done() }

// serverSet is the listener's servers for the serverName rule: the
// configured clusters in name order, or the embedded broker, one server
// without a name that serves every mock.
func (s *Settings) serverSet() *sdk.ServerSet {
	return sdk.NewServerSet(s.serverList())
}

func (s *Settings) serverList() []sdk.Server {
	if len(s.Servers) == 0 {
		return []sdk.Server{{Name: "", Namespace: s.Namespace}}
	}
	var out []sdk.Server
	for _, name := range s.serverNames() {
		out = append(out, sdk.Server{Name: name, Namespace: s.Namespace})
	}
	return out
}

// serverNames are the configured servers' names in order.
func (s *Settings) serverNames() []string { return slices.Sorted(maps.Keys(s.Servers)) }

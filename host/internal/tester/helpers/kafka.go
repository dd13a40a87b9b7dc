package helpers

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/IBM/sarama"
)

// Brokers are Kafka bootstrap addresses: a JSON list, or one string of
// comma-separated addresses.
type Brokers []string

// UnmarshalJSON reads either shape.
func (b *Brokers) UnmarshalJSON(raw []byte) error {
	raw = bytes.TrimSpace(raw)
	var list []string
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return err
		}
		list = strings.Split(s, ",")
	} else if err := json.Unmarshal(raw, &list); err != nil {
		return err
	}
	*b = nil
	for _, s := range list {
		if s = strings.TrimSpace(s); s != "" {
			*b = append(*b, s)
		}
	}
	return nil
}

// KafkaTarget is a cluster to administer.
type KafkaTarget struct {
	Brokers Brokers `json:"brokers"`
	TLS     bool    `json:"tls"`
	// Username and Password, when Username is set, log in with SASL/PLAIN.
	Username string `json:"username"`
	Password string `json:"password"`
}

const maxBrokers = 100

// saramaDialer adapts the guard to sarama's proxy dialer, within the call's context.
type saramaDialer struct {
	ctx context.Context
	g   *Guard
}

func (d saramaDialer) Dial(network, addr string) (net.Conn, error) {
	return d.g.DialContext(d.ctx, network, addr)
}

// admin opens a cluster admin within ctx; done closes it. ctx ending
// (the timeout, or the API's client gone) closes it too, which ends the
// broker calls in flight.
func (t KafkaTarget) admin(ctx context.Context, g *Guard) (admin sarama.ClusterAdmin, cfg *sarama.Config, done func(), err error) {
	if len(t.Brokers) == 0 {
		return nil, nil, nil, Inputf("brokers", "is required: the bootstrap brokers as host:port (a list, or comma-separated)")
	}
	if len(t.Brokers) > maxBrokers {
		return nil, nil, nil, Inputf("brokers", "at most %d brokers", maxBrokers)
	}
	for _, b := range t.Brokers {
		host, port, err := net.SplitHostPort(b)
		if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
			return nil, nil, nil, Inputf("brokers", "%q is not host:port", b)
		}
	}
	for _, b := range t.Brokers {
		if err := g.Check(ctx, b); err != nil {
			return nil, nil, nil, Fail(ctx, "brokers", "kafka "+b, err)
		}
	}
	timeout := DefaultTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	}
	cfg = sarama.NewConfig()
	cfg.Version = sarama.V2_8_0_0
	cfg.ClientID = "mockarty-api-tester"
	cfg.Net.DialTimeout, cfg.Net.ReadTimeout, cfg.Net.WriteTimeout = timeout, timeout, timeout
	cfg.Net.Proxy.Enable = true
	cfg.Net.Proxy.Dialer = saramaDialer{ctx: ctx, g: g}
	cfg.Metadata.Retry.Max = 1
	cfg.Metadata.Retry.Backoff = 100 * time.Millisecond
	cfg.Admin.Retry.Max = 1
	cfg.Admin.Retry.Backoff = 100 * time.Millisecond
	cfg.Admin.Timeout = timeout
	if t.TLS {
		cfg.Net.TLS.Enable = true
		cfg.Net.TLS.Config = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if t.Username != "" {
		cfg.Net.SASL.Enable = true
		cfg.Net.SASL.Mechanism = sarama.SASLTypePlaintext
		cfg.Net.SASL.User, cfg.Net.SASL.Password = t.Username, t.Password
	}
	admin, err = sarama.NewClusterAdmin(t.Brokers, cfg)
	if err != nil {
		return nil, nil, nil, Fail(ctx, "brokers", "kafka "+strings.Join(t.Brokers, ","), err)
	}
	stop := context.AfterFunc(ctx, func() { _ = admin.Close() })
	return admin, cfg, func() {
		if stop() {
			_ = admin.Close()
		}
	}, nil
}

// kafkaFail classifies a broker's answer.
func kafkaFail(ctx context.Context, what string, err error) error {
	switch {
	case errors.Is(err, sarama.ErrTopicAlreadyExists):
		return &Error{Kind: KindConflict, Field: "topic", Message: what + ": the topic exists already", Err: err}
	case errors.Is(err, sarama.ErrUnknownTopicOrPartition):
		return &Error{Kind: KindNotFound, Field: "topic", Message: what + ": no such topic", Err: err}
	case errors.Is(err, sarama.ErrInvalidTopic):
		return &Error{Kind: KindInput, Field: "topic", Message: fmt.Sprintf("%s: %v", what, err), Err: err}
	case errors.Is(err, sarama.ErrInvalidPartitions):
		return &Error{Kind: KindInput, Field: "partitions", Message: fmt.Sprintf("%s: %v", what, err), Err: err}
	case errors.Is(err, sarama.ErrInvalidReplicationFactor):
		return &Error{Kind: KindInput, Field: "replicationFactor", Message: fmt.Sprintf("%s: %v", what, err), Err: err}
	case errors.Is(err, sarama.ErrInvalidConfig), errors.Is(err, sarama.ErrPolicyViolation):
		return &Error{Kind: KindInput, Field: "configs", Message: fmt.Sprintf("%s: %v", what, err), Err: err}
	}
	return Fail(ctx, "brokers", what, err)
}

// KafkaBroker is one broker of a cluster.
type KafkaBroker struct {
	ID      int32  `json:"id"`
	Address string `json:"address"`
	Rack    string `json:"rack,omitempty"`
}

// KafkaPartition is one partition's placement.
type KafkaPartition struct {
	ID       int32   `json:"id"`
	Leader   int32   `json:"leader"`
	Replicas []int32 `json:"replicas"`
	ISR      []int32 `json:"isr"`
	Error    string  `json:"error,omitempty"`
}

// KafkaTopicMetadata is a topic's placement.
type KafkaTopicMetadata struct {
	Name       string           `json:"name"`
	Internal   bool             `json:"internal"`
	Partitions []KafkaPartition `json:"partitions"`
	Error      string           `json:"error,omitempty"`
}

// KafkaMetadataResult is a cluster's metadata.
type KafkaMetadataResult struct {
	ClusterID    string               `json:"clusterId,omitempty"`
	ControllerID int32                `json:"controllerId"`
	Brokers      []KafkaBroker        `json:"brokers"`
	Topics       []KafkaTopicMetadata `json:"topics"`
}

// KafkaMetadata reads the cluster's brokers, controller and topics.
func KafkaMetadata(ctx context.Context, g *Guard, t KafkaTarget) (*KafkaMetadataResult, error) {
	admin, cfg, done, err := t.admin(ctx, g)
	if err != nil {
		return nil, err
	}
	defer done()
	ctrl, err := admin.Controller()
	if err != nil {
		return nil, kafkaFail(ctx, "kafka metadata", err)
	}
	resp, err := ctrl.GetMetadata(sarama.NewMetadataRequest(cfg.Version, nil))
	if err != nil {
		return nil, kafkaFail(ctx, "kafka metadata", err)
	}
	out := &KafkaMetadataResult{ControllerID: resp.ControllerID, Brokers: []KafkaBroker{}, Topics: []KafkaTopicMetadata{}}
	if resp.ClusterID != nil {
		out.ClusterID = *resp.ClusterID
	}
	for _, b := range resp.Brokers {
		out.Brokers = append(out.Brokers, KafkaBroker{ID: b.ID(), Address: b.Addr(), Rack: b.Rack()})
	}
	sort.Slice(out.Brokers, func(i, j int) bool { return out.Brokers[i].ID < out.Brokers[j].ID })
	for _, tm := range resp.Topics {
		ktm := KafkaTopicMetadata{Name: tm.Name, Internal: tm.IsInternal, Partitions: []KafkaPartition{}}
		if !errors.Is(tm.Err, sarama.ErrNoError) {
			ktm.Error = tm.Err.Error()
		}
		for _, p := range tm.Partitions {
			kp := KafkaPartition{ID: p.ID, Leader: p.Leader, Replicas: nonNil(p.Replicas), ISR: nonNil(p.Isr)}
			if !errors.Is(p.Err, sarama.ErrNoError) {
				kp.Error = p.Err.Error()
			}
			ktm.Partitions = append(ktm.Partitions, kp)
		}
		sort.Slice(ktm.Partitions, func(i, j int) bool { return ktm.Partitions[i].ID < ktm.Partitions[j].ID })
		out.Topics = append(out.Topics, ktm)
	}
	sort.Slice(out.Topics, func(i, j int) bool { return out.Topics[i].Name < out.Topics[j].Name })
	return out, nil
}

func nonNil(s []int32) []int32 {
	if s == nil {
		return []int32{}
	}
	return s
}

// KafkaTopic is a topic's settings.
type KafkaTopic struct {
	Name              string            `json:"name"`
	Partitions        int32             `json:"partitions"`
	ReplicationFactor int16             `json:"replicationFactor"`
	Configs           map[string]string `json:"configs,omitempty"`
}

// KafkaTopics lists the cluster's topics by name.
func KafkaTopics(ctx context.Context, g *Guard, t KafkaTarget) ([]KafkaTopic, error) {
	admin, _, done, err := t.admin(ctx, g)
	if err != nil {
		return nil, err
	}
	defer done()
	topics, err := admin.ListTopics()
	if err != nil {
		return nil, kafkaFail(ctx, "kafka list topics", err)
	}
	out := make([]KafkaTopic, 0, len(topics))
	for name, d := range topics {
		kt := KafkaTopic{Name: name, Partitions: d.NumPartitions, ReplicationFactor: d.ReplicationFactor}
		for k, v := range d.ConfigEntries {
			if v == nil {
				continue
			}
			if kt.Configs == nil {
				kt.Configs = map[string]string{}
			}
			kt.Configs[k] = *v
		}
		out = append(out, kt)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// topicName is Kafka's rule for a topic's name.
var topicName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,249}$`)

func checkTopic(name string) error {
	switch {
	case name == "":
		return Inputf("topic", "is required")
	case name == "." || name == ".." || !topicName.MatchString(name):
		return Inputf("topic", "%q: use 1-249 letters, digits, '.', '_' or '-'", name)
	}
	return nil
}

// KafkaCreateTopic creates a topic; partitions and replicationFactor
// default to 1, configs are topic configs (retention.ms ...).
func KafkaCreateTopic(ctx context.Context, g *Guard, t KafkaTarget, topic string, partitions int32, replication int16, configs map[string]string) error {
	if err := checkTopic(topic); err != nil {
		return err
	}
	switch {
	case partitions < 0 || partitions > 10000:
		return Inputf("partitions", "must be 1-10000 (0 or absent: 1)")
	case replication < 0:
		return Inputf("replicationFactor", "must be positive (0 or absent: 1)")
	}
	if partitions == 0 {
		partitions = 1
	}
	if replication == 0 {
		replication = 1
	}
	admin, _, done, err := t.admin(ctx, g)
	if err != nil {
		return err
	}
	defer done()
	detail := &sarama.TopicDetail{NumPartitions: partitions, ReplicationFactor: replication}
	if len(configs) > 0 {
		detail.ConfigEntries = map[string]*string{}
		for k, v := range configs {
			detail.ConfigEntries[k] = &v
		}
	}
	if err := admin.CreateTopic(topic, detail, false); err != nil {
		return kafkaFail(ctx, "kafka create topic "+topic, err)
	}
	return nil
}

// KafkaDeleteTopic deletes a topic.
func KafkaDeleteTopic(ctx context.Context, g *Guard, t KafkaTarget, topic string) error {
	if err := checkTopic(topic); err != nil {
		return err
	}
	admin, _, done, err := t.admin(ctx, g)
	if err != nil {
		return err
	}
	defer done()
	if err := admin.DeleteTopic(topic); err != nil {
		return kafkaFail(ctx, "kafka delete topic "+topic, err)
	}
	return nil
}

// KafkaGroup is a consumer group.
type KafkaGroup struct {
	GroupID      string `json:"groupId"`
	ProtocolType string `json:"protocolType"`
	State        string `json:"state,omitempty"`
	Protocol     string `json:"protocol,omitempty"`
	Members      int    `json:"members"`
	Error        string `json:"error,omitempty"`
}

// KafkaGroups lists the consumer groups with their state and member count.
func KafkaGroups(ctx context.Context, g *Guard, t KafkaTarget) ([]KafkaGroup, error) {
	admin, _, done, err := t.admin(ctx, g)
	if err != nil {
		return nil, err
	}
	defer done()
	groups, err := admin.ListConsumerGroups()
	if err != nil {
		return nil, kafkaFail(ctx, "kafka list consumer groups", err)
	}
	names := make([]string, 0, len(groups))
	for name := range groups {
		names = append(names, name)
	}
	sort.Strings(names)
	out := make([]KafkaGroup, 0, len(names))
	byName := map[string]*sarama.GroupDescription{}
	if len(names) > 0 {
		descs, err := admin.DescribeConsumerGroups(names)
		if err != nil {
			return nil, kafkaFail(ctx, "kafka describe consumer groups", err)
		}
		for _, d := range descs {
			byName[d.GroupId] = d
		}
	}
	for _, name := range names {
		kg := KafkaGroup{GroupID: name, ProtocolType: groups[name]}
		if d := byName[name]; d != nil {
			kg.State, kg.Protocol, kg.Members = d.State, d.Protocol, len(d.Members)
			if !errors.Is(d.Err, sarama.ErrNoError) {
				kg.Error = d.Err.Error()
			}
		}
		out = append(out, kg)
	}
	return out, nil
}

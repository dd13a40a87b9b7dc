package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"github.com/hashicorp/go-hclog"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/find"
)

var pluginLog = sdk.Logger().Named("kafka")

// Listener consumes the topics of a namespace's Kafka mocks, resolves each
// message through the host and produces the mock's reply.
type Listener struct {
	mu       sync.Mutex
	settings *Settings
	host     sdk.Host
	embedded *embeddedBroker
	ctx      context.Context
	cancel   context.CancelFunc
	manager  chan struct{} // closed when the mock watcher has stopped
	started  bool
	// startedMs is when Start ran (epoch ms): topics are not read from
	// before it (savedSince).
	startedMs int64

	clMu     sync.Mutex
	clusters map[string]*cluster // by name

	groups map[groupKey]*groupConsumer // the watcher's own
	// saved is, per consumed topic, when its earliest mock was saved
	// (epoch ms; see savedSince).
	saved atomic.Pointer[map[topicKey]int64]
	// pending are the replies waiting for their delay.
	pending sync.WaitGroup
	// warned is the last set of mock problems logged (logged on change).
	warned string
	log    hclog.Logger
}

type groupKey struct{ cluster, group string }

type topicKey struct{ cluster, topic string }

// Info describes the plugin.
func (l *Listener) Info() sdk.Info {
	return sdk.Info{Name: "kafka", Kind: sdk.KindListener, Version: "1.0.0", Protocols: []string{"kafka"},
		Description: "Consumes the topics of a namespace's Kafka mocks and produces their replies; " +
			"runs an embedded Kafka-protocol broker when no brokers are configured.",
		SettingsSchema: json.RawMessage(settingsSchema)}
}

// Configure reads the settings (validated by the host against the schema).
func (l *Listener) Configure(_ context.Context, raw json.RawMessage) error {
	s, err := parseSettings(raw)
	if err != nil {
		return err
	}
	for _, srv := range s.Servers {
		if _, err := saramaConfig(srv); err != nil {
			return fmt.Errorf("settings: %w", err)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.started {
		return errors.New("configure: the listener is running")
	}
	l.settings = s
	return nil
}

// Health reports a problem when the listener is not running.
func (l *Listener) Health(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.started {
		return errors.New("not started")
	}
	return nil
}

// Start starts the embedded broker when no server is configured, then
// consumes the topics of the mocks, following their changes.
func (l *Listener) Start(_ context.Context, host sdk.Host) ([]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.started {
		return nil, errors.New("already started")
	}
	if l.settings == nil {
		s, err := parseSettings(nil)
		if err != nil {
			return nil, err
		}
		l.settings = s
	}
	l.log = pluginLog
	l.host = host
	l.clusters = map[string]*cluster{}
	l.groups = map[groupKey]*groupConsumer{}
	var addrs []string
	if len(l.settings.Servers) == 0 {
		b, err := startEmbedded(l.settings.Embedded)
		if err != nil {
			return nil, err
		}
		l.embedded = b
		addrs = []string{b.addr}
		srv := &Server{name: embeddedName, Brokers: []string{b.addr}, version: sarama.V2_8_0_0, ClientID: "mockarty-kafka",
			Partitions: l.settings.Embedded.Partitions, ReplicationFactor: 1}
		cfg, err := saramaConfig(srv)
		if err != nil {
			b.close()
			return nil, err
		}
		l.clusters[embeddedName] = &cluster{name: embeddedName, brokers: srv.Brokers, srv: srv, cfg: cfg, create: true}
		l.log.Info("embedded Kafka broker listening", "address", b.addr)
	} else {
		for name, srv := range l.settings.Servers {
			cfg, err := saramaConfig(srv)
			if err != nil {
				return nil, err
			}
			l.clusters[name] = &cluster{name: name, brokers: srv.Brokers, srv: srv, cfg: cfg, findServer: name,
				create: srv.createTopics()}
		}
	}
	empty := map[topicKey]int64{}
	l.saved.Store(&empty)
	l.ctx, l.cancel = context.WithCancel(context.Background())
	l.manager = make(chan struct{})
	l.started, l.startedMs = true, time.Now().UnixMilli()
	go l.watch(l.ctx, l.manager)
	return addrs, nil
}

// Stop stops consuming, drops the replies still waiting for their delay,
// sends what was handed to the producers and stops the embedded broker.
func (l *Listener) Stop(ctx context.Context) error {
	l.mu.Lock()
	if !l.started {
		l.mu.Unlock()
		return nil
	}
	l.started = false
	cancel, manager, embedded := l.cancel, l.manager, l.embedded
	l.embedded = nil
	l.mu.Unlock()

	cancel()
	wait := func(done <-chan struct{}) error {
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	var errs []error
	if err := wait(manager); err != nil {
		errs = append(errs, fmt.Errorf("stop watching mocks: %w", err))
	}
	for _, g := range l.groups {
		if err := wait(g.done); err != nil {
			errs = append(errs, fmt.Errorf("stop consumer group %s: %w", g.id, err))
		}
	}
	delayed := make(chan struct{})
	go func() { l.pending.Wait(); close(delayed) }()
	if err := wait(delayed); err != nil {
		errs = append(errs, err)
	}
	l.clMu.Lock()
	clusters := l.clusters
	l.clMu.Unlock()
	for _, c := range clusters {
		c.close()
	}
	if embedded != nil {
		embedded.close()
	}
	return errors.Join(errs...)
}

const embeddedName = "embedded"

// watch follows the mocks: the first list, then one after each change.
func (l *Listener) watch(ctx context.Context, done chan struct{}) {
	defer close(done)
	defer l.stopGroups()
	changes, err := l.host.Watch(ctx, []string{sdk.MocksTopic("kafka")})
	if err != nil {
		// A host without Watch: look again every few seconds.
		l.log.Warn("the host does not report mock changes; re-listing every 3s", "error", err)
		changes = nil
	}
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	poll := time.NewTicker(3 * time.Second)
	defer poll.Stop()
	if changes != nil {
		poll.Stop()
	}
	for {
		if again, err := l.reconcile(ctx); err != nil && ctx.Err() == nil {
			l.log.Warn("list the Kafka mocks", "error", err)
			retry.Reset(time.Second)
		} else if again {
			retry.Reset(5 * time.Second) // topics could not be created
		}
		select {
		case <-ctx.Done():
			return
		case _, ok := <-changes:
			if !ok {
				if ctx.Err() != nil {
					return
				}
				l.log.Warn("the host's change stream ended; re-listing every 3s")
				changes = nil
				poll.Reset(3 * time.Second)
			}
		case <-retry.C:
		case <-poll.C:
		}
	}
}

func (l *Listener) stopGroups() {
	for _, g := range l.groups {
		g.stop()
	}
	for _, g := range l.groups {
		<-g.done
	}
}

// reconcile lists the mocks and starts, changes and stops the consumers;
// again says to try once more later (a cluster could not create topics).
func (l *Listener) reconcile(ctx context.Context) (bool, error) {
	mocks, problems, err := l.collectMocks(ctx)
	if err != nil {
		return false, err
	}
	cands, outputs, more := l.candidates(mocks)
	problems = append(problems, more...)
	want, more := l.chooseGroups(cands, outputs)
	problems = append(problems, more...)
	failed, err := ensureOutputs(ctx, outputs)
	if err != nil {
		return false, err
	}
	problems = append(problems, failed...)
	l.saved.Store(savedTimes(cands))

	l.diffConsumers(ctx, want)
	l.reportProblems(problems)
	return len(failed) > 0, nil
}

// collectMocks lists the namespace's Kafka mocks; a mock that does not
// parse is a problem, not an error.
func (l *Listener) collectMocks(ctx context.Context) ([]*kafkaMock, []string, error) {
	docs, err := l.host.ListMocks(ctx, "kafka", l.settings.Namespace)
	if err != nil {
		return nil, nil, err
	}
	var problems []string
	var mocks []*kafkaMock
	for _, d := range docs {
		m, err := parseMock(d)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		if m.Namespace != "" && m.Namespace != l.settings.Namespace {
			continue
		}
		mocks = append(mocks, m)
	}
	return mocks, problems, nil
}

// candidates groups the mocks by the cluster and topic they consume, and
// gathers the output topics to create on each cluster.
func (l *Listener) candidates(mocks []*kafkaMock) (map[topicKey][]*kafkaMock, map[*cluster]map[string]bool, []string) {
	var problems []string
	cands := map[topicKey][]*kafkaMock{}
	outputs := map[*cluster]map[string]bool{}
	for _, m := range mocks {
		for _, c := range l.inputClusters(m.ServerName) {
			k := topicKey{c.name, m.Topic}
			cands[k] = append(cands[k], m)
			if m.OutputTopic != "" {
				out, err := l.outputCluster(c, m.OutputBrokers)
				if err != nil {
					problems = append(problems, fmt.Sprintf("mock %q: outputBrokers: %v", m.ID, err))
					continue
				}
				if outputs[out] == nil {
					outputs[out] = map[string]bool{}
				}
				outputs[out][m.OutputTopic] = true
			}
		}
	}
	return cands, outputs, problems
}

// chooseGroups picks each topic's consumer group: the first named by the
// topic's mocks, which ListMocks lists in the host's order; the consumed
// topics join outputs, to be created too.
func (l *Listener) chooseGroups(cands map[topicKey][]*kafkaMock, outputs map[*cluster]map[string]bool) (map[groupKey]map[string]bool, []string) {
	var problems []string
	// One consumer group per topic: the first group named among the
	// topic's mocks in the host's order (the host resolves a message per
	// topic, whatever the group).
	want := map[groupKey]map[string]bool{}
	for k, list := range cands {
		group := ""
		for _, m := range list {
			if m.ConsumerGroup == "" {
				continue
			}
			if group == "" {
				group = m.ConsumerGroup
			} else if m.ConsumerGroup != group {
				problems = append(problems, fmt.Sprintf("topic %q is consumed by group %q; mock %q's consumerGroup %q is not used",
					k.topic, group, m.ID, m.ConsumerGroup))
			}
		}
		if group == "" {
			group = "mockarty-" + l.settings.Namespace
		}
		gk := groupKey{k.cluster, group}
		if want[gk] == nil {
			want[gk] = map[string]bool{}
		}
		want[gk][k.topic] = true
		c := l.cluster(k.cluster)
		if outputs[c] == nil {
			outputs[c] = map[string]bool{}
		}
		outputs[c][k.topic] = true
	}
	return want, problems
}

// ensureOutputs creates the missing topics on each cluster and returns the
// failures; the error is ctx's, when it ends first.
func ensureOutputs(ctx context.Context, outputs map[*cluster]map[string]bool) ([]string, error) {
	// Clusters are asked at once, so that one that does not answer does
	// not hold up the others; Stop does not wait for them.
	var wg sync.WaitGroup
	var pmu sync.Mutex
	var failed []string
	for c, topics := range outputs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.ensureTopics(ctx, topics); err != nil {
				pmu.Lock()
				failed = append(failed, err.Error())
				pmu.Unlock()
			}
		}()
	}
	ensured := make(chan struct{})
	go func() { wg.Wait(); close(ensured) }()
	select {
	case <-ensured:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return failed, nil
}

// diffConsumers stops the groups no longer wanted, gives the others their
// topics and starts the new ones.
func (l *Listener) diffConsumers(ctx context.Context, want map[groupKey]map[string]bool) {
	for gk, g := range l.groups {
		if want[gk] == nil {
			g.stop()
			<-g.done
			delete(l.groups, gk)
			l.log.Info("stopped consumer group", "cluster", gk.cluster, "group", gk.group)
		}
	}
	for gk, topics := range want {
		list := make([]string, 0, len(topics))
		for t := range topics {
			list = append(list, t)
		}
		sort.Strings(list)
		if g := l.groups[gk]; g != nil {
			g.setTopics(list)
			continue
		}
		g := newGroupConsumer(ctx, l, l.cluster(gk.cluster), gk.group, list)
		l.groups[gk] = g
		go g.run()
		l.log.Info("consuming", "cluster", gk.cluster, "group", gk.group, "topics", strings.Join(list, ","))
	}
}

// reportProblems logs the mock problems when they differ from the last
// ones logged, so that each watch round does not repeat them.
func (l *Listener) reportProblems(problems []string) {
	sort.Strings(problems)
	if p := strings.Join(problems, "; "); p != l.warned {
		l.warned = p
		for _, msg := range problems {
			l.log.Warn(msg)
		}
	}
}

func (l *Listener) cluster(name string) *cluster {
	l.clMu.Lock()
	defer l.clMu.Unlock()
	return l.clusters[name]
}

// inputClusters are the clusters a mock's topic is consumed from, by the
// serverName rule (sdk.ServerSet): every cluster for a mock without a
// serverName, the named one, else the default one.
func (l *Listener) inputClusters(serverName string) []*cluster {
	if len(l.settings.Servers) == 0 {
		return []*cluster{l.cluster(embeddedName)}
	}
	var out []*cluster
	for _, name := range l.settings.serverSet().ServersFor(l.settings.Namespace, serverName) {
		if c := l.cluster(name); c != nil {
			out = append(out, c)
		}
	}
	return out
}

// outputCluster is where a reply goes: the consumed cluster, a configured
// server named by outputBrokers, the configured server with one of the
// brokers listed, or else those brokers over a plain connection.
func (l *Listener) outputCluster(in *cluster, outputBrokers string) (*cluster, error) {
	if outputBrokers == "" {
		return in, nil
	}
	if c := l.cluster(outputBrokers); c != nil {
		return c, nil
	}
	var brokers []string
	for _, b := range strings.Split(outputBrokers, ",") {
		if b = strings.TrimSpace(b); b != "" {
			brokers = append(brokers, b)
		}
	}
	if len(brokers) == 0 {
		return in, nil
	}
	l.clMu.Lock()
	defer l.clMu.Unlock()
	for _, c := range l.clusters {
		for _, b := range c.brokers {
			for _, ob := range brokers {
				if b == ob {
					return c, nil
				}
			}
		}
	}
	name := "brokers:" + strings.Join(brokers, ",")
	if c := l.clusters[name]; c != nil {
		return c, nil
	}
	cfg, err := saramaConfig(nil)
	if err != nil {
		return nil, err
	}
	c := &cluster{name: name, brokers: brokers, cfg: cfg, create: true}
	l.clusters[name] = c
	return c, nil
}

// handle resolves one message and sends the reply. It reports false when
// the message was not dealt with (the listener is stopping), so that its
// offset is not marked.
func (l *Listener) handle(ctx context.Context, c *cluster, group string, msg *sarama.ConsumerMessage) bool {
	headers := make(map[string]string, len(msg.Headers))
	for _, h := range msg.Headers {
		if h == nil || len(h.Key) == 0 {
			continue
		}
		headers[string(h.Key)] = string(h.Value)
	}
	req := &find.KafkaRequest{Namespace: l.settings.Namespace, ServerName: c.findServer, Topic: msg.Topic,
		ConsumerGroup: group, Headers: headers, Data: find.DataOf(msg.Value)}
	resp, err := l.find(ctx, req)
	var nm *sdk.NoMatch
	switch {
	case errors.As(err, &nm):
		l.log.Debug("no Kafka mock matches the message", "topic", msg.Topic, "offset", msg.Offset, "reason", nm.Message)
		return true
	case err != nil:
		if ctx.Err() != nil {
			return false
		}
		l.log.Error("resolve a Kafka message; it is skipped", "topic", msg.Topic, "partition", msg.Partition,
			"offset", msg.Offset, "error", err)
		return true
	}
	if resp.Error != nil {
		l.log.Info("the mock answers the message with an error; nothing is produced", "topic", msg.Topic,
			"offset", msg.Offset, "error", resp.Error.Message)
		return true
	}
	// The host's answer says where the reply goes (the mock's outputs).
	if resp.OutputTopic == "" {
		return true
	}
	out, err := l.outputCluster(c, strings.TrimSpace(resp.OutputBrokers))
	if err != nil {
		l.log.Error("no reply: outputBrokers", "mock", resp.MockID, "error", err)
		return true
	}
	pm := &sarama.ProducerMessage{Topic: resp.OutputTopic}
	if v := valueOf(resp.Data); v != nil {
		pm.Value = sarama.ByteEncoder(v)
	}
	if resp.OutputKey != "" {
		pm.Key = sarama.StringEncoder(resp.OutputKey)
	}
	pm.Headers = replyHeaders(resp)
	if resp.Delay <= 0 {
		out.send(l.ctx, pm)
		return true
	}
	l.pending.Add(1)
	go func() {
		defer l.pending.Done()
		t := time.NewTimer(time.Duration(resp.Delay) * time.Millisecond)
		defer t.Stop()
		select {
		case <-t.C:
			out.send(l.ctx, pm)
		case <-l.ctx.Done():
		}
	}()
	return true
}

// find asks the host, trying again twice when the call itself fails (a
// miss is the host's answer, not a failure).
func (l *Listener) find(ctx context.Context, req *find.KafkaRequest) (*find.KafkaResponse, error) {
	backoff := 100 * time.Millisecond
	for attempt := 0; ; attempt++ {
		fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		resp, err := l.host.FindKafka(fctx, req)
		cancel()
		var nm *sdk.NoMatch
		if err == nil || errors.As(err, &nm) {
			return resp, err
		}
		if ctx.Err() != nil || attempt == 2 {
			return nil, err
		}
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		backoff *= 4
	}
}

// valueOf is the reply's value: a JSON string as its text, other JSON as
// it is, nothing for no payload.
func valueOf(data json.RawMessage) []byte {
	t := strings.TrimSpace(string(data))
	if t == "" || t == "null" {
		return nil
	}
	if t[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err == nil {
			return []byte(s)
		}
	}
	return data
}

// replyHeaders are the response's headers and the mock's outputHeaders
// (these win), in name order.
func replyHeaders(resp *find.KafkaResponse) []sarama.RecordHeader {
	all := make(map[string]string, len(resp.OutputMessageHeaders)+len(resp.OutputHeaders))
	for k, v := range resp.OutputMessageHeaders {
		all[k] = v
	}
	for k, v := range resp.OutputHeaders {
		all[k] = v
	}
	if len(all) == 0 {
		return nil
	}
	names := make([]string, 0, len(all))
	for k := range all {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]sarama.RecordHeader, len(names))
	for i, k := range names {
		out[i] = sarama.RecordHeader{Key: []byte(k), Value: []byte(all[k])}
	}
	return out
}

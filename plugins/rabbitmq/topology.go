package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/mockarty-oss/mockarty/sdk"
)

// mockDoc is what the plugin reads of a mock (the API's mock JSON).
type mockDoc struct {
	ID         string       `json:"id"`
	Namespace  string       `json:"namespace"`
	ServerName string       `json:"serverName"`
	RabbitMQ   *rabbitBlock `json:"rabbitmq"`
}

type rabbitBlock struct {
	Queue            string `json:"queue"`
	Exchange         string `json:"exchange"`
	RoutingKey       string `json:"routingKey"`
	ServerName       string `json:"serverName"`
	OutputURL        string `json:"outputURL"`
	OutputExchange   string `json:"outputExchange"`
	OutputRoutingKey string `json:"outputRoutingKey"`
	OutputQueue      string `json:"outputQueue"`
}

// binding is an exchange and binding key a queue is bound with.
type binding struct {
	Exchange string
	Key      string
}

// output is where a mock sends its reply.
type output struct {
	URL        string // another broker ("" = the one the request came from)
	Exchange   string
	RoutingKey string
	Queue      bool // RoutingKey is the mock's outputQueue (created when missing)
}

func (o output) none() bool { return o.Exchange == "" && o.RoutingKey == "" }

// outputFrom is where the reply of a mock with these outputs goes (its
// rabbitmq context's, or the host's answer, which names them): outputQueue
// wins over an exchange and routing key, and an outputURL alone names no
// destination.
func outputFrom(url, exchange, routingKey, queue string) output {
	out := output{URL: url, Exchange: exchange, RoutingKey: routingKey}
	if queue != "" {
		out.Exchange, out.RoutingKey, out.Queue = "", queue, true
	}
	if out.none() {
		out.URL = ""
	}
	return out
}

// candidate is a mock that may answer a message of a queue.
type candidate struct {
	MockID string
	Out    output
}

// queueSpec is one queue the plugin consumes on one broker.
type queueSpec struct {
	Name string
	// Own: the plugin's queue for a mock that names an exchange and no
	// queue (bound with exactly one binding).
	Own      bool
	Bindings []binding
	Mocks    []candidate
}

// findKeys are the queue, exchange and routing key the host is asked with
// for a message of this queue: a named queue is resolved by its name, the
// plugin's own queue by its exchange and binding key. Each mock is then
// answered by the queue it asked for, once.
func (q *queueSpec) findKeys() (queue, exchange, key string) {
	if q.Own {
		return "", q.Bindings[0].Exchange, q.Bindings[0].Key
	}
	return q.Name, "", ""
}

// plan is what the plugin consumes: queues by broker, and the mocks it skips.
type plan struct {
	Queues  map[string]map[string]*queueSpec // server -> queue -> spec
	Skipped []string                         // reasons, for the log and status
}

// ownQueueName names the plugin's queue for an exchange and binding key.
func ownQueueName(namespace, exchange, key string) string {
	name := "mockarty." + namespace + "." + exchange + "." + key
	if len(name) <= 200 {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return name[:160] + "." + hex.EncodeToString(sum[:8])
}

// buildPlan turns the namespace's mocks into queues per broker. Which
// brokers consume a mock's queue is the serverName rule (sdk.ServerSet):
// every broker for a mock without a serverName, the named one, else the
// default one.
func buildPlan(namespace string, servers *sdk.ServerSet, mocks []json.RawMessage) *plan {
	p := &plan{Queues: map[string]map[string]*queueSpec{}}
	for _, raw := range mocks {
		var m mockDoc
		if err := json.Unmarshal(raw, &m); err != nil || m.RabbitMQ == nil {
			p.Skipped = append(p.Skipped, fmt.Sprintf("a mock that is not a RabbitMQ mock (%v)", err))
			continue
		}
		r := m.RabbitMQ
		server := r.ServerName
		if server == "" {
			server = m.ServerName
		}
		targets := servers.ServersFor(namespace, server)
		if len(targets) == 0 {
			p.Skipped = append(p.Skipped, fmt.Sprintf("mock %s: no broker serves serverName %q", m.ID, server))
			continue
		}
		if r.Queue == "" && r.Exchange == "" {
			p.Skipped = append(p.Skipped, fmt.Sprintf("mock %s: names neither a queue nor an exchange", m.ID))
			continue
		}
		cand := candidate{MockID: m.ID, Out: outputFrom(r.OutputURL, r.OutputExchange, r.OutputRoutingKey, r.OutputQueue)}
		name, own := r.Queue, false
		if name == "" {
			name, own = ownQueueName(namespace, r.Exchange, r.RoutingKey), true
		}
		for _, target := range targets {
			queues := p.Queues[target]
			if queues == nil {
				queues = map[string]*queueSpec{}
				p.Queues[target] = queues
			}
			q := queues[name]
			if q == nil {
				q = &queueSpec{Name: name, Own: own}
				queues[name] = q
			}
			if r.Exchange != "" {
				b := binding{Exchange: r.Exchange, Key: r.RoutingKey}
				if !hasBinding(q.Bindings, b) {
					q.Bindings = append(q.Bindings, b)
				}
			}
			q.Mocks = append(q.Mocks, cand)
		}
	}
	for _, queues := range p.Queues {
		for _, q := range queues {
			sort.Slice(q.Bindings, func(i, j int) bool {
				if q.Bindings[i].Exchange != q.Bindings[j].Exchange {
					return q.Bindings[i].Exchange < q.Bindings[j].Exchange
				}
				return q.Bindings[i].Key < q.Bindings[j].Key
			})
			sort.Slice(q.Mocks, func(i, j int) bool { return q.Mocks[i].MockID < q.Mocks[j].MockID })
		}
	}
	sort.Strings(p.Skipped)
	return p
}

func hasBinding(list []binding, b binding) bool {
	for _, x := range list {
		if x == b {
			return true
		}
	}
	return false
}

func mockIDs(list []candidate) string {
	ids := make([]string, len(list))
	for i, c := range list {
		ids[i] = c.MockID
	}
	return strings.Join(ids, ", ")
}

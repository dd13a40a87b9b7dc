package main

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/mockarty-oss/mockarty/plugins/fuzzer/engine"
	"github.com/mockarty-oss/mockarty/sdk/fuzzjob"
	"github.com/mockarty-oss/mockarty/sdk/outbound"
)

// sources are the transports of the non-HTTP sources, made for one run or
// replay under its network policy; each connects on first use.
type sources struct {
	grpc  *engine.GRPC
	ws    *engine.WebSocket
	kafka *engine.Kafka
	amqp  *engine.AMQP
	all   engine.Transports
}

func transports(pol outbound.Policy) *sources {
	dial := pol.Dialer()
	s := &sources{grpc: engine.NewGRPC(dial), ws: engine.NewWebSocket(dial), kafka: engine.NewKafka(dial), amqp: engine.NewAMQP(dial)}
	s.all = engine.Transports{"grpc": s.grpc, "grpcs": s.grpc, "ws": s.ws, "wss": s.ws, "kafka": s.kafka, "amqp": s.amqp, "amqps": s.amqp}
	return s
}

// close frees the connections.
func (s *sources) close() {
	s.grpc.Close()
	_ = s.ws.Close()
	_ = s.kafka.Close()
	_ = s.amqp.Close()
}

// messageSource is the kind of a config whose seeds are messages
// (websocket, kafka or rabbitmq; "" for the others).
func (c *RunConfig) messageSource() string {
	switch k := c.source(); k {
	case fuzzjob.SourceWebSocket, fuzzjob.SourceKafka, fuzzjob.SourceRabbitMQ:
		return k
	}
	return ""
}

// messageSeeds turn the seeds of a message source into messages: each
// seed's body is a message sent to the endpoint, topic or exchange the
// options (or targetBaseUrl) name; a seed's path names a WebSocket path,
// a Kafka topic or a routing key of its own.
func (c *RunConfig) messageSeeds(kind string) ([]engine.Seed, error) {
	o := c.Options
	if len(c.SeedRequests) == 0 {
		return nil, fmt.Errorf("a %s source needs at least one seed request: its body is the message to fuzz", kind)
	}
	out := make([]engine.Seed, 0, len(c.SeedRequests))
	for _, sd := range c.SeedRequests {
		if strings.Contains(sd.URL, "://") {
			out = append(out, sd) // already a full ws://, kafka:// or amqp:// URL
			continue
		}
		path := strings.Trim(sd.Path, "/")
		var m engine.Seed
		switch kind {
		case "websocket":
			base := o.WebSocketURL
			if base == "" {
				base = c.TargetBaseURL
			}
			u, err := url.Parse(base)
			if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
				return nil, fmt.Errorf("options.websocketUrl %q: a ws:// or wss:// URL is needed", base)
			}
			if path != "" {
				u.Path = "/" + path
			}
			m = engine.WebSocketSeed(u.String(), sd.Body)
		case "kafka":
			brokers := o.KafkaBrokers
			if brokers == "" {
				brokers = strings.TrimPrefix(strings.TrimRight(c.TargetBaseURL, "/"), "kafka://")
			}
			topic := o.KafkaTopic
			if path != "" {
				topic = path
			}
			if brokers == "" || topic == "" {
				return nil, fmt.Errorf("a kafka source needs options.kafkaBrokers (or a kafka:// targetBaseUrl) and options.kafkaTopic (or a seed path)")
			}
			m = engine.KafkaSeed(brokers, topic, sd.Body, o.KafkaReplyTopic)
		case "rabbitmq":
			base := o.AMQPURL
			if base == "" {
				base = c.TargetBaseURL
			}
			key := o.AMQPRoutingKey
			if path != "" {
				key = path
			}
			if u, err := url.Parse(base); err != nil || (u.Scheme != "amqp" && u.Scheme != "amqps") || u.Host == "" {
				return nil, fmt.Errorf("options.amqpUrl: an amqp:// or amqps:// URL is needed")
			}
			m = engine.AMQPSeed(base, o.AMQPExchange, key, sd.Body, o.AMQPRPC)
		}
		if sd.ID != "" {
			m.ID = sd.ID
		}
		if sd.Name != "" {
			m.Name = sd.Name
		}
		if sd.ContentType != "" {
			m.ContentType = sd.ContentType
		}
		if len(sd.Headers) > 0 {
			h := map[string]string{}
			for k, v := range m.Headers {
				h[k] = v
			}
			for k, v := range sd.Headers {
				h[k] = v
			}
			m.Headers = h
		}
		out = append(out, m)
	}
	return out, nil
}

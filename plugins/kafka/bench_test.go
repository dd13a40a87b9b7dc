package main

import (
	"fmt"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

// BenchmarkEmbedded measures the real host with the real plugin binary and
// its embedded broker, driven by sarama: round trip (a request produced
// and acknowledged, the reply consumed) one at a time with p50/p99, and
// throughput with many requests in flight.
//
//	go test -run '^$' -bench Embedded -benchtime 2000x ./
func BenchmarkEmbedded(b *testing.B) {
	for _, partitions := range []int{1, 4} {
		b.Run(fmt.Sprintf("partitions=%d", partitions), func(b *testing.B) {
			addr := fmt.Sprintf("127.0.0.1:%d", freePort(b))
			h := startHost(b, fmt.Sprintf(`{"embedded": {"address": %q, "partitions": %d}}`, addr, partitions))
			h.createMock(b, `{"id": "bench", "namespace": "sandbox",
			  "kafka": {"topic": "bench.in", "conditions": [{"path": "$.kind", "assertAction": "equals", "value": "order"}],
			    "outputTopic": "bench.out", "outputKey": "$.req.id", "outputHeaders": {"X-Id": "$.req.id"}},
			  "response": {"payload": {"id": "$.req.id", "status": "accepted", "amount": "$.req.amount"}}}`)
			k := newKafkaClient(b, []string{addr}, func(c *sarama.Config) {
				c.Producer.RequiredAcks = sarama.WaitForLocal
				c.Producer.Flush.Frequency = 0
			})
			out := k.listen("bench.out")
			untilReply(b, k, "bench.in", out, func(i int) (string, map[string]string) {
				return fmt.Sprintf(`{"id": "warm-%d", "kind": "order"}`, i), nil
			}, func(reply) bool { return true })
			run := 0

			b.Run("round-trip", func(b *testing.B) {
				run++
				lat := make([]time.Duration, 0, b.N)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					id := "rt-" + strconv.Itoa(run) + "-" + strconv.Itoa(i)
					start := time.Now()
					k.produce("bench.in", id, `{"id": "`+id+`", "kind": "order", "amount": 12.5}`, nil)
					for {
						r := next(b, out, id)
						if string(r.msg.Key) == id {
							break
						}
					}
					lat = append(lat, time.Since(start))
				}
				b.StopTimer()
				sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			})

			b.Run("throughput", func(b *testing.B) {
				run++
				cfg := sarama.NewConfig()
				cfg.Version = sarama.V2_8_0_0
				cfg.Producer.RequiredAcks = sarama.WaitForLocal
				cfg.Producer.Return.Successes = false
				p, err := sarama.NewAsyncProducer([]string{addr}, cfg)
				if err != nil {
					b.Fatal(err)
				}
				defer p.Close()
				go func() {
					for e := range p.Errors() {
						b.Errorf("produce: %v", e.Err)
					}
				}()
				prefix := "tp-" + strconv.Itoa(run) + "-"
				b.ResetTimer()
				start := time.Now()
				go func() {
					for i := 0; i < b.N; i++ {
						id := prefix + strconv.Itoa(i)
						p.Input() <- &sarama.ProducerMessage{Topic: "bench.in", Key: sarama.StringEncoder(id),
							Value: sarama.StringEncoder(`{"id": "` + id + `", "kind": "order", "amount": 12.5}`)}
					}
				}()
				got := 0
				for got < b.N {
					r := next(b, out, fmt.Sprintf("reply %d of %d", got+1, b.N))
					if len(r.msg.Key) > len(prefix) && string(r.msg.Key[:len(prefix)]) == prefix {
						got++
					}
				}
				elapsed := time.Since(start)
				b.StopTimer()
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
			})
		})
	}
}

package main

import (
	"fmt"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// BenchmarkRoundTrip measures request -> reply through the real broker, the
// plugin binary and the host: RPC requests on a queue mock, replies on an
// exclusive reply queue. "sequential" is one request at a time (latency);
// "inflight-N" keeps N requests outstanding (throughput).
//
//	go test -run '^$' -bench RoundTrip -benchtime 5000x
func BenchmarkRoundTrip(b *testing.B) {
	h := theHost(b)
	conn := needBroker(b)
	n := cleanup(b, conn)
	q := n.queue(uniq("mkt-bench-"))
	h.mock(b, fmt.Sprintf(`{"id":%q,"rabbitmq":{"queue":%q,"conditions":[{"path":"$.kind","assertAction":"equals","value":"order"}]},
"response":{"payload":{"id":"$.body.id","status":"accepted"}}}`, uniq("bench-"), q))
	waitConsumed(b, conn, q, true)
	for _, inflight := range []int{1, 32} {
		name := "sequential"
		if inflight > 1 {
			name = "inflight-" + strconv.Itoa(inflight)
		}
		b.Run(name, func(b *testing.B) { roundTrips(b, conn, q, inflight) })
	}
}

func roundTrips(b *testing.B, conn *amqp.Connection, queue string, inflight int) {
	ch := channel(b, conn)
	replyTo, replies := replyQueue(b, ch)
	var mu sync.Mutex
	sent := make(map[string]time.Time, b.N)
	lat := make([]time.Duration, 0, b.N)
	slots := make(chan struct{}, inflight)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range b.N {
			r, ok := <-replies
			if !ok {
				return
			}
			mu.Lock()
			lat = append(lat, time.Since(sent[r.CorrelationId]))
			mu.Unlock()
			<-slots
		}
	}()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		slots <- struct{}{}
		id := strconv.Itoa(i)
		mu.Lock()
		sent[id] = time.Now()
		mu.Unlock()
		if err := ch.Publish("", queue, false, false, amqp.Publishing{ReplyTo: replyTo, CorrelationId: id,
			ContentType: "application/json", Body: []byte(`{"kind":"order","id":` + id + `}`)}); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		b.Fatalf("%d of %d replies", len(lat), b.N)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
}

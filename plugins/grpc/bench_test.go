package main

import (
	"context"
	"net"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	hw "google.golang.org/grpc/examples/helloworld/helloworld"
)

// BenchmarkUnary: the same unary call (helloworld SayHello, a fixed reply)
// through the plugin (host resolution included) and from a plain grpc-go
// server, in one run. Reported: calls/s, p50 and p99 in microseconds.
//
//	cd plugins/grpc && go test -run '^$' -bench Unary -benchtime 20000x
func BenchmarkUnary(b *testing.B) {
	e := start(b, "")
	e.proto("helloworld/helloworld.proto", "helloworld/helloworld/helloworld.proto")
	e.mock(`{"id":"bench","grpc":{"service":"helloworld.Greeter","method":"SayHello"},"response":{"payload":{"message":"Hello, World!"}}}`)
	plugintest.EventuallyNoError(b, 30*time.Second, func() error {
		_, err := hw.NewGreeterClient(e.conn).SayHello(context.Background(), &hw.HelloRequest{Name: "x"})
		return err
	}, "the mock served")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	plain := grpc.NewServer()
	hw.RegisterGreeterServer(plain, fixedGreeter{})
	go func() { _ = plain.Serve(ln) }()
	defer plain.Stop()
	pc, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	defer pc.Close()

	for _, c := range []struct {
		name string
		conn *grpc.ClientConn
	}{{"plugin", e.conn}, {"plain-grpc-go", pc}} {
		b.Run(c.name, func(b *testing.B) { runUnary(b, hw.NewGreeterClient(c.conn)) })
	}
}

type fixedGreeter struct{ hw.UnimplementedGreeterServer }

func (fixedGreeter) SayHello(context.Context, *hw.HelloRequest) (*hw.HelloReply, error) {
	return &hw.HelloReply{Message: "Hello, World!"}, nil
}

func runUnary(b *testing.B, client hw.GreeterClient) {
	var mu sync.Mutex
	lat := make([]time.Duration, 0, b.N)
	b.SetParallelism(16) // 16 goroutines per CPU: 32 concurrent calls on 2 cores
	begin := time.Now()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		local := make([]time.Duration, 0, 1024)
		for pb.Next() {
			t0 := time.Now()
			if _, err := client.SayHello(context.Background(), &hw.HelloRequest{Name: "bench"}); err != nil {
				b.Error(err)
				return
			}
			local = append(local, time.Since(t0))
		}
		mu.Lock()
		lat = append(lat, local...)
		mu.Unlock()
	})
	elapsed := time.Since(begin)
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) == 0 {
		return
	}
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "calls/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

package resolve

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/sdk/find"
)

// BenchmarkFindGRPC is the host's share of a gRPC call through the
// plugin: the typed find as the Host service hands it to the Finder, for
// the helloworld mock of the plugin's BenchmarkUnary.
func BenchmarkFindGRPC(b *testing.B) {
	r := newResolver(b)
	r.Changed(&model.Mock{ID: "bench", Namespace: "sandbox", GRPC: &model.GRPCContext{Service: "helloworld.Greeter", Method: "SayHello"},
		Response: &model.ContentResponse{Payload: json.RawMessage(`{"message":"Hello, World!"}`)}})
	f := Finder{R: r}
	req := &find.GRPCRequest{Namespace: "sandbox", Service: "helloworld.Greeter", Method: "SayHello",
		Meta: find.MultiMap{"content-type": {"application/grpc"}, "user-agent": {"grpc-go/1.85.0"}}, Data: json.RawMessage(`{"name":"bench"}`)}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f.FindGRPC(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}

package resolve

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

func TestFinderHostData(t *testing.T) {
	r := newResolver(t)
	f := Finder{R: r}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changes, err := f.Watch(ctx, []string{sdk.MocksTopic(model.ProtoKafka), sdk.DocumentsTopic(sdk.DocumentProto)})
	if err != nil {
		t.Fatal(err)
	}
	kafka := &model.Mock{ID: "k1", Namespace: "orders", Kafka: &model.KafkaContext{Topic: "orders.created"},
		Response: &model.ContentResponse{Payload: json.RawMessage(`{"ok":true}`)}}
	r.Changed(kafka, mocks(1, false)[0])
	select {
	case got := <-changes:
		if len(got) != 1 || got[0] != "mocks:kafka" {
			t.Fatalf("change: %v", got)
		}
	case <-time.After(5 * time.Second): // a guard against hanging only
		t.Fatal("no change notice")
	}
	list, err := f.ListMocks(ctx, model.ProtoKafka, "")
	if err != nil || len(list) != 1 || !strings.Contains(string(list[0]), `"orders.created"`) {
		t.Fatalf("kafka mocks: %s %v", list, err)
	}
	if other, _ := f.ListMocks(ctx, model.ProtoKafka, "elsewhere"); len(other) != 0 {
		t.Fatalf("namespace filter: %s", other)
	}
	if _, err := f.ListMocks(ctx, "carrier-pigeon", ""); err == nil {
		t.Fatal("an unknown protocol is an error")
	}
	r.Removed("k1")
	if got := <-changes; len(got) != 1 || got[0] != "mocks:kafka" {
		t.Fatalf("removal notice: %v", got)
	}
	if list, _ := f.ListMocks(ctx, model.ProtoKafka, ""); len(list) != 0 {
		t.Fatalf("after removal: %s", list)
	}

	// Documents come from the database; their API notifies.
	if err := r.st.PutDocument(ctx, &store.DocumentRow{Kind: sdk.DocumentProto, Namespace: "orders", Name: "a.proto",
		Content: `syntax = "proto3";`, UpdatedMs: 1}); err != nil {
		t.Fatal(err)
	}
	r.Notify(sdk.DocumentsTopic(sdk.DocumentProto))
	if got := <-changes; len(got) != 1 || got[0] != "documents:proto" {
		t.Fatalf("document notice: %v", got)
	}
	docs, err := f.ListDocuments(ctx, sdk.DocumentProto, "")
	if err != nil || len(docs) != 1 || docs[0].Name != "a.proto" || docs[0].Namespace != "orders" {
		t.Fatalf("documents: %+v %v", docs, err)
	}

	// Captures are kept.
	id, err := f.Capture(ctx, &sdk.Captured{Protocol: model.ProtoSMTP, ServerName: "mail", MockID: "m",
		Summary: json.RawMessage(`{"subject":"hi"}`), Raw: []byte("Subject: hi\r\n\r\n\xff")})
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.st.GetCapture(ctx, id)
	if err != nil || c.Namespace != model.DefaultNamespace || string(c.Raw) != "Subject: hi\r\n\r\n\xff" {
		t.Fatalf("capture: %+v %v", c, err)
	}
	if _, err := f.Capture(ctx, &sdk.Captured{Protocol: model.ProtoSMTP, Summary: json.RawMessage(`{`)}); err == nil {
		t.Fatal("a summary that is not JSON is refused")
	}
	// A watcher that ends is forgotten.
	cancel()
	plugintest.Eventually(t, 20*time.Second, func() bool {
		r.watchMu.Lock()
		defer r.watchMu.Unlock()
		return len(r.watchers) == 0
	}, "no watcher left")
}

// TestFinderHidesExpectedValues: a plugin shows the near-miss report to
// whoever sent the request, so the values a condition expects (a token a
// header must carry) are not in it.
func TestFinderHidesExpectedValues(t *testing.T) {
	r := newResolver(t)
	f := Finder{R: r}
	m := mocks(1, false)[0]
	m.HTTP.Header = []model.Condition{{Path: "Authorization", AssertAction: "equals", Value: json.RawMessage(`"Bearer s3cret"`)}}
	r.Changed(m)
	req := &find.HTTPRequest{Method: "GET", Path: "/api/v1/resource0/1", Headers: find.MultiMap{"Authorization": {"Bearer wrong"}}}
	_, err := f.FindHTTP(context.Background(), req)
	var nm *sdk.NoMatch
	if !errors.As(err, &nm) {
		t.Fatalf("want a near miss: %v", err)
	}
	if strings.Contains(string(nm.Candidates), "s3cret") || !strings.Contains(string(nm.Candidates), "Authorization") {
		t.Fatalf("typed path: %s", nm.Candidates)
	}
	// Every protocol's report is the public one.
	r.Changed(&model.Mock{ID: "g", Namespace: "sandbox", GRPC: &model.GRPCContext{Service: "S", Method: "M",
		Meta: []model.Condition{{Path: "token", AssertAction: "equals", Value: json.RawMessage(`"s3cret"`)}}}})
	_, err = f.FindGRPC(context.Background(), &find.GRPCRequest{Namespace: "sandbox", Service: "S", Method: "M"})
	if !errors.As(err, &nm) || strings.Contains(string(nm.Candidates), "s3cret") || !strings.Contains(string(nm.Candidates), "condition failed") {
		t.Fatalf("gRPC: %v %s", err, nm.Candidates)
	}
}

func TestFindKafkaNamesTheReplyRoute(t *testing.T) {
	r := newResolver(t)
	r.Changed(&model.Mock{ID: "rej", Namespace: "sandbox", Kafka: &model.KafkaContext{Topic: "orders", OutputTopic: "orders.rejected",
		OutputBrokers: "10.0.0.1:9092", OutputKey: "rej-$.req.orderId", OutputHeaders: map[string]string{"X-Order": "$.req.orderId"}},
		Response: &model.ContentResponse{Payload: json.RawMessage(`{"status":"rejected"}`)}})
	resp, nm := r.FindKafka(&find.KafkaRequest{Topic: "orders", Data: json.RawMessage(`{"orderId":"7"}`)})
	if nm != nil {
		t.Fatalf("near miss: %+v", nm)
	}
	if resp.MockID != "rej" || resp.OutputTopic != "orders.rejected" || resp.OutputBrokers != "10.0.0.1:9092" ||
		resp.OutputKey != "rej-7" || resp.OutputHeaders["X-Order"] != "7" {
		t.Fatalf("reply route: %+v", resp)
	}
}

// ListMocks gives a protocol's mocks in the order the host tries them, so
// a listener that picks between them (a topic's consumer group) picks the
// mock the host would answer with.
func TestListMocksInTheHostsOrder(t *testing.T) {
	r := newResolver(t)
	f := Finder{R: r}
	mk := func(id string, priority, created int64) *model.Mock {
		return &model.Mock{ID: id, Namespace: "sandbox", Priority: priority, CreatedAt: created,
			Kafka: &model.KafkaContext{Topic: "t"}, Response: &model.ContentResponse{}}
	}
	r.Changed(mk("old", 0, 100), mk("urgent", 5, 50), mk("new", 0, 200), mk("a-tie", 0, 200))
	list, err := f.ListMocks(context.Background(), model.ProtoKafka, "sandbox")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, raw := range list {
		var m struct{ ID string }
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	if got := strings.Join(ids, ","); got != "urgent,a-tie,new,old" {
		t.Fatalf("order %s, want urgent,a-tie,new,old (priority, then newer, then id)", got)
	}
	// The selection step agrees: the first of the list answers.
	resp, nm := r.FindKafka(&find.KafkaRequest{Namespace: "sandbox", Topic: "t"})
	if nm != nil || resp.MockID != "urgent" {
		t.Fatalf("the host answers with %+v %v", resp, nm)
	}
}

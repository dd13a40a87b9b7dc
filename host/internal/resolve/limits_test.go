package resolve

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/host/internal/jpath"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/find"
)

func nested(depth int) string {
	return strings.Repeat(`{"x":1,"n":`, depth-1) + `{"x":"leaf"}` + strings.Repeat("}", depth-1)
}

// Plugins reach the host through Finder: a body past MAX_BODY_DEPTH is an
// error there, before any decoding, and so is a find request that does not
// decode; both are the sdk's refusals (the gRPC Host service answers
// InvalidArgument, and the plugin's client hears "invalid argument").
func TestFinderRefusesDeepBodies(t *testing.T) {
	r := newResolver(t)
	f := Finder{R: r}
	deep := nested(jpath.DefaultMaxDepth + 10)
	_, err := f.FindGRPC(context.Background(), &find.GRPCRequest{Service: "s", Method: "m", Data: json.RawMessage(deep)})
	var de *jpath.DepthError
	if !errors.As(err, &de) || !errors.Is(err, sdk.ErrBodyTooDeep) || !strings.Contains(err.Error(), "grpc find request") {
		t.Fatalf("FindGRPC: %v", err)
	}
	req := &find.HTTPRequest{Method: "POST", Path: "/deep"}
	req.SetBody([]byte(deep))
	if _, err := f.FindHTTP(context.Background(), req); !errors.As(err, &de) || !errors.Is(err, sdk.ErrBodyTooDeep) {
		t.Fatalf("FindHTTP: %v", err)
	}
	// Every payload of a call is checked: GraphQL's variables too.
	_, err = f.FindGraphQL(context.Background(), &find.GraphQLRequest{Field: "f", Arguments: json.RawMessage(`{}`), Variables: json.RawMessage(deep)})
	if !errors.Is(err, sdk.ErrBodyTooDeep) || !strings.Contains(err.Error(), "graphql find request") {
		t.Fatalf("FindGraphQL with deep variables: %v", err)
	}
	// Within the limit it is an ordinary miss.
	_, err = f.FindGRPC(context.Background(), &find.GRPCRequest{Service: "s", Method: "m", Data: json.RawMessage(nested(100))})
	var nm *sdk.NoMatch
	if !errors.As(err, &nm) || errors.Is(err, sdk.ErrInvalidInput) {
		t.Fatalf("depth 100: %v", err)
	}
}

// A /stubs request carries its context: once it is done, the resolution
// stops between candidates and inside a JSONPath walk.
func TestResolveHTTPStopsWhenCancelled(t *testing.T) {
	r := newResolver(t)
	var list []*model.Mock
	for _, id := range []string{"a", "b", "c"} {
		list = append(list, &model.Mock{ID: id, Namespace: "sandbox", HTTP: &model.HTTPContext{Route: "/deep", HTTPMethod: "POST",
			Conditions: []model.Condition{{Path: "$..x", AssertAction: "contains", Value: json.RawMessage(`"` + id + `"`)}}},
			Response: &model.ContentResponse{StatusCode: 200}})
	}
	if err := r.Index.Load(list); err != nil {
		t.Fatal(err)
	}
	body := []byte(nested(200))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := r.ResolveHTTP(&HTTPRequest{Namespace: "sandbox", Method: "POST", Path: "/deep", Body: body, Ctx: ctx})
	if res.Matched || !strings.Contains(res.NearMiss.Error, "resolution stopped") || len(res.NearMiss.Candidates) != 1 {
		t.Fatalf("cancelled: %+v", res.NearMiss)
	}
	if f := res.NearMiss.Candidates[0].Failure; f == nil || !strings.Contains(f.Reason, "canceled") {
		t.Fatalf("the first candidate says why: %+v", res.NearMiss.Candidates[0])
	}
	res = r.ResolveHTTP(&HTTPRequest{Namespace: "sandbox", Method: "POST", Path: "/deep", Body: []byte(strings.Replace(string(body), "leaf", "c", 1)),
		Ctx: context.Background()})
	if !res.Matched || res.MockID != "c" {
		t.Fatalf("live context: %+v", res)
	}
	r.Release(res)
}

// TestFindChecksAreTheSameForPlugins: a plugin's find request missing what
// it cannot do without is refused as the REST endpoint refuses it (the
// field named), as the client's error, not as a miss or an outage.
func TestFindChecksAreTheSameForPlugins(t *testing.T) {
	f := Finder{R: newResolver(t)}
	ctx := context.Background()
	for proto, call := range map[string]func() error{
		model.ProtoGRPC: func() error { _, err := f.FindGRPC(ctx, &find.GRPCRequest{Service: "s"}); return err },
		model.ProtoKafka: func() error {
			_, err := f.FindKafka(ctx, &find.KafkaRequest{Data: json.RawMessage(`{}`)})
			return err
		},
		model.ProtoRabbitMQ: func() error { _, err := f.FindRabbitMQ(ctx, &find.RabbitMQRequest{RoutingKey: "k"}); return err },
		model.ProtoHTTP: func() error {
			_, err := f.FindHTTP(ctx, &find.HTTPRequest{Method: "GET", Path: "no-slash"})
			return err
		},
		model.ProtoSOAP: func() error { _, err := f.FindSOAP(ctx, &find.SOAPRequest{}); return err },
		model.ProtoMCP:  func() error { _, err := f.FindMCP(ctx, &find.MCPRequest{Method: "tools/call"}); return err },
		model.ProtoGraphQL: func() error {
			_, err := f.FindGraphQL(ctx, &find.GraphQLRequest{Field: "user", Operation: "fetch"})
			return err
		},
		model.ProtoSSE: func() error { _, err := f.FindSSE(ctx, &find.SSERequest{}); return err },
	} {
		err := call()
		var fe *model.FieldError
		if !errors.Is(err, sdk.ErrInvalidInput) || !errors.As(err, &fe) || fe.Field == "" {
			t.Errorf("%s: %v, want a refused field", proto, err)
		}
	}
	req := &find.HTTPRequest{Method: "GET", Path: "relative"}
	if _, err := f.FindHTTP(context.Background(), req); !errors.Is(err, sdk.ErrInvalidInput) {
		t.Errorf("FindHTTP with a relative path: %v", err)
	}
	// SMTP needs nothing: a mail without a sender is still looked up.
	var nm *sdk.NoMatch
	if _, err := f.FindSMTP(ctx, &find.SMTPRequest{}); !errors.As(err, &nm) {
		t.Errorf("smtp: %v", err)
	}
}

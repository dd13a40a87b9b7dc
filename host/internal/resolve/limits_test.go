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
	_, _, _, err := f.Find(context.Background(), model.ProtoGRPC, []byte(`{"service":"s","method":"m","data":`+deep+`}`))
	var de *jpath.DepthError
	if !errors.As(err, &de) || !errors.Is(err, sdk.ErrBodyTooDeep) || !strings.Contains(err.Error(), "grpc find request") {
		t.Fatalf("Find: %v", err)
	}
	req := &find.HTTPRequest{Method: "POST", Path: "/deep"}
	req.SetBody([]byte(deep))
	if _, err := f.FindHTTP(context.Background(), req); !errors.As(err, &de) || !errors.Is(err, sdk.ErrBodyTooDeep) {
		t.Fatalf("FindHTTP: %v", err)
	}
	// The JSON form of an HTTP find (a plugin's body over 256 KiB) carries
	// the body as a string: it is refused all the same.
	asJSON, _ := json.Marshal(map[string]string{"method": "POST", "path": "/deep", "body": deep})
	if _, _, _, err := f.Find(context.Background(), model.ProtoHTTP, asJSON); !errors.Is(err, sdk.ErrBodyTooDeep) {
		t.Fatalf("Find(http) with the body as a JSON string: %v", err)
	}
	_, _, _, err = f.Find(context.Background(), model.ProtoGRPC, []byte(`{"service":42}`))
	if !errors.Is(err, sdk.ErrInvalidInput) || errors.Is(err, sdk.ErrBodyTooDeep) || !strings.Contains(err.Error(), "grpc find request") {
		t.Fatalf("a find request that does not decode: %v", err)
	}
	// Within the limit it is an ordinary miss.
	found, _, near, err := f.Find(context.Background(), model.ProtoGRPC, []byte(`{"service":"s","method":"m","data":`+nested(100)+`}`))
	if found || err != nil || len(near) == 0 {
		t.Fatalf("depth 100: %v %s %v", found, near, err)
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
	for proto, body := range map[string]string{
		model.ProtoGRPC:     `{"service":"s"}`,
		model.ProtoKafka:    `{"data":{}}`,
		model.ProtoRabbitMQ: `{"routingKey":"k"}`,
		model.ProtoHTTP:     `{"method":"GET","path":"no-slash"}`,
		model.ProtoSOAP:     `{}`,
		model.ProtoMCP:      `{"method":"tools/call"}`,
		model.ProtoGraphQL:  `{"field":"user","operation":"fetch"}`,
		model.ProtoSSE:      `{"path":""}`,
	} {
		_, _, _, err := f.Find(context.Background(), proto, []byte(body))
		var fe *model.FieldError
		if !errors.Is(err, sdk.ErrInvalidInput) || !errors.As(err, &fe) || fe.Field == "" {
			t.Errorf("%s %s: %v, want a refused field", proto, body, err)
		}
	}
	req := &find.HTTPRequest{Method: "GET", Path: "relative"}
	if _, err := f.FindHTTP(context.Background(), req); !errors.Is(err, sdk.ErrInvalidInput) {
		t.Errorf("FindHTTP with a relative path: %v", err)
	}
	// SMTP needs nothing: a mail without a sender is still looked up.
	if _, _, _, err := f.Find(context.Background(), model.ProtoSMTP, []byte(`{}`)); err != nil {
		t.Errorf("smtp: %v", err)
	}
}

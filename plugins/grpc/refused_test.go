package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"
)

// A method that takes a google.protobuf.Value takes any JSON, nested as
// deeply as the caller likes.
const deepProto = `syntax = "proto3";
package deep;
import "google/protobuf/struct.proto";
service Echo { rpc Send(google.protobuf.Value) returns (google.protobuf.Value); }
`

// nestedValue is a Value of lists nested depth deep around a string.
func nestedValue(depth int) *structpb.Value {
	v := structpb.NewStringValue("leaf")
	for i := 0; i < depth; i++ {
		v = structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{v}})
	}
	return v
}

// TestDeepMessageIsInvalidArgument: a message whose JSON nests past the
// host's MAX_BODY_DEPTH (512) is refused by the host's find, and the
// caller gets INVALID_ARGUMENT with an ErrorInfo BODY_TOO_DEEP, not
// UNAVAILABLE; a message within the limit is answered.
func TestDeepMessageIsInvalidArgument(t *testing.T) {
	e := start(t, "")
	ctx := context.Background()
	e.must(201, "POST", "/api/v1/protos", map[string]any{"name": "deep/deep.proto", "content": deepProto})
	e.mock(`{"id":"echo","grpc":{"service":"deep.Echo","method":"Send"},"response":{"payload":{"ok":true}}}`)
	out := &structpb.Value{}
	plugintest.EventuallyNoError(t, 30*time.Second, func() error {
		return e.conn.Invoke(ctx, "/deep.Echo/Send", nestedValue(100), out)
	}, "the echo mock served")
	if !out.GetStructValue().GetFields()["ok"].GetBoolValue() {
		t.Fatalf("within the limit: %v", out)
	}

	err := e.conn.Invoke(ctx, "/deep.Echo/Send", nestedValue(1000), &structpb.Value{})
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), "nested more than 512 levels deep") {
		t.Fatalf("a message nested 1000 deep: %v", err)
	}
	var info *errdetails.ErrorInfo
	for _, d := range st.Details() {
		if i, ok := d.(*errdetails.ErrorInfo); ok {
			info = i
		}
	}
	if info.GetReason() != "BODY_TOO_DEEP" || info.GetDomain() != "mockarty" {
		t.Fatalf("ErrorInfo: %v", st.Details())
	}
	if err := e.conn.Invoke(ctx, "/deep.Echo/Send", nestedValue(3), out); err != nil {
		t.Fatalf("the listener keeps serving: %v", err)
	}
}

package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/sdk/gen/pluginv1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// refusingHost fails every find the way the host does: a body that says
// "deep" is too deep, one that says "bad" is invalid, anything else the
// host cannot answer (a change not saved).
type refusingHost struct{}

func (refusingHost) fail(protocol string, body []byte) error {
	switch {
	case bytes.Contains(body, []byte("deep")):
		return fmt.Errorf("%s find request: the JSON body is nested more than 512 levels deep: %w", protocol, ErrBodyTooDeep)
	case bytes.Contains(body, []byte("bad")):
		return fmt.Errorf("%s find request: cannot decode: %w", protocol, ErrInvalidInput)
	}
	return errors.New("not saved: the database is read-only")
}

func (h refusingHost) Find(_ context.Context, protocol string, body []byte) (bool, []byte, []byte, error) {
	return false, nil, nil, h.fail(protocol, body)
}

func (h refusingHost) FindHTTP(_ context.Context, r *FindHTTPRequest) (*FindHTTPResponse, *NearMiss, error) {
	return nil, nil, h.fail("http", r.RawBody())
}

// A find the host refuses for its input reaches the plugin as
// ErrInvalidInput (ErrBodyTooDeep for depth) with the host's message,
// whichever way it travels: typed HTTP or JSON on the stream, or the unary
// Find for a body over streamMaxBody. An outage is neither.
func TestRefusedFindsAreTypedErrors(t *testing.T) {
	host, _ := serveHost(t, func() *grpc.Server { return newHostGRPCServer(nil, refusingHost{}) })
	ctx := context.Background()
	pad := strings.Repeat(" ", streamMaxBody) // the unary Find
	for _, c := range []struct {
		name, word string
		deep, bad  bool
		msg        string
	}{
		{"too deep", "deep", true, true, "nested more than 512 levels deep"},
		{"invalid", "bad", false, true, "cannot decode"},
		{"outage", "fine", false, false, "not saved"},
	} {
		for _, big := range []bool{false, true} {
			body := `"` + c.word + `"`
			if big {
				body = `"` + c.word + pad + `"`
			}
			check := func(what string, err error) {
				t.Helper()
				if err == nil || errors.Is(err, ErrBodyTooDeep) != c.deep || errors.Is(err, ErrInvalidInput) != c.bad ||
					!strings.Contains(err.Error(), c.msg) {
					t.Errorf("%s, %s, big=%v: %v (too deep %v, invalid %v)", c.name, what, big, err,
						errors.Is(err, ErrBodyTooDeep), errors.Is(err, ErrInvalidInput))
				}
			}
			req := &FindHTTPRequest{Method: "POST", Path: "/x"}
			req.SetBody([]byte(body))
			_, _, err := host.FindHTTP(ctx, req)
			check("FindHTTP", err)
			_, _, err = host.FindGRPC(ctx, &FindGRPCRequest{Service: "s", Method: "m", Data: json.RawMessage(body)})
			check("FindGRPC", err)
		}
	}
}

// Plugins in other languages read the unary Find's status: INVALID_ARGUMENT
// with a google.rpc.ErrorInfo naming the reason, or UNAVAILABLE.
func TestUnaryFindStatusOfARefusal(t *testing.T) {
	_, f := serveHost(t, func() *grpc.Server { return newHostGRPCServer(nil, refusingHost{}) })
	for body, want := range map[string]struct {
		code   codes.Code
		reason string
	}{
		`"deep"`: {codes.InvalidArgument, "BODY_TOO_DEEP"},
		`"bad"`:  {codes.InvalidArgument, "INVALID_INPUT"},
		`"fine"`: {codes.Unavailable, ""},
	} {
		_, err := f.rpc.Find(context.Background(), &pluginv1.FindRequest{Protocol: "grpc", Body: []byte(body)})
		st := status.Convert(err)
		reason := ""
		for _, d := range st.Details() {
			if info, ok := d.(*errdetails.ErrorInfo); ok && info.GetDomain() == "mockarty" {
				reason = info.GetReason()
			}
		}
		if st.Code() != want.code || reason != want.reason || (want.reason != "" && !strings.HasPrefix(st.Message(), "grpc find request")) {
			t.Errorf("%s: %v %q, want %v %q", body, st.Code(), reason, want.code, want.reason)
		}
	}
}

// everyErrorInvalid is a host from before the reasons: every failure was
// INVALID_ARGUMENT, outages included.
type everyErrorInvalid struct{ *hostServer }

func (everyErrorInvalid) Find(context.Context, *pluginv1.FindRequest) (*pluginv1.FindResponse, error) {
	return nil, status.Error(codes.InvalidArgument, "not saved")
}

func TestInvalidArgumentWithoutAReasonIsNoRefusal(t *testing.T) {
	host, _ := serveHost(t, func() *grpc.Server {
		s := grpc.NewServer()
		pluginv1.RegisterHostServer(s, unaryOnlyHost{&hostServer{finder: refusingHost{}}})
		return s
	})
	_, _, err := host.FindGRPC(context.Background(), &FindGRPCRequest{Service: "s", Method: "m", Data: json.RawMessage(`"deep"`)})
	if !errors.Is(err, ErrBodyTooDeep) {
		t.Fatalf("the unary Find of a host without FindStream: %v", err)
	}
	old, _ := serveHost(t, func() *grpc.Server {
		s := grpc.NewServer()
		pluginv1.RegisterHostServer(s, everyErrorInvalid{&hostServer{finder: refusingHost{}}})
		return s
	})
	req := &FindHTTPRequest{Method: "POST", Path: "/x"}
	req.SetBody([]byte(strings.Repeat("x", streamMaxBody+1)))
	_, _, err = old.FindHTTP(context.Background(), req)
	if err == nil || errors.Is(err, ErrInvalidInput) {
		t.Fatalf("an INVALID_ARGUMENT without ErrorInfo: %v", err)
	}
}

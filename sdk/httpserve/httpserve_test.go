package httpserve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/mockarty-oss/mockarty/sdk"
)

type ctxKey struct{}

func TestListenServeShutdown(t *testing.T) {
	base, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "plugin"))
	defer cancel()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Context().Value(ctxKey{}).(string)) // the request's context is base's child
	})
	s, addrs, err := Listen([]string{"127.0.0.1:0", "127.0.0.1:0"}, h, base, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	if len(addrs) != 2 || addrs[0] == addrs[1] {
		t.Fatalf("addresses: %v", addrs)
	}
	for _, a := range addrs {
		res, err := http.Get("http://" + a)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if string(b) != "plugin" {
			t.Fatalf("%s: %q", a, b)
		}
	}
	// An address that is taken: an error, and the one opened before it is closed again.
	if _, _, err := Listen([]string{"127.0.0.1:0", addrs[0]}, h, base, hclog.NewNullLogger()); err == nil {
		t.Fatal("listened on a taken address")
	}
	ctx, done := context.WithTimeout(context.Background(), 5*time.Second)
	defer done()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get("http://" + addrs[0]); err == nil {
		t.Fatal("still serving after Shutdown")
	}
	var none *Servers
	if none.Shutdown(ctx) != nil {
		t.Fatal("nil Servers")
	}
	none.Close()
}

// A refused find is the client's error, in the status and code of the
// host's /stubs; anything else is the host's.
func TestFindError(t *testing.T) {
	for _, c := range []struct {
		err    error
		status int
		code   string
		msg    string
	}{
		{fmt.Errorf("http find request: nested too deep: %w", sdk.ErrBodyTooDeep), 413, "body_too_deep", "http find request: nested too deep"},
		{fmt.Errorf("grpc find request: cannot decode: %w", sdk.ErrInvalidInput), 400, "validation", "grpc find request: cannot decode"},
		{fmt.Errorf("find: %w", &sdk.NoMatch{Message: "no mock matches GET /x", Code: "no_match"}), 404, "no_match", "no mock matches GET /x"},
		{&sdk.NoMatch{}, 404, "no_match", "no mock matches"},
		{errors.New("the host closed the find stream"), 502, "unavailable", "the mock host did not answer: the host closed the find stream"},
	} {
		status, code, msg := FindError(c.err)
		if status != c.status || code != c.code || !strings.HasPrefix(msg, c.msg) {
			t.Errorf("%v: %d %s %q", c.err, status, code, msg)
		}
	}
}

package httpserve

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
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

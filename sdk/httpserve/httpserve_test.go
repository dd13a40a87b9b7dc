package httpserve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
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

// holdHandler answers /hold once release is closed or its request's
// context ends, with which of the two came first.
func holdHandler(entered chan<- struct{}, release <-chan struct{}) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/hold" {
			return
		}
		entered <- struct{}{}
		select {
		case <-release:
			_, _ = io.WriteString(w, "released")
		case <-r.Context().Done():
			_, _ = io.WriteString(w, "cancelled")
		}
	})
}

// getAsync sends GET url and delivers the body (or the error's text).
func getAsync(url string) <-chan string {
	out := make(chan string, 1)
	go func() {
		res, err := http.Get(url)
		if err != nil {
			out <- "error: " + err.Error()
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		out <- string(b)
	}()
	return out
}

func TestServiceStartHealthStop(t *testing.T) {
	var svc Service
	if err := svc.Health(context.Background()); err == nil || err.Error() != "not listening" {
		t.Fatalf("health before Start: %v", err)
	}
	if err := svc.Stop(context.Background(), Graceful); err != nil {
		t.Fatalf("stopping a Service never started: %v", err)
	}
	entered, release := make(chan struct{}), make(chan struct{})
	h := holdHandler(entered, release)
	base, addrs, err := svc.Start([]string{"127.0.0.1:0", "127.0.0.1:0"}, h, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	if len(addrs) != 2 || svc.Health(context.Background()) != nil {
		t.Fatalf("started on %v: health %v", addrs, svc.Health(context.Background()))
	}
	if _, _, err := svc.Start([]string{"127.0.0.1:0"}, h, hclog.NewNullLogger()); err == nil || err.Error() != "already started" {
		t.Fatalf("a second Start: %v", err)
	}

	// Graceful: the request in flight finishes before the base context ends.
	body := getAsync("http://" + addrs[0] + "/hold")
	<-entered
	ctx, done := context.WithTimeout(context.Background(), 10*time.Second)
	defer done()
	stopped := make(chan error, 1)
	go func() { stopped <- svc.Stop(ctx, Graceful) }()
	plugintest.Eventually(t, 5*time.Second, func() bool {
		c, err := net.Dial("tcp", addrs[0])
		if err == nil {
			_ = c.Close()
		}
		return err != nil
	}, "the servers still accept after Stop began")
	if base.Err() != nil {
		t.Fatal("a graceful Stop cancelled the requests' context before they finished")
	}
	close(release)
	if got := <-body; got != "released" {
		t.Fatalf("the request in flight: %q", got)
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if base.Err() == nil || svc.Health(context.Background()) == nil {
		t.Fatal("after Stop the base context is live or the Service healthy")
	}

	// Started again, CancelFirst ends the request in flight at once.
	release = make(chan struct{})
	defer close(release)
	base, addrs, err = svc.Start([]string{"127.0.0.1:0"}, holdHandler(entered, release), hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	body = getAsync("http://" + addrs[0] + "/hold")
	<-entered
	if err := svc.Stop(ctx, CancelFirst); err != nil {
		t.Fatal(err)
	}
	if got := <-body; got != "cancelled" || base.Err() == nil {
		t.Fatalf("the request in flight: %q (base: %v)", got, base.Err())
	}
}

func TestServiceStopDeadlineAndFailedStart(t *testing.T) {
	var svc Service
	entered, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	base, addrs, err := svc.Start([]string{"127.0.0.1:0"}, holdHandler(entered, release), hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	body := getAsync("http://" + addrs[0] + "/hold")
	<-entered
	// A graceful Stop whose ctx ends first: its error, then what is left is cut.
	ctx, done := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer done()
	if err := svc.Stop(ctx, Graceful); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("stop past its deadline: %v", err)
	}
	if base.Err() == nil {
		t.Fatal("the base context outlived Stop")
	}
	<-body // answered or cut, but not left hanging

	// An address that is taken: an error, and the Service stays stopped.
	var other Service
	_, held, err := other.Start([]string{"127.0.0.1:0"}, http.NotFoundHandler(), hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = other.Stop(context.Background(), CancelFirst) }()
	if _, _, err := svc.Start([]string{"127.0.0.1:0", held[0]}, http.NotFoundHandler(), hclog.NewNullLogger()); err == nil {
		t.Fatal("started on a taken address")
	}
	if svc.Health(context.Background()) == nil {
		t.Fatal("a Start that failed left the Service healthy")
	}
	if _, _, err := svc.Start([]string{"127.0.0.1:0"}, http.NotFoundHandler(), hclog.NewNullLogger()); err != nil {
		t.Fatalf("a Start after a failed one: %v", err)
	}
	_ = svc.Stop(context.Background(), Graceful)
}

// Package httpserve runs a listener plugin's net/http handler on its
// addresses, the same way for every HTTP-based listener (SSE, MCP,
// GraphQL, SOAP): header and idle timeouts, no write timeout (a mock's
// delay or a stream may be long), every request's context a child of the
// plugin's, and net/http's own errors in the plugin's log at debug level.
// Service keeps those servers between a listener's Start and Stop.
// FindError answers a failed Find alike in all of them, and in the HTTP
// listener.
package httpserve

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/listen"
)

// Servers are the HTTP servers of one listener.
type Servers struct {
	list []*http.Server
}

// Listen serves h on every address and returns the addresses bound (a
// port 0 becomes the port picked). base is the parent of every request's
// context: cancelling it ends requests still running after Shutdown. If an
// address cannot be bound, the ones already open are closed.
func Listen(addresses []string, h http.Handler, base context.Context, log hclog.Logger) (*Servers, []string, error) {
	lns, err := listen.Bind(addresses)
	if err != nil {
		return nil, nil, err
	}
	s := &Servers{}
	bound := make([]string, 0, len(lns))
	for _, ln := range lns {
		srv := &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       120 * time.Second,
			BaseContext:       func(net.Listener) context.Context { return base },
			ErrorLog:          log.StandardLogger(&hclog.StandardLoggerOptions{ForceLevel: hclog.Debug}),
		}
		s.list = append(s.list, srv)
		bound = append(bound, ln.Addr().String())
		go func() { _ = srv.Serve(ln) }()
	}
	return s, bound, nil
}

// Shutdown stops accepting and waits for the requests in flight until ctx
// ends. A nil Servers has nothing to stop.
func (s *Servers) Shutdown(ctx context.Context) error {
	if s == nil {
		return nil
	}
	var errs []error
	for _, srv := range s.list {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Close cuts every connection still open.
func (s *Servers) Close() {
	if s == nil {
		return
	}
	for _, srv := range s.list {
		_ = srv.Close()
	}
}

// Service is an HTTP listener's run: its servers, from Start to Stop, and
// the base context of their requests. The zero value is stopped. A
// listener keeps one and answers Health through it; its own state stays
// under its own lock.
type Service struct {
	mu      sync.Mutex
	servers *Servers
	cancel  context.CancelFunc
}

// StopMode is the order in which Stop ends a Service's requests.
type StopMode int

const (
	// Graceful lets the requests in flight finish (their delays included)
	// until Stop's ctx ends, then cancels the base context, which ends
	// what is left, and cuts the connections still open.
	Graceful StopMode = iota
	// CancelFirst cancels the base context first, which ends every stream
	// and delay at once (graceful for a stream is a closed stream), then
	// shuts the servers down, and cuts what is still open when ctx ends.
	CancelFirst
)

// Start serves h on every address, as Listen does, under a new base
// context, which it returns with the addresses bound: the listener's own
// background work (a watch of the host) runs under it too, and ends with
// Stop. A Service that is started already is refused.
func (s *Service) Start(addresses []string, h http.Handler, log hclog.Logger) (context.Context, []string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.servers != nil {
		return nil, nil, errors.New("already started")
	}
	base, cancel := context.WithCancel(context.Background())
	servers, addrs, err := Listen(addresses, h, base, log)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	s.servers, s.cancel = servers, cancel
	return base, addrs, nil
}

// Health reports a problem when no address is being served.
func (s *Service) Health(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.servers == nil {
		return errors.New("not listening")
	}
	return nil
}

// Stop ends the Service in the order mode names and leaves it stopped (it
// may be started again). The error is the shutdown's: ctx ended before the
// requests did. A Service that is not started has nothing to stop.
func (s *Service) Stop(ctx context.Context, mode StopMode) error {
	s.mu.Lock()
	servers, cancel := s.servers, s.cancel
	s.servers, s.cancel = nil, nil
	s.mu.Unlock()
	if servers == nil {
		return nil
	}
	if mode == CancelFirst {
		cancel()
	}
	err := servers.Shutdown(ctx)
	cancel() // ends what the shutdown left running
	servers.Close()
	return err
}

// FindError is the status, error code and message with which an HTTP
// listener answers a Find that failed. Input the host refuses is the
// client's error, answered as the host's /stubs answers it: 413
// body_too_deep past MAX_BODY_DEPTH, else 400 validation, with the host's
// message. A miss (*sdk.NoMatch) is 404 with the host's code and reason; a
// listener usually sends the whole report instead. Anything else is the
// host's failure: 502 unavailable.
func FindError(err error) (status int, code, msg string) {
	var nm *sdk.NoMatch
	switch {
	case errors.As(err, &nm):
		code = nm.Code
		if code == "" {
			code = "no_match"
		}
		return http.StatusNotFound, code, nm.Error()
	case errors.Is(err, sdk.ErrBodyTooDeep):
		return http.StatusRequestEntityTooLarge, "body_too_deep", err.Error()
	case errors.Is(err, sdk.ErrInvalidInput):
		return http.StatusBadRequest, "validation", err.Error()
	}
	return http.StatusBadGateway, "unavailable", "the mock host did not answer: " + err.Error()
}

// Package httpserve runs a listener plugin's net/http handler on its
// addresses, the same way for every HTTP-based listener (SSE, MCP,
// GraphQL, SOAP): header and idle timeouts, no write timeout (a mock's
// delay or a stream may be long), every request's context a child of the
// plugin's, and net/http's own errors in the plugin's log at debug level.
// FindError answers a failed Find alike in all of them, and in the HTTP
// listener.
package httpserve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/mockarty-oss/mockarty/sdk"
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
	s := &Servers{}
	var bound []string
	for _, a := range addresses {
		ln, err := net.Listen("tcp", a)
		if err != nil {
			s.Close()
			return nil, nil, fmt.Errorf("listen on %s: %w", a, err)
		}
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

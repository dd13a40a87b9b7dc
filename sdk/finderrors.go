package sdk

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// A Find fails in two ways that a listener must tell apart: the host
// refuses the request for what the listener's client sent (the client's
// fault: the protocol's "invalid argument"), or the host could not answer
// (an outage: 502, UNAVAILABLE, a requeue).

// ErrInvalidInput is what a Find* error is (errors.Is) when the host refuses
// the request for what it carries, such as a find request that does not
// decode. Answer the client with the protocol's "invalid argument" (HTTP
// 400, gRPC InvalidArgument) and the error's message, not as an outage.
var ErrInvalidInput = errors.New("the host refuses the input")

// ErrBodyTooDeep is the ErrInvalidInput of a body nested deeper than the
// host's MAX_BODY_DEPTH; the host's own /stubs answer it 413 body_too_deep.
var ErrBodyTooDeep = fmt.Errorf("%w: the body is nested too deeply", ErrInvalidInput)

// The reasons of the google.rpc.ErrorInfo a refused Find carries, and of a
// FindStream answer's error_reason: plugins in any language read them.
const (
	errorDomain        = "mockarty"
	reasonBodyTooDeep  = "BODY_TOO_DEEP"
	reasonInvalidInput = "INVALID_INPUT"
)

// refusal is how the host sends a failed find: the gRPC code and, for
// input it refuses, the reason.
func refusal(ctx context.Context, err error) (codes.Code, string) {
	switch {
	case errors.Is(err, ErrBodyTooDeep):
		return codes.InvalidArgument, reasonBodyTooDeep
	case errors.Is(err, ErrInvalidInput):
		return codes.InvalidArgument, reasonInvalidInput
	case ctx.Err() != nil:
		return status.FromContextError(ctx.Err()).Code(), ""
	}
	return codes.Unavailable, ""
}

// findStatus is the unary Find's status for a failed find (host side).
func findStatus(ctx context.Context, err error) error {
	code, reason := refusal(ctx, err)
	st := status.New(code, err.Error())
	if reason == "" {
		return st.Err()
	}
	if withInfo, derr := st.WithDetails(&errdetails.ErrorInfo{Reason: reason, Domain: errorDomain}); derr == nil {
		st = withInfo
	}
	return st.Err()
}

// refusedError is a refused find as the plugin receives it: the host's
// message, and the class to test with errors.Is.
type refusedError struct {
	msg  string
	kind error // ErrBodyTooDeep or ErrInvalidInput
}

func (e *refusedError) Error() string { return e.msg }
func (e *refusedError) Unwrap() error { return e.kind }

// refused is the plugin's error for a refusal reason ("": the host could
// not answer, and msg is all there is).
func refused(reason, msg string) error {
	switch reason {
	case reasonBodyTooDeep:
		return &refusedError{msg: msg, kind: ErrBodyTooDeep}
	case reasonInvalidInput:
		return &refusedError{msg: msg, kind: ErrInvalidInput}
	}
	return errors.New(msg)
}

// findError is the plugin's error for a failed unary Find. Only an
// INVALID_ARGUMENT that names its reason is a refusal: hosts before the
// reasons answered INVALID_ARGUMENT to every failure, outages included.
func findError(err error) error {
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.InvalidArgument {
		return err
	}
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.GetDomain() == errorDomain {
			if e := refused(info.GetReason(), st.Message()); errors.Is(e, ErrInvalidInput) {
				return e
			}
		}
	}
	return err
}

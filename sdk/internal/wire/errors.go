package wire

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
// (an outage: 502, UNAVAILABLE, a requeue). A miss is neither: the plugin
// hears it as an *sdk.NoMatch.

// ErrInvalidInput is sdk.ErrInvalidInput.
var ErrInvalidInput = errors.New("the host refuses the input")

// ErrBodyTooDeep is sdk.ErrBodyTooDeep.
var ErrBodyTooDeep = fmt.Errorf("%w: the body is nested too deeply", ErrInvalidInput)

// The reasons of the google.rpc.ErrorInfo a refused Find carries, and of a
// FindStream answer's error_reason: plugins in any language read them.
const (
	ErrorDomain        = "mockarty"
	ReasonBodyTooDeep  = "BODY_TOO_DEEP"
	ReasonInvalidInput = "INVALID_INPUT"
)

// Refusal is how the host sends a failed find: the gRPC code and, for
// input it refuses, the reason.
func Refusal(ctx context.Context, err error) (codes.Code, string) {
	switch {
	case errors.Is(err, ErrBodyTooDeep):
		return codes.InvalidArgument, ReasonBodyTooDeep
	case errors.Is(err, ErrInvalidInput):
		return codes.InvalidArgument, ReasonInvalidInput
	case ctx.Err() != nil:
		return status.FromContextError(ctx.Err()).Code(), ""
	}
	return codes.Unavailable, ""
}

// FindStatus is the unary Find's status for a failed find (host side).
func FindStatus(ctx context.Context, err error) error {
	code, reason := Refusal(ctx, err)
	st := status.New(code, err.Error())
	if reason == "" {
		return st.Err()
	}
	if withInfo, derr := st.WithDetails(&errdetails.ErrorInfo{Reason: reason, Domain: ErrorDomain}); derr == nil {
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

// Refused is the plugin's error for a refusal reason ("": the host could
// not answer, and msg is all there is).
func Refused(reason, msg string) error {
	switch reason {
	case ReasonBodyTooDeep:
		return &refusedError{msg: msg, kind: ErrBodyTooDeep}
	case ReasonInvalidInput:
		return &refusedError{msg: msg, kind: ErrInvalidInput}
	}
	return errors.New(msg)
}

// FindError is the plugin's error for a failed unary Find. Only an
// INVALID_ARGUMENT that names its reason is a refusal: hosts before the
// reasons answered INVALID_ARGUMENT to every failure, outages included.
func FindError(err error) error {
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.InvalidArgument {
		return err
	}
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.GetDomain() == ErrorDomain {
			if e := Refused(info.GetReason(), st.Message()); errors.Is(e, ErrInvalidInput) {
				return e
			}
		}
	}
	return err
}

// PlainError turns a gRPC status into its message.
func PlainError(err error) error {
	if err == nil {
		return nil
	}
	if s, ok := status.FromError(err); ok {
		return errors.New(s.Message())
	}
	return err
}

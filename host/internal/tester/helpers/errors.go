package helpers

import (
	"context"
	"errors"
	"fmt"
)

// Kind says what went wrong with a helper call; the API maps it to a status.
type Kind int

// Kinds of failure.
const (
	// KindInput: the request cannot be used (the API's 422, naming Field).
	KindInput Kind = iota + 1
	// KindRefused: the address is private and the policy says no.
	KindRefused
	// KindNotFound: the remote side has no such thing (topic, queue, exchange).
	KindNotFound
	// KindConflict: the remote side has it already, or differently.
	KindConflict
	// KindUpstream: the remote side could not be reached or failed.
	KindUpstream
	// KindTimeout: the call did not finish within its timeout.
	KindTimeout
)

// Error is a failed helper call.
type Error struct {
	Kind Kind
	// Field is the request field at fault ("" when none is).
	Field   string
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Field != "" && e.Kind == KindInput {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Inputf is a request that cannot be used.
func Inputf(field, format string, args ...any) *Error {
	return &Error{Kind: KindInput, Field: field, Message: fmt.Sprintf(format, args...)}
}

func errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Fail classifies err, the failure of what (e.g. "POST http://x/y") made
// for the request field field: a refused address, a timeout of ctx, or an
// upstream failure. Errors that are already an *Error pass unchanged.
func Fail(ctx context.Context, field, what string, err error) error {
	var he *Error
	if errors.As(err, &he) {
		return err
	}
	var re *RefusedError
	switch {
	case errors.As(err, &re):
		return &Error{Kind: KindRefused, Field: field, Message: re.Error(), Err: err}
	case ctx.Err() == context.DeadlineExceeded || errors.Is(err, context.DeadlineExceeded):
		return &Error{Kind: KindTimeout, Field: field, Message: fmt.Sprintf("%s: no answer within the timeout", what), Err: err}
	case ctx.Err() == context.Canceled:
		return &Error{Kind: KindUpstream, Field: field, Message: fmt.Sprintf("%s: cancelled (the client went away)", what), Err: err}
	}
	return &Error{Kind: KindUpstream, Field: field, Message: fmt.Sprintf("%s: %v", what, err), Err: err}
}

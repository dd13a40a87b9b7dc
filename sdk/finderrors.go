package sdk

import "github.com/mockarty-oss/mockarty/sdk/internal/wire"

// A Find fails in three ways that a listener must tell apart: no mock
// matches (*NoMatch: the protocol's "not found", with the host's report);
// the host refuses the request for what the listener's client sent
// (ErrInvalidInput: the client's fault, the protocol's "invalid
// argument"); or the host could not answer (any other error: an outage,
// 502, UNAVAILABLE, a requeue).

// ErrInvalidInput is what a Find* error is (errors.Is) when the host refuses
// the request for what it carries, such as a find request that does not
// decode. Answer the client with the protocol's "invalid argument" (HTTP
// 400, gRPC InvalidArgument) and the error's message, not as an outage.
var ErrInvalidInput = wire.ErrInvalidInput

// ErrBodyTooDeep is the ErrInvalidInput of a body nested deeper than the
// host's MAX_BODY_DEPTH; the host's own /stubs answer it 413 body_too_deep.
var ErrBodyTooDeep = wire.ErrBodyTooDeep

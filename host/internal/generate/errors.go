package generate

import "fmt"

// InputError is a generator input that cannot be used: the API answers it
// with 422 naming Field (a malformed SDL, WSDL or tool description).
type InputError struct {
	Field   string
	Message string
}

func (e *InputError) Error() string { return e.Field + ": " + e.Message }

// Inputf makes an InputError.
func Inputf(field, format string, args ...any) *InputError {
	return &InputError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// UpstreamError is a live source (an MCP server) that could not be read:
// the API answers it with 502.
type UpstreamError struct {
	Source string
	Err    error
}

func (e *UpstreamError) Error() string { return e.Source + ": " + e.Err.Error() }
func (e *UpstreamError) Unwrap() error { return e.Err }

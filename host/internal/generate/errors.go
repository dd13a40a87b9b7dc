package generate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

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

// JSONPosition is where a JSON decoding error of data happened, as a line
// and column from 1 (ok false when the error does not say).
func JSONPosition(data []byte, err error) (line, col int, ok bool) {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return 0, 0, false
	}
	if off > 0 {
		off-- // the offset is past the byte in error: point at it
	}
	line = 1 + bytes.Count(data[:off], []byte("\n"))
	col = int(off) - bytes.LastIndexByte(data[:off], '\n')
	return line, col, true
}

// JSONWhere is a JSON decoding error of data as "line L, column C: message".
func JSONWhere(data []byte, err error) string {
	if line, col, ok := JSONPosition(data, err); ok {
		return fmt.Sprintf("line %d, column %d: %v", line, col, err)
	}
	return err.Error()
}

package jpath

import (
	"bytes"
	"fmt"

	"github.com/mockarty-oss/mockarty/host/internal/limits"
)

// DefaultMaxDepth is how deeply a JSON body may nest unless SetMaxDepth
// says otherwise. Real documents stay far below it; deeper ones only serve
// to make recursive work expensive.
const DefaultMaxDepth = 512

var maxDepth = limits.New(DefaultMaxDepth)

// SetMaxDepth sets the nesting limit of CheckDepth (n <= 0 restores the default).
func SetMaxDepth(n int) {
	maxDepth.Set(n)
}

// MaxDepth is the nesting limit in force.
func MaxDepth() int { return maxDepth.Get() }

// DepthError is a body nested deeper than the limit.
type DepthError struct{ Limit int }

func (e *DepthError) Error() string {
	return fmt.Sprintf("the JSON body is nested more than %d levels deep (the limit is MAX_BODY_DEPTH)", e.Limit)
}

// CheckDepth refuses a JSON body that nests objects and arrays deeper than
// the limit, before anything decodes it. It reads the bytes once without
// allocating, and not at all when the body has too few brackets to be that
// deep. A body whose first byte opens no object or array is not JSON that
// can nest, and passes.
func CheckDepth(b []byte) error {
	limit := maxDepth.Get()
	if len(b) <= limit {
		return nil
	}
	t := bytes.TrimLeft(b, " \t\r\n")
	if len(t) == 0 || (t[0] != '{' && t[0] != '[') {
		return nil
	}
	if bytes.Count(t, []byte{'['})+bytes.Count(t, []byte{'{'}) <= limit {
		return nil
	}
	depth := 0
	for i := 0; i < len(t); i++ {
		switch t[i] {
		case '"':
			// Skip the string: brackets inside it do not nest.
			for i++; i < len(t) && t[i] != '"'; i++ {
				if t[i] == '\\' {
					i++
				}
			}
		case '{', '[':
			if depth++; depth > limit {
				return &DepthError{Limit: limit}
			}
		case '}', ']':
			if depth > 0 {
				depth--
			}
		}
	}
	return nil
}

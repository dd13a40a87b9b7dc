package openapi

import (
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"
)

// A pattern's sample matches it and holds no control characters (\s is
// drawn as a space).
func TestPatternSamplesAreReadable(t *testing.T) {
	for _, p := range []string{`^[A-Z]{3}\s[0-9]{2}$`, `^\S+@\S+$`, `^[a-z]+(-[a-z]+)*$`} {
		s := &openapi3.Schema{Type: &openapi3.Types{"string"}, Pattern: p}
		v, ok := Sample(&openapi3.SchemaRef{Value: s}, "code", Response).(string)
		if !ok || !regexp.MustCompile(p).MatchString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0 {
			t.Errorf("%s: %q", p, v)
		}
	}
}

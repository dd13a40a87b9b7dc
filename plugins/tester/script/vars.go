package script

import (
	"encoding/json"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// undefinedValue is a variable a script set to JavaScript undefined
// (pm.environment.set("k")). It lives only until that script ends: Postman
// hands variables between scripts as JSON, so from then on the value is null.
type undefinedValue struct{}

// Vars is one variable scope (globals, collection, environment, iteration data
// or local): keys keep their insertion order, values are JSON-able Go values
// (string, float64, bool, nil, map[string]any, []any). It is safe for
// concurrent use.
type Vars struct {
	mu   sync.RWMutex
	keys []string
	vals map[string]any
}

// NewVars returns an empty scope.
func NewVars() *Vars { return &Vars{vals: map[string]any{}} }

// VarsFromMap returns a scope holding m, its keys in sorted order (Go maps have
// none); use Set in a loop to keep a file's order.
func VarsFromMap(m map[string]any) *Vars {
	v := NewVars()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v.Set(k, m[k])
	}
	return v
}

// Get returns the value of key and whether it is set.
func (v *Vars) Get(key string) (any, bool) {
	if v == nil {
		return nil, false
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	val, ok := v.vals[key]
	return val, ok
}

// Set sets key to val, keeping the key's position when it already exists.
func (v *Vars) Set(key string, val any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.vals == nil {
		v.vals = map[string]any{}
	}
	if _, ok := v.vals[key]; !ok {
		v.keys = append(v.keys, key)
	}
	v.vals[key] = val
}

// Unset removes key.
func (v *Vars) Unset(key string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, ok := v.vals[key]; !ok {
		return
	}
	delete(v.vals, key)
	for i, k := range v.keys {
		if k == key {
			v.keys = append(v.keys[:i], v.keys[i+1:]...)
			break
		}
	}
}

// Clear removes every key.
func (v *Vars) Clear() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.keys = nil
	v.vals = map[string]any{}
}

// Keys returns the keys in insertion order.
func (v *Vars) Keys() []string {
	if v == nil {
		return nil
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	return append([]string(nil), v.keys...)
}

// Len returns the number of keys.
func (v *Vars) Len() int {
	if v == nil {
		return 0
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	return len(v.keys)
}

// Map returns a copy of the scope as a map.
func (v *Vars) Map() map[string]any {
	out := map[string]any{}
	if v == nil {
		return out
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	for k, val := range v.vals {
		out[k] = val
	}
	return out
}

// Clone returns an independent copy of the scope (values are shared, which is
// safe because scripts replace values rather than mutate them).
func (v *Vars) Clone() *Vars {
	c := NewVars()
	if v == nil {
		return c
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	c.keys = append(c.keys, v.keys...)
	for k, val := range v.vals {
		c.vals[k] = val
	}
	return c
}

// String returns the value of key as Postman substitutes it into {{key}}.
func (v *Vars) String(key string) (string, bool) {
	val, ok := v.Get(key)
	if !ok {
		return "", false
	}
	return ValueString(val), true
}

// Scopes are the variable scopes of one collection run. Every script of the run
// shares them; scripts change them and the runner reads them afterwards.
// A nil field is an empty scope; Local is created on the first pm.variables.set.
type Scopes struct {
	Globals, Collection, Environment, Data, Local *Vars
}

// layers returns the scopes from highest to lowest precedence.
func (s *Scopes) layers() [5]*Vars {
	return [5]*Vars{s.Local, s.Data, s.Environment, s.Collection, s.Globals}
}

// Get resolves name with Postman's precedence:
// Local > Data > Environment > Collection > Globals.
func (s *Scopes) Get(name string) (any, bool) {
	if s == nil {
		return nil, false
	}
	for _, v := range s.layers() {
		if val, ok := v.Get(name); ok {
			return val, true
		}
	}
	return nil, false
}

// Replace substitutes {{name}} in text from the scopes, then from Postman's
// dynamic variables ({{$guid}}, {{$timestamp}}, {{$randomInt}}, ...). Unknown
// names stay as written; a value that itself holds {{...}} is resolved again,
// at most 19 rounds deep like Postman, so self-references end.
func (s *Scopes) Replace(text string) string {
	return replaceVars(text, func(name string) (string, bool) {
		val, ok := s.Get(name)
		if !ok {
			return "", false
		}
		return ValueString(val), true
	})
}

var varRef = regexp.MustCompile(`\{\{([^{}]*?)}}`)

// maxSubstitutionRounds mirrors postman-collection's limit on nested lookups.
const maxSubstitutionRounds = 19

// replaceVars substitutes {{name}} using lookup, then dynamic variables. Each
// round replaces the innermost references, so {{ {{a}} }} resolves inside out.
func replaceVars(text string, lookup func(string) (string, bool)) string {
	if !strings.Contains(text, "{{") {
		return text
	}
	for range maxSubstitutionRounds {
		changed := false
		text = varRef.ReplaceAllStringFunc(text, func(m string) string {
			name := m[2 : len(m)-2]
			if val, ok := lookup(name); ok {
				changed = changed || val != m
				return val
			}
			if val, ok := dynamicVariable(name); ok {
				changed = true
				return val
			}
			return m
		})
		if !changed {
			break
		}
	}
	return text
}

// ValueString converts a variable value to text the way JavaScript's
// String() does, which is what Postman puts in place of {{name}}.
func ValueString(val any) string {
	switch x := val.(type) {
	case nil:
		return "null"
	case undefinedValue:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return jsNumberString(x)
	case float32:
		return jsNumberString(float64(x))
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case json.Number:
		return x.String()
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			if e != nil {
				if _, undef := e.(undefinedValue); !undef {
					parts[i] = ValueString(e)
				}
			}
		}
		return strings.Join(parts, ",")
	case map[string]any:
		return "[object Object]"
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return ""
		}
		return string(b)
	}
}

// jsNumberString formats f like JavaScript's Number.prototype.toString.
func jsNumberString(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		return "0"
	}
	abs := math.Abs(f)
	if abs >= 1e21 || abs < 1e-6 {
		s := strconv.FormatFloat(f, 'e', -1, 64)
		// Go writes 1e+21 and 1e-07; JavaScript writes 1e+21 and 1e-7.
		mant, exp, _ := strings.Cut(s, "e")
		sign := exp[0]
		exp = strings.TrimLeft(exp[1:], "0")
		return mant + "e" + string(sign) + exp
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

package wiremock

import (
	"bytes"
	"encoding/json"
	"sort"
)

// obj is a JSON object of a mapping read key by key: what is read is
// marked, so the keys nobody read can be reported rather than dropped.
type obj struct {
	m    map[string]json.RawMessage
	used map[string]bool
}

// newObj reads raw as an object; nil when it is none.
func newObj(raw json.RawMessage) *obj {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return &obj{m: m, used: map[string]bool{}}
}

func (o *obj) has(k string) bool {
	_, ok := o.m[k]
	return ok
}

// raw returns the value of k (nil when absent) and marks it read.
func (o *obj) raw(k string) json.RawMessage {
	v, ok := o.m[k]
	if !ok {
		return nil
	}
	o.used[k] = true
	return v
}

// str reads a string value; ok is false when absent or not a string.
func (o *obj) str(k string) (string, bool) {
	var s string
	if raw := o.raw(k); raw != nil && json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	return "", false
}

// num reads a number value.
func (o *obj) num(k string) (float64, bool) {
	var f float64
	if raw := o.raw(k); raw != nil && json.Unmarshal(raw, &f) == nil {
		return f, true
	}
	return 0, false
}

// boolean reads a boolean value (false when absent).
func (o *obj) boolean(k string) bool {
	var b bool
	if raw := o.raw(k); raw != nil {
		_ = json.Unmarshal(raw, &b)
	}
	return b
}

// sub reads an object value; nil when absent or not an object.
func (o *obj) sub(k string) *obj {
	if raw := o.raw(k); raw != nil {
		return newObj(raw)
	}
	return nil
}

// list reads an array value.
func (o *obj) list(k string) ([]json.RawMessage, bool) {
	raw := o.raw(k)
	if raw == nil {
		return nil, false
	}
	var l []json.RawMessage
	if json.Unmarshal(raw, &l) != nil {
		return nil, false
	}
	return l, true
}

// keys are the object's keys in order.
func (o *obj) keys() []string {
	ks := make([]string, 0, len(o.m))
	for k := range o.m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// ignore marks keys as read that carry nothing to translate.
func (o *obj) ignore(keys ...string) {
	for _, k := range keys {
		o.used[k] = true
	}
}

// rest is the keys nobody read, in order.
func (o *obj) rest() []string {
	var out []string
	for _, k := range o.keys() {
		if !o.used[k] {
			out = append(out, k)
		}
	}
	return out
}

// without is a copy of the object without the keys (a pattern's operator
// read apart from its modifiers).
func (o *obj) without(keys ...string) *obj {
	c := &obj{m: map[string]json.RawMessage{}, used: map[string]bool{}}
	for k, v := range o.m {
		c.m[k] = v
	}
	for _, k := range keys {
		delete(c.m, k)
	}
	return c
}

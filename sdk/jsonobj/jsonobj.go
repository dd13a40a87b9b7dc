// Package jsonobj is a JSON object whose keys keep their order, for where
// the order means something: XML elements of a sequence mapped to JSON and
// back (SOAP), or a GraphQL response whose fields follow the selection.
// Object is written with its keys in order; Decode reads JSON into
// Objects, lists and scalars, up to a nesting depth.
package jsonobj

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Object is a JSON object whose keys keep the order they were added in. A
// key may repeat (as JSON allows): each occurrence is kept. Keys[i] goes
// with Vals[i]; the zero value is an empty object.
type Object struct {
	Keys []string
	Vals []any
}

// Add appends the member k: v.
func (o *Object) Add(k string, v any) {
	o.Keys = append(o.Keys, k)
	o.Vals = append(o.Vals, v)
}

// MarshalJSON writes the members in order.
func (o *Object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.Keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(o.Vals[i])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Decode reads one JSON value into *Object, []any, string, json.Number,
// bool and nil values. The top value is at depth 0, a member or item of a
// value at depth d is at d+1: a value deeper than maxDepth is an error, as
// is anything after the value.
func Decode(data []byte, maxDepth int) (any, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	v, err := decodeValue(d, 0, maxDepth)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("JSON: more than one value")
	}
	return v, nil
}

func decodeValue(d *json.Decoder, depth, maxDepth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("JSON nests deeper than %d levels", maxDepth)
	}
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := &Object{}
			for d.More() {
				kt, err := d.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := decodeValue(d, depth+1, maxDepth)
				if err != nil {
					return nil, err
				}
				o.Add(k, v)
			}
			if _, err := d.Token(); err != nil { // '}'
				return nil, err
			}
			return o, nil
		case '[':
			list := []any{}
			for d.More() {
				v, err := decodeValue(d, depth+1, maxDepth)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			if _, err := d.Token(); err != nil { // ']'
				return nil, err
			}
			return list, nil
		}
		return nil, fmt.Errorf("JSON: unexpected %v", t)
	default:
		return t, nil // string, json.Number, bool or nil
	}
}

package postman

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// Environment is a Postman environment or globals file.
type Environment struct {
	ID     string     `json:"id,omitempty"`
	Name   string     `json:"name"`
	Values []EnvValue `json:"values"`
	// Scope is "environment" or "globals" (_postman_variable_scope).
	Scope string `json:"_postman_variable_scope,omitempty"`
}

// EnvValue is one variable of an environment.
type EnvValue struct {
	Key string `json:"key"`
	// Value is any JSON value; numbers are json.Number.
	Value any `json:"value"`
	// Type is "default", "secret", "text" (older exports) or "any".
	Type    string `json:"type,omitempty"`
	Enabled bool   `json:"enabled"`
}

// String is the value as text: strings as they are, other values as JSON.
func (v EnvValue) String() string { return text(v.Value) }

// Map is the enabled variables as text, the form the host stores.
func (e *Environment) Map() map[string]string {
	out := make(map[string]string, len(e.Values))
	for _, v := range e.Values {
		if v.Enabled {
			out[v.Key] = v.String()
		}
	}
	return out
}

// ParseEnvironment reads a Postman environment or globals file, the
// Postman API's {"environment": {...}} wrapper, or a plain object of
// variables ({"baseUrl": "http://localhost:8080"}, in the object's order).
// A value without "enabled" is enabled, as in Postman.
func ParseEnvironment(data []byte) (*Environment, error) {
	root, err := decodeDoc(data)
	if err != nil {
		return nil, err
	}
	obj, ok := root.(map[string]any)
	if !ok {
		return nil, errorf("", "the document is %s, not an environment (a JSON object)", kindOf(root))
	}
	path := ""
	if inner, ok := obj["environment"].(map[string]any); ok && len(obj) == 1 {
		obj, path = inner, "environment"
	}
	if _, ok := obj["item"]; ok {
		return nil, errorf(path, "this is a Postman collection, not an environment")
	}
	vals, isEnv := obj["values"].([]any)
	if !isEnv && obj["_postman_variable_scope"] == nil {
		return plainEnvironment(data, path)
	}
	e := &Environment{ID: text(obj["id"]), Name: text(obj["name"]), Scope: text(obj["_postman_variable_scope"]), Values: []EnvValue{}}
	for i, v := range vals {
		p := index(joinPath(path, "values"), i)
		o, err := object(v, p)
		if err != nil {
			return nil, err
		}
		ev := EnvValue{Key: text(o["key"]), Value: o["value"], Type: text(o["type"]), Enabled: true}
		if en, ok := o["enabled"]; ok && en != nil {
			ev.Enabled = truthy(en)
		} else if d, ok := o["disabled"]; ok && d != nil {
			ev.Enabled = !truthy(d)
		}
		if ev.Key == "" {
			return nil, errorf(joinPath(p, "key"), "is missing: a variable needs a name")
		}
		e.Values = append(e.Values, ev)
	}
	return e, nil
}

// plainEnvironment reads {"name": value, ...}, keeping the keys' order.
func plainEnvironment(data []byte, path string) (*Environment, error) {
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
	dec.UseNumber()
	if path != "" {
		// Inside the wrapper: skip to the value of "environment".
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
		for {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			if k == "environment" {
				break
			}
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, err
			}
		}
	}
	e := &Environment{Values: []EnvValue{}}
	if _, err := dec.Token(); err != nil { // {
		return nil, err
	}
	seen := map[string]int{}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := k.(string)
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		if i, dup := seen[key]; dup {
			e.Values[i].Value = v // JSON's last one wins
			continue
		}
		seen[key] = len(e.Values)
		e.Values = append(e.Values, EnvValue{Key: key, Value: v, Type: "default", Enabled: true})
	}
	if _, err := dec.Token(); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return e, nil
}

// UnmarshalJSON reads an environment as ParseEnvironment does.
func (e *Environment) UnmarshalJSON(data []byte) error {
	p, err := ParseEnvironment(data)
	if err != nil {
		return err
	}
	*e = *p
	return nil
}

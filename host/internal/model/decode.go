package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// FieldError is a problem with one field of an input document. Field is a
// JSON path such as "http.conditions[0].assertAction" ("" for the whole body).
type FieldError struct {
	Field   string
	Message string
	// Malformed marks input that is not valid JSON or has a wrong type, as
	// opposed to well-formed input that breaks a rule of the model.
	Malformed bool
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// DecodeMock decodes one mock from JSON, accepting the legacy field names of
// the spec (model.md section 9) and normalising them to the current ones.
func DecodeMock(data []byte) (*Mock, error) {
	raw, err := rawObject(data, "")
	if err != nil {
		return nil, err
	}
	return decodeMockObject(raw, "")
}

// DecodeMocks decodes a JSON array of mocks (a batch).
func DecodeMocks(data []byte) ([]*Mock, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '[' {
		if len(data) > 0 && data[0] == '{' {
			// A wrapper object {"mocks":[...]} is accepted too.
			var wrap struct {
				Mocks json.RawMessage `json:"mocks"`
			}
			if err := json.Unmarshal(data, &wrap); err == nil && len(wrap.Mocks) > 0 {
				return DecodeMocks(wrap.Mocks)
			}
		}
		if err := syntaxCheck(data); err != nil {
			return nil, err
		}
		return nil, &FieldError{Message: "expected a JSON array of mocks", Malformed: true}
	}
	var items []json.RawMessage
	if err := json.Unmarshal(data, &items); err != nil {
		return nil, jsonError(err, "")
	}
	out := make([]*Mock, 0, len(items))
	for i, it := range items {
		prefix := fmt.Sprintf("[%d]", i)
		raw, err := rawObject(it, prefix)
		if err != nil {
			return nil, err
		}
		m, err := decodeMockObject(raw, prefix)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

func decodeMockObject(raw map[string]json.RawMessage, prefix string) (*Mock, error) {
	if err := normaliseLegacy(raw, prefix); err != nil {
		return nil, err
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return nil, &FieldError{Field: prefix, Message: err.Error(), Malformed: true}
	}
	var m Mock
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, jsonError(err, prefix)
	}
	return &m, nil
}

// rawObject parses data as a JSON object, with a clear error otherwise.
func rawObject(data []byte, prefix string) (map[string]json.RawMessage, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, &FieldError{Field: prefix, Message: "request body is empty; expected a JSON object", Malformed: true}
	}
	if err := syntaxCheck(data); err != nil {
		return nil, err
	}
	if data[0] != '{' {
		return nil, &FieldError{Field: prefix, Message: "expected a JSON object", Malformed: true}
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, jsonError(err, prefix)
	}
	return raw, nil
}

func syntaxCheck(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	var v json.RawMessage
	if err := dec.Decode(&v); err != nil {
		return jsonError(err, "")
	}
	if _, err := dec.Token(); err != io.EOF {
		return &FieldError{Message: "malformed JSON: unexpected data after the top-level value", Malformed: true}
	}
	return nil
}

// jsonError turns an encoding/json error into a FieldError with a path.
func jsonError(err error, prefix string) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return &FieldError{Field: prefix, Message: fmt.Sprintf("malformed JSON at byte %d: %s", se.Offset, se.Error()), Malformed: true}
	case errors.As(err, &te):
		field := joinPath(prefix, te.Field)
		return &FieldError{Field: field, Message: fmt.Sprintf("wrong type: got JSON %s, want %s", te.Value, goTypeName(te.Type.String())), Malformed: true}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return &FieldError{Field: prefix, Message: "malformed JSON: unexpected end of input", Malformed: true}
	}
	return &FieldError{Field: prefix, Message: "malformed JSON: " + err.Error(), Malformed: true}
}

func joinPath(prefix, field string) string {
	switch {
	case prefix == "":
		return field
	case field == "":
		return prefix
	case strings.HasPrefix(field, "["):
		return prefix + field
	}
	return prefix + "." + field
}

func goTypeName(t string) string {
	switch {
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"):
		return "an integer"
	case strings.HasPrefix(t, "float"):
		return "a number"
	case t == "string":
		return "a string"
	case t == "bool":
		return "a boolean"
	case strings.HasPrefix(t, "[]"):
		return "an array"
	case strings.HasPrefix(t, "map["), strings.HasPrefix(t, "model."), strings.HasPrefix(t, "*model."):
		return "an object"
	}
	return t
}

// legacyRenames maps, per protocol context, an accepted old key to its current name.
var legacyRenames = map[string]map[string]string{
	ProtoGRPC: {"grpcServiceName": "service", "serviceName": "service", "grpcMethod": "method"},
	ProtoSOAP: {"soapAction": "action", "route": "path"},
	ProtoSSE:  {"route": "eventPath"},
}

// normaliseLegacy rewrites legacy names in place (model.md section 9).
func normaliseLegacy(raw map[string]json.RawMessage, prefix string) error {
	normaliseCompat(raw)
	for proto, renames := range legacyRenames {
		if err := renameKeys(raw, proto, renames, prefix); err != nil {
			return err
		}
	}
	if err := normaliseMCP(raw, prefix); err != nil {
		return err
	}
	// Response headers may be written as {"k":"v"}; the model is {"k":["v"]}.
	if err := normaliseHeaders(raw, "response", prefix); err != nil {
		return err
	}
	if one, ok := raw["oneOf"]; ok && isObject(one) {
		var o map[string]json.RawMessage
		if err := json.Unmarshal(one, &o); err != nil {
			return jsonError(err, joinPath(prefix, "oneOf"))
		}
		if rs, ok := o["responses"]; ok && isArray(rs) {
			var list []json.RawMessage
			if err := json.Unmarshal(rs, &list); err != nil {
				return jsonError(err, joinPath(prefix, "oneOf.responses"))
			}
			for i := range list {
				if !isObject(list[i]) {
					continue
				}
				var r map[string]json.RawMessage
				if err := json.Unmarshal(list[i], &r); err != nil {
					return jsonError(err, joinPath(prefix, fmt.Sprintf("oneOf.responses[%d]", i)))
				}
				if err := normaliseHeaderMap(r, joinPath(prefix, fmt.Sprintf("oneOf.responses[%d].headers", i))); err != nil {
					return err
				}
				list[i], _ = json.Marshal(r)
			}
			o["responses"], _ = json.Marshal(list)
			raw["oneOf"], _ = json.Marshal(o)
		}
	}
	return nil
}

func renameKeys(raw map[string]json.RawMessage, key string, renames map[string]string, prefix string) error {
	v, ok := raw[key]
	if !ok || !isObject(v) {
		return nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(v, &obj); err != nil {
		return jsonError(err, joinPath(prefix, key))
	}
	changed := false
	for old, cur := range renames {
		ov, ok := obj[old]
		if !ok {
			continue
		}
		delete(obj, old)
		changed = true
		if existing, has := obj[cur]; has && !isEmptyString(existing) {
			continue // the current name wins
		}
		obj[cur] = ov
	}
	if changed {
		raw[key], _ = json.Marshal(obj)
	}
	return nil
}

// normaliseMCP moves mcp.serverName to the top-level serverName and reads an
// mcp.method that is a tool name (not a JSON-RPC method) as the tool.
func normaliseMCP(raw map[string]json.RawMessage, prefix string) error {
	v, ok := raw[ProtoMCP]
	if !ok || !isObject(v) {
		return nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(v, &obj); err != nil {
		return jsonError(err, joinPath(prefix, ProtoMCP))
	}
	changed := false
	if sn, ok := obj["serverName"]; ok {
		delete(obj, "serverName")
		changed = true
		if top, has := raw["serverName"]; !has || isEmptyString(top) {
			raw["serverName"] = sn
		}
	}
	var method, tool string
	_ = json.Unmarshal(obj["method"], &method)
	_ = json.Unmarshal(obj["tool"], &tool)
	if method != "" && !strings.Contains(method, "/") && tool == "" {
		obj["tool"], _ = json.Marshal(method)
		obj["method"], _ = json.Marshal("tools/call")
		changed = true
	}
	if changed {
		raw[ProtoMCP], _ = json.Marshal(obj)
	}
	return nil
}

func normaliseHeaders(raw map[string]json.RawMessage, key, prefix string) error {
	v, ok := raw[key]
	if !ok || !isObject(v) {
		return nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(v, &obj); err != nil {
		return jsonError(err, joinPath(prefix, key))
	}
	if err := normaliseHeaderMap(obj, joinPath(prefix, key+".headers")); err != nil {
		return err
	}
	raw[key], _ = json.Marshal(obj)
	return nil
}

func normaliseHeaderMap(obj map[string]json.RawMessage, path string) error {
	h, ok := obj["headers"]
	if !ok || !isObject(h) {
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(h, &m); err != nil {
		return jsonError(err, path)
	}
	for k, val := range m {
		t := bytes.TrimSpace(val)
		if len(t) > 0 && t[0] == '"' {
			m[k], _ = json.Marshal([]json.RawMessage{t})
		}
	}
	obj["headers"], _ = json.Marshal(m)
	return nil
}

func isObject(v json.RawMessage) bool {
	t := bytes.TrimSpace(v)
	return len(t) > 0 && t[0] == '{'
}

func isArray(v json.RawMessage) bool {
	t := bytes.TrimSpace(v)
	return len(t) > 0 && t[0] == '['
}

func isEmptyString(v json.RawMessage) bool {
	t := string(bytes.TrimSpace(v))
	return t == `""` || t == "null"
}

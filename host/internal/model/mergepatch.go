package model

import (
	"bytes"
	"encoding/json"
)

// MergePatch applies an RFC 7386 JSON merge patch to doc: objects merge key
// by key, null removes a key, anything else replaces.
func MergePatch(doc, patch json.RawMessage) (json.RawMessage, error) {
	p, err := decodeAny(patch)
	if err != nil {
		return nil, jsonError(err, "")
	}
	var d any
	if len(bytes.TrimSpace(doc)) > 0 {
		if d, err = decodeAny(doc); err != nil {
			return nil, err
		}
	}
	return json.Marshal(mergeValue(d, p))
}

func mergeValue(doc, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	dm, ok := doc.(map[string]any)
	if !ok {
		dm = map[string]any{}
	}
	for k, v := range pm {
		if v == nil {
			delete(dm, k)
			continue
		}
		dm[k] = mergeValue(dm[k], v)
	}
	return dm
}

// decodeAny decodes JSON keeping numbers exact (json.Number).
func decodeAny(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

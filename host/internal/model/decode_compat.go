package model

import (
	"encoding/json"
	"strings"

	"github.com/google/uuid"
)

// Two more spellings of a mock that clients send: the Python SDK's
// snake_case (pydantic's model_dump without aliases: chain_id, use_limiter,
// one_of, callbacks...) and the Go SDK container example's
// {"http": {"request": {"method", "path"}}, "response": {"status", "body"}}.
// Only the keys of the mock's own structure are renamed, never those of
// user data (payloads, headers, store values, condition values).

// structural are the keys whose values are objects of the mock's own
// structure (or lists of them), below the top level.
var structural = map[string]bool{
	"http": true, "grpc": true, "mcp": true, "socket": true, "soap": true, "graphql": true, "sse": true,
	"kafka": true, "rabbitmq": true, "smtp": true, "response": true, "oneOf": true, "responses": true,
	"proxy": true, "webhooks": true, "extract": true, "conditions": true, "queryParams": true, "header": true,
	"meta": true, "sseEventChain": true, "events": true, "errorDetails": true, "soapFault": true,
	"graphqlErrors": true, "validateRequest": true,
}

// userData are the keys whose values belong to the user, whatever they hold.
var userData = map[string]bool{
	"payload": true, "headers": true, "value": true, "mStore": true, "cStore": true, "gStore": true,
	"body": true, "details": true, "data": true, "inputSchema": true, "outputHeaders": true,
}

// camel is the camelCase of a snake_case key ("use_limiter" → "useLimiter").
func camel(k string) string {
	if !strings.Contains(k, "_") || strings.HasPrefix(k, "_") {
		return k
	}
	parts := strings.Split(k, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

// normaliseSnake renames snake_case keys of obj and of its structural
// children, which it rewrites; everything else (payloads above all, whose
// key order matters) stays the bytes it was. depth bounds the walk.
func normaliseSnake(obj map[string]json.RawMessage, depth int) {
	if depth > 8 {
		return
	}
	for k, v := range obj {
		nk := camel(k)
		if k == "callbacks" {
			nk = "webhooks"
		}
		if nk != k {
			delete(obj, k)
			if _, taken := obj[nk]; taken {
				continue // the current name wins
			}
			obj[nk] = v
		}
		if userData[nk] || !structural[nk] {
			continue
		}
		switch {
		case isObject(v):
			var child map[string]json.RawMessage
			if json.Unmarshal(v, &child) == nil {
				normaliseSnake(child, depth+1)
				obj[nk], _ = json.Marshal(child)
			}
		case isArray(v):
			var list []json.RawMessage
			if json.Unmarshal(v, &list) == nil {
				for i, e := range list {
					var child map[string]json.RawMessage
					if isObject(e) && json.Unmarshal(e, &child) == nil {
						normaliseSnake(child, depth+1)
						list[i], _ = json.Marshal(child)
					}
				}
				obj[nk], _ = json.Marshal(list)
			}
		}
	}
}

// hasSnake says whether a key of raw, or of one of its structural
// children, may be snake_case or "callbacks": most mocks have none and
// skip the walk.
func hasSnake(raw map[string]json.RawMessage) bool {
	for k, v := range raw {
		if k == "callbacks" || (strings.Contains(k, "_") && !strings.HasPrefix(k, "_")) {
			return true
		}
		if structural[k] && strings.Contains(string(v), `_`) {
			return true
		}
	}
	return false
}

// normaliseCompat applies both spellings to raw in place.
func normaliseCompat(raw map[string]json.RawMessage) {
	if hasSnake(raw) {
		normaliseSnake(raw, 0)
	}
	normaliseRequestShape(raw)
}

// normaliseRequestShape reads {"http": {"request": {"method", "path"}},
// "response": {"status", "body"}} as route, httpMethod, statusCode and
// payload (a text body as text, a JSON document as JSON).
func normaliseRequestShape(raw map[string]json.RawMessage) {
	var h map[string]json.RawMessage
	if !isObject(raw["http"]) || json.Unmarshal(raw["http"], &h) != nil || !isObject(h["request"]) {
		return
	}
	var req struct {
		Method string `json:"method"`
		Path   string `json:"path"`
		URL    string `json:"url"`
	}
	if json.Unmarshal(h["request"], &req) != nil {
		return
	}
	delete(h, "request")
	if _, ok := h["route"]; !ok {
		route := req.Path
		if route == "" {
			route = req.URL
		}
		h["route"], _ = json.Marshal(route)
	}
	if _, ok := h["httpMethod"]; !ok && req.Method != "" {
		h["httpMethod"], _ = json.Marshal(req.Method)
	}
	raw["http"], _ = json.Marshal(h)
	if id, ok := raw["id"]; !ok || isEmptyString(id) {
		// The shape comes from examples that name no id.
		raw["id"], _ = json.Marshal("mock-" + uuid.NewString())
	}
	var r map[string]json.RawMessage
	if !isObject(raw["response"]) || json.Unmarshal(raw["response"], &r) != nil {
		return
	}
	if st, ok := r["status"]; ok {
		if _, has := r["statusCode"]; !has {
			r["statusCode"] = st
		}
		delete(r, "status")
	}
	if b, ok := r["body"]; ok {
		if _, has := r["payload"]; !has {
			r["payload"] = b
		}
		delete(r, "body")
	}
	raw["response"], _ = json.Marshal(r)
}

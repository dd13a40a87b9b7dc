package helpers

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
)

// introspectionQuery asks for the whole schema: every type with its
// fields, arguments, input fields, enum values and interfaces, the
// directives, and type references nested deep enough for lists of
// non-null lists.
const introspectionQuery = `query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives {
      name
      description
      locations
      isRepeatable
      args(includeDeprecated: true) { ...InputValue }
    }
  }
}
fragment FullType on __Type {
  kind
  name
  description
  specifiedByURL
  fields(includeDeprecated: true) {
    name
    description
    args(includeDeprecated: true) { ...InputValue }
    type { ...TypeRef }
    isDeprecated
    deprecationReason
  }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue {
  name
  description
  type { ...TypeRef }
  defaultValue
  isDeprecated
  deprecationReason
}
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}`

// legacyIntrospectionQuery leaves out what servers before the 2021
// GraphQL spec reject (specifiedByURL, isRepeatable, deprecated arguments).
var legacyIntrospectionQuery = strings.NewReplacer(
	"      isRepeatable\n", "",
	"  specifiedByURL\n", "",
	"args(includeDeprecated: true)", "args",
	"inputFields(includeDeprecated: true)", "inputFields",
	"  isDeprecated\n  deprecationReason\n}\nfragment TypeRef", "}\nfragment TypeRef",
).Replace(introspectionQuery)

// Introspect posts the introspection query to a GraphQL endpoint and
// returns its answer ({"data": {"__schema": ...}}). A server that rejects
// the query is asked again without the newer spec's fields.
func Introspect(ctx context.Context, g *Guard, rawURL string, headers Headers) (json.RawMessage, error) {
	u, err := parseURL("url", rawURL)
	if err != nil {
		return nil, err
	}
	if err := headers.check("headers"); err != nil {
		return nil, err
	}
	if err := g.CheckURL(ctx, u); err != nil {
		return nil, Fail(ctx, "url", "POST "+u.Redacted(), err)
	}
	out, rejected, err := introspectOnce(ctx, g, u.String(), u.Redacted(), introspectionQuery, headers)
	if rejected {
		out, _, err = introspectOnce(ctx, g, u.String(), u.Redacted(), legacyIntrospectionQuery, headers)
	}
	return out, err
}

// introspectOnce asks once; rejected says the server answered GraphQL
// errors and no data (an older server refusing a newer field).
func introspectOnce(ctx context.Context, g *Guard, target, shown, query string, headers Headers) (_ json.RawMessage, rejected bool, _ error) {
	payload, _ := json.Marshal(map[string]any{"query": query, "operationName": "IntrospectionQuery"})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(payload))
	if err != nil {
		return nil, false, Inputf("url", "%v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/graphql-response+json, application/json")
	for _, h := range headers {
		req.Header.Del(h.Name)
	}
	headers.apply(req)
	resp, err := send(ctx, g.HTTPClient(false), req)
	if err != nil {
		return nil, false, err
	}
	raw, isJSON := resp.Body.(json.RawMessage)
	if !isJSON {
		if text, ok := resp.Body.(string); ok && json.Valid([]byte(text)) && !resp.Truncated {
			raw, isJSON = json.RawMessage(text), true // JSON sent as text/plain
		}
	}
	if !isJSON {
		return nil, false, errorf(KindUpstream, "POST %s answered %s, not a GraphQL JSON answer", shown, resp.Status)
	}
	var ans struct {
		Data *struct {
			Schema json.RawMessage `json:"__schema"`
		} `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(raw, &ans); err != nil {
		return nil, false, errorf(KindUpstream, "POST %s: the answer is not a GraphQL response: %v", shown, err)
	}
	if ans.Data == nil || len(ans.Data.Schema) == 0 || string(ans.Data.Schema) == "null" {
		msgs := make([]string, 0, len(ans.Errors))
		for _, e := range ans.Errors {
			msgs = append(msgs, e.Message)
		}
		detail := resp.Status
		if len(msgs) > 0 {
			detail += ": " + strings.Join(msgs, "; ")
		}
		return nil, ans.Data == nil && len(ans.Errors) > 0, errorf(KindUpstream, "POST %s gave no schema (%s); is introspection enabled?", shown, detail)
	}
	return raw, false, nil
}

package asyncapigen

import (
	"encoding/json"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// message is one message of the document, as the mocks need it.
type message struct {
	key  string // its key among a channel's or the components' messages ("": none)
	name string // its name, else its messageId, else its key: what its event falls back to
	ptr  string // where it is, after its $refs
	// schema is its payload's JSON Schema (nil: no payload, or one in
	// another schema format).
	schema *openapi3.SchemaRef
	// examples are the payloads of its examples, as JSON reads them.
	examples []any
	// corr is the payload path of its correlation id (nil: none, or one
	// that is not in the payload).
	corr []string
}

// label names the message in warnings.
func (m *message) label() string {
	switch {
	case m.name != "":
		return m.name
	case m.key != "":
		return m.key
	}
	return "#" + m.ptr
}

// messageKey is the key a message has where it is listed, a channel's
// messages or the components' ("#/channels/c/messages/<key>"), at ptr or
// where its $ref points. Lists of messages (an operation's) give none.
func (d *doc) messageKey(v any, ptr string) string {
	if k := listedKey(ptr); k != "" {
		return k
	}
	if m, ok := v.(map[string]any); ok {
		if ref, ok := m["$ref"].(string); ok && strings.HasPrefix(ref, "#") {
			return listedKey(fragmentPointer(strings.TrimPrefix(ref, "#")))
		}
	}
	return ""
}

func listedKey(ptr string) string {
	segs := segments(ptr)
	n := len(segs)
	if n < 3 || segs[n-2] != "messages" {
		return ""
	}
	if (n >= 4 && segs[n-4] == "channels") || (n == 3 && segs[0] == "components") {
		return segs[n-1]
	}
	return ""
}

// message reads the message at ptr (following its $refs), once.
func (g *gen) message(v any, ptr string) (*message, error) {
	key := g.d.messageKey(v, ptr)
	m, at, err := g.d.object(v, ptr, "a message")
	if err != nil {
		return nil, err
	}
	if cached, ok := g.msgs[at]; ok {
		return cached, nil
	}
	if m, err = g.withTraits(m, at); err != nil {
		return nil, err
	}
	if key == "" {
		key = listedKey(at)
	}
	out := &message{key: key, ptr: at}
	out.name, _ = m["name"].(string)
	if out.name == "" {
		out.name, _ = m["messageId"].(string)
	}
	if out.name == "" {
		out.name = key
	}
	g.msgs[at] = out
	if err := g.payload(out, m, at); err != nil {
		return nil, err
	}
	if exs, ok := m["examples"].([]any); ok {
		for _, ex := range exs {
			if e, ok := ex.(map[string]any); ok {
				if p, ok := e["payload"]; ok {
					out.examples = append(out.examples, plainJSON(p))
				}
			}
		}
	}
	if c, ok := m["correlationId"]; ok {
		cm, cptr, err := g.d.object(c, at+"/correlationId", "a correlation id")
		if err != nil {
			return nil, err
		}
		loc, _ := cm["location"].(string)
		src, frag, _ := strings.Cut(loc, "#")
		if strings.TrimSpace(src) == "$message.payload" {
			out.corr = segments(frag)
		} else if loc != "" && !strings.HasPrefix(strings.TrimSpace(src), "$message.header") {
			g.warn("%s: correlation id location %q is not a runtime expression of the message", g.d.where(cptr), loc)
		}
	}
	return out, nil
}

// withTraits applies the message's traits: what a trait sets and the
// message does not is the message's (the message's own values win).
func (g *gen) withTraits(m map[string]any, at string) (map[string]any, error) {
	traits, ok := m["traits"].([]any)
	if !ok || len(traits) == 0 {
		return m, nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for i, t := range traits {
		if l, ok := t.([]any); ok && len(l) > 0 {
			t = l[0] // AsyncAPI 2.0's [trait, parameters] form
		}
		tm, _, err := g.d.object(t, at+"/traits/"+itoa(i), "a message trait")
		if err != nil {
			return nil, err
		}
		for k, v := range tm {
			if _, set := out[k]; !set {
				out[k] = v
			}
		}
	}
	return out, nil
}

// payload decodes the message's payload schema, when it is JSON Schema
// (or an AsyncAPI or OpenAPI schema, which read the same here).
func (g *gen) payload(out *message, m map[string]any, at string) error {
	p, ok := m["payload"]
	if !ok || p == nil {
		return nil
	}
	format, _ := m["schemaFormat"].(string)
	ptr := at + "/payload"
	// AsyncAPI 3's Multi Format Schema Object: {schemaFormat, schema}.
	if pm, pptr, err := g.d.object(p, ptr, "a payload"); err == nil {
		if f, ok := pm["schemaFormat"].(string); ok {
			if s, ok := pm["schema"]; ok {
				format, p, ptr = f, s, pptr+"/schema"
			}
		}
	}
	if !jsonSchemaFormat(format) {
		g.warn("%s: message %s has a %s payload schema; only JSON Schema payloads are sampled", g.d.where(at), out.label(), format)
		return nil
	}
	ref, err := g.schemas.ref(p, ptr, 0)
	if err != nil {
		return err
	}
	out.schema = ref
	return nil
}

// jsonSchemaFormat says whether a schemaFormat reads as JSON Schema.
func jsonSchemaFormat(f string) bool {
	f = strings.ToLower(strings.TrimSpace(f))
	return f == "" || strings.HasPrefix(f, "application/vnd.aai.asyncapi") ||
		strings.HasPrefix(f, "application/schema+json") || strings.HasPrefix(f, "application/schema+yaml") ||
		strings.HasPrefix(f, "application/vnd.oai.openapi")
}

// plainJSON is v as encoding/json reads it (numbers float64), which is
// what schema validation expects.
func plainJSON(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return v
	}
	return out
}

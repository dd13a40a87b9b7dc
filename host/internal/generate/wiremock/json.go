package wiremock

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/generate/imports"
	"github.com/mockarty-oss/mockarty/host/internal/model"
)

// equalToJSON compares the body (or a value of it) with a document:
// equals, or contains (a subset) with ignoreExtraElements; sortArray for
// ignoreArrayOrder. json-unit placeholders become conditions of their own.
func (s *stubT) equalToJSON(tg target, val json.RawMessage, pat *obj) []model.Condition {
	if tg.kind != tBody && tg.kind != tJSONPath {
		s.rep.Skip("%s: equalToJson on a header, parameter or cookie", tg.where)
		return nil
	}
	doc := val
	var text string
	if json.Unmarshal(val, &text) == nil {
		doc = json.RawMessage(strings.TrimSpace(text))
	}
	v, err := decode(doc)
	if err != nil {
		s.rep.Skip("%s: equalToJson holds no JSON document (%v)", tg.where, err)
		return nil
	}
	order := pat.boolean("ignoreArrayOrder")
	extra := pat.boolean("ignoreExtraElements")
	pat.ignore("enablePlaceholders", "placeholderOpeningDelimiterRegex", "placeholderClosingDelimiterRegex")
	var lifted []model.Condition
	rest, found, ok := s.placeholders(v, tg.path(), &lifted, tg)
	if !ok {
		return nil
	}
	if _, isStr := v.(string); isStr && found {
		return lifted // the whole document was one placeholder
	}
	action := model.AssertEquals
	switch {
	case extra:
		action = model.AssertContains
		if !order && hasArray(v) {
			s.rep.Note("%s: ignoreExtraElements is checked with contains, which also ignores the order of array elements", tg.where)
		}
	case found:
		action = model.AssertContains
		s.rep.Note("%s: the placeholders are checked field by field and the rest of the document as a subset, so extra fields are accepted", tg.where)
	}
	c := imports.Cond(tg.path(), action, rest)
	if order {
		t := true
		c.SortArray = &t
	}
	return append([]model.Condition{c}, lifted...)
}

func decode(raw json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

func hasArray(v any) bool {
	switch x := v.(type) {
	case []any:
		return true
	case map[string]any:
		for _, e := range x {
			if hasArray(e) {
				return true
			}
		}
	}
	return false
}

const placeholderPrefix = "${json-unit."

func isPlaceholder(v any) bool {
	s, ok := v.(string)
	return ok && strings.HasPrefix(s, placeholderPrefix)
}

// placeholders takes the json-unit placeholders out of a document: rest is
// the document without them, found tells whether there were any, and
// each becomes a condition on its path in lifted. ok is false when one
// cannot be translated (the matcher is then reported whole).
func (s *stubT) placeholders(v any, path string, lifted *[]model.Condition, tg target) (rest any, found, ok bool) {
	switch x := v.(type) {
	case string:
		if isPlaceholder(x) {
			return nil, true, s.placeholder(x, path, lifted, tg)
		}
	case map[string]any:
		out := make(map[string]any, len(x))
		for _, k := range sortedKeys(x) {
			p := childPath(path, k)
			if isPlaceholder(x[k]) {
				if !s.placeholder(x[k].(string), p, lifted, tg) {
					return nil, false, false
				}
				found = true
				continue
			}
			r, f, ok := s.placeholders(x[k], p, lifted, tg)
			if !ok {
				return nil, false, false
			}
			out[k], found = r, found || f
		}
		return out, found, true
	case []any:
		for _, e := range x {
			if hasPlaceholder(e) {
				s.rep.Skip("%s: json-unit placeholders inside arrays are not translated", tg.where)
				return nil, false, false
			}
		}
	}
	return v, false, true
}

func hasPlaceholder(v any) bool {
	switch x := v.(type) {
	case string:
		return isPlaceholder(x)
	case []any:
		for _, e := range x {
			if hasPlaceholder(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if hasPlaceholder(e) {
				return true
			}
		}
	}
	return false
}

// childPath is the JSONPath of a member.
func childPath(path, key string) string {
	plain := key != ""
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			plain = false
		}
	}
	if plain {
		return path + "." + key
	}
	if strings.Contains(key, "'") {
		return path + `["` + key + `"]`
	}
	return path + "['" + key + "']"
}

// numberText is the text of a JSON number as Mockarty's matches reads it.
const numberText = `^-?[0-9]+(?:\.[0-9]+)?$`

func (s *stubT) placeholder(p, path string, lifted *[]model.Condition, tg target) bool {
	switch {
	case p == "${json-unit.ignore}" || p == "${json-unit.ignore-element}":
		s.rep.Note("%s: %s at %s: the field is not checked at all, not even for presence", tg.where, p, path)
		return true
	case p == "${json-unit.any-string}":
		*lifted = append(*lifted, imports.Cond(path, model.AssertMatches, ""))
	case p == "${json-unit.any-number}":
		*lifted = append(*lifted, imports.Cond(path, model.AssertMatches, numberText))
	case p == "${json-unit.any-boolean}":
		*lifted = append(*lifted, imports.Cond(path, model.AssertMatches, "^(?:true|false)$"))
	case strings.HasPrefix(p, "${json-unit.regex}"):
		re := strings.TrimPrefix(p, "${json-unit.regex}")
		if err := imports.CheckRegexp(re); err != nil {
			s.rep.Skip("%s: %v", tg.where, err)
			return false
		}
		*lifted = append(*lifted, imports.Cond(path, model.AssertMatches, imports.Anchored(re)))
		return true
	default:
		s.rep.Skip("%s: the placeholder %s is not translated", tg.where, p)
		return false
	}
	s.rep.Note("%s: %s at %s checks that a value is there and reads as one, not its JSON type", tg.where, p, path)
	return true
}

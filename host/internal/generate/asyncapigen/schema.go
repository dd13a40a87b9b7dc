package asyncapigen

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// AsyncAPI payloads are JSON Schema (AsyncAPI's superset of draft-07).
// kin-openapi's Schema reads those keywords, but resolves $refs only as
// parts of an OpenAPI document, so schemas are decoded here one object at
// a time and every $ref is followed inside the AsyncAPI document. A
// referenced schema is decoded once: recursive schemas become a cyclic
// graph, which openapi.Sample stops at its depth limit.

// schemaSet decodes the schemas of one document.
type schemaSet struct {
	d    *doc
	memo map[string]*openapi3.SchemaRef // by the pointer a $ref names
	warn func(format string, args ...any)
}

// subschemaKeys hold schemas (or lists or maps of them): they are decoded
// here, not by encoding/json, so their $refs are followed.
var subschemaKeys = []string{"properties", "items", "additionalProperties", "allOf", "oneOf", "anyOf", "not",
	"prefixItems", "contains", "patternProperties", "if", "then", "else", "$defs", "definitions",
	"dependentSchemas", "propertyNames", "contentSchema", "unevaluatedItems", "unevaluatedProperties",
	"additionalItems", "dependencies"}

// notSchemaSiblings may stand beside a $ref without changing the schema.
var notSchemaSiblings = map[string]bool{"$ref": true, "description": true, "title": true, "$comment": true,
	"summary": true, "example": true, "examples": true, "deprecated": true, "readOnly": true, "writeOnly": true}

// maxSchemaDepth bounds the nesting of inline schemas followed.
const maxSchemaDepth = 64

func (s *schemaSet) ref(v any, ptr string, depth int) (*openapi3.SchemaRef, error) {
	if depth > maxSchemaDepth {
		return &openapi3.SchemaRef{Value: &openapi3.Schema{}}, nil
	}
	switch x := v.(type) {
	case bool:
		return &openapi3.SchemaRef{Value: &openapi3.Schema{Always: &x}}, nil
	case map[string]any:
		if ref, ok := x["$ref"].(string); ok {
			return s.follow(ref, x, ptr, depth)
		}
		sch, err := s.object(x, ptr, depth)
		if err != nil {
			return nil, err
		}
		return &openapi3.SchemaRef{Value: sch}, nil
	}
	s.warn("%s: a schema must be an object or a boolean; read as any value", s.d.where(ptr))
	return &openapi3.SchemaRef{Value: &openapi3.Schema{}}, nil
}

// follow decodes the schema a $ref names, once per target.
func (s *schemaSet) follow(ref string, x map[string]any, ptr string, depth int) (*openapi3.SchemaRef, error) {
	target, err := s.d.target(ref, ptr+"/$ref")
	if err != nil {
		return nil, err
	}
	out, ok := s.memo[target]
	if !ok {
		// The placeholder is in the memo before the target is decoded,
		// so a schema that refers back to itself finds it.
		out = &openapi3.SchemaRef{Ref: ref, Value: &openapi3.Schema{}}
		s.memo[target] = out
		tv, _ := s.d.at(target)
		dec, err := s.ref(tv, target, depth+1)
		if err != nil {
			return nil, err
		}
		*out.Value = *dec.Value
	}
	// JSON Schema 2019+ applies keywords beside a $ref too.
	sib := map[string]any{}
	for k, v := range x {
		if !notSchemaSiblings[k] && !strings.HasPrefix(k, "x-") {
			sib[k] = v
		}
	}
	if len(sib) == 0 {
		return out, nil
	}
	extra, err := s.object(sib, ptr, depth)
	if err != nil {
		return nil, err
	}
	return &openapi3.SchemaRef{Value: &openapi3.Schema{AllOf: openapi3.SchemaRefs{out, {Value: extra}}}}, nil
}

// object decodes one schema object: its own keywords with encoding/json,
// its subschemas here.
func (s *schemaSet) object(x map[string]any, ptr string, depth int) (*openapi3.Schema, error) {
	own := make(map[string]any, len(x))
	for k, v := range x {
		own[k] = v
	}
	for _, k := range subschemaKeys {
		if k == "additionalProperties" || k == "unevaluatedProperties" || k == "unevaluatedItems" {
			if _, isBool := x[k].(bool); isBool {
				continue // kin-openapi reads the boolean form itself
			}
		}
		delete(own, k)
	}
	if _, ok := own["discriminator"].(map[string]any); !ok {
		// AsyncAPI's discriminator is a property name, OpenAPI's an object.
		delete(own, "discriminator")
	}
	sch := &openapi3.Schema{}
	b, err := json.Marshal(own)
	if err == nil {
		err = json.Unmarshal(b, sch)
	}
	if err != nil {
		s.warn("%s: the schema cannot be read (%v); read as any value", s.d.where(ptr), err)
		sch = &openapi3.Schema{}
	}
	sub := func(key string) (*openapi3.SchemaRef, error) {
		v, ok := x[key]
		if !ok {
			return nil, nil
		}
		return s.ref(v, ptr+"/"+key, depth+1)
	}
	list := func(key string) (openapi3.SchemaRefs, error) {
		l, ok := x[key].([]any)
		if !ok {
			return nil, nil
		}
		out := make(openapi3.SchemaRefs, 0, len(l))
		for i, v := range l {
			r, err := s.ref(v, ptr+"/"+key+"/"+strconv.Itoa(i), depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		return out, nil
	}
	if props, ok := x["properties"].(map[string]any); ok {
		sch.Properties = make(openapi3.Schemas, len(props))
		for name, v := range props {
			r, err := s.ref(v, ptr+"/properties/"+escape(name), depth+1)
			if err != nil {
				return nil, err
			}
			sch.Properties[name] = r
		}
	}
	var errs []error
	set := func(r *openapi3.SchemaRef, err error) *openapi3.SchemaRef {
		errs = append(errs, err)
		return r
	}
	setList := func(l openapi3.SchemaRefs, err error) openapi3.SchemaRefs {
		errs = append(errs, err)
		return l
	}
	sch.AllOf = setList(list("allOf"))
	sch.OneOf = setList(list("oneOf"))
	sch.AnyOf = setList(list("anyOf"))
	sch.PrefixItems = setList(list("prefixItems"))
	sch.Not = set(sub("not"))
	sch.Contains = set(sub("contains"))
	if tuple, ok := x["items"].([]any); ok {
		// draft-07's tuple form: the first item stands for the rest.
		if len(tuple) > 0 {
			sch.Items = set(s.ref(tuple[0], ptr+"/items/0", depth+1))
		}
	} else {
		sch.Items = set(sub("items"))
	}
	if _, isBool := x["additionalProperties"].(bool); !isBool {
		if r := set(sub("additionalProperties")); r != nil {
			sch.AdditionalProperties = openapi3.AdditionalProperties{Schema: r}
		}
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return sch, nil
}

package main

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/mockarty-oss/mockarty/sdk/jsonobj"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Completion shapes a value (a mock's payload, or an introspection object)
// by a selection set, as a GraphQL executor completes a resolver's result:
// only the selected fields, under their response names (aliases), with
// fragments expanded, @skip/@include applied and __typename answered. With
// an SDL the field types drive it: leaves pass as they are, lists and
// objects are checked, and a null in a non-null field becomes an error
// that nulls the nearest nullable parent. Without an SDL the payload's
// shape is followed.

// reported is a null that must propagate whose error is already recorded.
var reported = &gqlerror.Error{Message: "(already reported)"}

// resolver is a value that computes its fields (the introspection types).
type resolver interface {
	typeName() string
	resolve(field string, args map[string]any) any
}

// fieldGroup is the fields of a selection set sharing one response key.
type fieldGroup struct {
	key    string
	fields []*ast.Field
	// optional: every occurrence came from a fragment whose type condition
	// could not be decided (no SDL, or no __typename in the payload). Such
	// a field is answered only when the payload has it.
	optional bool
}

type applies int

const (
	applyNo applies = iota
	applyYes
	applyMaybe
)

// collect groups the fields of selection sets for an object of type def
// (nil when not known) named typeName ("" when not known): the spec's
// CollectFields.
func (e *executor) collect(def *ast.Definition, typeName string, sets ...ast.SelectionSet) []*fieldGroup {
	out, _ := e.collectCounting(def, typeName, sets...)
	return out
}

// collectCounting is collect that also tells how many selections it went
// through: the work of collecting, which the completion budget pays.
func (e *executor) collectCounting(def *ast.Definition, typeName string, sets ...ast.SelectionSet) ([]*fieldGroup, int) {
	var out []*fieldGroup
	work := 0
	index := map[string]*fieldGroup{}
	visited := map[string]bool{}
	var walk func(set ast.SelectionSet, optional bool)
	walk = func(set ast.SelectionSet, optional bool) {
		for _, sel := range set {
			work++
			switch s := sel.(type) {
			case *ast.Field:
				if !e.included(s.Directives) {
					continue
				}
				key := s.Alias
				if key == "" {
					key = s.Name
				}
				if g := index[key]; g != nil {
					g.fields = append(g.fields, s)
					g.optional = g.optional && optional
					continue
				}
				g := &fieldGroup{key: key, fields: []*ast.Field{s}, optional: optional}
				index[key] = g
				out = append(out, g)
			case *ast.InlineFragment:
				if !e.included(s.Directives) {
					continue
				}
				switch e.fragmentApplies(def, typeName, s.TypeCondition) {
				case applyYes:
					walk(s.SelectionSet, optional)
				case applyMaybe:
					walk(s.SelectionSet, true)
				}
			case *ast.FragmentSpread:
				if !e.included(s.Directives) || visited[s.Name] {
					continue
				}
				visited[s.Name] = true
				frag := e.doc.Fragments.ForName(s.Name)
				if frag == nil {
					continue
				}
				switch e.fragmentApplies(def, typeName, frag.TypeCondition) {
				case applyYes:
					walk(frag.SelectionSet, optional)
				case applyMaybe:
					walk(frag.SelectionSet, true)
				}
			}
		}
	}
	for _, set := range sets {
		walk(set, false)
	}
	return out, work
}

// included applies @skip(if:) and @include(if:).
func (e *executor) included(dirs ast.DirectiveList) bool {
	for _, d := range dirs {
		if d.Name != "skip" && d.Name != "include" {
			continue
		}
		arg := d.Arguments.ForName("if")
		if arg == nil {
			continue
		}
		v, _ := arg.Value.Value(e.vars)
		on, _ := v.(bool)
		if d.Name == "skip" && on || d.Name == "include" && !on {
			return false
		}
	}
	return true
}

// fragmentApplies says whether a fragment with type condition cond applies
// to an object of type def / typeName.
func (e *executor) fragmentApplies(def *ast.Definition, typeName, cond string) applies {
	switch {
	case cond == "":
		return applyYes
	case e.schema != nil && def != nil:
		if cond == def.Name {
			return applyYes
		}
		cd := e.schema.Types[cond]
		if cd == nil || !cd.IsAbstractType() {
			return applyNo
		}
		for _, p := range e.schema.GetPossibleTypes(cd) {
			if p.Name == def.Name {
				return applyYes
			}
		}
		return applyNo
	case typeName != "" && cond == typeName:
		return applyYes
	}
	return applyMaybe // cond may be an interface of the type, or the type itself
}

// fieldDef is the definition of field f on parent (nil without an SDL).
func fieldDef(parent *ast.Definition, f *ast.Field) *ast.FieldDefinition {
	if parent != nil {
		if fd := parent.Fields.ForName(f.Name); fd != nil {
			return fd
		}
	}
	return f.Definition
}

// fieldValue completes a field's value; it is where a field error stops
// when the field is nullable (recorded, and the field is null), and goes
// on to the parent when it is not (returned).
func (e *executor) fieldValue(typ *ast.Type, fields []*ast.Field, path ast.Path, v any) (any, *gqlerror.Error) {
	out, err := e.completeValue(typ, fields, path, v)
	if err == nil {
		return out, nil
	}
	if err == errTooLarge || (typ != nil && typ.NonNull) {
		return nil, err
	}
	if err != reported {
		e.addError(err)
	}
	return nil, nil
}

// completeValue shapes v by typ (nil: not known) and the fields' selections.
func (e *executor) completeValue(typ *ast.Type, fields []*ast.Field, path ast.Path, v any) (any, *gqlerror.Error) {
	if typ != nil && typ.NonNull {
		inner := *typ
		inner.NonNull = false
		out, err := e.completeValue(&inner, fields, path, v)
		if err != nil {
			return nil, err
		}
		if out == nil {
			return nil, fieldError(fields[0], path, "Cannot return null for non-nullable field %s.", fieldWhere(fields[0]))
		}
		return out, nil
	}
	// Every value counts, null too: a list of a million nulls is large.
	if !e.budget.charge(1) {
		return nil, errTooLarge
	}
	if v == nil {
		return nil, nil
	}
	if typ != nil && typ.Elem != nil {
		list, ok := v.([]any)
		if !ok {
			return nil, fieldError(fields[0], path, "%s is %s, which expects a list, but the mock gives %s",
				fieldWhere(fields[0]), typ.String(), describe(v))
		}
		out := make([]any, len(list))
		for i, item := range list {
			val, err := e.completeValue(typ.Elem, fields, appendPath(path, ast.PathIndex(i)), item)
			if err != nil {
				if err == errTooLarge || typ.Elem.NonNull {
					return nil, err
				}
				if err != reported {
					e.addError(err)
				}
				val = nil
			}
			out[i] = val
		}
		return out, nil
	}
	var named *ast.Definition
	if typ != nil && e.schema != nil {
		named = e.schema.Types[typ.NamedType]
	}
	if named == nil {
		return e.completeUntyped(fields, path, v)
	}
	if named.IsLeafType() {
		return e.passThrough(v) // leaves are answered as the mock wrote them
	}
	switch v.(type) {
	case map[string]any, resolver:
	default:
		return nil, fieldError(fields[0], path, "%s is of type %s, an object, but the mock gives %s",
			fieldWhere(fields[0]), named.Name, describe(v))
	}
	obj := e.resolveType(named, v)
	if obj == nil {
		return nil, fieldError(fields[0], path, "cannot tell which type of %s the mock's object is: set its __typename", named.Name)
	}
	return e.completeObject(obj, obj.Name, fields, path, v)
}

// passThrough answers v as it is; its budget is the values in it (one is
// paid already): it is written once for every alias that selects it.
func (e *executor) passThrough(v any) (any, *gqlerror.Error) {
	if e.budget == nil {
		return v, nil
	}
	switch v.(type) {
	case []any, map[string]any, string:
		// Counting one past what remains is enough to know it does not fit.
		if !e.budget.charge(weight(v, e.budget.remaining()+1) - 1) {
			return nil, errTooLarge
		}
	}
	return v, nil
}

// completeUntyped follows the payload's shape (no SDL, or a type the SDL
// does not name): objects and lists get the selection set, anything else
// passes as it is. v's own value is paid for by the caller.
func (e *executor) completeUntyped(fields []*ast.Field, path ast.Path, v any) (any, *gqlerror.Error) {
	hasSelection := false
	for _, f := range fields {
		hasSelection = hasSelection || len(f.SelectionSet) > 0
	}
	if !hasSelection {
		return e.passThrough(v)
	}
	switch vv := v.(type) {
	case []any:
		out := make([]any, len(vv))
		for i, item := range vv {
			if !e.budget.charge(1) {
				return nil, errTooLarge
			}
			val, err := e.completeUntyped(fields, appendPath(path, ast.PathIndex(i)), item)
			if err != nil {
				if err == errTooLarge {
					return nil, err
				}
				if err != reported {
					e.addError(err)
				}
				val = nil
			}
			out[i] = val
		}
		return out, nil
	case map[string]any, resolver:
		return e.completeObject(nil, typeNameOf(v), fields, path, v)
	}
	return e.passThrough(v)
}

// completeObject answers the selected fields of an object value.
func (e *executor) completeObject(def *ast.Definition, typeName string, fields []*ast.Field, path ast.Path, v any) (any, *gqlerror.Error) {
	sets := make([]ast.SelectionSet, len(fields))
	for i, f := range fields {
		sets[i] = f.SelectionSet
	}
	groups, work := e.collectCounting(def, typeName, sets...)
	// The values are paid as they are made; what makes none (fragments,
	// a field asked twice, skipped fields) is paid here, so a query cannot
	// repeat work over many objects for free.
	if !e.budget.charge(work - len(groups)) {
		return nil, errTooLarge
	}
	out := &jsonobj.Object{}
	for _, g := range groups {
		f := g.fields[0]
		if f.Name == "__typename" && typeName != "" {
			if !e.budget.charge(1) {
				return nil, errTooLarge
			}
			out.Add(g.key, typeName)
			continue
		}
		fd := fieldDef(def, f)
		var ft *ast.Type
		if fd != nil && f.Name != "__typename" {
			ft = fd.Type
		}
		raw, present := e.member(v, g, fd)
		if !present && g.optional {
			if !e.budget.charge(1) {
				return nil, errTooLarge
			}
			continue
		}
		val, err := e.fieldValue(ft, g.fields, appendPath(path, ast.PathName(g.key)), raw)
		if err != nil {
			return nil, err
		}
		out.Add(g.key, val)
	}
	return out, nil
}

// member is the value of a selected field: a resolver computes it; a
// payload object has it under the field's name or, when it has no such
// member, under the field's alias (so one payload can answer the same
// field asked twice with different arguments).
func (e *executor) member(v any, g *fieldGroup, fd *ast.FieldDefinition) (any, bool) {
	f := g.fields[0]
	switch vv := v.(type) {
	case resolver:
		return vv.resolve(f.Name, e.arguments(f, fd)), true
	case map[string]any:
		if x, ok := vv[f.Name]; ok {
			return x, true
		}
		if g.key != f.Name {
			x, ok := vv[g.key]
			return x, ok
		}
	}
	return nil, false
}

// resolveType picks the object type of a value whose field type is named
// (an interface or union needs one): the payload's __typename, the only
// possible type, or the possible type whose fields best cover the
// payload's members (first in SDL order on a tie).
func (e *executor) resolveType(named *ast.Definition, v any) *ast.Definition {
	if named.Kind == ast.Object {
		return named
	}
	if r, ok := v.(resolver); ok {
		return e.schema.Types[r.typeName()]
	}
	m, _ := v.(map[string]any)
	var possible []*ast.Definition
	for _, p := range e.schema.GetPossibleTypes(named) {
		if p.Kind == ast.Object {
			possible = append(possible, p)
		}
	}
	if tn, ok := m["__typename"].(string); ok {
		for _, p := range possible {
			if p.Name == tn {
				return p
			}
		}
		return nil
	}
	var best *ast.Definition
	bestMiss, bestHit := -1, -1
	for _, p := range possible {
		miss, hit := 0, 0
		for k := range m {
			if p.Fields.ForName(k) != nil {
				hit++
			} else {
				miss++
			}
		}
		if best == nil || miss < bestMiss || (miss == bestMiss && hit > bestHit) {
			best, bestMiss, bestHit = p, miss, hit
		}
	}
	return best
}

// typeNameOf is the type a value says it has ("" when it does not).
func typeNameOf(v any) string {
	switch vv := v.(type) {
	case resolver:
		return vv.typeName()
	case map[string]any:
		s, _ := vv["__typename"].(string)
		return s
	}
	return ""
}

func fieldWhere(f *ast.Field) string {
	if f.ObjectDefinition != nil {
		return f.ObjectDefinition.Name + "." + f.Name
	}
	return f.Name
}

func describe(v any) string {
	switch vv := v.(type) {
	case string:
		return "a string"
	case json.Number, float64, int64, int:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		keys := make([]string, 0, len(vv))
		for k := range vv {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if len(keys) > 5 {
			keys = keys[:5]
		}
		return "an object (" + strings.Join(keys, ", ") + ")"
	}
	return "a value"
}

// appendPath copies: sibling fields must not share a backing array.
func appendPath(path ast.Path, el ast.PathElement) ast.Path {
	out := make(ast.Path, len(path), len(path)+1)
	copy(out, path)
	return append(out, el)
}

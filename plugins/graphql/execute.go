package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/jsonobj"
	"github.com/mockarty-oss/mockarty/sdk/listen"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Execution: every root field of the operation is one FindGraphQL call (the
// host matches a mock on <operation>/<field>, its conditions seeing the
// field's arguments); the mock's payload is the field's value, shaped by
// the field's selection set (complete.go). Query fields are resolved at
// once (by a few workers: each is a host call), mutation fields one after
// another, as the spec orders them.

// executor runs one prepared operation.
type executor struct {
	*request
	*prepared
	// budget bounds the values of the answer (nil: not bounded, as when
	// prepare only collects the root fields).
	budget *budget

	mu   sync.Mutex
	errs gqlerror.List
}

func (e *executor) addError(err *gqlerror.Error) {
	e.mu.Lock()
	e.errs = append(e.errs, err)
	e.mu.Unlock()
}

// rootType is the operation's root type (nil without an SDL) and its name.
func (e *executor) rootType() (*ast.Definition, string) {
	if e.schema != nil {
		var def *ast.Definition
		switch e.op.Operation {
		case ast.Mutation:
			def = e.schema.Mutation
		case ast.Subscription:
			def = e.schema.Subscription
		default:
			def = e.schema.Query
		}
		if def != nil {
			return def, def.Name
		}
	}
	switch e.op.Operation {
	case ast.Mutation:
		return nil, "Mutation"
	case ast.Subscription:
		return nil, "Subscription"
	}
	return nil, "Query"
}

// execute runs a query or mutation and returns its response.
func (x *request) execute(p *prepared) *result {
	e := &executor{request: x, prepared: p, budget: newBudget(x.limits.maxResultNodes)}
	def, typeName := e.rootType()
	groups := p.roots
	values := make([]any, len(groups))
	failed := make([]*gqlerror.Error, len(groups))
	run := func(i int) {
		if e.budget.exceeded() {
			failed[i] = errTooLarge // the answer is lost already: ask the host no more
			return
		}
		values[i], failed[i] = e.rootField(def, typeName, groups[i])
	}
	workers := min(x.limits.workers, len(groups))
	if e.op.Operation == ast.Mutation {
		workers = 1
	}
	if workers <= 1 {
		for i := range groups {
			run(i)
		}
	} else {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1 // the next field nobody took
					if i >= len(groups) {
						return
					}
					run(i)
				}
			})
		}
		wg.Wait()
	}
	for _, err := range failed {
		if err == errTooLarge {
			// Part of an answer too large to give would mislead: no data.
			return &result{Errors: gqlerror.List{tooLargeError(x.limits.maxResultNodes)}}
		}
	}
	data := &jsonobj.Object{}
	var bubbled bool
	for i, g := range groups {
		if failed[i] != nil {
			// A null in a non-null root field makes data null.
			if failed[i] != reported {
				e.addError(failed[i])
			}
			bubbled = true
			continue
		}
		data.Add(g.key, values[i])
	}
	// Root fields ran at once: their errors are put back in field order.
	order := make(map[string]int, len(groups))
	for i, g := range groups {
		order[g.key] = i
	}
	rank := func(err *gqlerror.Error) int {
		if len(err.Path) > 0 {
			if name, ok := err.Path[0].(ast.PathName); ok {
				if i, ok := order[string(name)]; ok {
					return i
				}
			}
		}
		return len(groups)
	}
	sort.SliceStable(e.errs, func(i, j int) bool { return rank(e.errs[i]) < rank(e.errs[j]) })
	res := &result{Errors: e.errs}
	if !bubbled {
		res.Data = data
	}
	return res
}

// rootField resolves one root field; a non-nil error is a null that must
// make data null (the field is non-null).
func (e *executor) rootField(parent *ast.Definition, typeName string, g *fieldGroup) (any, *gqlerror.Error) {
	f := g.fields[0]
	path := ast.Path{ast.PathName(g.key)}
	var fieldType *ast.Type
	if fd := fieldDef(parent, f); fd != nil {
		fieldType = fd.Type
	}
	switch f.Name {
	case "__typename":
		return typeName, nil
	case "__schema", "__type":
		if e.schema == nil {
			e.addError(withCode(fieldError(f, path, "introspection needs the namespace's GraphQL schema: namespace %q has none; "+
				"register an SDL file (POST /api/v1/graphql/schemas) to get validation and introspection", e.namespace),
				"INTROSPECTION_DISABLED"))
			return nil, nil
		}
		var v any
		if f.Name == "__schema" {
			v = &schemaObject{s: e.schema}
		} else {
			args := e.arguments(f, fieldDef(parent, f))
			name, _ := args["name"].(string)
			if t := e.schema.Types[name]; t != nil {
				v = &typeObject{s: e.schema, def: t}
			}
		}
		return e.fieldValue(fieldType, g.fields, path, v)
	}
	fd := e.find(f, fieldDef(parent, f), path)
	if fd.ok && !listen.Sleep(e.ctx, fd.delay) {
		fd = found{errs: []*gqlerror.Error{fieldError(f, path, "the request ended during the mock's delay")}}
	}
	for _, err := range fd.errs {
		e.addError(err)
	}
	if !fd.ok || (fd.payload == nil && len(fd.errs) > 0) {
		// No value, and the errors say why: like a resolver that failed,
		// a non-null field makes data null without a second error.
		if fieldType != nil && fieldType.NonNull {
			return nil, reported
		}
		return nil, nil
	}
	return e.fieldValue(fieldType, g.fields, path, fd.payload)
}

// found is a root field's mock answer.
type found struct {
	payload any
	errs    []*gqlerror.Error // the mock's graphqlErrors, or why there is no value
	ok      bool              // false: no value (no mock, or the host failed)
	delay   time.Duration
}

// find asks the host for the mock of a root field.
func (e *executor) find(f *ast.Field, def *ast.FieldDefinition, path ast.Path) found {
	fail := func(err *gqlerror.Error) found { return found{errs: []*gqlerror.Error{err}} }
	args := e.arguments(f, def)
	argsJSON, err := json.Marshal(args)
	if err != nil {
		return fail(fieldError(f, path, "cannot encode the arguments of %s: %v", f.Name, err))
	}
	var varsJSON json.RawMessage
	if len(e.vars) > 0 {
		if varsJSON, err = json.Marshal(e.vars); err != nil {
			return fail(fieldError(f, path, "cannot encode the variables: %v", err))
		}
	}
	resp, err := e.host.FindGraphQL(e.ctx, &find.GraphQLRequest{
		Namespace: e.namespace, Path: e.path, Operation: string(e.op.Operation), Field: f.Name,
		Arguments: argsJSON, Variables: varsJSON, Headers: e.headers,
	})
	var nm *sdk.NoMatch
	switch {
	case errors.As(err, &nm):
		return fail(noMatchError(f, path, string(e.op.Operation), nm))
	case err != nil:
		return fail(findError(f, path, err))
	}
	out := found{ok: true, delay: time.Duration(resp.Delay) * time.Millisecond}
	for _, me := range resp.Errors {
		out.errs = append(out.errs, mockError(me, f, path))
	}
	if len(resp.Data) > 0 {
		d := json.NewDecoder(bytes.NewReader(resp.Data))
		d.UseNumber() // numbers pass through as the mock wrote them
		if err := d.Decode(&out.payload); err != nil {
			return fail(fieldError(f, path, "mock %s has a payload that is not JSON: %v", resp.MockID, err))
		}
	}
	return out
}

// arguments are a field's argument values with the variables applied, and
// the defaults of the arguments the query leaves out (with an SDL).
func (e *executor) arguments(f *ast.Field, def *ast.FieldDefinition) map[string]any {
	out := make(map[string]any, len(f.Arguments))
	for _, a := range f.Arguments {
		if a.Value.Kind == ast.Variable {
			if _, ok := e.vars[a.Value.Raw]; !ok {
				continue // an unset variable leaves the argument out
			}
		}
		if v, err := a.Value.Value(e.vars); err == nil {
			out[a.Name] = v
		}
	}
	if def != nil {
		for _, ad := range def.Arguments {
			if _, ok := out[ad.Name]; !ok && ad.DefaultValue != nil {
				if v, err := ad.DefaultValue.Value(nil); err == nil {
					out[ad.Name] = v
				}
			}
		}
	}
	return out
}

// findError is the field error of a failed find. Input the host refuses
// (arguments nested past its MAX_BODY_DEPTH) is the caller's: BAD_USER_INPUT,
// the code GraphQL servers give bad arguments. Anything else is the host's.
func findError(f *ast.Field, path ast.Path, err error) *gqlerror.Error {
	if errors.Is(err, sdk.ErrInvalidInput) {
		return withCode(fieldError(f, path, "%s: %v", f.Name, err), "BAD_USER_INPUT")
	}
	return withCode(fieldError(f, path, "the mock host did not answer for %s: %v", f.Name, err), "MOCK_HOST_UNAVAILABLE")
}

// fieldError is an error at a field of the query.
func fieldError(f *ast.Field, path ast.Path, format string, args ...any) *gqlerror.Error {
	err := gqlerror.ErrorPathf(append(ast.Path(nil), path...), format, args...)
	if f != nil && f.Position != nil {
		err.Locations = []gqlerror.Location{{Line: f.Position.Line, Column: f.Position.Column}}
	}
	return err
}

// mockError is one of the mock's graphqlErrors; the field's path and
// location are filled in when the mock leaves them out.
func mockError(me find.GraphQLError, f *ast.Field, path ast.Path) *gqlerror.Error {
	err := &gqlerror.Error{Message: me.Message}
	for _, p := range me.Path {
		switch v := p.(type) {
		case string:
			err.Path = append(err.Path, ast.PathName(v))
		case float64:
			err.Path = append(err.Path, ast.PathIndex(int(v)))
		case json.Number:
			if n, nerr := v.Int64(); nerr == nil {
				err.Path = append(err.Path, ast.PathIndex(int(n)))
			}
		}
	}
	if len(err.Path) == 0 {
		err.Path = append(ast.Path(nil), path...)
	}
	if len(me.Locations) > 0 {
		_ = json.Unmarshal(me.Locations, &err.Locations)
	}
	if len(err.Locations) == 0 && f.Position != nil {
		err.Locations = []gqlerror.Location{{Line: f.Position.Line, Column: f.Position.Column}}
	}
	if len(me.Extensions) > 0 {
		_ = json.Unmarshal(me.Extensions, &err.Extensions)
	}
	return err
}

// noMatchError says why no mock answers a root field: the host's reason
// and its closest candidates (without the expected values of failed
// conditions: the answer is open to anyone, and a condition may hold a
// secret).
func noMatchError(f *ast.Field, path ast.Path, op string, nm *sdk.NoMatch) *gqlerror.Error {
	var cands []map[string]any
	if len(nm.Candidates) > 0 {
		_ = json.Unmarshal(nm.Candidates, &cands)
	}
	var why []string
	for _, c := range cands {
		if fc, ok := c["failedCondition"].(map[string]any); ok {
			delete(fc, "expected")
		}
		if len(why) < 3 {
			why = append(why, candidateReason(c))
		}
	}
	msg := fmt.Sprintf("no mock answers %s field %q", op, f.Name)
	if nm.Message != "" {
		msg += " (" + nm.Message + ")"
	}
	if len(why) > 0 {
		msg += "; closest: " + strings.Join(why, "; ")
	}
	err := fieldError(f, path, "%s", msg)
	ext := map[string]any{"code": "MOCK_NOT_FOUND", "operation": op, "field": f.Name}
	if nm.Namespace != "" {
		ext["namespace"] = nm.Namespace
	}
	if len(cands) > 0 {
		ext["candidates"] = cands
	}
	err.Extensions = ext
	return err
}

func candidateReason(c map[string]any) string {
	s := fmt.Sprint(c["mockId"])
	if r, ok := c["reason"].(string); ok && r != "" {
		s += ": " + r
	}
	if fc, ok := c["failedCondition"].(map[string]any); ok {
		if p, ok := fc["path"].(string); ok && p != "" {
			s += " at " + p
		}
		if r, ok := fc["reason"].(string); ok && r != "" {
			s += " (" + r + ")"
		}
	}
	return s
}

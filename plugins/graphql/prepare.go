package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// result is a GraphQL response: errors first (easier to spot), then data.
type result struct {
	Errors gqlerror.List
	Data   any
	// NoData leaves data out: the request failed before execution.
	NoData bool
}

// MarshalJSON writes {"errors": [...], "data": ...} with each member only
// when the spec wants it.
func (r *result) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	if len(r.Errors) > 0 {
		e, err := json.Marshal(r.Errors)
		if err != nil {
			return nil, err
		}
		b.WriteString(`"errors":`)
		b.Write(e)
	}
	if !r.NoData {
		d, err := json.Marshal(r.Data)
		if err != nil {
			return nil, err
		}
		if len(r.Errors) > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"data":`)
		b.Write(d)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// request is one GraphQL request being served.
type request struct {
	ctx       context.Context
	host      sdk.Host
	schemas   *schemaCache
	namespace string
	path      string
	method    string
	accept    string
	headers   find.MultiMap
	req       *gqlRequest
	limits    limits
	// failure is the answer when prepare finds the request cannot run.
	failure *result
}

// prepared is a request ready to run: a parsed (and, with an SDL,
// validated) document, its chosen operation and its coerced variables.
type prepared struct {
	schema *ast.Schema // nil: the namespace registered no SDL
	doc    *ast.QueryDocument
	op     *ast.OperationDefinition
	vars   map[string]any
	// roots are the operation's root fields (response keys).
	roots []*fieldGroup
}

// prepare parses, validates and picks the operation; on failure it sets
// x.failure and returns the HTTP status to answer with.
func (x *request) prepare() (*prepared, int) {
	fail := func(status int, errs ...*gqlerror.Error) (*prepared, int) {
		x.failure = &result{Errors: errs, NoData: true}
		return nil, status
	}
	schema, err := x.schemas.get(x.ctx, x.namespace)
	if err != nil {
		var bad *sdlError
		if errors.As(err, &bad) {
			return fail(http.StatusInternalServerError, gqlerror.Errorf("%s", err.Error()))
		}
		return fail(http.StatusBadGateway, gqlerror.Errorf("cannot read the GraphQL schema of namespace %q from the mock host: %v", x.namespace, err))
	}
	// The token limit bounds the parser's work and everything after it
	// (validation, depth, fragments) by the document's size.
	doc, perr := parser.ParseQueryWithTokenLimit(&ast.Source{Input: x.req.Query}, x.limits.maxTokens)
	if perr != nil {
		var gerr *gqlerror.Error
		if !errors.As(perr, &gerr) {
			gerr = gqlerror.Wrap(perr)
		}
		if strings.HasPrefix(gerr.Message, "exceeded token limit") {
			gerr.Message += " (setting maxTokens)"
			withCode(gerr, "QUERY_TOO_LARGE")
		}
		return fail(http.StatusBadRequest, withCode(gerr, "GRAPHQL_PARSE_FAILED"))
	}
	var errs gqlerror.List
	if schema != nil {
		errs = validator.ValidateWithRules(schema, doc, nil)
	} else {
		errs = checkDocument(doc)
	}
	if len(errs) > 0 {
		for _, e := range errs {
			withCode(e, "GRAPHQL_VALIDATION_FAILED")
		}
		return fail(http.StatusBadRequest, errs...)
	}
	op, gerr := pickOperation(doc, x.req.OperationName)
	if gerr != nil {
		return fail(http.StatusBadRequest, gerr)
	}
	// GET must not change anything: a query, or a subscription asked for
	// as server-sent events (graphql-sse allows it, and a browser's
	// EventSource can only GET).
	if x.method == http.MethodGet && op.Operation != ast.Query &&
		(op.Operation != ast.Subscription || !acceptsEventStream(x.accept)) {
		msg := "a %s cannot be sent with GET: use POST"
		if op.Operation == ast.Subscription {
			msg = "a %s is sent with GET only with Accept: text/event-stream (or use POST)"
		}
		return fail(http.StatusMethodNotAllowed, gqlerror.Errorf(msg, op.Operation))
	}
	if gerr := checkDepth(doc, op, x.limits.maxDepth); gerr != nil {
		return fail(http.StatusBadRequest, gerr)
	}
	vars, gerr := coerceVariables(schema, op, x.req.Variables)
	if gerr != nil {
		return fail(http.StatusBadRequest, withCode(gerr, "BAD_USER_INPUT"))
	}
	p := &prepared{schema: schema, doc: doc, op: op, vars: vars}
	// Each root field is a host call: count them before making any.
	e := &executor{request: x, prepared: p}
	def, typeName := e.rootType()
	p.roots = e.collect(def, typeName, op.SelectionSet)
	if len(p.roots) > x.limits.maxRootFields {
		return fail(http.StatusBadRequest, tooManyRootFields(op, len(p.roots), x.limits.maxRootFields))
	}
	return p, http.StatusOK
}

// withCode sets extensions.code, the field clients (Apollo) read.
func withCode(e *gqlerror.Error, code string) *gqlerror.Error {
	if e.Extensions == nil {
		e.Extensions = map[string]any{}
	}
	if _, ok := e.Extensions["code"]; !ok {
		e.Extensions["code"] = code
	}
	return e
}

// pickOperation chooses the operation to run (GraphQL spec, GetOperation).
func pickOperation(doc *ast.QueryDocument, name string) (*ast.OperationDefinition, *gqlerror.Error) {
	switch {
	case len(doc.Operations) == 0:
		return nil, gqlerror.Errorf("the document has no operation to run")
	case name == "" && len(doc.Operations) > 1:
		return nil, gqlerror.Errorf("Must provide operation name if query contains multiple operations.")
	}
	op := doc.Operations.ForName(name)
	if op == nil {
		return nil, gqlerror.Errorf("Unknown operation named %q.", name)
	}
	return op, nil
}

// coerceVariables applies the operation's variable definitions to the
// values sent: with an SDL, gqlparser checks and coerces them by type;
// without one, defaults are applied and required variables checked.
func coerceVariables(schema *ast.Schema, op *ast.OperationDefinition, sent map[string]any) (map[string]any, *gqlerror.Error) {
	if sent == nil {
		sent = map[string]any{}
	}
	if schema != nil {
		vars, err := validator.VariableValues(schema, op, sent)
		if err != nil {
			var gerr *gqlerror.Error
			if !errors.As(err, &gerr) {
				gerr = gqlerror.Wrap(err)
			}
			return nil, gerr
		}
		return vars, nil
	}
	vars := make(map[string]any, len(op.VariableDefinitions))
	for _, def := range op.VariableDefinitions {
		v, ok := sent[def.Variable]
		switch {
		case ok:
			if v == nil && def.Type.NonNull {
				return nil, gqlerror.ErrorPosf(def.Position, "Variable \"$%s\" of non-null type %q must not be null.", def.Variable, def.Type.String())
			}
			vars[def.Variable] = v
		case def.DefaultValue != nil:
			dv, err := def.DefaultValue.Value(nil)
			if err != nil {
				return nil, gqlerror.ErrorPosf(def.Position, "the default of variable \"$%s\" is not a value: %v", def.Variable, err)
			}
			vars[def.Variable] = dv
		case def.Type.NonNull:
			return nil, gqlerror.ErrorPosf(def.Position, "Variable \"$%s\" of required type %q was not provided.", def.Variable, def.Type.String())
		}
	}
	return vars, nil
}

// checkDocument is the validation a document gets without an SDL: only
// what keeps execution well defined (operations named apart, fragments
// known and not cyclic); fields and arguments are the mocks' business.
func checkDocument(doc *ast.QueryDocument) gqlerror.List {
	var errs gqlerror.List
	names := map[string]bool{}
	for _, op := range doc.Operations {
		if op.Name == "" && len(doc.Operations) > 1 {
			errs = append(errs, gqlerror.ErrorPosf(op.Position, "This anonymous operation must be the only defined operation."))
		}
		if op.Name != "" && names[op.Name] {
			errs = append(errs, gqlerror.ErrorPosf(op.Position, "There can be only one operation named %q.", op.Name))
		}
		names[op.Name] = true
	}
	frags := map[string]bool{}
	for _, f := range doc.Fragments {
		if frags[f.Name] {
			errs = append(errs, gqlerror.ErrorPosf(f.Position, "There can be only one fragment named %q.", f.Name))
		}
		frags[f.Name] = true
	}
	var spreads func(ast.SelectionSet, func(*ast.FragmentSpread))
	spreads = func(set ast.SelectionSet, visit func(*ast.FragmentSpread)) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				spreads(s.SelectionSet, visit)
			case *ast.InlineFragment:
				spreads(s.SelectionSet, visit)
			case *ast.FragmentSpread:
				visit(s)
			}
		}
	}
	unknown := func(s *ast.FragmentSpread) {
		if !frags[s.Name] {
			errs = append(errs, gqlerror.ErrorPosf(s.Position, "Unknown fragment %q.", s.Name))
		}
	}
	for _, op := range doc.Operations {
		spreads(op.SelectionSet, unknown)
	}
	for _, f := range doc.Fragments {
		spreads(f.SelectionSet, unknown)
	}
	// A cycle would expand forever: depth-first search over the spreads.
	const (
		unseen = iota
		onPath
		done
	)
	state := map[string]int{}
	var visit func(f *ast.FragmentDefinition) bool
	visit = func(f *ast.FragmentDefinition) bool {
		state[f.Name] = onPath
		cyclic := false
		spreads(f.SelectionSet, func(s *ast.FragmentSpread) {
			next := doc.Fragments.ForName(s.Name)
			switch {
			case cyclic || next == nil:
			case state[next.Name] == onPath:
				errs = append(errs, gqlerror.ErrorPosf(s.Position, "Cannot spread fragment %q within itself.", s.Name))
				cyclic = true
			case state[next.Name] == unseen:
				cyclic = visit(next)
			}
		})
		state[f.Name] = done
		return cyclic
	}
	for _, f := range doc.Fragments {
		if state[f.Name] == unseen {
			visit(f)
		}
	}
	return errs
}

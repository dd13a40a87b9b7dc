package main

import (
	"fmt"
	"sync/atomic"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Limits keep one request from costing the listener (and the host) more
// than a mock server should spend on it: a GraphQL document is small, but
// aliases and fragments let it ask for very many root fields (each a host
// call) or, over introspection's self-referencing types, an answer that
// grows exponentially with the query's depth. The document is bounded
// when parsed (tokens), before execution (depth, root fields), and while
// the answer is built (values).

// Defaults of the limit settings.
const (
	DefaultMaxTokens               = 15000
	DefaultMaxDepth                = 20
	DefaultMaxRootFields           = 100
	DefaultMaxResultNodes          = 100000
	DefaultMaxConcurrentRootFields = 8
)

// limits are the limit settings a request is served with.
type limits struct {
	maxTokens      int
	maxDepth       int
	maxRootFields  int
	maxResultNodes int
	// workers is how many root fields of a query are resolved at once.
	workers int
}

func (s *Settings) limits() limits {
	return limits{maxTokens: s.MaxTokens, maxDepth: s.MaxDepth, maxRootFields: s.MaxRootFields,
		maxResultNodes: s.MaxResultNodes, workers: s.MaxConcurrentRootFields}
}

// depthOf is the deepest field of a selection set (a root field is at
// depth 1) and that field.
type depthOf struct {
	depth int
	field *ast.Field
}

// depthWalker measures selection depth with fragments expanded; each
// fragment is measured once, so fragments spread many times (the usual
// way to make a small document ask for a large answer) cost nothing more.
type depthWalker struct {
	doc  *ast.QueryDocument
	memo map[string]depthOf
}

func (w *depthWalker) selections(set ast.SelectionSet) depthOf {
	var best depthOf
	for _, sel := range set {
		var d depthOf
		switch s := sel.(type) {
		case *ast.Field:
			d = w.selections(s.SelectionSet)
			d.depth++
			if d.field == nil {
				d.field = s
			}
		case *ast.InlineFragment:
			d = w.selections(s.SelectionSet)
		case *ast.FragmentSpread:
			d = w.fragment(s.Name)
		}
		if d.depth > best.depth {
			best = d
		}
	}
	return best
}

func (w *depthWalker) fragment(name string) depthOf {
	if d, ok := w.memo[name]; ok {
		return d // measured, or being measured: a cycle (refused by validation) adds nothing
	}
	w.memo[name] = depthOf{}
	frag := w.doc.Fragments.ForName(name)
	if frag == nil {
		return depthOf{}
	}
	d := w.selections(frag.SelectionSet)
	w.memo[name] = d
	return d
}

// checkDepth refuses an operation whose selections nest deeper than max.
func checkDepth(doc *ast.QueryDocument, op *ast.OperationDefinition, max int) *gqlerror.Error {
	w := &depthWalker{doc: doc, memo: map[string]depthOf{}}
	d := w.selections(op.SelectionSet)
	if d.depth <= max {
		return nil
	}
	err := gqlerror.Errorf("the query nests fields %d deep, more than the %d allowed (setting maxDepth)", d.depth, max)
	if d.field != nil && d.field.Position != nil {
		err.Locations = []gqlerror.Location{{Line: d.field.Position.Line, Column: d.field.Position.Column}}
	}
	return withCode(err, "QUERY_TOO_DEEP")
}

// tooManyRootFields is the error of an operation with more root fields
// (response keys, after fragments and @skip/@include) than max.
func tooManyRootFields(op *ast.OperationDefinition, n, max int) *gqlerror.Error {
	err := gqlerror.Errorf("the %s selects %d root fields, more than the %d allowed (setting maxRootFields)", op.Operation, n, max)
	if op.Position != nil {
		err.Locations = []gqlerror.Location{{Line: op.Position.Line, Column: op.Position.Column}}
	}
	return withCode(err, "TOO_MANY_ROOT_FIELDS")
}

// errTooLarge stops completion when the answer outgrows its budget: unlike
// a field error it is not caught by a nullable field, it ends the whole
// answer.
var errTooLarge = &gqlerror.Error{Message: "(result too large)"}

// tooLargeError is what the client is told instead of the answer.
func tooLargeError(max int) *gqlerror.Error {
	return withCode(gqlerror.Errorf("result too large: the answer would have more than %d values (setting maxResultNodes); "+
		"select fewer fields, use fewer aliases or nest less", max), "RESULT_TOO_LARGE")
}

// budget counts the values one answer completes (shared by the root
// fields resolved at once).
type budget struct {
	max  int64
	used atomic.Int64
}

func newBudget(max int) *budget { return &budget{max: int64(max)} }

// charge spends n; false when the budget is exceeded (now or before).
func (b *budget) charge(n int) bool {
	if b == nil {
		return true
	}
	return b.used.Add(int64(n)) <= b.max
}

func (b *budget) exceeded() bool { return b != nil && b.used.Load() > b.max }

// remaining is what can still be spent (0 when exceeded).
func (b *budget) remaining() int { return int(max(b.max-b.used.Load(), 0)) }

// stringUnit is how many bytes of a string count as one value: a value
// passed through as the mock wrote it is not copied, but it is written
// once per alias that selects it, so a long string must weigh more.
const stringUnit = 1024

// weight is how many values v counts for, counted no further than limit+1
// (a large payload is not walked past the point where it fails).
func weight(v any, limit int) int {
	n := 0
	var walk func(v any)
	walk = func(v any) {
		if n > limit {
			return
		}
		n++
		switch vv := v.(type) {
		case string:
			n += len(vv) / stringUnit
		case []any:
			for _, item := range vv {
				walk(item)
			}
		case map[string]any:
			for k, item := range vv {
				n += len(k) / stringUnit
				walk(item)
			}
		}
	}
	walk(v)
	return n
}

// limitTooSmall is the error of a limit setting below 1.
func limitTooSmall(name string, v int) error {
	return fmt.Errorf("settings: %s must be at least 1, not %d", name, v)
}

// Package jpath reads values out of decoded JSON by path: plain dotted
// paths are walked directly (fast, no allocation); anything else is
// JSONPath, evaluated here over node sets in time linear in the document
// (recursive descent visits every node once), with gval's operators inside
// filters such as [?(@.price > 100)]. Every evaluation also has a hard work
// limit and stops when its context is cancelled.
package jpath

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/PaesslerAG/gval"
	"github.com/mockarty-oss/mockarty/host/internal/limits"
)

// DefaultWorkLimit is the number of nodes one evaluation may visit unless
// SetWorkLimit says otherwise: a full pass over about 2 MB of small JSON
// values, and at most a fraction of a second when a filter works per node.
const DefaultWorkLimit = 1_000_000

var workLimit = limits.New(DefaultWorkLimit)

// SetWorkLimit sets how many nodes one evaluation may visit (n <= 0 restores
// the default). It is read on every evaluation, so it may be set at start.
func SetWorkLimit(n int) {
	workLimit.Set(n)
}

// ErrWorkLimit is returned by an evaluation that would visit more nodes than
// the work limit allows (a filter that descends inside a recursive descent
// over a large document, say).
var ErrWorkLimit = errors.New("JSONPath evaluation stopped: it visited more nodes than the work limit (JSONPATH_WORK_LIMIT)")

// errMissing reports a definite path that selects nothing.
var errMissing = errors.New("no value at this path")

// Path is a compiled path relative to a document root.
type Path struct {
	keys []string
	expr gval.Evaluable // JSONPath (or a wider gval expression: $.a + 1)
}

// Compile compiles rest, the part after "$" (".a.b[0]", "..id", "[?(@.x)]").
func Compile(rest string) (*Path, error) {
	if keys, ok := Keys(rest); ok {
		return &Path{keys: keys}, nil
	}
	e, err := lang.NewEvaluable("$" + rest)
	if err != nil {
		return nil, err
	}
	return &Path{expr: e}, nil
}

// Get reads the value at the path; foldCase also tries lower-case keys
// (header names, plain paths only). A JSONPath that finds nothing, or that
// stops at the work limit, reports false.
func (p *Path) Get(doc any, foldCase bool) (any, bool) {
	v, ok, _ := p.Eval(nil, doc, foldCase)
	return v, ok
}

// Eval is Get with a context and the reason an evaluation stopped:
// ErrWorkLimit, or the context's error once it is cancelled (ctx may be nil).
// A path with wildcards, unions, slices, filters or ".." gives the list of
// the values it selects, possibly empty; any other path gives one value.
func (p *Path) Eval(ctx context.Context, doc any, foldCase bool) (any, bool, error) {
	if p.expr == nil {
		v, ok := Walk(doc, p.keys, foldCase)
		return v, ok, nil
	}
	st := newState(ctx, doc)
	v, err := p.expr(st.context(), doc)
	if st.err != nil {
		return nil, false, st.err
	}
	if err != nil || v == nil {
		return nil, false, nil
	}
	return v, true, nil
}

// Simple reports the plain keys of a path that needs no JSONPath.
func (p *Path) Simple() ([]string, bool) { return p.keys, p.expr == nil }

// Keys splits ".a.b[0]['c']" into keys when no JSONPath feature is used.
func Keys(rest string) ([]string, bool) {
	var keys []string
	i := 0
	for i < len(rest) {
		switch rest[i] {
		case '.':
			j := i + 1
			for j < len(rest) && rest[j] != '.' && rest[j] != '[' {
				if strings.ContainsRune("*?()@ ", rune(rest[j])) {
					return nil, false
				}
				j++
			}
			if j == i+1 {
				return nil, false
			}
			keys = append(keys, rest[i+1:j])
			i = j
		case '[':
			j := strings.IndexByte(rest[i:], ']')
			if j < 0 {
				return nil, false
			}
			inner := rest[i+1 : i+j]
			if _, err := strconv.Atoi(inner); err == nil {
				keys = append(keys, inner)
			} else if len(inner) >= 2 && (inner[0] == '\'' || inner[0] == '"') && inner[len(inner)-1] == inner[0] {
				keys = append(keys, inner[1:len(inner)-1])
			} else {
				return nil, false
			}
			i += j + 1
		default:
			return nil, false
		}
	}
	return keys, true
}

// Walk follows keys through maps and arrays (a numeric key indexes an array).
func Walk(v any, keys []string, foldCase bool) (any, bool) {
	for _, k := range keys {
		switch c := v.(type) {
		case map[string]any:
			nv, ok := c[k]
			if !ok && foldCase {
				nv, ok = c[strings.ToLower(k)]
			}
			if !ok {
				return nil, false
			}
			v = nv
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			v = c[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// evalState is one evaluation: the root, the current element of a filter
// or script (@), and the work done so far.
type evalState struct {
	ctx  context.Context // the caller's, for cancellation; may be nil
	gctx context.Context // carries the state to gval expressions; built on first use
	root any
	cur  any
	work int64
	max  int64
	next int64 // work count at which ctx is checked again
	err  error // why the evaluation stopped (sticky)
	// stack is the walk of recursive descent, reused between walks.
	stack []any
}

type stateKey struct{}

// ctxCheckEvery is how many visits go by between looks at the context.
const ctxCheckEvery = 1024

func newState(ctx context.Context, root any) *evalState {
	// next 0: the first visit looks at the context.
	return &evalState{ctx: ctx, root: root, max: int64(workLimit.Get())}
}

// context is the state as a gval context: gval expressions (filters,
// scripts, computed keys) reach the state and the caller's values through it.
func (st *evalState) context() context.Context {
	if st.gctx == nil {
		base := st.ctx
		if base == nil {
			base = context.Background()
		}
		st.gctx = context.WithValue(base, stateKey{}, st)
	}
	return st.gctx
}

// visit counts n nodes of work; false means stop (work limit or cancelled).
func (st *evalState) visit(n int) bool {
	if st.err != nil {
		return false
	}
	st.work += int64(n)
	if st.work > st.max {
		st.err = ErrWorkLimit
		return false
	}
	if st.work >= st.next {
		st.next = st.work + ctxCheckEvery
		if st.ctx != nil {
			if err := st.ctx.Err(); err != nil {
				st.err = fmt.Errorf("JSONPath evaluation stopped: %w", err)
				return false
			}
		}
	}
	return true
}

// stateOf finds the evaluation a gval expression runs in; an expression run
// on its own (no state in c) gets a fresh one over parameter.
func stateOf(c context.Context, parameter any) *evalState {
	if st, ok := c.Value(stateKey{}).(*evalState); ok {
		return st
	}
	st := newState(nil, parameter)
	st.gctx = context.WithValue(c, stateKey{}, st)
	return st
}

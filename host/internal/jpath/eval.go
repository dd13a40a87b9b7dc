package jpath

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"unsafe"

	"github.com/PaesslerAG/gval"
)

// path is a parsed JSONPath: steps from the root ($) or the current node (@).
type path struct {
	current bool
	steps   []step
	// many: some step may select several nodes, so the path gives a list.
	many bool
}

type stepKind uint8

const (
	stepName   stepKind = iota // .name
	stepKeys                   // [k] or [k1,k2,...]
	stepWild                   // * or [*]
	stepSlice                  // [start:end:step]
	stepFilter                 // [?(expr)]
	stepScript                 // (expr): the expression's value on the node
)

type step struct {
	kind  stepKind
	deep  bool // "..": applied to the node and to each of its descendants
	union bool // several keys
	name  string
	keys  []key
	slice [3]gval.Evaluable
	expr  gval.Evaluable // filter or script
}

// key is one key of [...]: a constant, or an expression of @ and $.
type key struct {
	expr    gval.Evaluable
	isConst bool
	str     string // the key of an object, when strOK
	strOK   bool
	idx     int // the index into an array, when idxOK
	idxOK   bool
}

func (p *path) add(s step) {
	if s.deep || s.union || s.kind == stepWild || s.kind == stepSlice || s.kind == stepFilter {
		p.many = true
	}
	p.steps = append(p.steps, s)
}

// evaluable is the path as a gval expression (inside filters, keys and
// scripts, or in an expression wider than one path).
func (p *path) evaluable() gval.Evaluable {
	return func(c context.Context, parameter any) (any, error) {
		if c.Value(probeKey{}) != nil {
			return nil, errNotConstant
		}
		st := stateOf(c, parameter)
		start := parameter
		if p.current {
			start = st.cur
		}
		v, err := p.eval(st, start)
		if st.err != nil {
			return nil, st.err
		}
		if n, ok := v.(json.Number); ok && p.current {
			// Inside a filter a number is compared and computed with, and
			// gval takes a json.Number for text ("5" > "10").
			if f, ferr := n.Float64(); ferr == nil {
				return f, err
			}
		}
		return v, err
	}
}

// eval runs the steps from start. A definite path gives its value or
// errMissing; any other gives the list of nodes selected, in document order
// for arrays (object members come in Go's map order).
func (p *path) eval(st *evalState, start any) (any, error) {
	if !p.many {
		v := start
		for i := range p.steps {
			var ok bool
			if v, ok = st.one(&p.steps[i], v); !ok {
				return nil, errMissing
			}
		}
		return v, nil
	}
	nodes := []any{start}
	var next []any
	for i := range p.steps {
		s := &p.steps[i]
		next = next[:0]
		if s.deep {
			next = st.descend(s, nodes, next)
		} else {
			for _, v := range nodes {
				if next = st.apply(s, v, next); st.err != nil {
					break
				}
			}
		}
		if st.err != nil {
			return nil, st.err
		}
		nodes, next = next, nodes
	}
	if nodes == nil {
		nodes = []any{}
	}
	return nodes, nil
}

// one applies a step that selects at most one node.
func (st *evalState) one(s *step, v any) (any, bool) {
	if !st.visit(1) {
		return nil, false
	}
	switch s.kind {
	case stepName:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		r, ok := m[s.name]
		return r, ok
	case stepKeys:
		return st.byKey(&s.keys[0], v)
	case stepScript:
		return st.script(s.expr, v)
	}
	return nil, false
}

// apply appends what step s selects from node v to out.
func (st *evalState) apply(s *step, v any, out []any) []any {
	switch s.kind {
	case stepName:
		if !st.visit(1) {
			return out
		}
		if m, ok := v.(map[string]any); ok {
			if r, ok := m[s.name]; ok {
				out = append(out, r)
			}
		}
	case stepKeys:
		for i := range s.keys {
			if !st.visit(1) {
				return out
			}
			if r, ok := st.byKey(&s.keys[i], v); ok {
				out = append(out, r)
			}
		}
	case stepWild:
		switch c := v.(type) {
		case []any:
			if st.visit(len(c)) {
				out = append(out, c...)
			}
		case map[string]any:
			if st.visit(len(c)) {
				for _, e := range c {
					out = append(out, e)
				}
			}
		}
	case stepSlice:
		out = st.slice(s, v, out)
	case stepFilter:
		switch c := v.(type) {
		case []any:
			for _, e := range c {
				if !st.visit(1) {
					return out
				}
				if st.test(s.expr, e) {
					out = append(out, e)
				}
			}
		case map[string]any:
			for _, e := range c {
				if !st.visit(1) {
					return out
				}
				if st.test(s.expr, e) {
					out = append(out, e)
				}
			}
		}
	case stepScript:
		if !st.visit(1) {
			return out
		}
		if r, ok := st.script(s.expr, v); ok {
			out = append(out, r)
		}
	}
	return out
}

// descend applies step s to every node of the subtrees of nodes, each node
// once: when one start node lies inside another's subtree, it is not
// walked again, so a chain of ".." stays linear in the document.
func (st *evalState) descend(s *step, nodes, out []any) []any {
	var seen map[container]struct{}
	if len(nodes) > 1 {
		seen = make(map[container]struct{})
	}
	// Scalars only matter to a script; other steps select from containers.
	leaves := s.kind == stepScript
	// The walk owns the reused stack; a descent inside one of its filters
	// gets a stack of its own.
	stack := st.stack[:0]
	st.stack = nil
	defer func() { clear(stack); st.stack = stack[:0] }()
	for _, n := range nodes {
		stack = append(stack, n)
		for len(stack) > 0 {
			v := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if !st.visit(1) {
				return out
			}
			switch c := v.(type) {
			case map[string]any:
				if seen != nil && len(c) > 0 {
					k := container{p: reflect.ValueOf(c).UnsafePointer(), n: len(c)}
					if _, dup := seen[k]; dup {
						continue
					}
					seen[k] = struct{}{}
				}
				if out = st.apply(s, v, out); st.err != nil {
					return out
				}
				for _, e := range c {
					if leaves || isContainer(e) {
						stack = append(stack, e)
					}
				}
			case []any:
				if seen != nil && len(c) > 0 {
					k := container{p: unsafe.Pointer(unsafe.SliceData(c)), n: len(c)}
					if _, dup := seen[k]; dup {
						continue
					}
					seen[k] = struct{}{}
				}
				if out = st.apply(s, v, out); st.err != nil {
					return out
				}
				// Reversed, so the walk meets the elements in order.
				for i := len(c) - 1; i >= 0; i-- {
					if leaves || isContainer(c[i]) {
						stack = append(stack, c[i])
					}
				}
			default:
				if out = st.apply(s, v, out); st.err != nil {
					return out
				}
			}
		}
	}
	return out
}

// container identifies an object or array of the document.
type container struct {
	p unsafe.Pointer
	n int
}

func isContainer(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return true
	}
	return false
}

// byKey selects one key: an index into an array, a name in an object.
func (st *evalState) byKey(k *key, v any) (any, bool) {
	switch c := v.(type) {
	case []any:
		i, ok := k.idx, k.idxOK
		if !k.isConst {
			i, ok = toIndex(st.value(k.expr, v))
		}
		if !ok || i < 0 || i >= len(c) {
			return nil, false
		}
		return c[i], true
	case map[string]any:
		name, ok := k.str, k.strOK
		if !k.isConst {
			name, ok = toKey(st.value(k.expr, v))
		}
		if !ok {
			return nil, false
		}
		r, ok := c[name]
		return r, ok
	}
	return nil, false
}

// eval runs a gval expression with @ bound to v.
func (st *evalState) eval(e gval.Evaluable, v any) (any, error) {
	saved := st.cur
	st.cur = v
	r, err := e(st.context(), st.root)
	st.cur = saved
	return r, err
}

// value is an expression's value on v, nil when it fails.
func (st *evalState) value(e gval.Evaluable, v any) any {
	r, err := st.eval(e, v)
	if err != nil {
		return nil
	}
	return r
}

// test reports whether a filter holds for v; an error is false.
func (st *evalState) test(filter gval.Evaluable, v any) bool {
	return truthy(st.value(filter, v))
}

func (st *evalState) script(e gval.Evaluable, v any) (any, bool) {
	r, err := st.eval(e, v)
	return r, err == nil
}

// The conversions below are gval's (EvalBool, EvalInt, EvalString) for the
// values a document holds, done here so that a value gval cannot convert (a
// list a sub-path selected) costs nothing: gval would format all of it into
// its error message, once per node.

// truthy is whether a filter's value holds: a true boolean, a non-zero
// number, or the text "true"/"TRUE" or of a non-zero number.
func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case float64:
		return x != 0
	case int:
		return x != 0
	case json.Number:
		f, err := x.Float64()
		return err == nil && f != 0
	case string:
		switch x {
		case "true", "TRUE":
			return true
		case "false", "FALSE":
			return false
		}
		f, err := strconv.ParseFloat(x, 64)
		return err == nil && f != 0
	}
	return false
}

// toIndex reads a computed array index (a number, or the text of one).
func toIndex(v any) (int, bool) {
	switch x := v.(type) {
	case float64:
		return int(x), true
	case int:
		return x, true
	case json.Number:
		f, err := x.Float64()
		return int(f), err == nil
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return int(f), err == nil
	}
	return 0, false
}

// toKey reads a computed object key: the text of a scalar.
func toKey(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case nil, []any, map[string]any:
		return "", false
	}
	return fmt.Sprint(v), true
}

// slice selects [start:end:step] of an array; negative bounds count from
// the end, a negative step walks backwards.
func (st *evalState) slice(s *step, v any, out []any) []any {
	c, ok := v.([]any)
	if !ok {
		return out
	}
	var b [3]int
	for i, e := range s.slice {
		n, ok := toIndex(st.value(e, v))
		if !ok {
			return out
		}
		b[i] = n
	}
	lo, hi, by := b[0], b[1], b[2]
	if lo > hi {
		return out
	}
	lo, hi = bound(lo, len(c)), bound(hi, len(c))
	if by == 0 {
		by = 1
	}
	if by > 0 {
		for i := lo; i < hi; i += by {
			if !st.visit(1) {
				return out
			}
			out = append(out, c[i])
		}
	} else {
		for i := hi - 1; i >= lo; i += by {
			if !st.visit(1) {
				return out
			}
			out = append(out, c[i])
		}
	}
	return out
}

// bound turns a slice bound into an index within [0, n].
func bound(i, n int) int {
	if i < 0 {
		i += n
		if i < 0 {
			return 0
		}
		return i
	}
	if i > n {
		return n
	}
	return i
}

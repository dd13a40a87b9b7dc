// Package jpath reads values out of decoded JSON by path: plain dotted
// paths are walked directly (fast, no allocation); anything else is
// JSONPath (PaesslerAG/jsonpath with gval's operators, so filters such as
// [?(@.price > 100)] work).
package jpath

import (
	"context"
	"strconv"
	"strings"

	"github.com/PaesslerAG/gval"
	"github.com/PaesslerAG/jsonpath"
)

// lang is JSONPath with gval's full operator set.
var lang = gval.Full(jsonpath.Language())

// Path is a compiled path relative to a document root.
type Path struct {
	keys []string
	eval gval.Evaluable
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
	return &Path{eval: e}, nil
}

// Get reads the value at the path; foldCase also tries lower-case keys
// (header names). A JSONPath that finds nothing reports false.
func (p *Path) Get(doc any, foldCase bool) (any, bool) {
	if p.eval != nil {
		v, err := p.eval(context.Background(), doc)
		if err != nil || v == nil {
			return nil, false
		}
		return v, true
	}
	return Walk(doc, p.keys, foldCase)
}

// Simple reports the plain keys of a path that needs no JSONPath.
func (p *Path) Simple() ([]string, bool) { return p.keys, p.eval == nil }

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

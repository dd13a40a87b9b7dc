package jpath

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"text/scanner"

	"github.com/PaesslerAG/gval"
)

// The grammar is Goessner's JSONPath as PaesslerAG/jsonpath reads it (the
// evaluator this package replaced), so every path that compiled before
// still compiles: .name  ..name  .*  ..*  [k]  [k1,k2]  [*]  [a:b:c]
// [?(filter)]  [(script)]  (script); keys, filters and scripts are gval
// expressions in which @ is the current node and $ the root.

// lang is gval's full operator set with JSONPath's $ and @, and strings in
// single quotes of any length ('fiction'), as JSONPath examples write them.
var lang = gval.Full(gval.PrefixExtension('$', parseRoot), gval.PrefixExtension('@', parseCurrent),
	gval.PrefixExtension(scanner.Char, parseQuoted))

// parseQuoted reads a string in single quotes; text/scanner sees a Char.
func parseQuoted(_ context.Context, gp *gval.Parser) (gval.Evaluable, error) {
	t := gp.TokenText()
	if s, err := strconv.Unquote(t); err == nil {
		return gp.Const(s), nil
	}
	if len(t) < 2 || t[0] != '\'' || t[len(t)-1] != '\'' {
		return nil, fmt.Errorf("could not parse string %s", t)
	}
	inner := strings.ReplaceAll(t[1:len(t)-1], `\'`, `'`)
	s, err := strconv.Unquote(`"` + strings.ReplaceAll(inner, `"`, `\"`) + `"`)
	if err != nil {
		return nil, fmt.Errorf("could not parse string %s: %v", t, err)
	}
	return gp.Const(s), nil
}

func parseRoot(c context.Context, gp *gval.Parser) (gval.Evaluable, error) {
	p := &path{}
	if _, err := parseSteps(c, gp, p); err != nil {
		return nil, err
	}
	return p.evaluable(), nil
}

func parseCurrent(c context.Context, gp *gval.Parser) (gval.Evaluable, error) {
	p := &path{current: true}
	if _, err := parseSteps(c, gp, p); err != nil {
		return nil, err
	}
	return p.evaluable(), nil
}

// parseSteps reads steps up to the first token that cannot continue the
// path; that token is left for gval, and returned.
func parseSteps(c context.Context, gp *gval.Parser, p *path) (rune, error) {
	for {
		switch r := gp.Scan(); r {
		case '.':
			if err := parseDot(c, gp, p); err != nil {
				return 0, err
			}
		case '[':
			keys, sep, err := parseBracket(c, gp)
			if err != nil {
				return 0, err
			}
			switch sep {
			case ':':
				if len(keys) > 3 {
					return 0, errors.New("a range takes at most [start:end:step]")
				}
				keys = append(keys, []gval.Evaluable{gp.Const(0.0), gp.Const(float64(math.MaxInt32)), gp.Const(1.0)}[len(keys):]...)
				p.add(step{kind: stepSlice, slice: [3]gval.Evaluable{keys[0], keys[1], keys[2]}})
			case '?':
				if len(keys) != 1 {
					return 0, errors.New("a filter needs exactly one expression")
				}
				p.add(step{kind: stepFilter, expr: keys[0]})
			default:
				switch len(keys) {
				case 0:
					p.add(step{kind: stepWild})
				case 1:
					p.add(step{kind: stepKeys, keys: compileKeys(keys)})
				default:
					p.add(step{kind: stepKeys, keys: compileKeys(keys), union: true})
				}
			}
		case '(':
			s, err := parseScript(c, gp)
			if err != nil {
				return 0, err
			}
			p.add(s)
		default:
			gp.Camouflage("jsonpath", '.', '[', '(')
			return r, nil
		}
	}
}

// parseDot reads what follows '.': a name, '*', or a second '.'.
func parseDot(c context.Context, gp *gval.Parser, p *path) error {
	switch gp.Scan() {
	case scanner.Ident:
		p.add(step{kind: stepName, name: gp.TokenText()})
		return nil
	case '*':
		p.add(step{kind: stepWild})
		return nil
	case '.':
		return parseDeep(c, gp, p)
	}
	return gp.Expected("JSON select", scanner.Ident, '.', '*')
}

// parseDeep reads the one selector after "..", applied to every node of
// the subtree.
func parseDeep(c context.Context, gp *gval.Parser, p *path) error {
	s := step{deep: true}
	switch gp.Scan() {
	case scanner.Ident:
		s.kind, s.name = stepName, gp.TokenText()
	case '*':
		s.kind = stepWild
	case '[':
		keys, sep, err := parseBracket(c, gp)
		if err != nil {
			return err
		}
		switch {
		case sep == ':':
			return errors.New("'..' cannot be followed by a range")
		case sep == '?':
			if len(keys) != 1 {
				return errors.New("a filter needs exactly one expression")
			}
			s.kind, s.expr = stepFilter, keys[0]
		case len(keys) == 0:
			s.kind = stepWild
		default:
			s.kind, s.keys, s.union = stepKeys, compileKeys(keys), true
		}
	case '(':
		sc, err := parseScript(c, gp)
		if err != nil {
			return err
		}
		s.kind, s.expr = sc.kind, sc.expr
	default:
		return gp.Expected("JSON mapper", '[', scanner.Ident, '*')
	}
	p.add(s)
	return nil
}

// parseScript reads "expr)" after '(': the step's value is the expression's.
func parseScript(c context.Context, gp *gval.Parser) (step, error) {
	e, err := gp.ParseExpression(c)
	if err != nil {
		return step{}, err
	}
	if gp.Scan() != ')' {
		return step{}, gp.Expected("jsonpath script", ')')
	}
	return step{kind: stepScript, expr: e}, nil
}

// parseBracket reads the inside of [...] up to ']': the expressions and the
// separator between them (',' keys, ':' a range, '?' a filter, 0 one key).
// No expressions with separator 0 is [*].
func parseBracket(c context.Context, gp *gval.Parser) (keys []gval.Evaluable, sep rune, err error) {
	for {
		scan := gp.Scan()
		skipScan := false
		switch scan {
		case '?':
			skipScan = true
		case ':':
			i := 0.0
			if len(keys) == 1 {
				i = math.MaxInt32
			}
			keys = append(keys, gp.Const(i))
			skipScan = true
		case '*':
			if gp.Scan() != ']' {
				return nil, 0, gp.Expected("JSON bracket star", ']')
			}
			return nil, 0, nil
		case ']':
			if sep == ':' {
				skipScan = true
				break
			}
			fallthrough
		default:
			gp.Camouflage("jsonpath brackets")
			key, err := gp.ParseExpression(c)
			if err != nil {
				return nil, 0, err
			}
			keys = append(keys, key)
		}
		if !skipScan {
			scan = gp.Scan()
		}
		if sep == 0 {
			sep = scan
		}
		switch scan {
		case ':', ',':
		case ']':
			return keys, sep, nil
		case '?':
			if len(keys) != 0 {
				return nil, 0, gp.Expected("JSON filter", ']')
			}
		default:
			return nil, 0, gp.Expected("JSON bracket separator", ':', ',')
		}
		if sep != scan {
			return nil, 0, fmt.Errorf("mixed %q and %q in JSON brackets", sep, scan)
		}
	}
}

// probeKey marks a context in which $ and @ refuse to evaluate: a key
// expression that still gives a value there is a constant.
type probeKey struct{}

var errNotConstant = errors.New("not a constant")

var probeCtx = context.WithValue(context.Background(), probeKey{}, true)

// compileKeys folds constant keys ('name', 0, "a" + "b") once, so only keys
// that read @ or $ are evaluated per node.
func compileKeys(exprs []gval.Evaluable) []key {
	out := make([]key, len(exprs))
	for i, e := range exprs {
		v, err := e(probeCtx, nil)
		if err != nil {
			out[i] = key{expr: e}
			continue
		}
		out[i] = constKey(v)
	}
	return out
}

func constKey(v any) key {
	k := key{isConst: true}
	k.str, k.strOK = toKey(v)
	k.idx, k.idxOK = toIndex(v)
	return k
}

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

// Turning an introspection result back into a schema, as client tools do
// (graphql-js buildClientSchema): in Go, the result becomes a gqlparser
// schema document, printed as SDL by gqlparser's formatter and loaded
// again; with node and the npm graphql package, graphql-js itself builds
// and prints it. Either way the schema must describe what the SDL does.

// The introspection JSON shapes.
type (
	iSchema struct {
		Description      *string      `json:"description"`
		QueryType        *iTypeRef    `json:"queryType"`
		MutationType     *iTypeRef    `json:"mutationType"`
		SubscriptionType *iTypeRef    `json:"subscriptionType"`
		Types            []iType      `json:"types"`
		Directives       []iDirective `json:"directives"`
	}
	iTypeRef struct {
		Kind   string    `json:"kind"`
		Name   *string   `json:"name"`
		OfType *iTypeRef `json:"ofType"`
	}
	iType struct {
		Kind           string        `json:"kind"`
		Name           string        `json:"name"`
		Description    *string       `json:"description"`
		SpecifiedByURL *string       `json:"specifiedByURL"`
		IsOneOf        *bool         `json:"isOneOf"`
		Fields         []iField      `json:"fields"`
		InputFields    []iInputValue `json:"inputFields"`
		Interfaces     []iTypeRef    `json:"interfaces"`
		EnumValues     []iEnumValue  `json:"enumValues"`
		PossibleTypes  []iTypeRef    `json:"possibleTypes"`
	}
	iField struct {
		Name              string        `json:"name"`
		Description       *string       `json:"description"`
		Args              []iInputValue `json:"args"`
		Type              iTypeRef      `json:"type"`
		IsDeprecated      bool          `json:"isDeprecated"`
		DeprecationReason *string       `json:"deprecationReason"`
	}
	iInputValue struct {
		Name              string   `json:"name"`
		Description       *string  `json:"description"`
		Type              iTypeRef `json:"type"`
		DefaultValue      *string  `json:"defaultValue"`
		IsDeprecated      bool     `json:"isDeprecated"`
		DeprecationReason *string  `json:"deprecationReason"`
	}
	iEnumValue struct {
		Name              string  `json:"name"`
		Description       *string `json:"description"`
		IsDeprecated      bool    `json:"isDeprecated"`
		DeprecationReason *string `json:"deprecationReason"`
	}
	iDirective struct {
		Name         string        `json:"name"`
		Description  *string       `json:"description"`
		IsRepeatable bool          `json:"isRepeatable"`
		Locations    []string      `json:"locations"`
		Args         []iInputValue `json:"args"`
	}
)

var builtinScalars = map[string]bool{"String": true, "Int": true, "Float": true, "Boolean": true, "ID": true}
var builtinDirectives = map[string]bool{"include": true, "skip": true, "deprecated": true, "specifiedBy": true, "oneOf": true, "defer": true}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// sdlFromIntrospection prints an introspection result as SDL.
func sdlFromIntrospection(t *testing.T, data []byte) string {
	t.Helper()
	var v struct {
		Schema *iSchema `json:"__schema"`
	}
	if err := json.Unmarshal(data, &v); err != nil || v.Schema == nil {
		t.Fatalf("not an introspection result: %v\n%.500s", err, data)
	}
	s := v.Schema
	doc := &ast.SchemaDocument{}
	ops := ast.OperationTypeDefinitionList{}
	for _, r := range []struct {
		op  ast.Operation
		ref *iTypeRef
	}{{ast.Query, s.QueryType}, {ast.Mutation, s.MutationType}, {ast.Subscription, s.SubscriptionType}} {
		if r.ref != nil {
			ops = append(ops, &ast.OperationTypeDefinition{Operation: r.op, Type: str(r.ref.Name)})
		}
	}
	doc.Schema = append(doc.Schema, &ast.SchemaDefinition{Description: str(s.Description), OperationTypes: ops})
	for _, it := range s.Types {
		if strings.HasPrefix(it.Name, "__") || builtinScalars[it.Name] {
			continue
		}
		def := &ast.Definition{Kind: ast.DefinitionKind(it.Kind), Name: it.Name, Description: str(it.Description)}
		if it.SpecifiedByURL != nil {
			def.Directives = append(def.Directives, directive(t, "specifiedBy", "url", fmt.Sprintf("%q", *it.SpecifiedByURL)))
		}
		if it.IsOneOf != nil && *it.IsOneOf {
			def.Directives = append(def.Directives, &ast.Directive{Name: "oneOf"})
		}
		for _, f := range it.Fields {
			fd := &ast.FieldDefinition{Name: f.Name, Description: str(f.Description), Type: astType(t, f.Type),
				Directives: deprecation(t, f.IsDeprecated, f.DeprecationReason)}
			for _, a := range f.Args {
				fd.Arguments = append(fd.Arguments, &ast.ArgumentDefinition{Name: a.Name, Description: str(a.Description),
					Type: astType(t, a.Type), DefaultValue: value(t, a.DefaultValue), Directives: deprecation(t, a.IsDeprecated, a.DeprecationReason)})
			}
			def.Fields = append(def.Fields, fd)
		}
		for _, f := range it.InputFields {
			def.Fields = append(def.Fields, &ast.FieldDefinition{Name: f.Name, Description: str(f.Description),
				Type: astType(t, f.Type), DefaultValue: value(t, f.DefaultValue), Directives: deprecation(t, f.IsDeprecated, f.DeprecationReason)})
		}
		for _, i := range it.Interfaces {
			def.Interfaces = append(def.Interfaces, str(i.Name))
		}
		if it.Kind == "UNION" {
			for _, p := range it.PossibleTypes {
				def.Types = append(def.Types, str(p.Name))
			}
		}
		for _, e := range it.EnumValues {
			def.EnumValues = append(def.EnumValues, &ast.EnumValueDefinition{Name: e.Name, Description: str(e.Description),
				Directives: deprecation(t, e.IsDeprecated, e.DeprecationReason)})
		}
		doc.Definitions = append(doc.Definitions, def)
	}
	for _, d := range s.Directives {
		if builtinDirectives[d.Name] {
			continue
		}
		dd := &ast.DirectiveDefinition{Name: d.Name, Description: str(d.Description), IsRepeatable: d.IsRepeatable}
		for _, l := range d.Locations {
			dd.Locations = append(dd.Locations, ast.DirectiveLocation(l))
		}
		for _, a := range d.Args {
			dd.Arguments = append(dd.Arguments, &ast.ArgumentDefinition{Name: a.Name, Description: str(a.Description),
				Type: astType(t, a.Type), DefaultValue: value(t, a.DefaultValue)})
		}
		doc.Directives = append(doc.Directives, dd)
	}
	var b strings.Builder
	formatter.NewFormatter(&b).FormatSchemaDocument(doc)
	return b.String()
}

func astType(t *testing.T, r iTypeRef) *ast.Type {
	t.Helper()
	switch r.Kind {
	case "NON_NULL":
		if r.OfType == nil {
			t.Fatalf("NON_NULL without ofType")
		}
		inner := astType(t, *r.OfType)
		inner.NonNull = true
		return inner
	case "LIST":
		if r.OfType == nil {
			t.Fatalf("LIST without ofType")
		}
		return &ast.Type{Elem: astType(t, *r.OfType)}
	}
	if r.Name == nil {
		t.Fatalf("a %s type reference without a name", r.Kind)
	}
	return &ast.Type{NamedType: *r.Name}
}

// value parses a defaultValue (GraphQL syntax) with gqlparser.
func value(t *testing.T, s *string) *ast.Value {
	t.Helper()
	if s == nil {
		return nil
	}
	doc, err := parser.ParseSchema(&ast.Source{Input: "input X { f: String = " + *s + " }"})
	if err != nil {
		t.Fatalf("defaultValue %q does not parse: %v", *s, err)
	}
	return doc.Definitions[0].Fields[0].DefaultValue
}

func directive(t *testing.T, name, arg, literal string) *ast.Directive {
	t.Helper()
	return &ast.Directive{Name: name, Arguments: ast.ArgumentList{{Name: arg, Value: value(t, &literal)}}}
}

func deprecation(t *testing.T, deprecated bool, reason *string) ast.DirectiveList {
	t.Helper()
	if !deprecated {
		return nil
	}
	if reason == nil {
		return ast.DirectiveList{{Name: "deprecated"}}
	}
	return ast.DirectiveList{directive(t, "deprecated", "reason", fmt.Sprintf("%q", *reason))}
}

// loadSDL loads SDL sources with gqlparser.
func loadSDL(t *testing.T, sources map[string]string) *ast.Schema {
	t.Helper()
	var src []*ast.Source
	for name, in := range sources {
		src = append(src, &ast.Source{Name: name, Input: in})
	}
	sort.Slice(src, func(i, j int) bool { return src[i].Name < src[j].Name })
	s, err := gqlparser.LoadSchema(src...)
	if err != nil {
		t.Fatalf("the SDL does not load: %v\n%s", err, sources)
	}
	return s
}

// describeSchema is everything introspection shows of a schema, in a
// canonical text: two schemas with the same text look the same to clients.
func describeSchema(s *ast.Schema) string {
	var b strings.Builder
	name := func(d *ast.Definition) string {
		if d == nil {
			return "-"
		}
		return d.Name
	}
	fmt.Fprintf(&b, "schema %q query=%s mutation=%s subscription=%s\n", s.Description, name(s.Query), name(s.Mutation), name(s.Subscription))
	dep := func(dirs ast.DirectiveList) string {
		d := dirs.ForName("deprecated")
		if d == nil {
			return ""
		}
		if a := d.Arguments.ForName("reason"); a != nil {
			return " @deprecated(" + a.Value.Raw + ")"
		}
		return " @deprecated(No longer supported)"
	}
	def := func(v *ast.Value) string {
		if v == nil {
			return ""
		}
		return " = " + v.String()
	}
	args := func(list ast.ArgumentDefinitionList) string {
		var parts []string
		for _, a := range list {
			parts = append(parts, fmt.Sprintf("%s: %s%s%s %q", a.Name, a.Type, def(a.DefaultValue), dep(a.Directives), a.Description))
		}
		return "(" + strings.Join(parts, ", ") + ")"
	}
	var names []string
	for n := range s.Types {
		if !strings.HasPrefix(n, "__") && !builtinScalars[n] {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		d := s.Types[n]
		fmt.Fprintf(&b, "%s %s %q implements=%v", d.Kind, d.Name, d.Description, d.Interfaces)
		if sb := d.Directives.ForName("specifiedBy"); sb != nil {
			fmt.Fprintf(&b, " specifiedBy=%s", sb.Arguments.ForName("url").Value.Raw)
		}
		if d.Directives.ForName("oneOf") != nil {
			b.WriteString(" oneOf")
		}
		if d.IsAbstractType() {
			var possible []string
			for _, p := range s.GetPossibleTypes(d) {
				if p.Kind == ast.Object {
					possible = append(possible, p.Name)
				}
			}
			sort.Strings(possible)
			fmt.Fprintf(&b, " possible=%v", possible)
		}
		b.WriteString("\n")
		for _, f := range d.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			fmt.Fprintf(&b, "  %s%s: %s%s%s %q\n", f.Name, args(f.Arguments), f.Type, def(f.DefaultValue), dep(f.Directives), f.Description)
		}
		for _, e := range d.EnumValues {
			fmt.Fprintf(&b, "  %s%s %q\n", e.Name, dep(e.Directives), e.Description)
		}
	}
	var dirs []string
	for n := range s.Directives {
		if !builtinDirectives[n] {
			dirs = append(dirs, n)
		}
	}
	sort.Strings(dirs)
	for _, n := range dirs {
		d := s.Directives[n]
		fmt.Fprintf(&b, "directive @%s%s repeatable=%v on %v %q\n", d.Name, args(d.Arguments), d.IsRepeatable, d.Locations, d.Description)
	}
	return b.String()
}

// graphqlJS runs graphql-js's buildClientSchema and printSchema over an
// introspection result; it skips (fails under CI) when node or the npm
// graphql package is not there (NODE_PATH=<dir>/node_modules, as make clients sets it).
func graphqlJS(t *testing.T, result []byte) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		plugintest.MissingClient(t, "node is not installed")
	}
	check := exec.Command(node, "-e", "require('graphql')")
	if out, err := check.CombinedOutput(); err != nil {
		plugintest.MissingClient(t, "the npm graphql package is not found (set NODE_PATH): %s", out)
	}
	f := filepath.Join(t.TempDir(), "introspection.json")
	if err := os.WriteFile(f, result, 0o644); err != nil {
		t.Fatal(err)
	}
	script := `const g = require('graphql');
const r = JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8'));
const schema = g.buildClientSchema(r.data);
const errs = g.validateSchema(schema);
if (errs.length) { console.error(errs.map(String).join('\n')); process.exit(2); }
process.stdout.write(g.printSchema(schema));`
	out, err := exec.Command(node, "-e", script, f).Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("graphql-js rejects the introspection result: %v\n%s", err, stderr)
	}
	return string(out)
}

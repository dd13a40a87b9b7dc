package graphqlgen

import "github.com/vektah/gqlparser/v2/ast"

// Load reads SDL files (name → source) as one schema, as Generate does;
// a bad schema is a *generate.InputError on field "sdl" naming the file,
// line and column.
func Load(sdl map[string]string) (*ast.Schema, error) { return load(sdl) }

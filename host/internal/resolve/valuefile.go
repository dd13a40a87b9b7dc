package resolve

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/match"
	"github.com/mockarty-oss/mockarty/host/internal/render"
	"github.com/mockarty-oss/mockarty/host/internal/templatefiles"
)

// requestData is the request a templated valueFromFile name is rendered
// with. It is asked only when a name holds expressions, so the requests of
// plain names build nothing.
type requestData interface {
	templateData() *render.Data
}

func (r *HTTPRequest) templateData() *render.Data {
	return &render.Data{Body: r.decoded(), Headers: r.headers(), Query: r.query()}
}

// FileReader gives conditions access to valueFromFile templates. A file
// name holding expressions ("/templates/$.gS.fname", "users-$.queryParams.id")
// is rendered first, as the spec has it: with the request's data, the
// namespace, its global store and the fakers. The chain and mock stores
// belong to a mock that is not chosen yet, so they read empty.
func (r *Resolver) FileReader(req requestData) match.FileReader {
	return func(ns, name string) ([]byte, error) {
		if !strings.Contains(name, "$.") {
			return r.readTemplate(ns, name)
		}
		t, err := render.CompileText(name)
		if err != nil {
			return nil, fmt.Errorf("file name %q is not a valid template: %v", name, err)
		}
		d := &render.Data{}
		if req != nil {
			if rd := req.templateData(); rd != nil {
				d = rd
			}
		}
		d.Namespace, d.Stores = ns, &view{s: r.Stores, ns: ns}
		rendered := strings.TrimSpace(string(t.Render(d)))
		b, err := r.readTemplate(ns, rendered)
		switch {
		// The rendered name is left out: it may come from a store, and
		// near-miss reports are public.
		case strings.TrimPrefix(rendered, "/templates/") == "":
			return nil, fmt.Errorf("%q renders to no name for this request (is what it reads set?)", name)
		case errors.Is(err, templatefiles.ErrBadName):
			return nil, fmt.Errorf("%q does not render to a plain file name for this request", name)
		case err != nil:
			return nil, fmt.Errorf("%q names no template file for this request", name)
		}
		return b, nil
	}
}

package api

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// checkGraphQLSet loads a namespace's SDL files as one schema.
func checkGraphQLSet(set map[string]string) error {
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	src := make([]*ast.Source, 0, len(names))
	for _, n := range names {
		src = append(src, &ast.Source{Name: n, Input: set[n]})
	}
	if _, err := gqlparser.LoadSchema(src...); err != nil {
		var ge *gqlerror.Error
		if errors.As(err, &ge) {
			return generate.Inputf("content", "%s", gqlPosition(ge))
		}
		return generate.Inputf("content", "%v", err)
	}
	return nil
}

func gqlPosition(e *gqlerror.Error) string {
	if len(e.Locations) == 0 {
		return e.Message
	}
	file := ""
	if f, ok := e.Extensions["file"].(string); ok {
		file = f + ":"
	}
	return fmt.Sprintf("%s%d:%d: %s", file, e.Locations[0].Line, e.Locations[0].Column, e.Message)
}

// checkWSDLSet checks that every file is well-formed XML whose root is a
// WSDL 1.1 definitions element.
func checkWSDLSet(set map[string]string) error {
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := checkWSDL(set[n]); err != nil {
			return generate.Inputf("content", "%s: %v", n, err)
		}
	}
	return nil
}

func checkWSDL(src string) error {
	dec := xml.NewDecoder(strings.NewReader(src))
	root := ""
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			line, _ := dec.InputPos()
			return fmt.Errorf("line %d: %v", line, err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
			if root != "definitions" {
				return fmt.Errorf("not a WSDL 1.1 document: the root element is <%s>, not <definitions>", root)
			}
		}
	}
	if root == "" {
		return errors.New("no XML element")
	}
	return nil
}

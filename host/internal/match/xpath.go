package match

import (
	"fmt"
	"strings"
	"sync"

	"github.com/antchfx/xmlquery"
	"github.com/antchfx/xpath"
)

// SOAP conditions read the XML envelope with XPath when their path starts
// with '/' (or '(' for an expression such as "count(//item)"); any other
// path is JSONPath on the Body converted to JSON, as for every protocol.

// IsXPath says whether a condition path of a SOAP mock is XPath.
func IsXPath(path string) bool {
	p := strings.TrimSpace(path)
	return strings.HasPrefix(p, "/") || strings.HasPrefix(p, "(") ||
		strings.HasPrefix(p, "count(") || strings.HasPrefix(p, "string(") || strings.HasPrefix(p, "boolean(")
}

// xpathExpr is a compiled XPath condition path. An *xpath.Expr keeps
// iteration state while it is evaluated, so one is never shared by two
// requests at once: each evaluation takes one from the pool.
type xpathExpr struct {
	src  string
	pool sync.Pool
}

// compileXPath compiles an XPath condition path.
func compileXPath(path string) (*xpathExpr, error) {
	src := strings.TrimSpace(path)
	e, err := xpath.Compile(src)
	if err != nil {
		return nil, fmt.Errorf("path %q: not a valid XPath expression: %v", path, err)
	}
	x := &xpathExpr{src: src}
	x.pool.New = func() any { return xpath.MustCompile(src) }
	x.pool.Put(e)
	return x, nil
}

// XMLDoc is a request's XML document, parsed the first time a condition
// needs it (most mocks have none).
type XMLDoc struct {
	Text string
	once sync.Once
	doc  *xmlquery.Node
}

func (d *XMLDoc) root() *xmlquery.Node {
	d.once.Do(func() {
		if strings.TrimSpace(d.Text) == "" {
			return
		}
		doc, err := xmlquery.Parse(strings.NewReader(d.Text))
		if err == nil {
			unprefix(doc)
			d.doc = doc
		}
	})
	return d.doc
}

// unprefix drops the namespace prefixes of elements and attributes, so a
// plain path names elements by their local names ("//GetAccount/id"
// matches <b:GetAccount><b:id>), the way people write them; local-name()
// keeps working.
func unprefix(root *xmlquery.Node) {
	// Iterative: a deeply nested document must not exhaust the stack.
	for n := root; n != nil; {
		if n.Type == xmlquery.ElementNode {
			n.Prefix = ""
			for i := range n.Attr {
				if n.Attr[i].Name.Space != "xmlns" && n.Attr[i].Name.Local != "xmlns" {
					n.Attr[i].Name.Space = ""
				}
			}
		}
		switch {
		case n.FirstChild != nil:
			n = n.FirstChild
		default:
			for n != nil && n != root && n.NextSibling == nil {
				n = n.Parent
			}
			if n == nil || n == root {
				return
			}
			n = n.NextSibling
		}
	}
}

// evalXPath returns the value of an XPath expression on the document: the
// text of the first selected node, or the number, string or boolean an
// expression evaluates to.
func evalXPath(x *xpathExpr, d *XMLDoc) (any, bool) {
	if d == nil {
		return nil, false
	}
	root := d.root()
	if root == nil {
		return nil, false
	}
	e := x.pool.Get().(*xpath.Expr)
	defer x.pool.Put(e)
	switch v := e.Evaluate(xmlquery.CreateXPathNavigator(root)).(type) {
	case *xpath.NodeIterator:
		if !v.MoveNext() {
			return nil, false
		}
		return v.Current().Value(), true
	case float64, string, bool:
		return v, true
	}
	return nil, false
}

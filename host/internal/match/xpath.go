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

// compileXPath compiles an XPath condition path.
func compileXPath(path string) (*xpath.Expr, error) {
	e, err := xpath.Compile(strings.TrimSpace(path))
	if err != nil {
		return nil, fmt.Errorf("path %q: not a valid XPath expression: %v", path, err)
	}
	return e, nil
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
func unprefix(n *xmlquery.Node) {
	for ; n != nil; n = n.NextSibling {
		if n.Type == xmlquery.ElementNode {
			n.Prefix = ""
			for i := range n.Attr {
				if n.Attr[i].Name.Space != "xmlns" && n.Attr[i].Name.Local != "xmlns" {
					n.Attr[i].Name.Space = ""
				}
			}
		}
		unprefix(n.FirstChild)
	}
}

// evalXPath returns the value of an XPath expression on the document: the
// text of the first selected node, or the number, string or boolean an
// expression evaluates to.
func evalXPath(e *xpath.Expr, d *XMLDoc) (any, bool) {
	if d == nil {
		return nil, false
	}
	root := d.root()
	if root == nil {
		return nil, false
	}
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

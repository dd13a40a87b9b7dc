package soapgen

// A WSDL is read into a small element tree that keeps, for each element,
// the namespace prefixes declared on it: WSDL and XML Schema refer to
// their components by QName attribute values ("tns:GetQuote",
// "xs:string"), which are resolved with the prefixes in scope where they
// are written. encoding/xml resolves element names; it never expands a DTD
// or an external entity.

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/net/html/charset"
)

// maxNesting bounds element nesting: deeper documents are refused.
const maxNesting = 512

// node is one element.
type node struct {
	name     xml.Name
	attrs    []xml.Attr
	children []*node
	parent   *node
	decls    map[string]string // prefixes declared here ("" is the default namespace)
	line     int
	// text is a documentation element's text (other elements' is not kept).
	text string
}

// maxDocText bounds the text kept of one documentation element.
const maxDocText = 4096

// parseXML reads a document into its root element.
func parseXML(src string) (*node, error) {
	d := xml.NewDecoder(strings.NewReader(src))
	d.Strict = true
	d.CharsetReader = charset.NewReaderLabel
	var root, cur *node
	depth := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return nil, fmt.Errorf("line %d: %s", se.Line, se.Msg)
			}
			line, _ := d.InputPos()
			return nil, fmt.Errorf("line %d: %v", line, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if cur == nil && root != nil {
				line, _ := d.InputPos()
				return nil, fmt.Errorf("line %d: a second root element <%s>", line, t.Name.Local)
			}
			if depth++; depth > maxNesting {
				return nil, fmt.Errorf("elements nest deeper than %d levels", maxNesting)
			}
			line, _ := d.InputPos()
			n := &node{name: t.Name, attrs: t.Attr, parent: cur, line: line}
			for _, a := range t.Attr {
				switch {
				case a.Name.Space == "xmlns":
					n.declare(a.Name.Local, a.Value)
				case a.Name.Space == "" && a.Name.Local == "xmlns":
					n.declare("", a.Value)
				}
			}
			if cur == nil {
				root = n
			} else {
				cur.children = append(cur.children, n)
			}
			cur = n
		case xml.EndElement:
			depth--
			cur = cur.parent
		case xml.CharData:
			if cur != nil && cur.name.Local == "documentation" && len(cur.text) < maxDocText {
				cur.text += string(t[:min(len(t), maxDocText-len(cur.text))])
			}
		}
	}
	if root == nil {
		return nil, errors.New("the document has no element")
	}
	return root, nil
}

func (n *node) declare(prefix, uri string) {
	if n.decls == nil {
		n.decls = map[string]string{}
	}
	n.decls[prefix] = uri
}

// attr returns the unqualified attribute local ("" when absent).
func (n *node) attr(local string) string {
	for _, a := range n.attrs {
		if a.Name.Space == "" && a.Name.Local == local {
			return strings.TrimSpace(a.Value)
		}
	}
	return ""
}

// attrNS returns the attribute local of namespace space.
func (n *node) attrNS(space, local string) string {
	for _, a := range n.attrs {
		if a.Name.Space == space && a.Name.Local == local {
			return strings.TrimSpace(a.Value)
		}
	}
	return ""
}

// qname resolves a QName value written on n: "p:local" with the prefix p
// in scope, "local" with the default namespace. An undeclared prefix
// leaves the namespace empty (lookups then go by local name).
func (n *node) qname(v string) xml.Name {
	prefix, local := "", strings.TrimSpace(v)
	if i := strings.IndexByte(local, ':'); i >= 0 {
		prefix, local = local[:i], local[i+1:]
	}
	for e := n; e != nil; e = e.parent {
		if uri, ok := e.decls[prefix]; ok {
			return xml.Name{Space: uri, Local: local}
		}
	}
	return xml.Name{Local: local}
}

// all returns the children named space:local.
func (n *node) all(space, local string) []*node {
	var out []*node
	for _, c := range n.children {
		if c.name.Space == space && c.name.Local == local {
			out = append(out, c)
		}
	}
	return out
}

// first returns the first child named space:local (nil if none).
func (n *node) first(space, local string) *node {
	for _, c := range n.children {
		if c.name.Space == space && c.name.Local == local {
			return c
		}
	}
	return nil
}

// firstOf returns the first child named local in any of the namespaces.
func (n *node) firstOf(local string, spaces ...string) *node {
	for _, c := range n.children {
		for _, s := range spaces {
			if c.name.Space == s && c.name.Local == local {
				return c
			}
		}
	}
	return nil
}

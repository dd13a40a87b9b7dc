package main

// The request side of the XML <-> JSON mapping: an envelope is read into a
// small element tree (encoding/xml resolves the namespaces; no DTD or
// external entity is ever expanded), and the Body's elements become JSON
// for the host's conditions and templates:
//
//   - keys are local names (namespace prefixes are dropped);
//   - a leaf element without attributes is its text, as a string;
//   - attributes are "-name" keys, and the text of an element that also
//     has attributes or children is "#text";
//   - an element name that repeats becomes an array, in document order.

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/net/html/charset"
)

// maxDepth bounds element nesting: deeper documents are refused rather
// than walked recursively.
const maxDepth = 256

// element is one XML element with its namespace-resolved name.
type element struct {
	name     xml.Name
	attrs    []xml.Attr // namespace declarations included
	children []*element
	text     strings.Builder // character data directly inside (CDATA included)
}

// attr returns the value of the unqualified attribute local ("" if absent).
func (e *element) attr(local string) string {
	for _, a := range e.attrs {
		if a.Name.Space == "" && a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// child returns the first child element with namespace space and local name.
func (e *element) child(space, local string) *element {
	for _, c := range e.children {
		if c.name.Space == space && c.name.Local == local {
			return c
		}
	}
	return nil
}

// newDecoder is a strict decoder that understands the usual charsets.
func newDecoder(r io.Reader) *xml.Decoder {
	d := xml.NewDecoder(r)
	d.Strict = true
	d.CharsetReader = charset.NewReaderLabel
	return d
}

// parseDocument reads one XML document: exactly one root element.
func parseDocument(b []byte) (*element, error) {
	d := newDecoder(bytes.NewReader(b))
	var root *element
	var stack []*element
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, syntaxError(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 && root != nil {
				return nil, errors.New("more than one root element")
			}
			if len(stack) >= maxDepth {
				return nil, fmt.Errorf("elements nest deeper than %d levels", maxDepth)
			}
			e := &element{name: t.Name, attrs: t.Attr}
			if len(stack) == 0 {
				root = e
			} else {
				p := stack[len(stack)-1]
				p.children = append(p.children, e)
			}
			stack = append(stack, e)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			} else if len(bytes.TrimSpace(t)) > 0 {
				return nil, errors.New("text outside the root element")
			}
		}
	}
	if root == nil {
		return nil, errors.New("no XML element")
	}
	return root, nil
}

// syntaxError says where a document is malformed.
func syntaxError(err error) error {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("line %d: %s", se.Line, se.Msg)
	}
	return err
}

// isNamespaceDecl reports an xmlns or xmlns:p attribute.
func isNamespaceDecl(a xml.Attr) bool {
	return a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns")
}

// elementJSON is the JSON value of an element (see the package comment).
func elementJSON(e *element) any {
	var attrs []xml.Attr
	for _, a := range e.attrs {
		if !isNamespaceDecl(a) {
			attrs = append(attrs, a)
		}
	}
	if len(attrs) == 0 && len(e.children) == 0 {
		return e.text.String()
	}
	o := &object{}
	for _, a := range attrs {
		o.add("-"+a.Name.Local, a.Value)
	}
	addChildren(o, e.children)
	if t := strings.TrimSpace(e.text.String()); t != "" {
		o.add("#text", t)
	}
	return o
}

// addChildren adds child elements by local name; a repeated name becomes
// an array at the place of its first occurrence.
func addChildren(o *object, children []*element) {
	at := map[string]int{} // key -> its index in o
	arrays := map[string]bool{}
	for _, c := range children {
		k, v := c.name.Local, elementJSON(c)
		i, seen := at[k]
		switch {
		case !seen:
			at[k] = len(o.keys)
			o.add(k, v)
		case arrays[k]:
			o.vals[i] = append(o.vals[i].([]any), v)
		default:
			o.vals[i] = []any{o.vals[i], v}
			arrays[k] = true
		}
	}
}

// bodyJSON is the JSON of a Body's content: {"GetAccount": {...}}.
func bodyJSON(body *element) *object {
	o := &object{}
	addChildren(o, body.children)
	return o
}

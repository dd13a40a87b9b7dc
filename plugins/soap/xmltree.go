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

	"github.com/mockarty-oss/mockarty/sdk/jsonobj"
	"golang.org/x/net/html/charset"
)

// maxDepth bounds element nesting: deeper documents are refused rather
// than walked recursively.
const maxDepth = 256

// defaultMaxElements bounds the elements of a request envelope (setting
// maxElements): each costs far more memory as a tree than its bytes, so a
// body of many tiny elements would cost hundreds of times its size.
const defaultMaxElements = 100000

// errTooManyElements is a document with more elements than allowed.
type errTooManyElements struct{ limit int }

func (e *errTooManyElements) Error() string {
	return fmt.Sprintf("more than %d elements", e.limit)
}

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

// parseDocument reads one XML document, exactly one root element, into a
// tree of at most maxElements elements.
func parseDocument(b []byte, maxElements int) (*element, error) {
	return readDocument(b, maxElements, true)
}

// checkDocument checks that b is one well-formed XML document and returns
// its root element without its content: the document is streamed, never
// held as a tree, so it has no element limit.
func checkDocument(b []byte) (*element, error) {
	return readDocument(b, 0, false)
}

// readDocument reads one XML document; keep says to build the tree (else
// only the root's name and attributes are kept). maxElements <= 0 is no
// limit.
func readDocument(b []byte, maxElements int, keep bool) (*element, error) {
	d := newDecoder(bytes.NewReader(b))
	var root *element
	var stack []*element
	count := 0
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
			if count++; maxElements > 0 && count > maxElements {
				return nil, &errTooManyElements{maxElements}
			}
			e := &element{name: t.Name, attrs: t.Attr}
			if len(stack) == 0 {
				root = e
			} else if keep {
				p := stack[len(stack)-1]
				p.children = append(p.children, e)
			}
			stack = append(stack, e)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				if keep {
					stack[len(stack)-1].text.Write(t)
				}
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
	o := &jsonobj.Object{}
	for _, a := range attrs {
		o.Add("-"+a.Name.Local, a.Value)
	}
	addChildren(o, e.children)
	if t := strings.TrimSpace(e.text.String()); t != "" {
		o.Add("#text", t)
	}
	return o
}

// addChildren adds child elements by local name; a repeated name becomes
// an array at the place of its first occurrence.
func addChildren(o *jsonobj.Object, children []*element) {
	at := map[string]int{} // key -> its index in o
	arrays := map[string]bool{}
	for _, c := range children {
		k, v := c.name.Local, elementJSON(c)
		i, seen := at[k]
		switch {
		case !seen:
			at[k] = len(o.Keys)
			o.Add(k, v)
		case arrays[k]:
			o.Vals[i] = append(o.Vals[i].([]any), v)
		default:
			o.Vals[i] = []any{o.Vals[i], v}
			arrays[k] = true
		}
	}
}

// bodyJSON is the JSON of a Body's content: {"GetAccount": {...}}.
func bodyJSON(body *element) *jsonobj.Object {
	o := &jsonobj.Object{}
	addChildren(o, body.children)
	return o
}

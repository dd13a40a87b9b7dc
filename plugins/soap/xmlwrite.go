package main

// The reply side of the mapping, JSON -> XML, the inverse of xmltree.go:
// a key is an element name, "-name" an attribute, "#text" the text, an
// array repeats its element, null is an empty element. Names are written
// as given, so a key "p:Name" needs its prefix declared by a "-xmlns:p"
// attribute on it or an ancestor.

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"strings"
	"unicode"

	"github.com/mockarty-oss/mockarty/sdk/jsonobj"
)

// xmlAttr is an attribute to write.
type xmlAttr struct{ name, value string }

// writeElement writes v as element name (repeated for an array).
func writeElement(b *bytes.Buffer, name string, v any, extra []xmlAttr, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("the payload nests deeper than %d levels", maxDepth)
	}
	if !isXMLName(name) {
		return fmt.Errorf("%q is not an XML element name", name)
	}
	switch t := v.(type) {
	case []any:
		for _, item := range t {
			if err := writeElement(b, name, item, extra, depth+1); err != nil {
				return err
			}
		}
		return nil
	case *jsonobj.Object:
		return writeObject(b, name, t, extra, depth)
	}
	writeStart(b, name, extra)
	if s := scalarText(v); s != "" {
		escape(b, s)
		b.WriteString("</" + name + ">")
	} else {
		closeEmpty(b)
	}
	return nil
}

func writeObject(b *bytes.Buffer, name string, o *jsonobj.Object, extra []xmlAttr, depth int) error {
	attrs := append([]xmlAttr(nil), extra...)
	var text string
	type child struct {
		name string
		v    any
	}
	var children []child
	for i, k := range o.Keys {
		switch {
		case k == "#text":
			text += scalarText(o.Vals[i])
		case strings.HasPrefix(k, "-"):
			if !isXMLName(k[1:]) {
				return fmt.Errorf("%q is not an XML attribute name", k[1:])
			}
			attrs = append(attrs, xmlAttr{k[1:], scalarText(o.Vals[i])})
		default:
			children = append(children, child{k, o.Vals[i]})
		}
	}
	writeStart(b, name, attrs)
	if text == "" && len(children) == 0 {
		closeEmpty(b)
		return nil
	}
	escape(b, text)
	for _, c := range children {
		if err := writeElement(b, c.name, c.v, nil, depth+1); err != nil {
			return err
		}
	}
	b.WriteString("</" + name + ">")
	return nil
}

func writeStart(b *bytes.Buffer, name string, attrs []xmlAttr) {
	b.WriteString("<" + name)
	for _, a := range attrs {
		b.WriteString(" " + a.name + `="`)
		escape(b, a.value)
		b.WriteByte('"')
	}
	b.WriteByte('>')
}

// closeEmpty turns the start tag just written into an empty-element tag.
func closeEmpty(b *bytes.Buffer) {
	b.Truncate(b.Len() - 1)
	b.WriteString("/>")
}

func escape(b *bytes.Buffer, s string) { _ = xml.EscapeText(b, []byte(s)) }

// scalarText is the text of a JSON value: strings as they are, numbers as
// written, null as nothing, and an object or array (in an attribute) as
// its JSON.
func scalarText(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case json.Number:
		return t.String()
	case bool:
		if t {
			return "true"
		}
		return "false"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// isXMLName reports a name usable as an element or attribute name (a
// QName: at most one colon, not at either end).
func isXMLName(s string) bool {
	if s == "" || strings.Count(s, ":") > 1 || s[0] == ':' || s[len(s)-1] == ':' {
		return false
	}
	for i, r := range s {
		switch {
		case unicode.IsLetter(r) || r == '_' || r == ':':
		case i > 0 && (unicode.IsDigit(r) || r == '-' || r == '.' || unicode.Is(unicode.Mn, r)):
		default:
			return false
		}
	}
	return true
}

// localName drops a "prefix:" from a key.
func localName(k string) string {
	if i := strings.IndexByte(k, ':'); i >= 0 {
		return k[i+1:]
	}
	return k
}

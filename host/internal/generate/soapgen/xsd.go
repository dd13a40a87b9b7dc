package soapgen

// Sample values from the XML Schemas of a WSDL's <types>: an element
// becomes a JSON value in the SOAP listener's mapping (local names, "-attr"
// attributes, "#text" for simple content, repeated elements as arrays),
// with a plain value per built-in type. Schemas imported from other files
// are not fetched: what they define is sampled as a string.

import (
	"encoding/json"
	"encoding/xml"
	"strings"

	"github.com/mockarty-oss/mockarty/sdk/jsonobj"
)

// Namespaces of XML Schema and SOAP encoding.
const (
	xsdNS     = "http://www.w3.org/2001/XMLSchema"
	soapencNS = "http://schemas.xmlsoap.org/soap/encoding/"
)

// Limits of a sample: nesting depth and number of elements and attributes.
const (
	maxSampleDepth = 8
	maxSampleNodes = 500
)

// schemas indexes the global components of every inline schema.
type schemas struct {
	elements, types, attributes, groups, attrGroups components
}

// components are global declarations by QName, with a by-local-name
// fallback for documents whose prefixes do not resolve.
type components struct {
	byName  map[xml.Name]*node
	byLocal map[string]*node
}

func (c *components) add(ns, local string, n *node) {
	if c.byName == nil {
		c.byName, c.byLocal = map[xml.Name]*node{}, map[string]*node{}
	}
	k := xml.Name{Space: ns, Local: local}
	if _, dup := c.byName[k]; !dup {
		c.byName[k] = n
	}
	if _, dup := c.byLocal[local]; !dup {
		c.byLocal[local] = n
	}
}

func (c *components) get(q xml.Name) *node {
	if n := c.byName[q]; n != nil {
		return n
	}
	return c.byLocal[q.Local]
}

// indexSchemas reads the xs:schema elements under types.
func indexSchemas(types *node) *schemas {
	s := &schemas{}
	if types == nil {
		return s
	}
	for _, sc := range types.all(xsdNS, "schema") {
		tns := sc.attr("targetNamespace")
		for _, c := range sc.children {
			name := c.attr("name")
			if c.name.Space != xsdNS || name == "" {
				continue
			}
			switch c.name.Local {
			case "element":
				s.elements.add(tns, name, c)
			case "complexType", "simpleType":
				s.types.add(tns, name, c)
			case "attribute":
				s.attributes.add(tns, name, c)
			case "group":
				s.groups.add(tns, name, c)
			case "attributeGroup":
				s.attrGroups.add(tns, name, c)
			}
		}
	}
	return s
}

// sampler makes one sample; it stops at the limits and at a type that
// contains itself.
type sampler struct {
	s      *schemas
	budget int
	open   map[*node]bool // complex types being expanded
}

func newSampler(s *schemas) *sampler {
	return &sampler{s: s, budget: maxSampleNodes, open: map[*node]bool{}}
}

// element samples an element declaration (or reference): its name and value.
func (g *sampler) element(el *node, depth int) (string, any) {
	decl := el
	if ref := el.attr("ref"); ref != "" {
		if d := g.s.elements.get(el.qname(ref)); d != nil {
			decl = d
		} else {
			return el.qname(ref).Local, "string"
		}
	}
	name := decl.attr("name")
	var v any
	switch {
	case decl.attr("fixed") != "":
		v = decl.attr("fixed")
	case decl.attr("default") != "":
		v = decl.attr("default")
	case decl.attr("type") != "":
		v = g.typeValue(decl.qname(decl.attr("type")), depth)
	case decl.first(xsdNS, "complexType") != nil:
		v = g.complex(decl.first(xsdNS, "complexType"), depth)
	case decl.first(xsdNS, "simpleType") != nil:
		v = g.simple(decl.first(xsdNS, "simpleType"), depth)
	default:
		v = "string" // xs:anyType
	}
	if max := el.attr("maxOccurs"); max == "unbounded" || (max != "" && max != "0" && max != "1") {
		v = []any{v} // one item shows the element repeats
	}
	return name, v
}

// typeValue samples a named type.
func (g *sampler) typeValue(q xml.Name, depth int) any {
	if q.Space == xsdNS || q.Space == soapencNS {
		return builtin(q.Local)
	}
	t := g.s.types.get(q)
	switch {
	case t == nil:
		return builtin(q.Local)
	case t.name.Local == "complexType":
		return g.complex(t, depth)
	}
	return g.simple(t, depth)
}

// complex samples a complex type: an object of attributes and elements,
// or the plain value of simple content without attributes.
func (g *sampler) complex(ct *node, depth int) any {
	o := &jsonobj.Object{}
	if depth >= maxSampleDepth || g.open[ct] {
		return o
	}
	g.open[ct] = true
	defer delete(g.open, ct)
	g.content(o, ct, depth)
	if len(o.Keys) == 1 && o.Keys[0] == "#text" {
		return o.Vals[0]
	}
	return attributesFirst(o)
}

// attributesFirst moves the "-attr" keys before the elements, where they
// are written in XML.
func attributesFirst(o *jsonobj.Object) *jsonobj.Object {
	out := &jsonobj.Object{}
	for pass := 0; pass < 2; pass++ {
		for i, k := range o.Keys {
			if strings.HasPrefix(k, "-") == (pass == 0) {
				out.Add(k, o.Vals[i])
			}
		}
	}
	return out
}

// content adds what a complex type (or an extension of one) holds.
func (g *sampler) content(o *jsonobj.Object, ct *node, depth int) {
	for _, c := range ct.children {
		if c.name.Space != xsdNS {
			continue
		}
		switch c.name.Local {
		case "sequence", "all", "choice", "group":
			g.particles(o, c, depth)
		case "attribute", "attributeGroup":
			g.attributes(o, c, depth)
		case "complexContent":
			g.derived(o, c, depth, false)
		case "simpleContent":
			g.derived(o, c, depth, true)
		}
	}
}

// derived adds the content of a complexContent or simpleContent
// extension or restriction.
func (g *sampler) derived(o *jsonobj.Object, cc *node, depth int, simple bool) {
	for _, d := range cc.children {
		if d.name.Space != xsdNS || (d.name.Local != "extension" && d.name.Local != "restriction") {
			continue
		}
		base := d.qname(d.attr("base"))
		switch {
		case base.Space == soapencNS && base.Local == "Array":
			o.Add("item", []any{g.encodedArrayItem(d, depth)})
		case simple:
			var text any = "string"
			if st := d.first(xsdNS, "simpleType"); st != nil {
				text = g.simple(st, depth)
			} else if bo, ok := g.typeValue(base, depth).(*jsonobj.Object); ok {
				// A complex base with simple content: its attributes and text.
				for i, k := range bo.Keys {
					if k == "#text" {
						text = bo.Vals[i]
					} else {
						o.Add(k, bo.Vals[i])
					}
				}
			} else {
				text = g.typeValue(base, depth)
			}
			g.content(o, d, depth) // the derivation's attributes
			o.Add("#text", text)
		default:
			if bt := g.s.types.get(base); d.name.Local == "extension" && base.Space != xsdNS && bt != nil &&
				bt.name.Local == "complexType" && !g.open[bt] {
				g.open[bt] = true
				g.content(o, bt, depth) // the base's content comes first
				delete(g.open, bt)
			}
			g.content(o, d, depth)
		}
	}
}

// encodedArrayItem samples the item type of a SOAP-encoded array
// (an attribute wsdl:arrayType="tns:Item[]" in the restriction).
func (g *sampler) encodedArrayItem(d *node, depth int) any {
	holder := withAttr(d, wsdlNS, "arrayType")
	if holder == nil {
		return "string"
	}
	at := holder.attrNS(wsdlNS, "arrayType")
	if i := strings.IndexByte(at, '['); i >= 0 {
		at = at[:i]
	}
	return g.typeValue(holder.qname(at), depth+1)
}

// withAttr finds n or a descendant carrying the attribute space:local.
func withAttr(n *node, space, local string) *node {
	if n.attrNS(space, local) != "" {
		return n
	}
	for _, c := range n.children {
		if f := withAttr(c, space, local); f != nil {
			return f
		}
	}
	return nil
}

// particles adds the elements of a sequence, all, choice (its first
// option) or group reference.
func (g *sampler) particles(o *jsonobj.Object, p *node, depth int) {
	if p.name.Local == "group" {
		if ref := p.attr("ref"); ref != "" {
			grp := g.s.groups.get(p.qname(ref))
			if grp == nil || g.open[grp] {
				return
			}
			g.open[grp] = true
			defer delete(g.open, grp)
			p = grp
		}
	}
	before := len(o.Keys)
	for _, c := range p.children {
		if c.name.Space != xsdNS || c.attr("maxOccurs") == "0" {
			continue
		}
		switch c.name.Local {
		case "element":
			if g.budget <= 0 {
				return
			}
			g.budget--
			name, v := g.element(c, depth+1)
			if name != "" {
				o.Add(name, v)
			}
		case "sequence", "all", "choice", "group":
			g.particles(o, c, depth)
		}
		if p.name.Local == "choice" && len(o.Keys) > before {
			return // one option of a choice
		}
	}
}

// attributes adds an attribute ("-name") or an attribute group's.
func (g *sampler) attributes(o *jsonobj.Object, a *node, depth int) {
	if a.attr("use") == "prohibited" || g.budget <= 0 {
		return
	}
	if a.name.Local == "attributeGroup" {
		grp := g.s.attrGroups.get(a.qname(a.attr("ref")))
		if grp == nil || g.open[grp] {
			return
		}
		g.open[grp] = true
		defer delete(g.open, grp)
		for _, c := range grp.children {
			if c.name.Space == xsdNS && (c.name.Local == "attribute" || c.name.Local == "attributeGroup") {
				g.attributes(o, c, depth)
			}
		}
		return
	}
	decl := a
	if ref := a.attr("ref"); ref != "" {
		q := a.qname(ref)
		if d := g.s.attributes.get(q); d != nil {
			decl = d
		} else {
			if q.Space != "http://www.w3.org/XML/1998/namespace" && q.Space != soapencNS {
				g.budget--
				o.Add("-"+q.Local, "string")
			}
			return
		}
	}
	name := decl.attr("name")
	if name == "" {
		return
	}
	g.budget--
	var v any = "string"
	switch {
	case a.attr("fixed") != "" || decl.attr("fixed") != "":
		v = firstNonEmpty(a.attr("fixed"), decl.attr("fixed"))
	case a.attr("default") != "" || decl.attr("default") != "":
		v = firstNonEmpty(a.attr("default"), decl.attr("default"))
	case decl.attr("type") != "":
		v = g.typeValue(decl.qname(decl.attr("type")), depth)
	case decl.first(xsdNS, "simpleType") != nil:
		v = g.simple(decl.first(xsdNS, "simpleType"), depth)
	}
	o.Add("-"+name, v)
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// simple samples a simple type: its first enumeration value, else its
// base type's sample.
func (g *sampler) simple(st *node, depth int) any {
	if depth >= maxSampleDepth*2 || g.open[st] {
		return "string"
	}
	g.open[st] = true
	defer delete(g.open, st)
	if r := st.first(xsdNS, "restriction"); r != nil {
		if e := r.first(xsdNS, "enumeration"); e != nil {
			return e.attr("value")
		}
		if inner := r.first(xsdNS, "simpleType"); inner != nil {
			return g.simple(inner, depth+1)
		}
		if b := r.attr("base"); b != "" {
			return g.typeValue(r.qname(b), depth+1)
		}
	}
	if l := st.first(xsdNS, "list"); l != nil {
		var v any = "string"
		if it := l.attr("itemType"); it != "" {
			v = g.typeValue(l.qname(it), depth+1)
		} else if inner := l.first(xsdNS, "simpleType"); inner != nil {
			v = g.simple(inner, depth+1)
		}
		b, _ := json.Marshal(v)
		return strings.Trim(string(b), `"`)
	}
	if u := st.first(xsdNS, "union"); u != nil {
		if members := strings.Fields(u.attr("memberTypes")); len(members) > 0 {
			return g.typeValue(u.qname(members[0]), depth+1)
		}
		if inner := u.first(xsdNS, "simpleType"); inner != nil {
			return g.simple(inner, depth+1)
		}
	}
	return "string"
}

// builtin is the sample of a built-in type (XML Schema's, or SOAP
// encoding's of the same names).
func builtin(local string) any {
	switch local {
	case "boolean":
		return true
	case "int", "integer", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
		"unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte":
		return json.Number("1")
	case "negativeInteger":
		return json.Number("-1")
	case "nonPositiveInteger":
		return json.Number("0")
	case "decimal", "float", "double":
		return json.Number("1.5")
	case "date":
		return "2024-01-15"
	case "dateTime":
		return "2024-01-15T10:30:00Z"
	case "time":
		return "10:30:00"
	case "duration":
		return "P1D"
	case "gYear":
		return "2024"
	case "gYearMonth":
		return "2024-01"
	case "gMonth":
		return "--01"
	case "gMonthDay":
		return "--01-15"
	case "gDay":
		return "---15"
	case "base64Binary":
		return "c3RyaW5n" // "string"
	case "hexBinary":
		return "0A1B"
	case "anyURI":
		return "https://example.com"
	case "language":
		return "en"
	}
	return "string"
}

// Package postman holds the Postman Collection v2.1 format
// (https://schema.getpostman.com/json/collection/v2.1.0/collection.json)
// and Postman environment files: the job wire between the host's API
// tester and the tester plugin, and what the importers produce. Parse
// reads v2.1, v2.0 (normalised to v2.1) and the Postman API's
// {"collection": ...} wrapper; json.Marshal writes a v2.1 document that
// newman runs as it is.
package postman

import (
	"bytes"
	"encoding/json"
	"sort"
)

// SchemaV21 is the schema URL a v2.1 collection names in info.schema.
const SchemaV21 = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"

// Limits on what Parse reads.
const (
	// MaxDocumentBytes is the size of document the host accepts; Parse
	// does not check it (the caller has the bytes first and answers 413).
	MaxDocumentBytes = 16 << 20
	// MaxDepth is how deeply folders may nest.
	MaxDepth = 64
)

// Collection is a Postman v2.1 collection.
type Collection struct {
	Info     Info       `json:"info"`
	Item     []*Item    `json:"item"`
	Event    []Event    `json:"event,omitempty"`
	Variable []Variable `json:"variable,omitempty"`
	Auth     *Auth      `json:"auth,omitempty"`
	// ProtocolProfileBehavior is kept as written (redirect and TLS
	// switches newman reads).
	ProtocolProfileBehavior json.RawMessage `json:"protocolProfileBehavior,omitempty"`
}

// Info is a collection's info block.
type Info struct {
	PostmanID   string       `json:"_postman_id,omitempty"`
	Name        string       `json:"name"`
	Description *Description `json:"description,omitempty"`
	// Version is a string or {major, minor, patch, ...}, kept as written.
	Version    any    `json:"version,omitempty"`
	Schema     string `json:"schema"`
	ExporterID string `json:"_exporter_id,omitempty"`
}

// Item is a request item, or a folder when IsFolder (Item non-nil).
type Item struct {
	ID          string       `json:"id,omitempty"`
	Name        string       `json:"name"`
	Description *Description `json:"description,omitempty"`
	Variable    []Variable   `json:"variable,omitempty"`
	Event       []Event      `json:"event,omitempty"`
	// Request is nil in a folder.
	Request *Request `json:"request,omitempty"`
	// Response holds the saved example responses of a request item.
	Response []Response `json:"response,omitempty"`
	// Item is the folder's content: non-nil (perhaps empty) for a folder.
	Item []*Item `json:"item,omitempty"`
	// Auth is a folder's auth (a request's is Request.Auth).
	Auth                    *Auth           `json:"auth,omitempty"`
	ProtocolProfileBehavior json.RawMessage `json:"protocolProfileBehavior,omitempty"`
}

// IsFolder says whether the item is a folder (an item group).
func (it *Item) IsFolder() bool { return it.Item != nil }

// MarshalJSON writes a folder's "item" even when it is empty: without it
// the folder would read back as a request item.
func (it Item) MarshalJSON() ([]byte, error) {
	type plain Item
	b, err := marshalNoEscape(plain(it))
	if err != nil || !it.IsFolder() || len(it.Item) > 0 {
		return b, err
	}
	return append(b[:len(b)-1], []byte(`,"item":[]}`)...), nil
}

// Request is what a request item sends.
type Request struct {
	URL         *URL         `json:"url,omitempty"`
	Auth        *Auth        `json:"auth,omitempty"`
	Method      string       `json:"method,omitempty"`
	Description *Description `json:"description,omitempty"`
	Header      []Header     `json:"header,omitempty"`
	Body        *Body        `json:"body,omitempty"`
	// Proxy and Certificate are kept as written.
	Proxy       json.RawMessage `json:"proxy,omitempty"`
	Certificate json.RawMessage `json:"certificate,omitempty"`
}

// Header is a request or response header.
type Header struct {
	Key         string       `json:"key"`
	Value       string       `json:"value"`
	Disabled    bool         `json:"disabled,omitempty"`
	Type        string       `json:"type,omitempty"`
	Description *Description `json:"description,omitempty"`
}

// URL is a request URL in the object form. Raw is the URL as typed (with
// {{variables}} and :path variables unresolved); newman reads the parts,
// so the parts are filled from Raw where a document gave only Raw.
type URL struct {
	Raw      string   `json:"raw,omitempty"`
	Protocol string   `json:"protocol,omitempty"`
	Host     []string `json:"host,omitempty"`
	// Path segments: "" for a trailing slash, ":name" for a path variable.
	Path     []string     `json:"path,omitempty"`
	Port     string       `json:"port,omitempty"`
	Query    []QueryParam `json:"query,omitempty"`
	Hash     string       `json:"hash,omitempty"`
	Variable []Variable   `json:"variable,omitempty"`
}

// QueryParam is one query parameter; a nil Value is a key without "=".
type QueryParam struct {
	Key         string       `json:"key"`
	Value       *string      `json:"value"`
	Disabled    bool         `json:"disabled,omitempty"`
	Description *Description `json:"description,omitempty"`
}

// Body modes.
const (
	ModeRaw        = "raw"
	ModeURLEncoded = "urlencoded"
	ModeFormData   = "formdata"
	ModeFile       = "file"
	ModeGraphQL    = "graphql"
)

// Body is a request body.
type Body struct {
	Mode       string       `json:"mode,omitempty"`
	Raw        string       `json:"raw,omitempty"`
	URLEncoded []FormParam  `json:"urlencoded,omitempty"`
	FormData   []FormParam  `json:"formdata,omitempty"`
	File       *BodyFile    `json:"file,omitempty"`
	GraphQL    *GraphQL     `json:"graphql,omitempty"`
	Options    *BodyOptions `json:"options,omitempty"`
	Disabled   bool         `json:"disabled,omitempty"`
}

// Language is options.raw.language ("json", "xml", "text" ...), or "".
func (b *Body) Language() string {
	if b == nil || b.Options == nil || b.Options.Raw == nil {
		return ""
	}
	return b.Options.Raw.Language
}

// BodyOptions is a body's options; only the raw language is kept.
type BodyOptions struct {
	Raw *RawOptions `json:"raw,omitempty"`
}

// RawOptions says how a raw body is written.
type RawOptions struct {
	Language string `json:"language,omitempty"`
}

// FormParam is a urlencoded or formdata field. Type "file" fields name
// their files in Src (paths on the machine that exported them).
type FormParam struct {
	Key         string       `json:"key"`
	Value       string       `json:"value,omitempty"`
	Src         []string     `json:"-"`
	Disabled    bool         `json:"disabled,omitempty"`
	Type        string       `json:"type,omitempty"`
	ContentType string       `json:"contentType,omitempty"`
	Description *Description `json:"description,omitempty"`
}

// MarshalJSON writes Src as a string when it names one file, which every
// Postman version reads, and as a list otherwise.
func (p FormParam) MarshalJSON() ([]byte, error) {
	type plain FormParam
	b, err := marshalNoEscape(plain(p))
	if err != nil || len(p.Src) == 0 {
		return b, err
	}
	var src []byte
	if len(p.Src) == 1 {
		src, err = marshalNoEscape(p.Src[0])
	} else {
		src, err = marshalNoEscape(p.Src)
	}
	if err != nil {
		return nil, err
	}
	return append(append(append(b[:len(b)-1], `,"src":`...), src...), '}'), nil
}

// BodyFile is the file of a "file" mode body.
type BodyFile struct {
	Src     string `json:"src,omitempty"`
	Content string `json:"content,omitempty"`
}

// GraphQL is a "graphql" mode body; Variables is JSON text.
type GraphQL struct {
	Query     string `json:"query"`
	Variables string `json:"variables,omitempty"`
}

// Auth is an auth setting: Type and the attributes of each type written
// (Postman keeps those of types switched away from). Type "noauth" turns
// off what a parent sets; a nil *Auth inherits it.
type Auth struct {
	Type   string
	Params map[string][]AuthParam
}

// AuthParam is one auth attribute, as v2.1 lists them.
type AuthParam struct {
	Key   string `json:"key"`
	Value any    `json:"value,omitempty"`
	Type  string `json:"type,omitempty"`
}

// NewAuth is an auth of type typ with string attributes from key, value
// pairs.
func NewAuth(typ string, kv ...string) *Auth {
	a := &Auth{Type: typ, Params: map[string][]AuthParam{}}
	ps := []AuthParam{}
	for i := 0; i+1 < len(kv); i += 2 {
		ps = append(ps, AuthParam{Key: kv[i], Value: kv[i+1], Type: "string"})
	}
	if typ != "noauth" {
		a.Params[typ] = ps
	}
	return a
}

// Param is the value of the attribute key of the auth's own type.
func (a *Auth) Param(key string) (any, bool) {
	if a == nil {
		return nil, false
	}
	for _, p := range a.Params[a.Type] {
		if p.Key == key {
			return p.Value, true
		}
	}
	return nil, false
}

// String is the attribute key as text ("" when absent).
func (a *Auth) String(key string) string {
	v, ok := a.Param(key)
	if !ok || v == nil {
		return ""
	}
	return scalarText(v)
}

// MarshalJSON writes {"type": T, T: [...], ...}.
func (a Auth) MarshalJSON() ([]byte, error) {
	keys := make([]string, 0, len(a.Params))
	for k := range a.Params {
		if k != "type" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var buf bytes.Buffer
	t, err := marshalNoEscape(a.Type)
	if err != nil {
		return nil, err
	}
	buf.WriteString(`{"type":`)
	buf.Write(t)
	for _, k := range keys {
		kb, _ := marshalNoEscape(k)
		ps := a.Params[k]
		if ps == nil {
			ps = []AuthParam{}
		}
		vb, err := marshalNoEscape(ps)
		if err != nil {
			return nil, err
		}
		buf.WriteByte(',')
		buf.Write(kb)
		buf.WriteByte(':')
		buf.Write(vb)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// Event listens.
const (
	ListenPrerequest = "prerequest"
	ListenTest       = "test"
)

// Event is a script run before a request ("prerequest") or after it
// ("test").
type Event struct {
	ID       string  `json:"id,omitempty"`
	Listen   string  `json:"listen"`
	Script   *Script `json:"script,omitempty"`
	Disabled bool    `json:"disabled,omitempty"`
}

// Script is an event's code, one line an element of Exec.
type Script struct {
	ID   string   `json:"id,omitempty"`
	Type string   `json:"type,omitempty"`
	Exec []string `json:"exec,omitempty"`
	// Src is a script URL instead of Exec (kept as written).
	Src  json.RawMessage `json:"src,omitempty"`
	Name string          `json:"name,omitempty"`
}

// Source is the script's code as one text.
func (s *Script) Source() string {
	if s == nil {
		return ""
	}
	return joinLines(s.Exec)
}

// NewScript is a JavaScript script of the code's lines.
func NewScript(code string) *Script {
	return &Script{Type: "text/javascript", Exec: splitLines(code)}
}

// Variable is a collection, folder, item or URL (path) variable.
type Variable struct {
	ID  string `json:"id,omitempty"`
	Key string `json:"key"`
	// Value is any JSON value; numbers are json.Number.
	Value       any          `json:"value,omitempty"`
	Type        string       `json:"type,omitempty"`
	Name        string       `json:"name,omitempty"`
	Description *Description `json:"description,omitempty"`
	System      bool         `json:"system,omitempty"`
	Disabled    bool         `json:"disabled,omitempty"`
}

// String is the value as text: strings as they are, other values as JSON.
func (v Variable) String() string {
	if v.Value == nil {
		return ""
	}
	return scalarText(v.Value)
}

// Description is a description: a text, or an object naming its type.
type Description struct {
	Content string `json:"content"`
	// Type is the media type ("text/markdown", "text/plain").
	Type    string `json:"type,omitempty"`
	Version any    `json:"version,omitempty"`
}

// Text is a plain description (nil for "").
func Text(s string) *Description {
	if s == "" {
		return nil
	}
	return &Description{Content: s}
}

// String is the description's text.
func (d *Description) String() string {
	if d == nil {
		return ""
	}
	return d.Content
}

// MarshalJSON writes a description without a type or version as a
// string, the form every Postman version reads.
func (d Description) MarshalJSON() ([]byte, error) {
	if d.Type == "" && d.Version == nil {
		return marshalNoEscape(d.Content)
	}
	type plain Description
	return marshalNoEscape(plain(d))
}

// Response is a saved example response.
type Response struct {
	ID              string   `json:"id,omitempty"`
	Name            string   `json:"name,omitempty"`
	OriginalRequest *Request `json:"originalRequest,omitempty"`
	Status          string   `json:"status,omitempty"`
	Code            int      `json:"code,omitempty"`
	Header          []Header `json:"header,omitempty"`
	// Cookie is kept as written.
	Cookie []any  `json:"cookie,omitempty"`
	Body   string `json:"body,omitempty"`
	// ResponseTime is null, a number or a string, kept as written.
	ResponseTime    any    `json:"responseTime,omitempty"`
	PreviewLanguage string `json:"_postman_previewlanguage,omitempty"`
}

// MarshalJSON writes the collection as v2.1: info.schema names v2.1 and
// "item" is always there.
func (c Collection) MarshalJSON() ([]byte, error) {
	type plain Collection
	c.Info.Schema = SchemaV21
	if c.Item == nil {
		c.Item = []*Item{}
	}
	return marshalNoEscape(plain(c))
}

// Marshal writes the collection as a v2.1 document (json.Marshal does the
// same, with <, > and & escaped).
func Marshal(c *Collection) ([]byte, error) { return marshalNoEscape(c) }

// marshalNoEscape is json.Marshal without HTML escaping: scripts and
// bodies stay readable in the exported file.
func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

package api

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"reflect"
	"strings"

	"github.com/andybalholm/brotli"
	"github.com/gofiber/fiber/v2"
)

// bodyKey caches the decoded body of a request in its locals.
const bodyKey = "decodedBody"

// rawBody returns the request body, decompressed when Content-Encoding asks
// for it, never larger than the body limit: a small compressed body cannot
// expand into memory unchecked. Fiber's c.Body() decompresses without a cap,
// so it is not used.
func (s *server) rawBody(c *fiber.Ctx) ([]byte, error) {
	if b, ok := c.Locals(bodyKey).([]byte); ok {
		return b, nil
	}
	b := c.Request().Body()
	enc := strings.ToLower(strings.TrimSpace(string(c.Request().Header.Peek(fiber.HeaderContentEncoding))))
	var r io.Reader
	switch enc {
	case "", "identity":
		return b, nil
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, badRequest("the body is not valid gzip: %v", err)
		}
		defer zr.Close()
		r = zr
	case "deflate":
		zr := flate.NewReader(bytes.NewReader(b))
		defer zr.Close()
		r = zr
	case "br":
		r = brotli.NewReader(bytes.NewReader(b))
	default:
		return nil, apiErr(http.StatusUnsupportedMediaType, CodeMediaType, "Content-Encoding %q is not supported; send one of gzip, deflate, br or none", enc)
	}
	limit := s.BodyLimit
	if limit <= 0 {
		limit = 5 << 20
	}
	out, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, badRequest("the body could not be decompressed (%s): %v", enc, err)
	}
	if len(out) > limit {
		return nil, apiErr(http.StatusRequestEntityTooLarge, CodeTooLarge, "the decompressed body is larger than the limit (HTTP_REQUEST_BODY_SIZE_LIMIT_MB)")
	}
	c.Locals(bodyKey, out)
	return out, nil
}

// Uploads. Every registry, generator and import endpoint takes its
// document in any of the three forms clients send:
//
//   - the endpoint's JSON request ({"name","content",...}), whatever the
//     Content-Type: the docs' `curl -d` sends it as a form;
//   - multipart/form-data with the document in the `file` part and the
//     other fields as form fields (`curl -F file=@x.proto -F namespace=ns`);
//   - the document itself, the other fields in the query (?name=, ?namespace=).
//
// In every form a string field the body leaves empty may be given in the query.

// uploadDoc says where an endpoint's request holds the document.
type uploadDoc struct {
	field string // the JSON key of the document: "content", "sdl", "wsdl", "spec"
	name  string // the JSON key an uploaded file's name fills ("": none)
}

// uploadFilePart is the multipart part that holds the document.
const uploadFilePart = "file"

var rawMessageType = reflect.TypeOf(json.RawMessage(nil))

// decodeUpload reads a registry's, generator's or import's request into v,
// a pointer to a struct whose json tags name the request's fields.
func (s *server) decodeUpload(c *fiber.Ctx, v any, doc uploadDoc) error {
	raw, err := s.rawBody(c)
	if err != nil {
		return err
	}
	fields := jsonFields(v)
	mt, params := "", map[string]string(nil)
	if ct := c.Get(fiber.HeaderContentType); ct != "" {
		if mt, params, err = mime.ParseMediaType(ct); err != nil {
			return apiErr(http.StatusUnsupportedMediaType, CodeMediaType, "unreadable Content-Type %q", ct)
		}
	}
	trimmed := bytes.TrimSpace(raw)
	var obj map[string]json.RawMessage
	switch {
	case mt == "multipart/form-data":
		if obj, err = multipartObject(raw, params["boundary"], doc, fields); err != nil {
			return err
		}
	case isRequestJSON(trimmed, fields):
		if err := decodeJSONBytes(trimmed, v); err != nil {
			return err
		}
		queryFallback(c, v)
		return nil
	case len(trimmed) > 0 && (mt == "application/json" || strings.HasSuffix(mt, "+json")) && !json.Valid(trimmed):
		return decodeJSONBytes(trimmed, v) // says where the JSON breaks
	default:
		obj = map[string]json.RawMessage{}
		if len(trimmed) > 0 {
			if obj[doc.field], err = docValue(fields[doc.field], raw, doc.field); err != nil {
				return err
			}
		}
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	if err := decodeJSONBytes(b, v); err != nil {
		return err
	}
	queryFallback(c, v)
	return nil
}

// jsonFields maps the JSON keys of the struct v points to onto their types.
func jsonFields(v any) map[string]reflect.Type {
	t := reflect.TypeOf(v).Elem()
	out := make(map[string]reflect.Type, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		if key := jsonKey(t.Field(i)); key != "" {
			out[key] = t.Field(i).Type
		}
	}
	return out
}

func jsonKey(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	key, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if key == "-" {
		return ""
	}
	if key == "" {
		key = f.Name
	}
	return key
}

// isRequestJSON says whether a body is the endpoint's JSON request: an
// object that is empty or has one of its fields. Anything else (an SDL, a
// WSDL, a tool list posted as it is) is the document itself.
func isRequestJSON(b []byte, fields map[string]reflect.Type) bool {
	if len(b) == 0 || b[0] != '{' {
		return false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return false
	}
	if len(m) == 0 {
		return true
	}
	for k := range m {
		for f := range fields {
			if strings.EqualFold(k, f) { // as encoding/json matches them
				return true
			}
		}
	}
	return false
}

// docValue is the document as the JSON value of its field: a string, or
// the JSON itself for a field that holds JSON (the MCP generator's spec).
func docValue(t reflect.Type, content []byte, field string) (json.RawMessage, error) {
	if t == rawMessageType {
		if !json.Valid(content) {
			return nil, fieldErr(field, "the uploaded document is not JSON")
		}
		return json.RawMessage(content), nil
	}
	return json.Marshal(string(content))
}

// formValue is a form field as the JSON value of its field: a string for
// string fields; the JSON it holds for others (headers={"a":"b"}), else a
// string, which decoding reports as the wrong type.
func formValue(t reflect.Type, value string) json.RawMessage {
	if t != nil {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.String && json.Valid([]byte(value)) {
			return json.RawMessage(value)
		}
	}
	b, _ := json.Marshal(value)
	return b
}

// multipartObject turns a multipart form into the request's JSON object:
// the `file` part (or one named like the document's field) is the
// document, and its file name the name unless a field gives one; parts
// named like the request's fields fill them; other fields are ignored, as
// unknown JSON keys are.
func multipartObject(body []byte, boundary string, doc uploadDoc, fields map[string]reflect.Type) (map[string]json.RawMessage, error) {
	if boundary == "" {
		return nil, badRequest("multipart/form-data without a boundary in its Content-Type")
	}
	obj := map[string]json.RawMessage{}
	fileName, docSeen, parts := "", false, 0
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for ; ; parts++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			if parts == 0 {
				return nil, badRequest("the multipart form has no parts: is its boundary %q the one in the body?", boundary)
			}
			break
		}
		if err != nil {
			return nil, badRequest("unreadable multipart form: %v", err)
		}
		name := part.FormName()
		content, err := io.ReadAll(part)
		if err != nil {
			return nil, badRequest("unreadable multipart form: part %q: %v", name, err)
		}
		switch {
		case name == uploadFilePart || name == doc.field:
			if docSeen {
				return nil, fieldErr(uploadFilePart, "send one document per request (a second came in part %q)", name)
			}
			docSeen = true
			if obj[doc.field], err = docValue(fields[doc.field], content, doc.field); err != nil {
				return nil, err
			}
			fileName = part.FileName()
		case part.FileName() != "":
			return nil, fieldErr(uploadFilePart, "the document goes in the form field %q, not %q", uploadFilePart, name)
		default:
			if t, ok := fields[name]; ok {
				obj[name] = formValue(t, string(content))
			}
		}
	}
	if doc.name != "" && fileName != "" {
		if _, named := obj[doc.name]; !named {
			obj[doc.name], _ = json.Marshal(fileName)
		}
	}
	return obj, nil
}

// queryFallback fills the empty string fields of the request v points to
// from query parameters of the same names.
func queryFallback(c *fiber.Ctx, v any) {
	rv := reflect.ValueOf(v).Elem()
	t := rv.Type()
	for i := 0; i < t.NumField(); i++ {
		key := jsonKey(t.Field(i))
		f := rv.Field(i)
		if key == "" || f.Kind() != reflect.String || f.String() != "" {
			continue
		}
		if q := c.Query(key); q != "" {
			f.SetString(q)
		}
	}
}

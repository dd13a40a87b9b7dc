// Package imports turns documents of other tools (Postman collections,
// Insomnia exports, curl commands, HAR recordings, OpenAPI descriptions,
// WSDLs, .proto files, GraphQL schemas, MCP tool lists, SoapUI projects)
// into Postman v2.1 collections for the API tester, with warnings for
// what could not be carried over. Importers never touch storage.
//
// Errors on bad input are *generate.InputError: Field is where in the
// document the problem is ("item[2].request.url", "commands[1]",
// "resources[4]"), or "document" for the document as a whole; the API
// answers them with 422.
package imports

import (
	"bytes"
	"fmt"
	"mime"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/sdk/postman"
)

// Bounds on one import.
const (
	// MaxBytes is the largest document (or all curl commands together).
	MaxBytes = 16 << 20
	// MaxRequests is how many requests one import makes.
	MaxRequests = 50000
	// maxWarnings bounds the report.
	maxWarnings = 200
)

// DocumentField is the InputError field of a problem with the whole
// document.
const DocumentField = "document"

// Result is an imported collection and what did not come over.
type Result struct {
	Collection *postman.Collection
	// Environments are the environments the document defines besides the
	// collection's variables (Insomnia's sub-environments).
	Environments []*postman.Environment
	Warnings     []string
}

// warner gathers warnings, boundedly.
type warner struct {
	warnings []string
	dropped  int
}

func (w *warner) warn(format string, args ...any) {
	if len(w.warnings) >= maxWarnings {
		w.dropped++
		return
	}
	w.warnings = append(w.warnings, fmt.Sprintf(format, args...))
}

func (w *warner) list() []string {
	if w.dropped > 0 {
		return append(w.warnings, fmt.Sprintf("and %d more warnings", w.dropped))
	}
	return w.warnings
}

// checkSize refuses an empty or too large document.
func checkSize(data []byte, what string) error {
	if len(data) > MaxBytes {
		return generate.Inputf(DocumentField, "is %d bytes; at most %d (%d MiB) are read", len(data), MaxBytes, MaxBytes>>20)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return generate.Inputf(DocumentField, "is empty: send %s", what)
	}
	return nil
}

// inputErr turns an error of the postman package, or a generator's
// error on its "spec" field, into this package's form.
func inputErr(err error) error {
	switch e := err.(type) {
	case *postman.Error:
		if e.Path == "" {
			return generate.Inputf(DocumentField, "%s", strings.TrimPrefix(e.Message, "the document "))
		}
		return generate.Inputf(e.Path, "%s", e.Message)
	case *generate.InputError:
		if e.Field == "spec" {
			return &generate.InputError{Field: DocumentField, Message: e.Message}
		}
	}
	return err
}

// rawLanguage is the options.raw.language for a media type, "" for none
// Postman names.
func rawLanguage(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
	}
	switch {
	case mt == "application/json" || strings.HasSuffix(mt, "+json") || strings.HasSuffix(mt, "/json"):
		return "json"
	case mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+xml"):
		return "xml"
	case mt == "text/html":
		return "html"
	case mt == "application/javascript" || mt == "text/javascript":
		return "javascript"
	case mt == "text/plain":
		return "text"
	}
	return ""
}

// mediaType is a Content-Type's media type, lower case.
func mediaType(contentType string) string {
	if mt, _, err := mime.ParseMediaType(contentType); err == nil {
		return mt
	}
	return strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
}

// rawBody is a raw body, its language taken from the content type.
func rawBody(text, contentType string) *postman.Body {
	b := &postman.Body{Mode: postman.ModeRaw, Raw: text}
	if lang := rawLanguage(contentType); lang != "" {
		b.Options = &postman.BodyOptions{Raw: &postman.RawOptions{Language: lang}}
	}
	return b
}

// headerValue is the value of the first enabled header named name.
func headerValue(hs []postman.Header, name string) string {
	for _, h := range hs {
		if !h.Disabled && strings.EqualFold(h.Key, name) {
			return h.Value
		}
	}
	return ""
}

// requestName is "METHOD /path" for a URL's text.
func requestName(method, rawURL string) string {
	u := postman.NewURL(rawURL)
	p := "/" + strings.Join(u.Path, "/")
	return method + " " + p
}

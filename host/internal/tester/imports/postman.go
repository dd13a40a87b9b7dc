package imports

import (
	"encoding/json"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/sdk/postman"
)

// Postman imports a Postman collection (v2.1, v2.0 or the Postman API's
// {"collection": ...} wrapper) as it is, warning about what will not run
// as it did in Postman: files the collection names on its author's disk,
// body modes Postman itself does not know, requests without a URL.
func Postman(data []byte) (*Result, error) {
	if err := checkSize(data, "a Postman collection (v2.0 or v2.1 JSON)"); err != nil {
		return nil, err
	}
	c, err := postman.Parse(data)
	if err != nil {
		return nil, inputErr(err)
	}
	w := &warner{}
	if schemaOf(data) == "v2.0" {
		w.warn("the collection is v2.0: it was converted to v2.1 (auth attributes as lists, \"enabled\" as \"disabled\")")
	}
	n := 0
	err = c.Walk(func(parents []*postman.Item, it *postman.Item) error {
		if it.IsFolder() {
			return nil
		}
		if n++; n > MaxRequests {
			return generate.Inputf(DocumentField, "holds more than %d requests: split the collection", MaxRequests)
		}
		checkRequest(w, itemPath(parents, it), it.Request)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Result{Collection: c, Warnings: w.list()}, nil
}

// checkRequest warns about what of a request will not run as it did.
func checkRequest(w *warner, at string, r *postman.Request) {
	if r == nil || r.URL.String() == "" {
		w.warn("%s has no URL: it fails until one is set", at)
		return
	}
	b := r.Body
	if b == nil || b.Disabled {
		return
	}
	switch b.Mode {
	case "", postman.ModeRaw, postman.ModeURLEncoded, postman.ModeGraphQL:
	case postman.ModeFormData:
		for _, f := range b.FormData {
			if f.Type == "file" && !f.Disabled {
				w.warn("%s: form field %q sends the file %s from its author's disk, which is not imported: attach the file again", at, f.Key, strings.Join(f.Src, ", "))
			}
		}
	case postman.ModeFile:
		if b.File != nil && b.File.Src != "" {
			w.warn("%s: the body is the file %s from its author's disk, which is not imported: attach the file again", at, b.File.Src)
		}
	default:
		w.warn("%s: body mode %q is not one Postman knows: the request is sent without a body", at, b.Mode)
	}
}

// itemPath names an item by its folders: "Users / Admin / Delete user".
func itemPath(parents []*postman.Item, it *postman.Item) string {
	parts := make([]string, 0, len(parents)+1)
	for _, p := range parents {
		parts = append(parts, p.Name)
	}
	name := it.Name
	if name == "" {
		name = "(unnamed)"
	}
	return "request " + strings.Join(append(parts, name), " / ")
}

// schemaOf is "v2.0" when the document says it is a v2.0 collection.
func schemaOf(data []byte) string {
	var head struct {
		Info *struct {
			Schema string `json:"schema"`
		} `json:"info"`
		Collection *struct {
			Info *struct {
				Schema string `json:"schema"`
			} `json:"info"`
		} `json:"collection"`
	}
	if json.Unmarshal(data, &head) != nil {
		return ""
	}
	s := ""
	if head.Info != nil {
		s = head.Info.Schema
	} else if head.Collection != nil && head.Collection.Info != nil {
		s = head.Collection.Info.Schema
	}
	if strings.Contains(s, "/v2.0.") {
		return "v2.0"
	}
	return ""
}

package tester

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"github.com/mockarty-oss/mockarty/sdk/postman"
)

// events turns a pre-request and a test script into Postman events.
func events(pre, test string) []postman.Event {
	var out []postman.Event
	if strings.TrimSpace(pre) != "" {
		out = append(out, postman.Event{Listen: postman.ListenPrerequest, Script: postman.NewScript(pre)})
	}
	if strings.TrimSpace(test) != "" {
		out = append(out, postman.Event{Listen: postman.ListenTest, Script: postman.NewScript(test)})
	}
	return out
}

// scriptsOf reads the pre-request and test scripts back from events.
func scriptsOf(evs []postman.Event) (pre, test string) {
	for _, e := range evs {
		if e.Disabled || e.Script == nil {
			continue
		}
		switch e.Listen {
		case postman.ListenPrerequest:
			pre = joinScript(pre, e.Script.Source())
		case postman.ListenTest:
			test = joinScript(test, e.Script.Source())
		}
	}
	return pre, test
}

func joinScript(a, b string) string {
	if a == "" {
		return b
	}
	return a + "\n" + b
}

func authOf(raw json.RawMessage) *postman.Auth {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	a, err := postman.ParseAuth(raw)
	if err != nil {
		return nil // checked when saved
	}
	return a
}

func authJSON(a *postman.Auth) json.RawMessage {
	if a == nil {
		return nil
	}
	b, err := json.Marshal(a)
	if err != nil {
		return nil
	}
	return b
}

func headersOf(l KVList) []postman.Header {
	out := make([]postman.Header, 0, len(l))
	for _, kv := range l {
		out = append(out, postman.Header{Key: kv.Key, Value: kv.Value, Disabled: kv.Disabled})
	}
	return out
}

// bodyOf builds a request's Postman body.
func bodyOf(r *Request) *postman.Body {
	if len(bytes.TrimSpace(r.PostmanBody)) > 0 {
		var b postman.Body
		if json.Unmarshal(r.PostmanBody, &b) == nil {
			return &b
		}
	}
	switch r.BodyType {
	case "none":
		return nil
	case "urlencoded", "formdata":
		ps := make([]postman.FormParam, 0, len(r.Form))
		for _, kv := range r.Form {
			ps = append(ps, postman.FormParam{Key: kv.Key, Value: kv.Value, Disabled: kv.Disabled, Type: "text"})
		}
		if r.BodyType == "urlencoded" {
			return &postman.Body{Mode: postman.ModeURLEncoded, URLEncoded: ps}
		}
		return &postman.Body{Mode: postman.ModeFormData, FormData: ps}
	}
	raw := bytes.TrimSpace(r.Body)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	text := Stringify(raw)
	b := &postman.Body{Mode: postman.ModeRaw, Raw: text}
	lang := r.BodyType
	if raw[0] == '{' || raw[0] == '[' || lang == "json" {
		lang = "json"
	}
	switch lang {
	case "json", "xml", "text", "html", "javascript":
		b.Options = &postman.BodyOptions{Raw: &postman.RawOptions{Language: lang}}
	}
	if r.BodyType == "graphql" {
		return &postman.Body{Mode: postman.ModeGraphQL, GraphQL: &postman.GraphQL{Query: text}}
	}
	return b
}

// requestItem is a stored request as a Postman item; the declarative
// assertions become lines of its test script.
func requestItem(r *Request) *postman.Item {
	test := r.TestScript
	if extra := assertionScript(r); extra != "" {
		test = joinScript(test, extra)
	}
	it := &postman.Item{ID: r.ID, Name: r.Name, Description: postman.Text(r.Description), Event: events(r.PreRequestScript, test)}
	it.Request = &postman.Request{Method: r.Method, URL: postman.NewURL(r.URL), Header: headersOf(r.Headers),
		Body: bodyOf(r), Auth: authOf(r.Auth)}
	if len(bytes.TrimSpace(r.Examples)) > 0 {
		var ex []postman.Response
		if json.Unmarshal(r.Examples, &ex) == nil {
			it.Response = ex
		}
	}
	return it
}

// ToPostman builds the v2.1 collection of a stored collection and its tree.
func ToPostman(c *Collection, folders []Folder, requests []Request) *postman.Collection {
	pc := &postman.Collection{Info: postman.Info{PostmanID: c.ID, Name: c.Name, Description: postman.Text(c.Description)},
		Auth: authOf(c.Auth), Event: events(c.PreRequestScript, c.TestScript)}
	for _, v := range c.Variables {
		pc.Variable = append(pc.Variable, postman.Variable{Key: v.Key, Value: v.Value, Type: "string", Disabled: v.Disabled})
	}
	items := map[string]*postman.Item{}
	sort.SliceStable(folders, func(i, j int) bool { return folders[i].SortOrder < folders[j].SortOrder })
	for i := range folders {
		f := &folders[i]
		items[f.ID] = &postman.Item{ID: f.ID, Name: f.Name, Description: postman.Text(f.Description), Item: []*postman.Item{},
			Auth: authOf(f.Auth), Event: events(f.PreRequestScript, f.TestScript)}
	}
	// Folders and requests interleave by sort order within their parent;
	// folders whose parent is missing go to the root.
	type entry struct {
		order int64
		kind  int
		item  *postman.Item
	}
	children := map[string][]entry{}
	for i := range folders {
		p := folders[i].ParentID
		if _, ok := items[p]; !ok {
			p = ""
		}
		children[p] = append(children[p], entry{folders[i].SortOrder, 0, items[folders[i].ID]})
	}
	for i := range requests {
		p := requests[i].FolderID
		if _, ok := items[p]; !ok {
			p = ""
		}
		children[p] = append(children[p], entry{requests[i].SortOrder, 1, requestItem(&requests[i])})
	}
	for p, list := range children {
		sort.SliceStable(list, func(i, j int) bool {
			if list[i].order != list[j].order {
				return list[i].order < list[j].order
			}
			return list[i].kind < list[j].kind
		})
		out := make([]*postman.Item, 0, len(list))
		for _, e := range list {
			out = append(out, e.item)
		}
		if p == "" {
			pc.Item = out
		} else {
			items[p].Item = out
		}
	}
	return pc
}

// FromPostman turns a Postman collection into a collection with inline
// folders and requests, ready for CreateCollection.
func FromPostman(pc *postman.Collection) *Collection {
	c := &Collection{Name: pc.Info.Name, Description: pc.Info.Description.String(), Protocol: "http", Auth: authJSON(pc.Auth)}
	c.PreRequestScript, c.TestScript = scriptsOf(pc.Event)
	for _, v := range pc.Variable {
		c.Variables = append(c.Variables, KV{Key: v.Key, Value: v.String(), Disabled: v.Disabled})
	}
	// Folders and requests share one order within their parent, so the
	// positions are kept from 1 (CreateCollection reads 0 as "unordered").
	var walk func(items []*postman.Item, parent string)
	walk = func(items []*postman.Item, parent string) {
		for i, it := range items {
			if it.IsFolder() {
				id := folderKey(len(c.Folders))
				pre, test := scriptsOf(it.Event)
				c.Folders = append(c.Folders, Folder{ID: id, ParentID: parent, Name: nonEmpty(it.Name, "Folder"),
					Description: it.Description.String(), Auth: authJSON(it.Auth), PreRequestScript: pre, TestScript: test,
					SortOrder: int64(i + 1)})
				walk(it.Item, id)
				continue
			}
			r := requestFromItem(it, parent)
			r.SortOrder = int64(i + 1)
			c.Requests = append(c.Requests, r)
		}
	}
	walk(pc.Item, "")
	return c
}

// folderKey names an inline folder until CreateCollection gives it an id.
func folderKey(i int) string { return "folder-" + strconv.Itoa(i) }

func nonEmpty(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

func requestFromItem(it *postman.Item, folder string) Request {
	r := Request{Name: it.Name, FolderID: folder, Description: it.Description.String(), Protocol: "http", Method: "GET"}
	r.PreRequestScript, r.TestScript = scriptsOf(it.Event)
	if it.Request != nil {
		if it.Request.Method != "" {
			r.Method = it.Request.Method
		}
		if it.Request.URL != nil {
			r.URL = it.Request.URL.String()
		}
		for _, h := range it.Request.Header {
			if h.Disabled && strings.EqualFold(h.Key, postman.ProtocolHeader) && h.Value != "" {
				r.Protocol = strings.ToLower(h.Value) // an importer's marker of a non-HTTP request (grpc)
			}
			r.Headers = append(r.Headers, KV{Key: h.Key, Value: h.Value, Disabled: h.Disabled})
		}
		if it.Request.Body != nil {
			r.PostmanBody, _ = json.Marshal(it.Request.Body)
		}
		r.Auth = authJSON(it.Request.Auth)
	}
	if len(it.Response) > 0 {
		r.Examples, _ = json.Marshal(it.Response)
	}
	return r
}

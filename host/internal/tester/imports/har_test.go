package imports

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/sdk/postman"
)

func TestHARBrowserRecording(t *testing.T) {
	data := read(t, "..", "..", "generate", "hargen", "testdata", "browser.har")
	r, err := HAR(data)
	if err != nil {
		t.Fatal(err)
	}
	valid(t, "browser.har", r)
	c := r.Collection
	if len(c.Item) != 1 || !strings.HasPrefix(c.Item[0].Name, "127.0.0.1:") {
		t.Fatalf("folders: %v", names(c.Item))
	}
	items := c.Item[0].Item
	want := []string{"GET /", "GET /api/users", "GET /api/users/42", "GET /api/users/999", "POST /api/orders", "POST /api/login",
		"GET /api/counter", "GET /api/counter", "POST /api/echo", "GET /notes.txt", "GET /logo.png"}
	if got := names(items); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("requests in start order, one per entry: %v", got)
	}
	users := items[1].Request
	if users.URL.QueryString() != "sort=name&page=1" || header(users, "Host") != "" || header(users, "Connection") != "" ||
		header(users, "Accept") == "" {
		t.Errorf("users: %+v %v", users.URL, users.Header)
	}
	orders := items[4]
	var body map[string]any
	if orders.Request.Body.Language() != "json" || json.Unmarshal([]byte(orders.Request.Body.Raw), &body) != nil || body["item"] != "book" {
		t.Errorf("orders body: %+v", orders.Request.Body)
	}
	ex := orders.Response[0]
	if ex.Code != 201 || ex.Status != "Created" || ex.PreviewLanguage != "json" || !strings.Contains(ex.Body, `"ord-1"`) ||
		ex.OriginalRequest == nil || ex.OriginalRequest.Method != "POST" {
		t.Errorf("example: %+v", ex)
	}
	if c1, c2 := items[6].Response[0].Body, items[7].Response[0].Body; c1 == c2 {
		t.Errorf("each entry keeps its own answer: %s %s", c1, c2)
	}
	if items[3].Response[0].Code != 404 || items[8].Request.Body.Raw != "ping" || items[8].Response[0].Body != "pong" {
		t.Errorf("404 / echo: %+v %+v", items[3].Response, items[8])
	}
	if logo := items[10].Response[0]; logo.Body != "" || !hasWarning(r, "1 example responses leave their body out") {
		t.Errorf("binary body: %q %v", logo.Body, r.Warnings)
	}
}

// Forms, hosts, entries that are not HTTP and entries a recorder broke.
func TestHARShapes(t *testing.T) {
	doc := `{"log": {"version": "1.2", "entries": [
	 {"startedDateTime": "2024-01-01T10:00:01Z", "request": {"method": "POST", "url": "https://a.test/login",
	   "headers": [{"name": ":authority", "value": "a.test"}, {"name": "content-type", "value": "application/x-www-form-urlencoded"}],
	   "postData": {"mimeType": "application/x-www-form-urlencoded", "text": "user=ana&pass=p%26w"}},
	  "response": {"status": 302, "statusText": "", "headers": [], "content": {"size": 0, "mimeType": ""}}},
	 {"startedDateTime": "2024-01-01T10:00:00Z", "request": {"method": "POST", "url": "https://b.test/upload",
	   "headers": [{"name": "Content-Type", "value": "multipart/form-data; boundary=----x"}, {"name": "X-Trace", "value": "1"}],
	   "postData": {"mimeType": "multipart/form-data; boundary=----x", "params": [{"name": "title", "value": "cat"}, {"name": "pic", "fileName": "cat.jpg", "contentType": "image/jpeg"}]}},
	  "response": {"status": 0, "headers": [], "content": {}}},
	 {"request": {"method": "GET", "url": "data:image/png;base64,AAAA"}, "response": {"status": 200, "content": {}}},
	 {"request": "broken", "response": {}},
	 {"startedDateTime": "2024-01-01T10:00:02Z", "request": {"method": "GET", "url": "https://a.test/me"}, "response": {"status": 200, "content": {"text": "{}", "mimeType": "application/json"}}}
	]}}`
	r, err := HAR([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	valid(t, "shapes", r)
	c := r.Collection
	if got := names(c.Item); strings.Join(got, ",") != "b.test,a.test" {
		t.Fatalf("folders by host, in start order: %v", got)
	}
	up := c.Item[0].Item[0].Request
	if up.Body.Mode != postman.ModeFormData || up.Body.FormData[1].Type != "file" || up.Body.FormData[1].Src[0] != "cat.jpg" ||
		header(up, "Content-Type") != "" || header(up, "X-Trace") != "1" {
		t.Errorf("multipart: %+v %v", up.Body, up.Header)
	}
	if len(c.Item[0].Item[0].Response) != 0 {
		t.Errorf("an aborted request has no example")
	}
	login := c.Item[1].Item[0]
	if b := login.Request.Body; b.Mode != postman.ModeURLEncoded || b.URLEncoded[1].Value != "p&w" || header(login.Request, ":authority") != "" {
		t.Errorf("urlencoded: %+v", b)
	}
	if login.Response[0].Status != "Found" {
		t.Errorf("status text: %+v", login.Response[0])
	}
	for _, w := range []string{"log.entries[3]", "1 entries are not http", "1 requests got no response", "cat.jpg"} {
		if !hasWarning(r, w) {
			t.Errorf("no warning about %s: %v", w, r.Warnings)
		}
	}
}

func TestHARErrors(t *testing.T) {
	for name, c := range map[string]struct{ doc, field, want string }{
		"not json":   {"{\"log\": [", DocumentField, "not HAR 1.2 JSON"},
		"no log":     {`{"item": []}`, DocumentField, `no "log"`},
		"no entries": {`{"log": {"version": "1.2", "entries": []}}`, DocumentField, "recorded no requests"},
		"only data":  {`{"log": {"entries": [{"request": {"method": "GET", "url": "blob:x"}, "response": {}}]}}`, "log.entries", "no http or https"},
	} {
		_, err := HAR([]byte(c.doc))
		wantInputErr(t, name, err, c.field, c.want)
	}
}

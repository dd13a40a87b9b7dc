package imports

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/sdk/postman"
)

func curlFixture(t *testing.T, name string) string {
	return string(read(t, "testdata", "insomnia-importers", "curl", name+"-input.sh"))
}

func oneRequest(t *testing.T, name string, r *Result, err error) *postman.Request {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	valid(t, name, r)
	if len(r.Collection.Item) != 1 {
		t.Fatalf("%s: %d requests", name, len(r.Collection.Item))
	}
	return r.Collection.Item[0].Request
}

func header(r *postman.Request, name string) string { return headerValue(r.Header, name) }

// The command lines insomnia-importers tests its curl import with.
func TestCurlFixtures(t *testing.T) {
	r, err := Curl([]string{curlFixture(t, "complex")})
	req := oneRequest(t, "complex", r, err)
	if req.Method != "POST" || req.URL.String() != "http://localhost:8000/api/v1/send" || header(req, "x-custom-header") != "foo bar" ||
		header(req, "Cookie") != "foo=bar; NID=91=iOf1sU9Ovlns9Dzn2Ipz05syr2K4AlZ4Kgp84eRVLf3_6DgcNrkqpWg4lfUvCB5cNxD26t" ||
		req.Body.Raw != `{"email_id": "tem_123"}` || req.Body.Language() != "json" ||
		req.Auth.String("username") != "My User" || req.Auth.String("password") != "My:Secret:Password" {
		t.Errorf("complex: %+v %+v %+v", req, req.Body, req.Auth)
	}

	r, err = Curl([]string{curlFixture(t, "dollar-sign")})
	req = oneRequest(t, "dollar-sign", r, err)
	if c := header(req, "Cookie"); !strings.HasPrefix(c, "CookieTestConsent={stamp:'xxx") || !strings.HasSuffix(c, "=='%2Cnecessary...") {
		t.Errorf("$'...' quoting: %q", c)
	}
	if req.Method != "POST" || req.Body.Mode != postman.ModeRaw || !strings.Contains(req.Body.Raw, `"coupon":{"code":"erwrwer"}`) ||
		header(req, "Content-Type") != "application/x-www-form-urlencoded" {
		t.Errorf("dollar-sign: %+v %+v", req, req.Body)
	}

	r, err = Curl([]string{curlFixture(t, "form")})
	req = oneRequest(t, "form", r, err)
	if req.Method != "POST" || req.Body.Mode != postman.ModeFormData || len(req.Body.FormData) != 3 ||
		req.Body.FormData[0].Type != "file" || req.Body.FormData[0].Src[0] != "/home/user/file.txt" || req.Body.FormData[2].Value != "qux" ||
		!hasWarning(r, "/home/user/file.txt") {
		t.Errorf("form: %+v", req.Body)
	}

	r, err = Curl([]string{curlFixture(t, "from-chrome")})
	req = oneRequest(t, "from-chrome", r, err)
	if req.Body.Mode != postman.ModeURLEncoded || req.Body.URLEncoded[0].Key != "private" || req.Body.URLEncoded[0].Value != "false" ||
		len(req.Header) != 10 || header(req, "X-Requested-With") != "XMLHttpRequest" {
		t.Errorf("from-chrome: %d headers, %+v", len(req.Header), req.Body)
	}

	r, err = Curl([]string{curlFixture(t, "get")})
	req = oneRequest(t, "get", r, err)
	if req.Method != "GET" || req.URL.String() != "http://somesite.com/getdata?id=1234" || req.Body != nil {
		t.Errorf("-G: %+v", req)
	}

	r, err = Curl([]string{curlFixture(t, "header-colon")})
	if req = oneRequest(t, "header-colon", r, err); header(req, "X-Something") != "foo: bar:baz" {
		t.Errorf("header-colon: %+v", req.Header)
	}

	for _, name := range []string{"multi-data", "urlencoded"} {
		r, err = Curl([]string{curlFixture(t, name)})
		req = oneRequest(t, name, r, err)
		want := []postman.FormParam{{Key: "foo", Value: "bar"}, {Key: "baz", Value: "qux"}}
		if req.Body.Mode != postman.ModeURLEncoded || !reflect.DeepEqual(req.Body.URLEncoded, want) {
			t.Errorf("%s: %+v", name, req.Body)
		}
	}

	r, err = Curl([]string{curlFixture(t, "multi")})
	if err != nil {
		t.Fatal(err)
	}
	urls := []string{}
	for _, it := range r.Collection.Item {
		urls = append(urls, it.Request.URL.String())
	}
	if !reflect.DeepEqual(urls, []string{"https://insomnia.rest/1/2/3", "https://insomnia.rest/foo/bar", "https://insomnia.rest/", "https://insomnia.rest"}) ||
		header(r.Collection.Item[2].Request, "Cookie") != "foo=bar" || !hasWarning(r, `line 7: "echo" is not curl`) {
		t.Errorf("multi: %v %v", urls, r.Warnings)
	}

	_, err = Curl([]string{curlFixture(t, "no-url")})
	wantInputErr(t, "no-url", err, "commands[0]", "has no URL")

	r, err = Curl([]string{curlFixture(t, "question-mark")})
	if req = oneRequest(t, "question-mark", r, err); req.URL.String() != "http://192.168.1.1:9200/executions/_search?pretty" ||
		req.URL.Query[0].Key != "pretty" || req.Method != "POST" || req.Body.Raw != `{"query":{"match_all":{}}}` {
		t.Errorf("question-mark: %+v", req.URL)
	}

	r, err = Curl([]string{curlFixture(t, "skip-squished")})
	if req = oneRequest(t, "skip-squished", r, err); req.Method != "POST" || req.Body.URLEncoded[0].Key != "id" || req.Body.URLEncoded[0].Value != "1234" {
		t.Errorf("-XPOST -did=1234: %+v", req)
	}

	for _, name := range []string{"simple-url", "url-only"} {
		r, err = Curl([]string{curlFixture(t, name)})
		if req = oneRequest(t, name, r, err); req.Method != "GET" || req.Body != nil || len(r.Warnings) != 0 {
			t.Errorf("%s: %+v %v", name, req, r.Warnings)
		}
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "insomnia-importers", "curl", "*-input.sh"))
	if len(files) != 14 {
		t.Errorf("%d fixtures", len(files))
	}
}

// Quoting, continuations, the data options and auth.
func TestCurlOptions(t *testing.T) {
	cmd := "curl -sS -X PATCH \\\n  \"https://api.example.com/items/7\" \\\r\n  -H \"Authorization: Bearer \\\"tok\\\"\" \\\n" +
		"  --data-urlencode 'q=a b&c' --data-urlencode '=x/y' -u ana --digest --frobnicate -Z --json '{\"a\":1}'"
	r, err := Curl([]string{cmd})
	req := oneRequest(t, "options", r, err)
	if req.Method != "PATCH" || req.URL.String() != "https://api.example.com/items/7" || header(req, "Authorization") != `Bearer "tok"` {
		t.Errorf("%+v", req)
	}
	if req.Body.Raw != `q=a+b%26c&x%2Fy&{"a":1}` || header(req, "Content-Type") != "application/json" || header(req, "Accept") != "application/json" {
		t.Errorf("data: %q %v", req.Body.Raw, req.Header)
	}
	if req.Auth.Type != "digest" || req.Auth.String("username") != "ana" || !hasWarning(r, "gives no password") {
		t.Errorf("auth: %+v %v", req.Auth, r.Warnings)
	}
	if !hasWarning(r, "--frobnicate is not read") || !hasWarning(r, "-Z is not read") {
		t.Errorf("unknown options: %v", r.Warnings)
	}
	r, err = Curl([]string{"curl --oauth2-bearer t0k -A 'agent/1' -e https://ref/ -I http://h/x --proxy http://p:3128 -k"})
	req = oneRequest(t, "more", r, err)
	if req.Method != "HEAD" || req.Auth.String("token") != "t0k" || header(req, "User-Agent") != "agent/1" || header(req, "Referer") != "https://ref/" ||
		!hasWarning(r, "--proxy has no counterpart") || len(r.Warnings) != 1 {
		t.Errorf("%+v %v", req, r.Warnings)
	}
}

func TestCurlErrors(t *testing.T) {
	for name, c := range map[string]struct {
		cmds        []string
		field, want string
	}{
		"none":       {nil, "commands", "is empty"},
		"blank":      {[]string{"curl http://a", "  "}, "commands[1]", "is empty"},
		"not curl":   {[]string{"wget http://a"}, "commands[0]", "not a curl command"},
		"open quote": {[]string{"curl http://a \\\n -d 'x"}, "commands[0]", "line 2: a ' quote is not closed"},
		"open dq":    {[]string{`curl "http://a`}, "commands[0]", `a " quote is not closed`},
		"open ansi":  {[]string{`curl $'http://a`}, "commands[0]", "$' quote is not closed"},
		"no value":   {[]string{"curl http://a -H"}, "commands[0]", "-H needs a value"},
	} {
		_, err := Curl(c.cmds)
		wantInputErr(t, name, err, c.field, c.want)
	}
}

func TestShellWords(t *testing.T) {
	cmds, err := shellWords("curl a\\ b 'c d'\"e\\\"f\" $'g\\th\\x41\\u00e9\\'' # comment\n\ncurl x;curl y && curl z | jq .")
	if err != nil {
		t.Fatal(err)
	}
	got := [][]string{}
	for _, c := range cmds {
		got = append(got, c.words)
	}
	want := [][]string{{"curl", "a b", "c de\"f", "g\thAé'"}, {"curl", "x"}, {"curl", "y"}, {"curl", "z"}, {"jq", "."}}
	if !reflect.DeepEqual(got, want) || cmds[1].line != 3 {
		t.Errorf("%q (line %d)", got, cmds[1].line)
	}
}

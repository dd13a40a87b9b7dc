package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
	"gopkg.in/yaml.v3"
)

// requestIDPattern is how an error names the server's request id.
var requestIDPattern = regexp.MustCompile(`request id [A-Za-z0-9._:-]+\)`)

func TestMockLifecycle(t *testing.T) {
	ns := "t-mock-life"
	out := ok(t, "-n", ns, "mock", "create", "--id", "life-hello", "--route", "/hello", "--method", "get",
		"--status", "202", "--body", `{"message": "Hello", "n": 1}`, "--header", "X-Mock: yes", "--tag", "smoke")
	if !tableHas(out, "life-hello", ns, "created", "/hello") {
		t.Fatalf("create printed:\n%s", out)
	}
	status, body := stub(t, ns, "/hello")
	if status != 202 || string(body) != `{"message":"Hello","n":1}` {
		t.Fatalf("stub after create: %d %s", status, body)
	}
	stored := obj(t, apiJSON(t, "/api/v1/mocks/life-hello"))
	if fmt.Sprint(stored["tags"]) != "[smoke]" || fmt.Sprint(obj(t, stored["response"])["headers"]) != "map[X-Mock:[yes]]" ||
		fmt.Sprint(obj(t, stored["http"])["httpMethod"]) != "GET" {
		t.Fatalf("stored mock: %v", stored)
	}

	// Running create again overwrites.
	out = ok(t, "-n", ns, "mock", "create", "--id", "life-hello", "--route", "/hello", "--body", "plain text", "--tag", "smoke")
	if !tableHas(out, "life-hello", "updated") {
		t.Fatalf("second create printed:\n%s", out)
	}
	if status, body := stub(t, ns, "/hello"); status != 200 || string(body) != "plain text" {
		t.Fatalf("stub after overwrite: %d %q", status, body)
	}
	ok(t, "-n", ns, "mock", "create", "--id", "life-other", "--route", "/other", "--tag", "slow")
	ok(t, "-n", ns, "mock", "create", "--id", "life-tagged", "--route", "/tagged", "--tag", "smoke")

	// get, in the three formats.
	out = ok(t, "mock", "get", "life-hello")
	if !tableHas(out, "ID", "NAMESPACE", "PROTOCOL") || !tableHas(out, "life-hello", ns, "http", "GET", "/hello", "200", "active") {
		t.Fatalf("mock get table:\n%s", out)
	}
	got := obj(t, okJSON(t, "mock", "get", "life-hello"))
	if got["id"] != "life-hello" || got["namespace"] != ns {
		t.Fatalf("mock get -o json: %v", got)
	}
	var y map[string]any
	if err := yaml.Unmarshal([]byte(ok(t, "mock", "get", "life-hello", "-o", "yaml")), &y); err != nil {
		t.Fatalf("mock get -o yaml is not YAML: %v", err)
	}
	if y["id"] != "life-hello" || fmt.Sprint(y["http"].(map[string]any)["route"]) != "/hello" {
		t.Fatalf("mock get -o yaml: %v", y)
	}

	// list: table, JSON, YAML, --tag, --limit.
	out = ok(t, "mock", "list", "--namespace", ns)
	for _, id := range []string{"life-hello", "life-other", "life-tagged"} {
		if !tableHas(out, id, ns) {
			t.Fatalf("mock list lacks %s:\n%s", id, out)
		}
	}
	all := obj(t, okJSON(t, "mock", "list", "-n", ns))
	if l := ids(t, all["items"]); len(l) != 3 || !has(l, "life-hello") {
		t.Fatalf("mock list -o json: %v", l)
	}
	var ly struct {
		Items []struct{ ID string } `yaml:"items"`
		Total int                   `yaml:"total"`
	}
	if err := yaml.Unmarshal([]byte(ok(t, "mock", "list", "-n", ns, "-o", "yaml")), &ly); err != nil || ly.Total != 3 || len(ly.Items) != 3 {
		t.Fatalf("mock list -o yaml: %v %+v", err, ly)
	}
	tagged := ids(t, obj(t, okJSON(t, "mock", "list", "-n", ns, "--tag", "smoke"))["items"])
	if len(tagged) != 2 || !has(tagged, "life-hello") || !has(tagged, "life-tagged") {
		t.Fatalf("mock list --tag smoke: %v", tagged)
	}
	if l := ids(t, obj(t, okJSON(t, "mock", "list", "-n", ns, "--tag", "smoke", "--tag", "slow"))["items"]); len(l) != 0 {
		t.Fatalf("mock list --tag smoke --tag slow (all must match): %v", l)
	}
	page := obj(t, okJSON(t, "mock", "list", "-n", ns, "--limit", "1"))
	if len(list(t, page["items"])) != 1 || page["hasMore"] != true {
		t.Fatalf("mock list --limit 1: %v", page)
	}
	if out := ok(t, "mock", "list", "-n", ns, "--limit", "1"); !strings.Contains(out, "1 of 3 shown") {
		t.Fatalf("mock list --limit 1 table does not say there is more:\n%s", out)
	}

	// logs: the stub calls above are logged (asynchronously).
	plugintest.Eventually(t, 20*time.Second, func() bool {
		return tableHas(ok(t, "mock", "logs", "life-hello"), "GET", "/hello")
	}, "mock logs shows the stub calls")
	logs := obj(t, okJSON(t, "mock", "logs", "life-hello"))
	reqs := list(t, logs["requests"])
	if logs["id"] != "life-hello" || len(reqs) == 0 || fmt.Sprint(obj(t, obj(t, reqs[0])["req"])["url"]) != "/hello" {
		t.Fatalf("mock logs -o json: %v", logs)
	}
	if out := ok(t, "mock", "logs", "life-other"); !strings.Contains(out, "no logged requests") {
		t.Fatalf("mock logs of an unused mock:\n%s", out)
	}

	// delete, then restore.
	out = ok(t, "mock", "delete", "life-hello")
	if !strings.Contains(out, `Mock "life-hello" deleted`) {
		t.Fatalf("mock delete printed:\n%s", out)
	}
	if status, _ := stub(t, ns, "/hello"); status != http.StatusNotFound {
		t.Fatalf("stub after delete: %d, want 404", status)
	}
	if out := ok(t, "mock", "delete", "life-hello"); !strings.Contains(out, "already deleted") {
		t.Fatalf("second delete printed:\n%s", out)
	}
	if !tableHas(ok(t, "mock", "list", "-n", ns, "--deleted"), "life-hello", "deleted") {
		t.Fatal("mock list --deleted does not show the deleted mock")
	}
	if has(ids(t, obj(t, okJSON(t, "mock", "list", "-n", ns))["items"]), "life-hello") {
		t.Fatal("mock list still shows the deleted mock")
	}
	out = ok(t, "mock", "restore", "life-hello")
	if !tableHas(out, "life-hello", "active") {
		t.Fatalf("mock restore printed:\n%s", out)
	}
	if status, body := stub(t, ns, "/hello"); status != 200 || string(body) != "plain text" {
		t.Fatalf("stub after restore: %d %s", status, body)
	}
}

func TestUnknownMockNamesTheRequest(t *testing.T) {
	for _, args := range [][]string{
		{"mock", "get", "no-such-mock"},
		{"mock", "delete", "no-such-mock"},
		{"mock", "restore", "no-such-mock"},
		{"mock", "logs", "no-such-mock"},
	} {
		r := fails(t, exitFailure, args...)
		if !strings.HasPrefix(r.Stderr, `Error: mock "no-such-mock" not found (404 not_found, request id `) ||
			!requestIDPattern.MatchString(r.Stderr) {
			t.Errorf("%v: stderr %q", args, r.Stderr)
		}
		if r.Stdout != "" || strings.Contains(r.Stderr, "Usage:") {
			t.Errorf("%v: a server error printed usage or output: %s", args, r)
		}
	}
	// A validation error names the field.
	r := runCLI(t, cliOpts{stdin: `{"id":"v1","http":{"route":"/a","conditions":[{"path":"$.a","assertAction":"roughly"}]},"response":{}}`},
		"mock", "create", "-f", "-")
	if r.Code != exitFailure || !strings.Contains(r.Stderr, "assertAction") || !strings.Contains(r.Stderr, "(422 validation, request id ") {
		t.Fatalf("invalid mock: %s", r)
	}
}

func TestMockCreateFromFiles(t *testing.T) {
	ns := "t-mock-files"
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	one := write("one.json", `{"id":"file-one","namespace":"`+ns+`","http":{"route":"/one","httpMethod":"GET"},"response":{"statusCode":200,"payload":{"from":"json"}}}`)
	ok(t, "mock", "create", "--file", one)
	if status, body := stub(t, ns, "/one"); status != 200 || string(body) != `{"from":"json"}` {
		t.Fatalf("stub from a JSON file: %d %s", status, body)
	}

	// YAML works too; a mock without a namespace gets the current one.
	yml := write("two.yaml", "id: file-two\nhttp:\n  route: /two\n  httpMethod: GET\nresponse:\n  statusCode: 201\n  payload:\n    from: yaml\n")
	ok(t, "mock", "create", "-f", yml, "-n", ns)
	if status, body := stub(t, ns, "/two"); status != 201 || string(body) != `{"from":"yaml"}` {
		t.Fatalf("stub from a YAML file: %d %s", status, body)
	}

	// stdin: the export of one mock, edited, re-applied (the reference's patch recipe).
	exported := ok(t, "mock", "get", "file-one", "-o", "json")
	edited := strings.Replace(exported, `"json"`, `"stdin"`, 1)
	out := okWith(t, cliOpts{stdin: edited}, "mock", "create", "-f", "-")
	if !tableHas(out, "file-one", "updated") {
		t.Fatalf("create from stdin printed:\n%s", out)
	}
	if _, body := stub(t, ns, "/one"); string(body) != `{"from":"stdin"}` {
		t.Fatalf("stub after re-applying from stdin: %s", body)
	}

	// --batch: an array (namespace from MOCKARTY_NAMESPACE for those without one) ...
	batch := write("batch.json", `[
{"id":"file-b1","http":{"route":"/b1","httpMethod":"GET"},"response":{"statusCode":200,"payload":"b1"}},
{"id":"file-b2","namespace":"`+ns+`-named","http":{"route":"/b2","httpMethod":"GET"},"response":{"statusCode":200,"payload":"b2"}}]`)
	out = okWith(t, cliOpts{env: []string{envNamespace + "=" + ns}}, "mock", "create", "--file", batch, "--batch")
	if !tableHas(out, "file-b1", ns, "created") || !tableHas(out, "file-b2", ns+"-named", "created") {
		t.Fatalf("batch create printed:\n%s", out)
	}
	if _, body := stub(t, ns, "/b1"); string(body) != "b1" {
		t.Fatalf("stub b1: %s", body)
	}
	if _, body := stub(t, ns+"-named", "/b2"); string(body) != "b2" {
		t.Fatalf("stub b2 in its own namespace: %s", body)
	}
	// ... and an explicit -n moves every mock of the file.
	ok(t, "mock", "create", "--file", batch, "--batch", "-n", ns+"-moved")
	for _, p := range []string{"/b1", "/b2"} {
		if status, _ := stub(t, ns+"-moved", p); status != 200 {
			t.Fatalf("stub %s after -n: %d", p, status)
		}
	}
	// {"mocks": [...]} from stdin, JSON output.
	res := obj(t, decodeJSON(t, []byte(okWith(t, cliOpts{stdin: `{"mocks":[{"id":"file-b3","namespace":"` + ns + `","http":{"route":"/b3","httpMethod":"POST"},"response":{"statusCode":204}}]}`},
		"mock", "create", "-f", "-", "--batch", "-o", "json"))))
	if fmt.Sprint(res["count"]) != "1" {
		t.Fatalf("batch -o json: %v", res)
	}
	if status, _ := api(t, http.MethodPost, "/stubs/"+ns+"/b3", ""); status != 204 {
		t.Fatalf("stub b3: %d", status)
	}

	// Wrong combinations are usage errors, and nothing is sent.
	for _, args := range [][]string{
		{"mock", "create", "--file", batch},                         // a list without --batch
		{"mock", "create", "--file", one, "--id", "x"},              // --file with mock flags
		{"mock", "create", "--batch", "--id", "x", "--route", "/x"}, // --batch without --file
		{"mock", "create", "--id", "x"},                             // no --route
		{"mock", "create", "--id", "x", "--route", "/x", "--status", "42"},
	} {
		if r := fails(t, exitUsage, args...); !strings.Contains(r.Stderr, "Usage:") {
			t.Errorf("%v: %s", args, r)
		}
	}
	if r := fails(t, exitFailure, "mock", "create", "-f", filepath.Join(dir, "missing.json")); !strings.Contains(r.Stderr, "missing.json") {
		t.Fatalf("missing file: %s", r)
	}
}

func TestNamespaceCommands(t *testing.T) {
	src, dst := "t-ns-src", "t-ns-dst"
	out := ok(t, "namespace", "create", dst)
	if !strings.Contains(out, `Namespace "t-ns-dst" created`) {
		t.Fatalf("namespace create printed:\n%s", out)
	}
	names := fmt.Sprint(obj(t, apiJSON(t, "/api/v1/namespaces"))["namespaces"])
	if !strings.Contains(names, dst) {
		t.Fatalf("the API does not list the new namespace: %s", names)
	}
	if !tableHas(ok(t, "namespace", "list"), dst) {
		t.Fatal("namespace list lacks the new namespace")
	}
	if l := fmt.Sprint(obj(t, okJSON(t, "ns", "list"))["namespaces"]); !strings.Contains(l, dst) || !strings.Contains(l, "sandbox") {
		t.Fatalf("namespace list -o json: %s", l)
	}
	if r := fails(t, exitFailure, "namespace", "create", dst); !strings.Contains(r.Stderr, "(409 conflict, request id ") {
		t.Fatalf("creating it again: %s", r)
	}
	fails(t, exitUsage, "namespace", "create", "bad/name")

	ok(t, "-n", src, "mock", "create", "--id", "ns-a", "--route", "/a", "--body", `{"m":"a"}`)
	ok(t, "-n", src, "mock", "create", "--id", "ns-b", "--route", "/b", "--body", `{"m":"b"}`)
	out = ok(t, "namespace", "copy", "--from", src, "--to", dst, "--ids", "ns-a,ns-b")
	if !tableHas(out, "ns-a", "ns-a-"+dst, dst) || !tableHas(out, "ns-b", "ns-b-"+dst, dst) {
		t.Fatalf("namespace copy printed:\n%s", out)
	}
	for _, p := range []string{"/a", "/b"} {
		if status, _ := stub(t, dst, p); status != 200 {
			t.Fatalf("copied stub %s: %d", p, status)
		}
	}
	if status, _ := stub(t, src, "/a"); status != 200 {
		t.Fatal("the original is gone after a copy")
	}
	// --from is checked by the server.
	if r := fails(t, exitFailure, "namespace", "copy", "--from", dst, "--to", src, "--ids", "ns-a"); !strings.Contains(r.Stderr, "sourceNamespace") {
		t.Fatalf("copy with a wrong --from: %s", r)
	}
	fails(t, exitUsage, "namespace", "copy", "--to", dst)
}

func TestStoreCommands(t *testing.T) {
	ns := "t-store"
	storeOf := func(path string) map[string]any {
		t.Helper()
		return obj(t, apiJSON(t, path))
	}
	out := ok(t, "-n", ns, "store", "global", "set", "totalUsers", "100")
	if !strings.Contains(out, "Set totalUsers = 100") {
		t.Fatalf("store global set printed:\n%s", out)
	}
	ok(t, "-n", ns, "store", "global", "set", "serviceName", "auth")
	ok(t, "-n", ns, "store", "global", "set", "user", `{"name":"Ann","roles":["admin"]}`)
	ok(t, "-n", ns, "store", "global", "set", "code", "200", "--string")
	st := storeOf("/api/v1/stores/global?namespace=" + ns)
	if fmt.Sprint(st["totalUsers"]) != "100" || st["serviceName"] != "auth" || st["code"] != "200" ||
		fmt.Sprint(st["user"]) != "map[name:Ann roles:[admin]]" {
		t.Fatalf("the server's global store: %v", st)
	}

	out = ok(t, "-n", ns, "store", "global", "get")
	if !tableHas(out, "totalUsers", "100") || !tableHas(out, "serviceName", `"auth"`) || !tableHas(out, "code", `"200"`) {
		t.Fatalf("store global get:\n%s", out)
	}
	if got := obj(t, okJSON(t, "-n", ns, "store", "global", "get")); fmt.Sprint(got["totalUsers"]) != "100" {
		t.Fatalf("store global get -o json: %v", got)
	}
	if got := ok(t, "-n", ns, "store", "global", "get", "serviceName"); got != "auth\n" {
		t.Fatalf("store global get serviceName: %q", got)
	}
	if got := ok(t, "-n", ns, "store", "global", "get", "user", "-o", "json"); !strings.Contains(got, `"name": "Ann"`) {
		t.Fatalf("store global get user -o json: %q", got)
	}
	if r := fails(t, exitFailure, "-n", ns, "store", "global", "get", "nothing"); !strings.Contains(r.Stderr, `key "nothing" is not in the global store`) {
		t.Fatalf("get of a missing key: %s", r)
	}

	ok(t, "-n", ns, "store", "global", "delete", "totalUsers")
	if _, still := storeOf("/api/v1/stores/global?namespace=" + ns)["totalUsers"]; still {
		t.Fatal("store global delete left the key")
	}
	if r := fails(t, exitFailure, "-n", ns, "store", "global", "delete", "totalUsers"); !strings.Contains(r.Stderr, "404 not_found") {
		t.Fatalf("deleting it again: %s", r)
	}
	// Other namespaces are separate.
	if got := storeOf("/api/v1/stores/global?namespace=sandbox"); got["serviceName"] == "auth" {
		t.Fatalf("the key leaked into sandbox: %v", got)
	}

	// The chain store takes the chain id first.
	out = ok(t, "-n", ns, "store", "chain", "set", "order-flow", "status", "PAID")
	if !strings.Contains(out, `chain "order-flow"`) {
		t.Fatalf("store chain set printed:\n%s", out)
	}
	ok(t, "-n", ns, "store", "chain", "set", "order-flow", "total", "42.5")
	if got := storeOf("/api/v1/stores/chain/order-flow?namespace=" + ns); got["status"] != "PAID" || fmt.Sprint(got["total"]) != "42.5" {
		t.Fatalf("the server's chain store: %v", got)
	}
	if !tableHas(ok(t, "-n", ns, "store", "chain", "get", "order-flow"), "status", `"PAID"`) {
		t.Fatal("store chain get lacks the key")
	}
	var y map[string]any
	if err := yaml.Unmarshal([]byte(ok(t, "-n", ns, "store", "chain", "get", "order-flow", "-o", "yaml")), &y); err != nil || y["status"] != "PAID" || y["total"] != 42.5 {
		t.Fatalf("store chain get -o yaml: %v %v", err, y)
	}
	ok(t, "-n", ns, "store", "chain", "delete", "order-flow", "status")
	if got := storeOf("/api/v1/stores/chain/order-flow?namespace=" + ns); got["status"] != nil || got["total"] == nil {
		t.Fatalf("after store chain delete: %v", got)
	}
	fails(t, exitUsage, "store", "chain", "set", "order-flow", "only-key")
	fails(t, exitUsage, "store", "global", "set", "k")
}

func TestTemplateCommands(t *testing.T) {
	ns := "t-templates"
	dir := t.TempDir()
	// A file that looks like the API's {"content"} wrapper is still stored as it is.
	content := `{"content": "not a wrapper", "users": [1, 2]}` + "\n"
	file := filepath.Join(dir, "users.json")
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	out := ok(t, "-n", ns, "template", "upload", file)
	if !strings.Contains(out, `Template "users.json" uploaded`) {
		t.Fatalf("template upload printed:\n%s", out)
	}
	status, body := api(t, http.MethodGet, "/api/v1/templates/users.json?namespace="+ns, "")
	if status != 200 || string(body) != content {
		t.Fatalf("the server's copy: %d %q", status, body)
	}
	// A mock that uses it answers with it.
	r := runCLI(t, cliOpts{stdin: `{"id":"tpl-user","http":{"route":"/users","httpMethod":"GET"},"response":{"statusCode":200,"payloadTemplatePath":"users.json"}}`},
		"-n", ns, "mock", "create", "-f", "-")
	if r.Code != 0 {
		t.Fatalf("create the template mock: %s", r)
	}
	if _, body := stub(t, ns, "/users"); !strings.Contains(string(body), `"users"`) {
		t.Fatalf("the stub does not answer with the template: %s", body)
	}

	if got := ok(t, "-n", ns, "template", "get", "users.json"); got != content {
		t.Fatalf("template get: %q", got)
	}
	if got := obj(t, okJSON(t, "-n", ns, "template", "get", "users.json")); got["content"] != content || got["name"] != "users.json" {
		t.Fatalf("template get -o json: %v", got)
	}

	out = okWith(t, cliOpts{stdin: "hello {{name}}"}, "-n", ns, "template", "upload", "-", "--name", "greeting.txt")
	if !strings.Contains(out, `"greeting.txt" uploaded`) {
		t.Fatalf("upload from stdin printed:\n%s", out)
	}
	out = okWith(t, cliOpts{stdin: "hello again"}, "-n", ns, "template", "upload", "-", "--name", "greeting.txt")
	if !strings.Contains(out, `"greeting.txt" replaced`) {
		t.Fatalf("second upload printed:\n%s", out)
	}
	out = ok(t, "-n", ns, "template", "list")
	if !tableHas(out, "users.json", fmt.Sprint(len(content))) || !tableHas(out, "greeting.txt", "11") {
		t.Fatalf("template list:\n%s", out)
	}
	if got := fmt.Sprint(obj(t, okJSON(t, "-n", ns, "template", "list"))["templates"]); got != "[greeting.txt users.json]" {
		t.Fatalf("template list -o json: %s", got)
	}
	if out := ok(t, "template", "list", "-n", ns+"-empty"); !strings.Contains(out, "No templates") {
		t.Fatalf("template list of an empty namespace:\n%s", out)
	}

	ok(t, "-n", ns, "template", "delete", "greeting.txt")
	if status, _ := api(t, http.MethodGet, "/api/v1/templates/greeting.txt?namespace="+ns, ""); status != http.StatusNotFound {
		t.Fatalf("after template delete the server answers %d", status)
	}
	if r := fails(t, exitFailure, "-n", ns, "template", "get", "greeting.txt"); !strings.Contains(r.Stderr, "404 not_found") {
		t.Fatalf("get a deleted template: %s", r)
	}
	fails(t, exitUsage, "template", "upload", "-") // stdin needs --name
}

func TestUndefinedCommands(t *testing.T) {
	ns := "t-undefined"
	ok(t, "namespace", "create", ns) // so /stubs reads the first path segment as this namespace
	if status, _ := stub(t, ns, "/nothing/here"); status != http.StatusNotFound {
		t.Fatalf("an unmatched stub answered %d", status)
	}
	var reqID string
	plugintest.Eventually(t, 20*time.Second, func() bool {
		for _, u := range list(t, obj(t, okJSON(t, "-n", ns, "undefined", "list"))["items"]) {
			if obj(t, u)["path"] == "/nothing/here" {
				reqID = fmt.Sprint(obj(t, u)["id"])
				return true
			}
		}
		return false
	}, "undefined list shows the miss")
	if !tableHas(ok(t, "-n", ns, "undefined", "list"), reqID, ns, "http", "GET", "/nothing/here") {
		t.Fatal("undefined list table lacks the request")
	}
	if out := ok(t, "-n", "sandbox", "undefined", "list", "-o", "json"); strings.Contains(out, reqID) {
		t.Fatal("undefined list of another namespace shows the request")
	}
	if out := ok(t, "undefined", "list", "-A", "-o", "json"); !strings.Contains(out, reqID) {
		t.Fatal("undefined list --all-namespaces lacks the request")
	}

	out := ok(t, "undefined", "create-mock", reqID, "--mock-id", "from-miss",
		"--mock-data", `{"response":{"statusCode":200,"payload":{"made":"by cli"}}}`)
	if !tableHas(out, "from-miss", ns, "/nothing/here") {
		t.Fatalf("undefined create-mock printed:\n%s", out)
	}
	if status, body := stub(t, ns, "/nothing/here"); status != 200 || string(body) != `{"made":"by cli"}` {
		t.Fatalf("stub made from the miss: %d %s", status, body)
	}
	if r := fails(t, exitFailure, "undefined", "create-mock", reqID); !strings.Contains(r.Stderr, "404 not_found") {
		t.Fatalf("the request is gone once it is a mock: %s", r)
	}
	fails(t, exitUsage, "undefined", "create-mock", "x", "--mock-data", "[1]")

	stub(t, ns, "/miss/one")
	stub(t, ns, "/miss/two")
	plugintest.Eventually(t, 20*time.Second, func() bool {
		return len(list(t, obj(t, okJSON(t, "-n", ns, "undefined", "list"))["items"])) == 2
	}, "the two new misses are recorded")
	out = ok(t, "-n", ns, "undefined", "clear")
	if !strings.Contains(out, "Cleared 2 undefined request(s)") {
		t.Fatalf("undefined clear printed:\n%s", out)
	}
	if l := list(t, obj(t, apiJSON(t, "/api/v1/undefined-requests?namespace="+ns))["items"]); len(l) != 0 {
		t.Fatalf("after clear the server still has %v", l)
	}
	if out := ok(t, "-n", ns, "undefined", "list"); !strings.Contains(out, "No undefined requests") {
		t.Fatalf("undefined list after clear:\n%s", out)
	}
}

func TestPluginsAndHealth(t *testing.T) {
	out := ok(t, "plugins", "list")
	if !strings.Contains(out, "No plugins loaded") {
		t.Fatalf("plugins list (PLUGINS=none):\n%s", out)
	}
	if got := obj(t, okJSON(t, "plugins", "list")); fmt.Sprint(got["plugins"]) != "[]" {
		t.Fatalf("plugins list -o json: %v", got)
	}
	if r := fails(t, exitFailure, "plugins", "restart", "http"); !strings.Contains(r.Stderr, `plugin "http" is not loaded (404 not_found`) {
		t.Fatalf("plugins restart of an absent plugin: %s", r)
	}

	out = ok(t, "health")
	if !tableHas(out, srv.URL, "up") || !tableHas(out, "database", "up") {
		t.Fatalf("health:\n%s", out)
	}
	h := obj(t, okJSON(t, "health"))
	if h["status"] != "up" || obj(t, obj(t, h["checks"])["database"])["status"] != "up" {
		t.Fatalf("health -o json: %v", h)
	}
	var y map[string]any
	if err := yaml.Unmarshal([]byte(ok(t, "health", "-o", "yaml")), &y); err != nil || y["status"] != "up" {
		t.Fatalf("health -o yaml: %v %v", err, y)
	}
}

// TestPluginsRestart: with the HTTP listener plugin loaded, plugins list
// shows it running and plugins restart brings it back with a new process.
func TestPluginsRestart(t *testing.T) {
	s, _ := serverWithHTTPPlugin(t)
	o := cliOpts{server: s.URL}
	pid := func() string {
		t.Helper()
		var pid string
		plugintest.Eventually(t, 20*time.Second, func() bool {
			var v map[string]any
			if err := json.Unmarshal([]byte(okWith(t, o, "plugins", "list", "-o", "json")), &v); err != nil {
				t.Fatal(err)
			}
			if list, _ := v["plugins"].([]any); len(list) == 1 {
				p := list[0].(map[string]any)
				if p["state"] == "running" {
					pid = fmt.Sprint(p["pid"])
					return true
				}
			}
			return false
		}, "the HTTP plugin to run")
		return pid
	}
	before := pid()
	if out := okWith(t, o, "plugins", "list"); !tableHas(out, "http", "running") {
		t.Fatalf("plugins list:\n%s", out)
	}
	okWith(t, o, "plugins", "restart", "http")
	plugintest.Eventually(t, 20*time.Second, func() bool { return pid() != before }, "a new plugin process after plugins restart")
}

// serverWithHTTPPlugin starts the server with the HTTP listener plugin
// built from source, on a port of its choosing; it returns the server and
// its plugins configuration file.
func serverWithHTTPPlugin(t *testing.T) (*server, string) {
	t.Helper()
	dir := t.TempDir()
	pluginDir := filepath.Join(dir, "plugins")
	build := exec.Command("go", "build", "-o", filepath.Join(pluginDir, "mockarty-plugin-http"), ".")
	build.Dir = filepath.Join("..", "..", "..", "plugins", "http")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the HTTP plugin: %v\n%s", err, out)
	}
	cfg := filepath.Join(dir, "plugins.json")
	if err := os.WriteFile(cfg, []byte(`{"http":{"settings":{"addresses":["127.0.0.1:0"]}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := startServer(dir, "PLUGINS=http", "PLUGINS_DIR="+pluginDir, "PLUGINS_CONFIG="+cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.stop)
	return s, cfg
}

func TestGenerateOpenAPI(t *testing.T) {
	ns := "t-openapi"
	spec := "../../internal/generate/openapigen/testdata/oas-examples/3.0/petstore.yaml"
	out := ok(t, "-n", ns, "generate", "openapi", "--file", spec, "--preview")
	if !strings.Contains(out, "would be saved (preview)") || !tableHas(out, "create", "openapi-"+ns+"-getpetbyid", "GET", "/v2/pet/:petId") {
		t.Fatalf("preview printed:\n%s", out)
	}
	if status, _ := stub(t, ns, "/v2/pet/1"); status != 404 {
		t.Fatalf("a preview saved mocks: %d", status)
	}
	rep := obj(t, okJSON(t, "-n", ns, "generate", "openapi", "--file", spec))
	if n, _ := rep["created"].(json.Number).Int64(); n < 20 {
		t.Fatalf("generate: %v", rep["message"])
	}
	status, body := stub(t, ns, "/v2/pet/1")
	if pet, _ := decodeJSON(t, body).(map[string]any); status != 200 || pet["name"] == nil {
		t.Fatalf("the generated mock answers %d %s", status, body)
	}
	// A broken file: the server's error, exit code 1.
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("openapi: 3.0.0\npaths: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := fails(t, 1, "-n", ns, "generate", "openapi", "--file", bad); !strings.Contains(r.Stderr, "spec") {
		t.Fatalf("a broken spec: %s", r)
	}
	fails(t, 2, "-n", ns, "generate", "openapi")
}

func TestImportHAR(t *testing.T) {
	ns := "t-har"
	har := "../../internal/generate/hargen/testdata/browser.har"
	out := ok(t, "-n", ns, "import", "har", "--file", har, "--one-of")
	if !strings.Contains(out, "mocks saved") {
		t.Fatalf("import har printed:\n%s", out)
	}
	v := obj(t, apiJSON(t, "/api/v1/mocks?namespace="+ns))
	if n, _ := v["total"].(json.Number).Int64(); n < 5 {
		t.Fatalf("mocks made: %v", v["total"])
	}
	fails(t, 2, "-n", ns, "import", "har")
	fails(t, 2, "-n", ns, "import", "har", "--file", har, "--url", "http://example.com/x.har")
}

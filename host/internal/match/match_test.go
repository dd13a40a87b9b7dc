package match

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/mockarty-oss/mockarty/host/internal/model"
)

func cond(path, action string, value any) model.Condition {
	c := model.Condition{Path: path, AssertAction: action}
	if value != nil {
		c.Value, _ = json.Marshal(value)
	}
	return c
}

func body(t *testing.T, s string) *Input {
	t.Helper()
	v, err := decodeNumber([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return &Input{Body: v}
}

func TestAssertActions(t *testing.T) {
	in := body(t, `{"user":{"role":"admin","name":"Ann Lee","tags":["a","b","c"],"age":30,"meta":{"x":1,"y":{"z":true}}},"empty":"","none":null,"list":[],"n":"42"}`)
	yes := []model.Condition{
		cond("$.body.user.role", "equals", "admin"),
		cond("$.req.user.role", "equals", "admin"),
		cond("$.user.role", "equals", "admin"),
		cond("user.role", "equals", "admin"),
		cond("$.user.age", "equals", 30),
		cond("$.n", "equals", 42),
		cond("$.user.meta", "equals", map[string]any{"x": 1, "y": map[string]any{"z": true}}),
		cond("$.user.name", "contains", "Lee"),
		cond("$.user.tags", "contains", "b"),
		cond("$.user.tags", "contains", []string{"c", "a"}),
		cond("$.user.meta", "contains", map[string]any{"x": 1}),
		cond("$.user.role", "not_equals", "guest"),
		cond("$.missing", "not_equals", "x"),
		cond("$.user.name", "not_contains", "Bob"),
		cond("$.user.name", "matches", `^Ann\s+\w+$`),
		cond("$.user.role", "any", nil),
		cond("$.missing", "any", nil),
		cond("$.user.role", "notEmpty", nil),
		cond("$.empty", "empty", nil),
		cond("$.none", "empty", nil),
		cond("$.list", "empty", nil),
		cond("$.missing", "empty", nil),
		cond("$.user.tags[1]", "equals", "b"),
		cond("$.user.tags[?(@ == 'c')]", "equals", []string{"c"}),
		cond("$..z", "equals", []bool{true}),
	}
	for _, c := range yes {
		cs, err := CompileConditions([]model.Condition{c}, SourceBody, false)
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		if ok, f := CheckAll(cs, in, nil, "ns"); !ok {
			t.Errorf("%s %s %s should hold: %+v", c.Path, c.AssertAction, c.Value, f)
		}
	}
	no := []model.Condition{
		cond("$.user.role", "equals", "Admin"),
		cond("$.user.age", "equals", 31),
		cond("$.user.name", "contains", "Bob"),
		cond("$.user.tags", "contains", "z"),
		cond("$.user.role", "not_equals", "admin"),
		cond("$.user.name", "not_contains", "Ann"),
		cond("$.user.name", "matches", `^Lee`),
		cond("$.missing", "notEmpty", nil),
		cond("$.empty", "notEmpty", nil),
		cond("$.user.role", "empty", nil),
		cond("$.missing", "equals", "x"),
		cond("$.user", "plugin:luhn", nil),
	}
	for _, c := range no {
		cs, err := CompileConditions([]model.Condition{c}, SourceBody, false)
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		if ok, f := CheckAll(cs, in, nil, "ns"); ok || f == nil {
			t.Errorf("%s %s %s should fail with a reason", c.Path, c.AssertAction, c.Value)
		}
	}
}

func TestSortArrayAndDecode(t *testing.T) {
	in := body(t, `{"items":["b","c","a"],"nested":[[2,1],[4,3]],"enc":"eyJvayI6dHJ1ZX0="}`)
	c := cond("$.items", "equals", []string{"a", "b", "c"})
	cs, _ := CompileConditions([]model.Condition{c}, SourceBody, false)
	if ok, _ := CheckAll(cs, in, nil, ""); ok {
		t.Fatal("without sortArray the order matters")
	}
	cs, _ = CompileConditions([]model.Condition{c}, SourceBody, true)
	if ok, _ := CheckAll(cs, in, nil, ""); !ok {
		t.Fatal("the context's sortArray applies to every condition")
	}
	off := false
	c.SortArray = &off
	cs, _ = CompileConditions([]model.Condition{c}, SourceBody, true)
	if ok, _ := CheckAll(cs, in, nil, ""); ok {
		t.Fatal("a condition's own sortArray overrides the context's")
	}
	d := cond("$.enc", "equals", map[string]any{"ok": true})
	d.Decode = "base64"
	cs, _ = CompileConditions([]model.Condition{d}, SourceBody, false)
	if ok, f := CheckAll(cs, in, nil, ""); !ok {
		t.Fatalf("base64 JSON decodes before comparison: %+v", f)
	}
}

func TestHeaderAndQuerySources(t *testing.T) {
	h := &Input{Multi: map[string][]string{"authorization": {"Bearer x"}, "x-multi": {"a", "b"}}}
	for _, c := range []model.Condition{
		cond("Authorization", "equals", "Bearer x"),
		cond("$.Authorization", "matches", "^Bearer"),
		cond("$.reqHeader.Authorization[0]", "contains", "Bearer"),
		cond("X-Multi", "contains", "b"),
	} {
		cs, _ := CompileConditions([]model.Condition{c}, SourceHeader, false)
		if ok, f := CheckAll(cs, h, nil, ""); !ok {
			t.Errorf("header %s: %+v", c.Path, f)
		}
	}
	q := &Input{Multi: map[string][]string{"limit": {"10"}, "Format": {"json"}}}
	cs, _ := CompileConditions([]model.Condition{cond("limit", "equals", 10), cond("Format", "equals", "json")}, SourceQuery, false)
	if ok, f := CheckAll(cs, q, nil, ""); !ok {
		t.Errorf("query: %+v", f)
	}
	text := &Input{Text: "Welcome aboard"}
	cs, _ = CompileConditions([]model.Condition{cond("", "contains", "aboard")}, SourceText, false)
	if ok, _ := CheckAll(cs, text, nil, ""); !ok {
		t.Error("an empty path is the whole text")
	}
	list := &Input{List: []string{"a@x.test", "b@y.test"}}
	cs, _ = CompileConditions([]model.Condition{cond("", "contains", "b@y.test")}, SourceList, false)
	if ok, _ := CheckAll(cs, list, nil, ""); !ok {
		t.Error("recipient lists contain")
	}
}

func TestRouteIndex(t *testing.T) {
	ix := NewIndex(nil)
	add := func(id, route, method string, prio int64, created int64) {
		t.Helper()
		m := &model.Mock{ID: id, Namespace: "ns", Priority: prio, CreatedAt: created, HTTP: &model.HTTPContext{Route: route, HTTPMethod: method}, Response: &model.ContentResponse{}}
		if err := ix.Upsert(m); err != nil {
			t.Fatal(err)
		}
	}
	add("param", "/users/:id", "GET", 0, 1)
	add("static", "/users/me", "GET", 0, 1)
	add("deep", "/users/:id/orders/:orderId", "GET", 0, 1)
	add("older", "/items", "GET", 0, 1)
	add("newer", "/items", "GET", 0, 2)
	add("urgent", "/items/:x", "GET", 5, 0)
	add("wild", "/files/*", "GET", 0, 1)
	ids := func(hits []Hit) []string {
		var out []string
		for _, h := range hits {
			out = append(out, h.Entry.Mock.ID)
		}
		return out
	}
	if got := ids(ix.LookupRoute(nil, "ns", "http", "/users/me")); fmt.Sprint(got) != "[static param]" {
		t.Errorf("static before param: %v", got)
	}
	hits := ix.LookupRoute(nil, "ns", "http", "/users/7/orders/9/")
	if len(hits) != 1 || hits[0].Params()["id"] != "7" || hits[0].Params()["orderId"] != "9" {
		t.Errorf("params: %+v", hits)
	}
	if got := ids(ix.LookupRoute(nil, "ns", "http", "/items")); fmt.Sprint(got) != "[newer older]" {
		t.Errorf("newest first at equal priority: %v", got)
	}
	if got := ids(ix.LookupRoute(nil, "ns", "http", "/files/a/b.txt")); fmt.Sprint(got) != "[wild]" {
		t.Errorf("wildcard: %v", got)
	}
	if got := ix.LookupRoute(nil, "other", "http", "/items"); len(got) != 0 {
		t.Errorf("namespaces are separate: %v", got)
	}
	ix.Remove("static")
	if got := ids(ix.LookupRoute(nil, "ns", "http", "/users/me")); fmt.Sprint(got) != "[param]" {
		t.Errorf("after remove: %v", got)
	}
	if err := ix.Upsert(&model.Mock{ID: "param", Namespace: "ns", HTTP: &model.HTTPContext{Route: "/people/:id"}, Response: &model.ContentResponse{}}); err != nil {
		t.Fatal(err)
	}
	if got := ix.LookupRoute(nil, "ns", "http", "/users/me"); len(got) != 0 {
		t.Errorf("an update moves the mock: %v", ids(got))
	}
	if ix.Len() != 6 {
		t.Errorf("len = %d", ix.Len())
	}
}

func TestKeyedIndex(t *testing.T) {
	ix := NewIndex(nil)
	for _, m := range []*model.Mock{
		{ID: "g", Namespace: "ns", GRPC: &model.GRPCContext{Service: "a.S", Method: "M"}},
		{ID: "k", Namespace: "ns", Kafka: &model.KafkaContext{Topic: "orders"}},
		{ID: "r", Namespace: "ns", RabbitMQ: &model.RabbitMQContext{Queue: "q", Exchange: "x", RoutingKey: "rk"}},
	} {
		if err := ix.Upsert(m); err != nil {
			t.Fatal(err)
		}
	}
	if got := ix.LookupKey("ns", model.ProtoGRPC, "a.S/M"); len(got) != 1 || got[0].Mock.ID != "g" {
		t.Errorf("grpc: %v", got)
	}
	if got := ix.LookupKey("ns", model.ProtoRabbitMQ, "x:x/rk"); len(got) != 1 {
		t.Errorf("rabbitmq by exchange: %v", got)
	}
	ix.Remove("k")
	if got := ix.LookupKey("ns", model.ProtoKafka, "orders"); len(got) != 0 {
		t.Errorf("kafka after remove: %v", got)
	}
}

func FuzzConditions(f *testing.F) {
	f.Add(`$.a.b`, "equals", `"x"`, `{"a":{"b":"x"}}`)
	f.Add(`$.items[?(@.p > 1)].id`, "contains", `["i"]`, `{"items":[{"p":2,"id":"i"}]}`)
	f.Add(`$..z`, "matches", `"^t"`, `{"z":"true"}`)
	f.Add(`$.enc`, "contains", `"a"`, `"not an object"`)
	f.Add(``, "notEmpty", ``, `[1,2,3]`)
	f.Fuzz(func(t *testing.T, path, action, value, doc string) {
		c := model.Condition{Path: path, AssertAction: action}
		if json.Valid([]byte(value)) {
			c.Value = json.RawMessage(value)
		}
		cs, err := CompileConditions([]model.Condition{c}, SourceBody, true)
		if err != nil {
			return
		}
		var in Input
		if v, err := decodeNumber([]byte(doc)); err == nil {
			in.Body = v
		} else {
			in.Body = doc
		}
		CheckAll(cs, &in, nil, "ns")
	})
}

func benchIndex(b *testing.B, n int) {
	ix := NewIndex(nil)
	for i := 0; i < n; i++ {
		m := &model.Mock{ID: fmt.Sprintf("m%d", i), Namespace: "ns", CreatedAt: int64(i),
			HTTP: &model.HTTPContext{Route: fmt.Sprintf("/api/v1/resource%d/:id", i), HTTPMethod: "GET",
				Header: []model.Condition{cond("Authorization", "matches", "^Bearer ")}},
			Response: &model.ContentResponse{}}
		if err := ix.Upsert(m); err != nil {
			b.Fatal(err)
		}
	}
	path := fmt.Sprintf("/api/v1/resource%d/42", n/2)
	in := &Input{Multi: map[string][]string{"authorization": {"Bearer x"}}}
	var buf [8]Hit
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		hits := ix.LookupRoute(buf[:0], "ns", "http", path)
		if len(hits) != 1 {
			b.Fatal("no hit")
		}
		if ok, _ := CheckAll(hits[0].Entry.Lists["header"], in, nil, "ns"); !ok {
			b.Fatal("no match")
		}
	}
}

func BenchmarkResolveRoute10(b *testing.B)     { benchIndex(b, 10) }
func BenchmarkResolveRoute1000(b *testing.B)   { benchIndex(b, 1000) }
func BenchmarkResolveRoute100000(b *testing.B) { benchIndex(b, 100000) }

// Lookups run while mocks are written (go test -race checks the tree).
func TestConcurrentLookupAndWrite(t *testing.T) {
	ix := NewIndex(nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 2000; i++ {
			m := &model.Mock{ID: fmt.Sprintf("w%d", i%50), Namespace: "ns", HTTP: &model.HTTPContext{Route: fmt.Sprintf("/a/r%d/:id", i)}, Response: &model.ContentResponse{}}
			if err := ix.Upsert(m); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for {
		select {
		case <-done:
			return
		default:
			ix.LookupRoute(nil, "ns", "http", "/a/r1999/x")
		}
	}
}

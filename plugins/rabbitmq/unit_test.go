package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/find"
	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

func TestSettingsDefaultsAndErrors(t *testing.T) {
	s, err := parseSettings(json.RawMessage(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Namespace != "sandbox" || s.Servers[DefaultServer].URL != DefaultURL || !*s.Declare || s.Prefetch != 32 || s.ExchangeType != "topic" {
		t.Fatalf("defaults: %+v", s)
	}
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ settings, want string }{
		{`{"servers":{}}`, "at least one broker"},
		{`{"servers":{"default":{"url":"amqp://h:notaport/"}}}`, "servers.default.url"},
		{`{"servers":{"default":{"url":"amqps://h/","tls":{"caFile":"` + notPEM + `"}}}}`, "holds no PEM certificate"},
		{`{"servers":{"default":{"url":"amqps://h/","tls":{"caFile":"/nonexistent/ca.pem"}}}}`, "caFile"},
		{`{"servers":{"default":{"url":"amqps://h/","tls":{"certFile":"a.pem"}}}}`, "go together"},
		{`{"prefetch":0}`, "prefetch"},
		{`{"reconnectMinMs":500,"reconnectMaxMs":100}`, "reconnectMinMs"},
		{`{"exchangeType":"weird"}`, "exchangeType"},
		{`{"namespace":5}`, "settings"},
	} {
		if _, err := parseSettings(json.RawMessage(c.settings)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.settings, err, c.want)
		}
	}
}

// TestSettingsSchema: the schema the host validates against accepts the
// documented settings and refuses bad ones.
func TestSettingsSchema(t *testing.T) {
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(settingsSchema))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("settings.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("settings.json")
	if err != nil {
		t.Fatal(err)
	}
	check := func(settings string) error {
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(settings))
		if err != nil {
			t.Fatal(err)
		}
		return sch.Validate(v)
	}
	for _, ok := range []string{`{}`,
		`{"servers":{"default":{"url":"amqp://guest:guest@127.0.0.1:5672/"},"orders":{"url":"amqps://b.example:5671/","tls":{"caFile":"ca.pem","insecureSkipVerify":true}}},"namespace":"sandbox"}`,
		`{"prefetch":1,"declare":false,"exchangeType":"direct","queueExpiresMs":0,"reconnectMinMs":50,"reconnectMaxMs":500,"confirmTimeoutMs":1000,"connectionName":"x","strictHealth":true}`} {
		if err := check(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{`{"servers":{"default":{"url":"http://x"}}}`, `{"servers":{"default":{}}}`, `{"servers":{"bad name":{"url":"amqp://x"}}}`,
		`{"prefetch":0}`, `{"exchangeType":"x"}`, `{"unknown":1}`, `{"servers":{}}`, `{"namespace":"-x"}`} {
		if err := check(bad); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

func TestBuildPlan(t *testing.T) {
	settings := &Settings{Namespace: "ns", Servers: map[string]ServerSettings{"default": {URL: DefaultURL}, "orders": {URL: "amqp://o/"}}}
	servers := sdk.NewServerSet(settings.serverList())
	mocks := []json.RawMessage{
		json.RawMessage(`{"id":"a","rabbitmq":{"queue":"q1","conditions":[{"path":"$.k","assertAction":"equals","value":"a"}]}}`),
		json.RawMessage(`{"id":"b","rabbitmq":{"queue":"q1","exchange":"x","routingKey":"k.*","outputQueue":"out"}}`),
		json.RawMessage(`{"id":"c","rabbitmq":{"exchange":"x","routingKey":"k.1","outputURL":"amqp://other/","outputExchange":"ox","outputRoutingKey":"r"}}`),
		json.RawMessage(`{"id":"d","serverName":"orders","rabbitmq":{"queue":"q1"}}`),
		json.RawMessage(`{"id":"e","rabbitmq":{"serverName":"nowhere","queue":"q2"}}`),
		json.RawMessage(`{"id":"f","rabbitmq":{"queue":"q3","outputURL":"amqp://only-url/"}}`),
		json.RawMessage(`not json`),
	}
	p := buildPlan("ns", servers, mocks)
	// The serverName rule: a mock without a serverName is consumed on every
	// broker (a, b, c, f), one naming a broker on that one (d), one naming
	// no broker on the default broker (e).
	def, orders := p.Queues["default"], p.Queues["orders"]
	if len(def) != 4 || len(orders) != 3 || mockIDs(orders["q1"].Mocks) != "a, b, d" || mockIDs(def["q2"].Mocks) != "e" ||
		orders["q2"] != nil || orders[ownQueueName("ns", "x", "k.1")] == nil || orders["q3"] == nil {
		t.Fatalf("queues: %+v %+v", def, orders)
	}
	q1 := def["q1"]
	if q1.Own || len(q1.Bindings) != 1 || q1.Bindings[0] != (binding{"x", "k.*"}) || mockIDs(q1.Mocks) != "a, b" {
		t.Fatalf("q1: %+v", q1)
	}
	if q, x, k := q1.findKeys(); q != "q1" || x != "" || k != "" {
		t.Fatalf("q1 find keys: %q %q %q", q, x, k)
	}
	own := def[ownQueueName("ns", "x", "k.1")]
	if own == nil || !own.Own || own.Mocks[0].Out != (output{URL: "amqp://other/", Exchange: "ox", RoutingKey: "r"}) {
		t.Fatalf("own queue: %+v", def)
	}
	if q, x, k := own.findKeys(); q != "" || x != "x" || k != "k.1" {
		t.Fatalf("own find keys: %q %q %q", q, x, k)
	}
	if out := def["q3"].Mocks[0].Out; !out.none() || out.URL != "" {
		t.Fatalf("an outputURL alone is no output: %+v", out)
	}
	if len(p.Skipped) != 1 || !strings.Contains(p.Skipped[0], "not a RabbitMQ mock") {
		t.Fatalf("skipped: %v", p.Skipped)
	}
	if long := ownQueueName("ns", strings.Repeat("x", 300), "k"); len(long) > 200 || long == ownQueueName("ns", strings.Repeat("x", 301), "k") {
		t.Fatalf("long own queue names are cut and stay distinct: %d", len(long))
	}
}

// Where a reply goes is what the host's answer names: outputQueue over an
// exchange and routing key; an outputURL alone is no destination.
func TestOutputFrom(t *testing.T) {
	for _, c := range []struct {
		url, exchange, key, queue string
		want                      output
	}{
		{"", "x", "k", "", output{Exchange: "x", RoutingKey: "k"}},
		{"amqp://o", "x", "k", "q", output{URL: "amqp://o", RoutingKey: "q", Queue: true}},
		{"amqp://o", "", "", "", output{}},
		{"", "", "", "", output{}},
	} {
		if got := outputFrom(c.url, c.exchange, c.key, c.queue); got != c.want {
			t.Errorf("%+v: %+v", c, got)
		}
	}
}

func TestMessageConversions(t *testing.T) {
	for body, want := range map[string]string{``: ``, `{"a":1}`: `{"a":1}`, `[1,2]`: `[1,2]`, `plain`: `"plain"`, "bad\xffbyte": "\"bad\uFFFDbyte\""} {
		if got := string(find.DataOf([]byte(body))); got != want {
			t.Errorf("find.DataOf(%q) = %s, want %s", body, got, want)
		}
	}
	ts := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	h := headerStrings(amqp.Table{"s": "x", "b": []byte("y"), "i": int64(-3), "f": 1.5, "t": true, "ts": ts,
		"tab": amqp.Table{"k": []any{int32(1), "v"}}, "nil": nil, "dec": amqp.Decimal{Scale: 2, Value: 150}, "neg": amqp.Decimal{Scale: 2, Value: -5}})
	want := map[string]string{"s": "x", "b": "y", "i": "-3", "f": "1.5", "t": "true", "ts": "2026-01-02T03:04:05Z",
		"tab": `{"k":[1,"v"]}`, "nil": "", "dec": "1.50", "neg": "-0.05"}
	for k, v := range want {
		if h[k] != v {
			t.Errorf("header %s = %q, want %q", k, h[k], v)
		}
	}
	if headerStrings(nil) != nil {
		t.Error("no headers: nil")
	}
	for data, want := range map[string][2]string{`"text"`: {"text", "text/plain"}, `{"a":1}`: {`{"a":1}`, "application/json"}, ``: {"", ""}, `null`: {"", ""}} {
		body, ct := replyBody(json.RawMessage(data))
		if string(body) != want[0] || ct != want[1] {
			t.Errorf("replyBody(%s) = %q %q", data, body, ct)
		}
	}
	d := &amqp.Delivery{MessageId: "m1", CorrelationId: "c1", DeliveryMode: 2}
	if replyID("s", "q", d) != replyID("s", "q", &amqp.Delivery{MessageId: "m1"}) || replyID("s", "q", d) == replyID("s", "q2", d) {
		t.Error("reply ids derive from the server, queue and request id")
	}
	if replyID("s", "q", &amqp.Delivery{}) == replyID("s", "q", &amqp.Delivery{}) {
		t.Error("requests without ids get distinct reply ids")
	}
	msg := replyMessage(&find.RabbitMQResponse{Data: json.RawMessage(`{"x":1}`), OutputHeaders: map[string]string{"h": "v"},
		OutputProps: &find.RabbitMQOutputProps{Priority: 300, DeliveryMode: 1}}, d, "s", "q")
	if msg.CorrelationId != "c1" || msg.DeliveryMode != 1 || msg.Priority != 0 || msg.Headers["h"] != "v" || msg.ContentType != "application/json" ||
		!bytes.Equal(msg.Body, []byte(`{"x":1}`)) {
		t.Fatalf("reply message: %+v", msg)
	}
	if dedupeKey("s", "q", &amqp.Delivery{}) != "" || dedupeKey("s", "q", d) == "" {
		t.Error("dedupe keys")
	}
}

func TestReplied(t *testing.T) {
	r := newReplied(3)
	for i := range 5 {
		r.add(fmt.Sprint(i))
	}
	r.add("3") // refreshed
	if r.has("0") || r.has("1") || !r.has("2") || !r.has("3") || !r.has("4") {
		t.Fatal("the oldest keys are forgotten first")
	}
	r.add("5")
	if r.has("2") || !r.has("3") {
		t.Fatal("a refreshed key is kept")
	}
}

func TestPermanent(t *testing.T) {
	for err, want := range map[error]bool{
		&amqp.Error{Code: amqp.NotFound}:                      true,
		&amqp.Error{Code: amqp.AccessRefused}:                 true,
		&amqp.Error{Code: amqp.ChannelError}:                  false,
		fmt.Errorf("x: %w", errTransient):                     false,
		fmt.Errorf("queue q does not exist (declare is off)"): true,
		fmt.Errorf("wrapped: %w", &amqp.Error{Code: 404}):     true,
	} {
		if permanent(err) != want {
			t.Errorf("permanent(%v) != %v", err, want)
		}
	}
}

func TestRedact(t *testing.T) {
	if got := redact("amqp://user:secret@h:5673/vh"); strings.Contains(got, "secret") || !strings.Contains(got, "user:xxxxx@h:5673") {
		t.Fatalf("redact: %s", got)
	}
	if !sameURL("amqp://guest:guest@127.0.0.1:5672/", "amqp://guest:guest@127.0.0.1/") || sameURL("amqp://a/", "amqp://b/") {
		t.Fatal("sameURL")
	}
}

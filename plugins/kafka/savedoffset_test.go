package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

// sarama, the real client, against the real host and plugin: a message
// produced the moment its mock is created is answered (the consumer
// group is still joining then), one produced before the mock existed is
// not, and one that no mock answers is recorded as an unmatched request.
func TestMessageProducedRightAfterTheMockIsCreated(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	h := startHost(t, `{"namespace": "sandbox", "embedded": {"address": "`+addr+`"}}`)
	k := newKafkaClient(t, []string{addr}, nil)

	// A message on the topic before any mock consumes it.
	k.produce("fresh", "", `{"kind": "order", "n": "before"}`, nil)
	// The mock's save time is a later millisecond than the message's stamp.
	sent := time.Now().UnixMilli()
	plugintest.Eventually(t, 10*time.Second, func() bool { return time.Now().UnixMilli() > sent }, "the clock to pass the message's millisecond")

	// A new consumer group: the first mock of the namespace.
	h.createMock(t, `{"id": "fresh", "namespace": "sandbox",
	  "kafka": {"topic": "fresh", "conditions": [{"path": "$.kind", "assertAction": "equals", "value": "order"}],
	    "outputTopic": "fresh.out", "outputKey": "$.req.n"},
	  "response": {"payload": {"n": "$.req.n", "answered": true}}}`)
	k.produce("fresh", "", `{"kind": "order", "n": "first"}`, nil)
	k.produce("fresh", "", `{"kind": "other", "n": "stray"}`, nil)
	k.produce("fresh", "", `{"kind": "order", "n": "second"}`, nil)

	out := k.listen("fresh.out")
	// One partition: replies come in the order of the messages, so the
	// first reply shows whether "before" was answered.
	for _, want := range []string{"first", "second"} {
		r := next(t, out, "the reply to "+want)
		if string(r.msg.Key) != want || r.json(t)["answered"] != true {
			t.Fatalf("reply key=%q value=%s, want the one to %q", r.msg.Key, r.msg.Value, want)
		}
	}
	plugintest.Eventually(t, 30*time.Second, func() bool { return h.undefinedCount(t, "fresh") == 1 }, "the unmatched message is an undefined request")
	if _, body := h.undefined(t, "fresh"); !strings.Contains(body, "stray") {
		t.Fatalf("the undefined request's body %s is not the unmatched message", body)
	}

	// A topic added to the running group (it joins again): the same.
	h.createMock(t, `{"id": "added", "namespace": "sandbox",
	  "kafka": {"topic": "added", "outputTopic": "added.out", "outputKey": "$.req.n"},
	  "response": {"payload": {"n": "$.req.n"}}}`)
	k.produce("added", "", `{"n": "at-once"}`, nil)
	addedOut := k.listen("added.out")
	if r := next(t, addedOut, "the reply on the added topic"); string(r.msg.Key) != "at-once" {
		t.Fatalf("reply key=%q value=%s", r.msg.Key, r.msg.Value)
	}
	// The group's first topic kept its committed offset through the
	// rejoin: nothing answered there is answered again.
	k.produce("fresh", "", `{"kind": "order", "n": "third"}`, nil)
	if r := next(t, out, "the reply to third"); string(r.msg.Key) != "third" {
		t.Fatalf("after the rejoin, reply key=%q value=%s, want third", r.msg.Key, r.msg.Value)
	}
	if n := h.undefinedCount(t, "fresh"); n != 1 {
		t.Fatalf("undefined count of fresh is %d after the rejoin, want 1", n)
	}
}

package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// A topic's consumer group is the first one its mocks name in the order
// ListMocks gives them, the host's: the listener keeps no ordering of its
// own, and a mock naming another group is reported.
func TestConsumerGroupFollowsTheHostsOrder(t *testing.T) {
	l := &Listener{settings: &Settings{Namespace: "sandbox"}, clusters: map[string]*cluster{"": {name: ""}}}
	// As ListMocks lists them: the host's best first.
	var mocks []*kafkaMock
	for _, doc := range []string{
		`{"id": "first", "priority": 0, "createdAt": 1, "kafka": {"topic": "t", "consumerGroup": "g-first"}}`,
		`{"id": "unnamed", "priority": 9, "createdAt": 9, "kafka": {"topic": "t"}}`,
		`{"id": "second", "priority": 5, "createdAt": 5, "kafka": {"topic": "t", "consumerGroup": "g-second"}}`,
	} {
		m, err := parseMock(json.RawMessage(doc))
		if err != nil {
			t.Fatal(err)
		}
		mocks = append(mocks, m)
	}
	cands := map[topicKey][]*kafkaMock{{"", "t"}: mocks}
	want, problems := l.chooseGroups(cands, map[*cluster]map[string]bool{})
	if !want[groupKey{"", "g-first"}]["t"] || len(want) != 1 {
		t.Fatalf("groups %v: the first group in the host's order consumes the topic", want)
	}
	if len(problems) != 1 || !strings.Contains(problems[0], `"second"`) || !strings.Contains(problems[0], "g-second") {
		t.Fatalf("problems %v", problems)
	}
	if since := (*savedTimes(cands))[topicKey{"", "t"}]; since != 1 {
		t.Fatalf("the topic is read from its earliest mock's save: %d", since)
	}
}

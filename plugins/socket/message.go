package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/mockarty-oss/mockarty/sdk/find"
)

// maxTextEvent caps an event taken from a whole text message: a mock's
// event is a name, and an unmatched message's event is what the list of
// undefined requests shows.
const maxTextEvent = 1024

// parse reads one incoming message: its event, and its data for the host
// (the JSON document, or the text as a JSON string). ok is false for an
// empty message, which is skipped.
//
// The event is the message's eventField when the message is a JSON object
// that has it (a string, or a number or boolean as written); otherwise the
// whole message as text (a JSON string's value, surrounding space trimmed).
func (s *server) parse(msg []byte) (event string, data json.RawMessage, ok bool) {
	if len(bytes.TrimSpace(msg)) == 0 {
		return "", nil, false
	}
	data = find.DataOf(msg) // JSON as it is, else the text as a JSON string
	switch data[0] {
	case '{':
		if ev, found := fieldEvent(data, s.EventField); found {
			return ev, data, true
		}
	case '"':
		var text string
		if json.Unmarshal(data, &text) == nil {
			return textEvent(text), data, true
		}
	}
	return textEvent(string(data)), data, true
}

// fieldEvent finds the event at a dotted path of a JSON object.
func fieldEvent(doc []byte, path string) (string, bool) {
	cur := json.RawMessage(doc)
	for _, name := range strings.Split(path, ".") {
		var obj map[string]json.RawMessage
		if len(cur) == 0 || cur[0] != '{' || json.Unmarshal(cur, &obj) != nil {
			return "", false
		}
		v, ok := obj[name]
		if !ok {
			return "", false
		}
		cur = bytes.TrimSpace(v)
	}
	if len(cur) == 0 {
		return "", false
	}
	switch cur[0] {
	case '"':
		var s string
		if json.Unmarshal(cur, &s) != nil {
			return "", false
		}
		return s, true
	case '{', '[', 'n': // objects, arrays and null name no event
		return "", false
	}
	return string(cur), true // a number or a boolean, as written
}

func textEvent(text string) string {
	text = strings.TrimSpace(text)
	if len(text) <= maxTextEvent {
		return text
	}
	cut := maxTextEvent
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut]
}

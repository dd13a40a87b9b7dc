package find

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// DataOf is a message's bytes as the Data of a find request (a Kafka
// record's value, a RabbitMQ body, a socket message): one JSON value, with
// white space around it (any Unicode space), is the value itself, without
// that space; anything else is a JSON string of the bytes as text, space
// kept. Bytes that are not UTF-8 become U+FFFD, one for each run of them,
// in a JSON value's strings as in text, so the data is always UTF-8. No
// bytes are no data (nil). The result never shares memory with b.
func DataOf(b []byte) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	if v := bytes.TrimSpace(b); json.Valid(v) {
		if !utf8.Valid(v) {
			// Outside its strings JSON is ASCII: only strings change.
			return bytes.ToValidUTF8(v, []byte("\uFFFD"))
		}
		return append(json.RawMessage(nil), v...)
	}
	out, _ := json.Marshal(strings.ToValidUTF8(string(b), "\uFFFD"))
	return out
}

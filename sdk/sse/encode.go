package sse

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// Heartbeat is the comment written when the stream has been quiet for the
// chain's heartbeat interval. Clients ignore comments; proxies see traffic.
var Heartbeat = []byte(": heartbeat\n\n")

// AppendEvent appends one event in the text/event-stream format: the id,
// event and retry fields when set, then the data, one "data:" line per line
// of it (so that a client joins them back with "\n"), then the blank line
// that dispatches the event. An event always has a data line, so that
// clients dispatch it even when its data is empty.
//
// The id and the event name must hold no line break (Chain.Validate).
func AppendEvent(dst []byte, id, name string, retry int64, data json.RawMessage) []byte {
	if id != "" {
		dst = append(dst, "id: "...)
		dst = append(dst, id...)
		dst = append(dst, '\n')
	}
	if name != "" {
		dst = append(dst, "event: "...)
		dst = append(dst, name...)
		dst = append(dst, '\n')
	}
	if retry > 0 {
		dst = append(dst, "retry: "...)
		dst = strconv.AppendInt(dst, retry, 10)
		dst = append(dst, '\n')
	}
	text := DataText(data)
	for {
		line, rest, more := cutLine(text)
		dst = append(dst, "data:"...)
		if len(line) > 0 {
			dst = append(dst, ' ')
			dst = append(dst, line...)
		}
		dst = append(dst, '\n')
		if !more {
			break
		}
		text = rest
	}
	return append(dst, '\n')
}

// DataText is what an event's data field carries: a JSON string is its
// text, any other JSON value is its compact JSON, no data is empty.
func DataText(data json.RawMessage) []byte {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil
	}
	if data[0] == '"' {
		var s string
		if json.Unmarshal(data, &s) == nil {
			return []byte(s)
		}
	}
	var buf bytes.Buffer
	if json.Compact(&buf, data) == nil {
		return buf.Bytes()
	}
	return data
}

// cutLine splits b at its first line break (CRLF, LF or CR, as the
// event-stream format reads them).
func cutLine(b []byte) (line, rest []byte, found bool) {
	i := bytes.IndexAny(b, "\r\n")
	if i < 0 {
		return b, nil, false
	}
	if b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n' {
		return b[:i], b[i+2:], true
	}
	return b[:i], b[i+1:], true
}

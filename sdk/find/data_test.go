package find

import (
	"encoding/json"
	"testing"
)

func TestDataOf(t *testing.T) {
	for _, c := range []struct{ in, want, why string }{
		{``, ``, "no bytes: no data"},
		{`{"a":1}`, `{"a":1}`, "a JSON object as it is"},
		{`[1, 2]`, `[1, 2]`, "JSON as written (not re-encoded)"},
		{" {\"a\":1}\r\n", `{"a":1}`, "white space around JSON dropped"},
		{"\u00a0\v[1]\u2028", `[1]`, "Unicode space around JSON too"},
		{`"quoted"`, `"quoted"`, "a JSON string as it is"},
		{`12.50`, `12.50`, "a JSON number as written"},
		{`null`, `null`, "JSON null"},
		{`plain text`, `"plain text"`, "text: a JSON string"},
		{" padded ", `" padded "`, "text keeps its white space"},
		{"  \n", `"  \n"`, "white space alone is text"},
		{`{"a":`, `"{\"a\":"`, "broken JSON is text"},
		{`<a & b>`, `"\u003ca \u0026 b\u003e"`, "text escaped as encoding/json does"},
		{"bad\xffbyte", "\"bad\uFFFDbyte\"", "a byte that is not UTF-8: U+FFFD"},
		{"\xff\xfeping", "\"\uFFFDping\"", "a run of them: one U+FFFD"},
		{"{\"a\":\"x\xff\xfey\"}", "{\"a\":\"x\uFFFDy\"}", "in a JSON string too"},
		{"é", `"é"`, "UTF-8 text as it is"},
	} {
		got := DataOf([]byte(c.in))
		if string(got) != c.want {
			t.Errorf("%s: DataOf(%q) = %q, want %q", c.why, c.in, got, c.want)
		}
		if len(got) > 0 && !json.Valid(got) {
			t.Errorf("%s: %q is not JSON", c.why, got)
		}
	}
	if DataOf(nil) != nil || DataOf([]byte{}) != nil {
		t.Error("no bytes must be nil data")
	}
	in := []byte(`{"a":1}`)
	out := DataOf(in)
	in[1] = 'X' // a reused read buffer
	if string(out) != `{"a":1}` {
		t.Errorf("the data shares the message's memory: %s", out)
	}
}

package jsonobj

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestObjectKeepsOrder(t *testing.T) {
	o := &Object{}
	o.Add("z", 1)
	o.Add("a", []any{"x", nil})
	inner := &Object{}
	inner.Add("m", true)
	inner.Add("b", "<&>")
	o.Add("n", inner)
	o.Add("z", 2) // a repeated key is kept
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"z":1,"a":["x",null],"n":{"m":true,"b":"\u003c\u0026\u003e"},"z":2}`; string(b) != want {
		t.Fatalf("got %s, want %s", b, want)
	}
	if b, _ := json.Marshal(&Object{}); string(b) != `{}` {
		t.Fatalf("empty object: %s", b)
	}
	bad := &Object{}
	bad.Add("f", func() {})
	if _, err := json.Marshal(bad); err == nil {
		t.Fatal("a value JSON cannot hold was written")
	}
}

func TestDecodeRoundTrip(t *testing.T) {
	for _, doc := range []string{
		`{"z":"1","a":2.50,"m":true,"n":null,"l":[1,{"y":0,"x":-1e3}],"z":[]}`,
		`[{"b":1,"a":2}]`,
		`"text"`,
		`12345678901234567890`,
		`{}`,
	} {
		v, err := Decode([]byte(doc), 8)
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != doc { // order, repeats and the text of numbers kept
			t.Errorf("%s came back as %s", doc, b)
		}
	}
	v, _ := Decode([]byte(`{"k":1,"k":2}`), 8)
	if o, ok := v.(*Object); !ok || len(o.Keys) != 2 || o.Vals[1] != json.Number("2") {
		t.Fatalf("repeated keys: %#v", v)
	}
}

func TestDecodeRefuses(t *testing.T) {
	const limit = 4
	// limit+1 levels of containers: the innermost value sits at depth limit.
	ok := strings.Repeat(`{"a":`, limit) + "1" + strings.Repeat("}", limit)
	if _, err := Decode([]byte(ok), limit); err != nil {
		t.Fatalf("a value at the depth limit: %v", err)
	}
	for _, bad := range []string{
		strings.Repeat(`{"a":`, limit+1) + "1" + strings.Repeat("}", limit+1),
		strings.Repeat("[", limit+1) + "1" + strings.Repeat("]", limit+1),
	} {
		if _, err := Decode([]byte(bad), limit); err == nil || !strings.Contains(err.Error(), "deeper than 4 levels") {
			t.Errorf("%s: %v", bad, err)
		}
	}
	for _, bad := range []string{``, `{"a":1} {}`, `{"a":}`, `[1,`, `}`} {
		if _, err := Decode([]byte(bad), limit); err == nil {
			t.Errorf("%q was decoded", bad)
		}
	}
}

package main

import (
	"bytes"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestJSONToYAMLKeepsOrderAndTypes(t *testing.T) {
	in := `{"zeta":1,"alpha":{"s":"yes","n":"12","f":1.50,"big":12345678901234567890,"t":true,"nil":null,
"lines":"a\nb","list":[1,"two",{"k":[]}],"empty":{}}}`
	var buf bytes.Buffer
	if err := writeYAML(&buf, []byte(in)); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Index(out, "zeta") > strings.Index(out, "alpha") {
		t.Errorf("key order lost:\n%s", out)
	}
	// Strings that YAML would read as something else stay strings.
	for _, want := range []string{`s: "yes"`, `n: "12"`, "f: 1.50", "big: 12345678901234567890", "nil: null", "lines: |-\n    a\n    b"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	// Reading the YAML back gives the same document.
	var back any
	if err := yaml.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	a := back.(map[string]any)["alpha"].(map[string]any)
	if a["s"] != "yes" || a["n"] != "12" || a["t"] != true || a["nil"] != nil || a["lines"] != "a\nb" {
		t.Errorf("round trip: %v", a)
	}
	if err := writeYAML(&buf, []byte(`{"a":1} trailing`)); err == nil {
		t.Error("trailing data accepted")
	}
}

func TestWriteJSONIndents(t *testing.T) {
	var buf bytes.Buffer
	if err := writeJSON(&buf, []byte(`{"b":1,"a":[true]}`)); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != "{\n  \"b\": 1,\n  \"a\": [\n    true\n  ]\n}\n" {
		t.Fatalf("got %q", got)
	}
}

func TestNormaliseServer(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:5770":                "http://127.0.0.1:5770",
		"http://localhost:5770/":        "http://localhost:5770",
		" https://mockarty.example.com": "https://mockarty.example.com",
		"http://host:1/prefix/":         "http://host:1/prefix",
	} {
		got, err := normaliseServer(in)
		if err != nil || got != want {
			t.Errorf("normaliseServer(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "ftp://host", "http://", "http://h/?q=1"} {
		if _, err := normaliseServer(bad); err == nil {
			t.Errorf("normaliseServer(%q) accepted", bad)
		}
	}
}

func TestSetNamespace(t *testing.T) {
	cases := map[string]string{
		`{"id":"a","namespace":"x","http":{}}`:    `{"http":{},"id":"a","namespace":"ns"}`,
		`[{"id":"a"},{"id":"b","namespace":"x"}]`: `[{"id":"a","namespace":"ns"},{"id":"b","namespace":"ns"}]`,
		`{"mocks":[{"id":"a"}]}`:                  `{"mocks":[{"id":"a","namespace":"ns"}]}`,
	}
	for in, want := range cases {
		got, err := setNamespace([]byte(in), "ns")
		if err != nil || string(got) != want {
			t.Errorf("setNamespace(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
	if _, err := setNamespace([]byte(`[1]`), "ns"); err == nil {
		t.Error("a list of numbers accepted")
	}
}

func TestFlagMock(t *testing.T) {
	got, err := flagMock("id1", "ns", "/r", "post", 201, `not json`, []string{"X-A: 1", "X-A: 2"}, []string{"t"})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"http":{"httpMethod":"POST","route":"/r"},"id":"id1","namespace":"ns","response":{"headers":{"X-A":["1","2"]},"payload":"not json","statusCode":201},"tags":["t"]}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if _, err := flagMock("id1", "ns", "/r", "GET", 200, "", []string{"no colon"}, nil); err == nil {
		t.Fatal("a header without a colon accepted")
	}
}

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/sdk/jsonobj"
)

func TestXMLToJSON(t *testing.T) {
	for _, tc := range []struct{ name, xml, want string }{
		{"leaf text", `<a><id>42</id><empty/><sp>  x </sp></a>`, `{"a":{"id":"42","empty":"","sp":"  x "}}`},
		{"repeats become arrays in place", `<a><x>1</x><y>2</y><x>3</x><x>4</x></a>`, `{"a":{"x":["1","3","4"],"y":"2"}}`},
		{"attributes and text", `<a><p:m xmlns:p="urn:p" p:cur="EUR" n="1">10</p:m></a>`, `{"a":{"m":{"-cur":"EUR","-n":"1","#text":"10"}}}`},
		{"mixed content", `<a>hello <b>x</b> world</a>`, `{"a":{"b":"x","#text":"hello  world"}}`},
		{"CDATA and entities", `<a><![CDATA[<raw> & ]]>&lt;ok&gt;</a>`, `{"a":"\u003craw\u003e \u0026 \u003cok\u003e"}`},
		{"prefixes dropped", `<q:a xmlns:q="urn:q"><q:b>1</q:b></q:a>`, `{"a":{"b":"1"}}`},
	} {
		root, err := parseDocument([]byte(`<Body>`+tc.xml+`</Body>`), defaultMaxElements)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		b, _ := json.Marshal(bodyJSON(root))
		if string(b) != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, b, tc.want)
		}
	}
}

func TestCharsetsAndLimits(t *testing.T) {
	latin1 := append([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?><Body><name>Jos`), 0xe9, '<', '/', 'n', 'a', 'm', 'e', '>', '<', '/', 'B', 'o', 'd', 'y', '>')
	root, err := parseDocument(latin1, defaultMaxElements)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(bodyJSON(root)); string(b) != `{"name":"José"}` {
		t.Fatalf("latin-1: %s", b)
	}
	deep := strings.Repeat("<a>", maxDepth+1) + strings.Repeat("</a>", maxDepth+1)
	if _, err := parseDocument([]byte(deep), defaultMaxElements); err == nil || !strings.Contains(err.Error(), "deeper than") {
		t.Fatalf("deep document: %v", err)
	}
	if _, err := parseDocument([]byte(`<!DOCTYPE a [<!ENTITY x "boom">]><a>&x;</a>`), defaultMaxElements); err == nil {
		t.Fatal("an entity declared in a DTD was expanded")
	}
	// The element count is capped too: many tiny elements cost far more as
	// a tree than as bytes. A stream check (a mock's raw XML) has no cap.
	many := []byte("<r>" + strings.Repeat("<a/>", defaultMaxElements) + "</r>")
	var tooMany *errTooManyElements
	if _, err := parseDocument(many, defaultMaxElements); !errors.As(err, &tooMany) || tooMany.limit != defaultMaxElements ||
		!strings.Contains(err.Error(), "more than 100000 elements") {
		t.Fatalf("%d elements: %v", defaultMaxElements+1, err)
	}
	if root, err := parseDocument([]byte("<r>"+strings.Repeat("<a/>", 9)+"</r>"), 10); err != nil || len(root.children) != 9 {
		t.Fatalf("10 elements with a cap of 10: %v", err)
	}
	if root, err := checkDocument(many); err != nil || root.name.Local != "r" || len(root.children) != 0 {
		t.Fatalf("stream check: %v", err)
	}
	deepJSON := strings.Repeat(`{"a":`, maxDepth+2) + "1" + strings.Repeat("}", maxDepth+2)
	if _, err := jsonobj.Decode([]byte(deepJSON), maxDepth); err == nil {
		t.Fatal("deep JSON was accepted")
	}
}

func TestJSONToXML(t *testing.T) {
	for _, tc := range []struct{ name, json, want string }{
		{"order kept", `{"R":{"z":"1","a":2,"m":true}}`, `<R><z>1</z><a>2</a><m>true</m></R>`},
		{"arrays repeat", `{"R":{"i":[1,[2,3],{"-k":"v"}]}}`, `<R><i>1</i><i>2</i><i>3</i><i k="v"/></R>`},
		{"text, attributes, escaping", `{"R":{"-a":"x\"<","#text":"a&b","c":null}}`, `<R a="x&#34;&lt;">a&amp;b<c/></R>`},
		{"prefixed names", `{"p:R":{"-xmlns:p":"urn:p","p:v":"1"}}`, `<p:R xmlns:p="urn:p"><p:v>1</p:v></p:R>`},
	} {
		v, err := jsonobj.Decode([]byte(tc.json), maxDepth)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := writeContent(&b, v, nil); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if b.String() != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, b.String(), tc.want)
		}
	}
	for _, bad := range []string{`{"R":{"a b":1}}`, `{"R":{"-1x":1}}`, `{"":1}`, `"x"`} {
		v, _ := jsonobj.Decode([]byte(bad), maxDepth)
		var b bytes.Buffer
		if err := writeContent(&b, v, nil); err == nil {
			t.Errorf("%s was written: %s", bad, b.String())
		}
	}
}

func TestFaultCodes(t *testing.T) {
	for _, tc := range []struct {
		code     string
		v        version
		std, sub string
	}{
		{"soap:Client", soap11, "Client", ""},
		{"SOAP-ENV:Server.Database", soap11, "Server", "Database"},
		{"Sender", soap11, "Client", ""},
		{"soap:Client.Auth", soap12, "Sender", "Auth"},
		{"env:Receiver", soap12, "Receiver", ""},
		{"", soap12, "Receiver", ""},
		{"soap:MustUnderstand", soap12, "MustUnderstand", ""},
		{"app:Overdrawn", soap11, "", "app:Overdrawn"},
	} {
		if std, sub := faultCode(tc.code, tc.v); std != tc.std || sub != tc.sub {
			t.Errorf("%q in %s: %q %q", tc.code, tc.v, std, sub)
		}
	}
}

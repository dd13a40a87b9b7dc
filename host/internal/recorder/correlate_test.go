package recorder

import (
	"testing"

	"github.com/mockarty-oss/mockarty/sdk/recjob"
)

// TestCorrelate: a login's token sent back as a bearer header, a created
// order's id in later URLs and bodies, a cookie set then sent; values
// nobody sends back, and short or excluded ones, are not reported.
func TestCorrelate(t *testing.T) {
	const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbm4ifQ.c2lnbmF0dXJlLXZhbHVl"
	const order = "3f1c2d3e-4b5a-6789-abcd-ef0123456789"
	e := func(id string, seq int64, method, u string, reqH map[string]string, reqB string, resH map[string]string, resB string) Entry {
		return Entry{ID: id, Entry: recjob.Entry{Sequence: seq, Method: method, URL: u, RequestHeaders: reqH, RequestBody: reqB,
			ResponseHeaders: resH, ResponseBody: resB}}
	}
	list := []Entry{
		e("e1", 1, "POST", "http://shop/api/login", map[string]string{"Content-Type": "application/json"}, `{"user":"ann"}`,
			map[string]string{"Set-Cookie": "sid=abc123xyz; Path=/"}, `{"token":"`+jwt+`","expires":3600,"ok":true}`),
		e("e2", 2, "POST", "http://shop/api/orders", map[string]string{"Authorization": "Bearer " + jwt, "Cookie": "sid=abc123xyz"}, `{"sku":"A1"}`,
			map[string]string{"Location": "/api/orders/" + order}, `{"id":"`+order+`","total":3600}`),
		e("e3", 3, "GET", "http://shop/api/orders/"+order+"?expand=items", map[string]string{"Authorization": "Bearer " + jwt}, "",
			nil, `{"status":"new"}`),
		e("e4", 4, "POST", "http://shop/api/pay", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "order="+order+"&amount=3600",
			nil, `{}`),
	}
	rep := Correlate("s", list, CorrelationOptions{})
	by := map[string]Correlation{}
	for _, c := range rep.Correlations {
		by[c.Value] = c
	}
	tok, ok := by[jwt]
	if !ok || tok.ValueType != "jwt" || tok.Source.EntryID != "e1" || tok.Source.Path != "$.token" || len(tok.Targets) != 2 ||
		tok.Targets[0].Section != "header" || tok.Targets[0].Path != "Authorization" || tok.Confidence < 0.8 {
		t.Fatalf("the token: %+v", tok)
	}
	id, ok := by[order]
	if !ok || id.ValueType != "uuid" || id.Source.Section != "body" || len(id.Targets) != 2 ||
		id.Targets[0].Section != "url" || id.Targets[1].Section != "form" {
		t.Fatalf("the order id: %+v", id)
	}
	if c, ok := by["abc123xyz"]; !ok || c.Source.Section != "set-cookie" || c.Targets[0].Section != "cookie" {
		t.Fatalf("the cookie: %+v", c)
	}
	if c, ok := by["3600"]; !ok || c.ValueType != "number" || c.Confidence >= 0.8 {
		t.Fatalf("a number: %+v", c)
	}
	if _, ok := by["new"]; ok {
		t.Fatal("a value nobody sends back was reported")
	}
	rep = Correlate("s", list, CorrelationOptions{ExcludeNumeric: true, MinValueLength: 10})
	for _, c := range rep.Correlations {
		if c.ValueType == "number" || len(c.Value) < 10 {
			t.Fatalf("excluded: %+v", c)
		}
	}
	if rep.Scanned != 4 || rep.Summary.ByValueType["jwt"] != 1 || rep.Summary.BySection["header"] < 2 {
		t.Fatalf("summary: %+v", rep)
	}
}

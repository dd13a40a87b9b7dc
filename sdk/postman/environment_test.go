package postman

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestEnvironmentFixtures(t *testing.T) {
	for _, f := range []string{"basic-input.json", "no-name-input.json"} {
		e, err := ParseEnvironment(readFixture(t, "postman-env/"+f))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if e.ID != "fd5ae82a-d4c3-fa38-b53f-cddafb084535" || e.Scope != "environment" || len(e.Values) != 2 {
			t.Fatalf("%s: %+v", f, e)
		}
		if !reflect.DeepEqual(e.Map(), map[string]string{"foo": "production"}) {
			t.Errorf("%s: enabled values %v", f, e.Map())
		}
		out, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseEnvironment(out)
		if err != nil || !reflect.DeepEqual(e, again) {
			t.Errorf("%s: round trip: %v\n%+v\n%+v", f, err, e, again)
		}
	}
}

// A plain object keeps its order and its values' types; "enabled" absent
// means enabled; the API wrapper is read.
func TestEnvironmentForms(t *testing.T) {
	e, err := ParseEnvironment([]byte(`{"zeta": "1", "baseUrl": "http://localhost:8080", "n": 12345678901234567890, "on": true}`))
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{}
	for _, v := range e.Values {
		keys = append(keys, v.Key)
	}
	if !reflect.DeepEqual(keys, []string{"zeta", "baseUrl", "n", "on"}) || e.Values[2].String() != "12345678901234567890" || e.Values[3].String() != "true" {
		t.Errorf("plain: %+v", e.Values)
	}
	w, err := ParseEnvironment([]byte(`{"environment": {"id": "e1", "name": "Staging", "values": [{"key": "k", "value": "v"}, {"key": "off", "value": "x", "disabled": true}]}}`))
	if err != nil || w.Name != "Staging" || !w.Values[0].Enabled || w.Values[1].Enabled {
		t.Errorf("wrapper: %+v %v", w, err)
	}
	p, err := ParseEnvironment([]byte(`{"environment": {"a": 1}}`))
	if err != nil || len(p.Values) != 1 || p.Values[0].Key != "a" {
		t.Errorf("wrapped plain object: %+v %v", p, err)
	}
	for doc, want := range map[string]string{
		`{"info": {}, "item": []}`: "is a Postman collection",
		`["a"]`:                    "is a list",
		`{"values": [{"value": 1}], "name": "x"}`: "values[0].key: is missing",
		`{"values": ["x"], "name": "x"}`:          "values[0]: is a string",
		`{"a": 1`:                                 "not JSON",
	} {
		_, err := ParseEnvironment([]byte(doc))
		var pe *Error
		if !errors.As(err, &pe) || !strings.Contains(pe.Error(), want) {
			t.Errorf("%s: %v, want %q", doc, err, want)
		}
	}
}

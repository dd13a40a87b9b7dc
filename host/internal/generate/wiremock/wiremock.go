// Package wiremock translates WireMock stub mappings (the JSON of
// mappings/*.json and of the admin API) into Mockarty HTTP mocks: request
// matching into a route and conditions, the response with its delay,
// Handlebars response templates into Mockarty templates, priorities,
// webhooks and scenarios as far as Mockarty can express them. What a mock
// cannot do the way the stub did is listed in the stub's report.
package wiremock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/host/internal/generate/imports"
	"github.com/mockarty-oss/mockarty/host/internal/model"
)

// Options say where the mocks go.
type Options struct {
	Namespace string
	// IDPrefix starts every mock id; default "wiremock-<namespace>" (or
	// "wiremock"), as mock ids are unique across namespaces.
	IDPrefix string
}

// Result is the mocks and one report per stub mapping.
type Result = imports.Result

// StubReport tells what became of one stub mapping.
type StubReport = imports.StubReport

// DefaultPriority is WireMock's priority of a stub that sets none.
const DefaultPriority = 5

// Priority is the Mockarty priority of a WireMock priority. WireMock tries
// 1 first and a stub without one has 5; Mockarty tries the higher number
// first and a mock without one has 0. So 10·(5 − p): the default stays 0,
// the order is kept, and the gaps leave room for the steps of a scenario.
func Priority(p int64) int64 { return 10 * (DefaultPriority - p) }

// Translate reads one stub mapping, {"mappings": [...]} (a mappings file
// or the admin API's answer) or an array of mappings.
func Translate(data []byte, opts Options) (*Result, error) {
	stubs, err := split(data)
	if err != nil {
		return nil, err
	}
	prefix := opts.IDPrefix
	if prefix == "" {
		prefix = "wiremock"
		if opts.Namespace != "" {
			prefix += "-" + opts.Namespace
		}
	}
	t := &translator{opts: opts, ids: imports.NewIDs(prefix)}
	var all []*stub
	var reps imports.Reports
	for i, raw := range stubs {
		s := t.stub(i, raw)
		all = append(all, s)
		reps = append(reps, s.rep)
	}
	scenarios(all)
	var mocks []*model.Mock
	for _, s := range all {
		if s.mock != nil {
			mocks = append(mocks, s.mock)
		}
	}
	return reps.Result(mocks), nil
}

// split finds the mappings in the input.
func split(data []byte) ([]json.RawMessage, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, generate.Inputf("mappings", "is empty")
	}
	switch data[0] {
	case '[':
		var list []json.RawMessage
		if err := json.Unmarshal(data, &list); err != nil {
			return nil, generate.Inputf("mappings", "is not a JSON array of stub mappings: %v", err)
		}
		return list, nil
	case '{':
		var top map[string]json.RawMessage
		if err := json.Unmarshal(data, &top); err != nil {
			return nil, generate.Inputf("mappings", "is not a JSON object: %v", err)
		}
		if raw, ok := top["mappings"]; ok {
			var list []json.RawMessage
			if err := json.Unmarshal(raw, &list); err != nil {
				return nil, generate.Inputf("mappings", "must be an array of stub mappings: %v", err)
			}
			return list, nil
		}
		if _, ok := top["request"]; !ok {
			return nil, generate.Inputf("mappings", "is neither a stub mapping (no \"request\") nor {\"mappings\": [...]}")
		}
		return []json.RawMessage{data}, nil
	}
	return nil, generate.Inputf("mappings", "must be a JSON object or array")
}

type translator struct {
	opts Options
	ids  *imports.IDs
}

// stub is one mapping while it is translated.
type stub struct {
	rep  *StubReport
	mock *model.Mock
	// scenario fields, and the request as canonical JSON (sequences of one
	// request are recognised by it).
	scenario, required, next string
	hasRequired, hasNext     bool
	request                  string
}

func (t *translator) stub(index int, raw json.RawMessage) *stub {
	o := newObj(raw)
	if o == nil {
		s := &stub{rep: imports.NewReport(index, "")}
		s.rep.Skip("the mapping is not a JSON object: no mock made")
		return s
	}
	name, _ := o.str("name")
	label := name
	for _, k := range []string{"uuid", "id"} {
		if v, ok := o.str(k); ok && v != "" {
			label = v
		}
	}
	s := &stub{rep: imports.NewReport(index, label)}
	if label == "" {
		label = fmt.Sprint(index)
	}
	if name == "" {
		name = label
	}
	o.ignore("persistent", "insertionIndex")
	req := o.sub("request")
	resp := o.sub("response")
	switch {
	case req == nil:
		s.rep.Skip("the mapping has no request object: no mock made")
		return s
	case resp == nil:
		s.rep.Skip("the mapping has no response object: no mock made")
		return s
	}
	s.request = canonical(o.m["request"])
	st := &stubT{rep: s.rep}
	httpCtx, rc := st.request(req)
	if httpCtx == nil {
		return s
	}
	m := &model.Mock{
		ID:        t.ids.Make(name),
		Namespace: t.opts.Namespace,
		Tags:      []string{"imported", "wiremock"},
		HTTP:      httpCtx,
	}
	if !st.response(resp, m, rc) {
		return s
	}
	st.webhooks(o, m, rc)
	if p, ok := o.num("priority"); ok {
		m.Priority = Priority(int64(p))
	}
	s.scenario, _ = o.str("scenarioName")
	s.required, s.hasRequired = o.str("requiredScenarioState")
	s.next, s.hasNext = o.str("newScenarioState")
	if s.scenario == "" && (s.hasRequired || s.hasNext) {
		s.rep.Skip("requiredScenarioState and newScenarioState without a scenarioName")
	}
	if o.has("metadata") {
		o.raw("metadata")
		s.rep.Note("metadata (free-form data of the stub, no behaviour) is not carried")
	}
	for _, k := range o.rest() {
		s.rep.Skip("the mapping field %q is not translated", k)
	}
	s.mock = m
	s.rep.MockIDs = append(s.rep.MockIDs, m.ID)
	return s
}

// canonical re-encodes a JSON value with sorted keys and no spacing.
func canonical(raw json.RawMessage) string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// stubT translates the parts of one stub and files what it cannot carry.
type stubT struct {
	rep *StubReport
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

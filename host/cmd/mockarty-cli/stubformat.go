package main

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/mockarty-oss/mockarty/host/internal/generate/imports"
	"github.com/mockarty-oss/mockarty/host/internal/generate/mockoon"
	"github.com/mockarty-oss/mockarty/host/internal/generate/wiremock"
	"github.com/mockarty-oss/mockarty/host/internal/model"
)

// stubMocks turns one stub file into mocks; notes say what could not be
// carried over. base names the file, for ids it needs.
func stubMocks(data []byte, format, namespace, base string) ([]*model.Mock, []string, error) {
	if format == formatAuto {
		format = sniffFormat(data)
	}
	switch format {
	case formatMockarty:
		data = bytes.TrimSpace(data)
		if len(data) > 0 && data[0] == '[' || bytes.Contains(data[:min(len(data), 64)], []byte(`"mocks"`)) {
			ms, err := model.DecodeMocks(data)
			return ms, nil, err
		}
		m, err := model.DecodeMock(data)
		if err != nil {
			return nil, nil, err
		}
		return []*model.Mock{m}, nil, nil
	}
	var res *imports.Result
	var err error
	switch format {
	case formatWireMock:
		res, err = wiremock.Translate(data, wiremock.Options{Namespace: namespace, IDPrefix: "wm-" + base})
	case formatMockoon:
		res, err = mockoon.Translate(data, mockoon.Options{Namespace: namespace, IDPrefix: "mockoon-" + base})
	default:
		return nil, nil, fmt.Errorf("unknown stub format %q", format)
	}
	if err != nil {
		return nil, nil, err
	}
	var notes []string
	for _, st := range res.Stubs {
		for _, u := range st.Untranslated {
			notes = append(notes, st.Stub+": "+u)
		}
	}
	return res.Mocks, notes, nil
}

// sniffFormat tells a Mockoon environment ("routes" and "lastMigration" or
// "uuid"), a WireMock mapping or mapping list ("request" and "response",
// or "mappings") and a Mockarty mock apart.
func sniffFormat(data []byte) string {
	var probe map[string]json.RawMessage
	if json.Unmarshal(data, &probe) != nil {
		return formatMockarty // arrays of Mockarty mocks, or let it report the error
	}
	_, routes := probe["routes"]
	_, migration := probe["lastMigration"]
	_, mappings := probe["mappings"]
	_, req := probe["request"]
	_, resp := probe["response"]
	_, ctxHTTP := probe["http"]
	switch {
	case routes && migration:
		return formatMockoon
	case mappings || (req && resp && !ctxHTTP):
		return formatWireMock
	}
	return formatMockarty
}

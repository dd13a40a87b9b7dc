// Package imports holds what the translators of other mock tools' files
// (WireMock stub mappings, Mockoon environments) share: the result and its
// per-stub report, and the writing of Mockarty templates, conditions and
// routes for what those tools say alike. Nothing a translator cannot carry
// over is dropped silently: it goes into the stub's report.
package imports

import (
	"fmt"
	"strconv"

	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/host/internal/model"
)

// Result is what a translation gives: the mocks, and one report per stub
// (WireMock mapping, Mockoon route) in the order of the input. A stub that
// became no mock still has its report, saying why.
type Result struct {
	Mocks []*model.Mock `json:"mocks"`
	Stubs []StubReport  `json:"stubs"`
}

// Reports gathers the reports while a translation runs; Result copies them.
type Reports []*StubReport

// Result pairs the mocks with copies of the reports.
func (rs Reports) Result(mocks []*model.Mock) *Result {
	res := &Result{Mocks: mocks, Stubs: make([]StubReport, len(rs))}
	if res.Mocks == nil {
		res.Mocks = []*model.Mock{}
	}
	for i, r := range rs {
		res.Stubs[i] = *r
	}
	return res
}

// StubReport tells what became of one stub of the input.
type StubReport struct {
	// Stub names the stub: its id, uuid or name, else "#<index>".
	Stub string `json:"stub"`
	// Index is the stub's position in the input (from 0); -1 for the
	// report of a whole file (a Mockoon environment's own settings).
	Index int `json:"index"`
	// MockIDs are the mocks the stub became (none, one, or several when
	// alternatives were split or a sequence was merged).
	MockIDs []string `json:"mockIds"`
	// Untranslated lists what the mocks do not do that the stub did.
	Untranslated []string `json:"untranslated,omitempty"`
	// Notes lists what was translated with a difference worth knowing.
	Notes []string `json:"notes,omitempty"`
}

// NewReport starts the report of the stub at index; name may be empty.
func NewReport(index int, name string) *StubReport {
	if name == "" {
		name = "#" + strconv.Itoa(index)
	}
	return &StubReport{Stub: name, Index: index, MockIDs: []string{}}
}

// Skip records something the mocks do not do.
func (r *StubReport) Skip(format string, args ...any) {
	r.Untranslated = appendOnce(r.Untranslated, fmt.Sprintf(format, args...))
}

// Note records a difference of what was translated.
func (r *StubReport) Note(format string, args ...any) {
	r.Notes = appendOnce(r.Notes, fmt.Sprintf(format, args...))
}

// Problems adds what a template or condition writer found, as untranslated.
func (r *StubReport) Problems(where string, problems []string) {
	for _, p := range problems {
		r.Skip("%s: %s", where, p)
	}
}

func appendOnce(list []string, s string) []string {
	for _, e := range list {
		if e == s {
			return list
		}
	}
	return append(list, s)
}

// IDs hands out mock ids: generate.MockID of a prefix and a stub's name,
// made unique within one translation (two stubs may share a name).
type IDs struct {
	prefix string
	used   map[string]bool
}

// NewIDs starts the ids of one translation.
func NewIDs(prefix string) *IDs { return &IDs{prefix: prefix, used: map[string]bool{}} }

// Make is the id for parts, with "-2", "-3"... when it was given already.
func (s *IDs) Make(parts ...string) string {
	base := generate.MockID(s.prefix, parts...)
	id := base
	for n := 2; s.used[id]; n++ {
		id = generate.MockID(base, strconv.Itoa(n))
	}
	s.used[id] = true
	return id
}

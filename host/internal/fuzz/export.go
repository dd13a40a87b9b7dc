package fuzz

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/model"
)

// Export formats.
var exportFormats = map[string]string{
	"json":  "application/json",
	"csv":   "text/csv; charset=utf-8",
	"sarif": "application/sarif+json",
	"junit": "application/xml",
}

// ExportFilter selects the findings of an export (empty lists: all).
type ExportFilter struct {
	Format   string   `json:"format"`
	Severity []string `json:"severity"`
	Status   []string `json:"status"`
	RunID    string   `json:"runId"`
}

// Check says what is wrong with a filter.
func (f *ExportFilter) Check() error {
	f.Format = strings.ToLower(strings.TrimSpace(f.Format))
	if f.Format == "" {
		f.Format = "json"
	}
	if exportFormats[f.Format] == "" {
		return &model.FieldError{Field: "format", Message: "one of json, csv, sarif, junit"}
	}
	for _, s := range f.Severity {
		if severityRank(s) > 4 {
			return &model.FieldError{Field: "severity", Message: "critical, high, medium, low or info"}
		}
	}
	for _, s := range f.Status {
		if !validStatus(s) {
			return &model.FieldError{Field: "status", Message: "one of " + strings.Join(TriageStatuses, ", ")}
		}
	}
	return nil
}

func (f *ExportFilter) keep(x *Finding) bool {
	in := func(list []string, v string) bool {
		if len(list) == 0 {
			return true
		}
		for _, s := range list {
			if s == v {
				return true
			}
		}
		return false
	}
	return in(f.Severity, x.Severity) && in(f.Status, x.TriagedStatus)
}

// Export writes findings in a format: the bytes and their content type.
func Export(list []Finding, f ExportFilter) ([]byte, string, error) {
	kept := make([]Finding, 0, len(list))
	for i := range list {
		if f.keep(&list[i]) {
			kept = append(kept, list[i])
		}
	}
	var b []byte
	var err error
	switch f.Format {
	case "csv":
		b, err = exportCSV(kept)
	case "sarif":
		b, err = json.MarshalIndent(sarif(kept), "", "  ")
	case "junit":
		b, err = exportJUnit(kept)
	default:
		b, err = json.MarshalIndent(kept, "", "  ")
	}
	return b, exportFormats[f.Format], err
}

func exportCSV(list []Finding) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"id", "runId", "severity", "category", "title", "method", "url", "status", "count", "triagedStatus",
		"createdAt", "fingerprint"})
	for _, f := range list {
		_ = w.Write([]string{f.ID, f.RunID, f.Severity, f.Category, f.Title, f.RequestMethod, f.RequestURL,
			strconv.Itoa(f.ResponseStatus), strconv.FormatInt(f.Count, 10), f.TriagedStatus, f.CreatedAt, f.Fingerprint})
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// sarifLevel maps a severity to a SARIF result level.
func sarifLevel(sev string) string {
	switch sev {
	case "critical", "high":
		return "error"
	case "medium":
		return "warning"
	}
	return "note"
}

// sarif is the findings as a SARIF 2.1.0 log: one rule per category, one
// result per finding, located at the request's URL, with the finding's
// fingerprint so code-scanning tools track it across runs.
func sarif(list []Finding) map[string]any {
	rules := map[string]bool{}
	results := make([]map[string]any, 0, len(list))
	for _, f := range list {
		rules[f.Category] = true
		results = append(results, map[string]any{
			"ruleId":  f.Category,
			"level":   sarifLevel(f.Severity),
			"message": map[string]any{"text": f.Title + ": " + f.Description},
			"locations": []any{map[string]any{"physicalLocation": map[string]any{
				"artifactLocation": map[string]any{"uri": f.RequestURL}}}},
			"partialFingerprints": map[string]string{"mockartyFinding/v1": f.Fingerprint},
			"properties": map[string]any{"severity": f.Severity, "findingId": f.ID, "runId": f.RunID, "method": f.RequestMethod,
				"responseStatus": f.ResponseStatus, "count": f.Count, "mutation": f.MutationApplied, "triagedStatus": f.TriagedStatus},
		})
	}
	names := make([]string, 0, len(rules))
	for r := range rules {
		names = append(names, r)
	}
	sort.Strings(names)
	ruleList := make([]map[string]any, 0, len(names))
	for _, r := range names {
		ruleList = append(ruleList, map[string]any{"id": r, "name": r, "shortDescription": map[string]any{"text": "Fuzzing check: " + r}})
	}
	return map[string]any{
		"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
		"version": "2.1.0",
		"runs": []any{map[string]any{
			"tool": map[string]any{"driver": map[string]any{"name": "Mockarty fuzzer", "informationUri": "https://mockarty.ru",
				"rules": ruleList}},
			"results": results,
		}},
	}
}

type junitSuite struct {
	XMLName  xml.Name    `xml:"testsuite"`
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

func exportJUnit(list []Finding) ([]byte, error) {
	s := junitSuite{Name: "mockarty fuzzing", Tests: len(list), Failures: len(list)}
	for _, f := range list {
		s.Cases = append(s.Cases, junitCase{Name: f.Title, ClassName: f.Category, Failure: &junitFailure{
			Message: f.Description, Type: f.Severity,
			Text: fmt.Sprintf("%s %s -> %d\n%s", f.RequestMethod, f.RequestURL, f.ResponseStatus, f.MutationApplied)}})
	}
	b, err := xml.MarshalIndent(s, "", "  ")
	return append([]byte(xml.Header), b...), err
}

package tester

import (
	"archive/zip"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/jstemmer/go-junit-report/v2/junit"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/sdk/postman"
)

// Report formats of a run's export.
var reportTypes = map[string]string{
	"json":         "application/json",
	"unified_json": "application/json",
	"junit":        "application/xml",
	"html":         "text/html; charset=utf-8",
	"markdown":     "text/markdown; charset=utf-8",
	"allure_json":  "application/json",
	"allure_zip":   "application/zip",
}

// ReportContentType is the media type of a format, or "" when unknown.
func ReportContentType(format string) string { return reportTypes[format] }

// ReportFormats lists the formats, for error messages.
const ReportFormats = "json (unified_json), junit, html, markdown, allure_json, allure_zip"

// WriteReport writes a run's report in a format, reading its steps a page
// at a time.
func (s *Service) WriteReport(ctx context.Context, t *store.Task, format string, w io.Writer) error {
	bw := bufio.NewWriter(w)
	var err error
	switch format {
	case "", "json", "unified_json":
		err = s.writeJSON(ctx, t, bw)
	case "junit":
		err = s.writeJUnit(ctx, t, bw)
	case "html":
		err = s.writeHTML(ctx, t, bw)
	case "markdown":
		err = s.writeMarkdown(ctx, t, bw)
	case "allure_json":
		err = s.writeAllureJSON(ctx, t, bw)
	case "allure_zip":
		err = s.writeAllureZip(ctx, t, bw)
	default:
		return fieldErr("format", "%q is not a report format (%s)", format, ReportFormats)
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

// writeJSON writes {"run": row, "results": [steps]}, the document
// /reports/import reads back.
func (s *Service) writeJSON(ctx context.Context, t *store.Task, w io.Writer) error {
	row, _ := json.Marshal(TestRunRow(t, false))
	if _, err := fmt.Fprintf(w, "{\"format\":\"mockarty-test-run\",\"run\":%s,\"results\":", row); err != nil {
		return err
	}
	err := writeArray(w, func(item func(v any) error) error {
		return s.EachStep(ctx, t.ID, func(_ int, st *postman.Step) error { return item(st) })
	})
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, "}\n")
	return err
}

// writeArray writes the values each hands to item as one JSON array,
// one at a time.
func writeArray(w io.Writer, each func(item func(v any) error) error) error {
	if _, err := io.WriteString(w, "["); err != nil {
		return err
	}
	n := 0
	err := each(func(v any) error {
		if n++; n > 1 {
			if _, err := io.WriteString(w, ","); err != nil {
				return err
			}
		}
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	})
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, "]")
	return err
}

func seconds(ms float64) string { return strconv.FormatFloat(ms/1000, 'f', 3, 64) }

// writeJUnit writes one testsuite per request step and one testcase per
// test, as newman's JUnit reporter does; a request that failed without
// tests is one errored testcase.
func (s *Service) writeJUnit(ctx context.Context, t *store.Task, w io.Writer) error {
	suites := junit.Testsuites{Name: t.Name}
	err := s.EachStep(ctx, t.ID, func(i int, st *postman.Step) error {
		name := st.Name
		if len(st.Path) > 0 {
			name = strings.Join(st.Path, " / ") + " / " + st.Name
		}
		suite := junit.Testsuite{Name: name, ID: i, Time: seconds(float64(st.DurationMs)), Package: t.Name}
		suite.SetTimestamp(time.UnixMilli(st.StartedAt))
		class := strings.ReplaceAll(t.Name+"."+name, " ", "")
		for _, tr := range st.Tests {
			tc := junit.Testcase{Name: tr.Name, Classname: class, Time: "0.000"}
			switch {
			case tr.Skipped:
				tc.Skipped = &junit.Result{Message: "skipped"}
			case !tr.Passed:
				tc.Failure = &junit.Result{Message: tr.Error, Type: "AssertionFailure", Data: tr.Error}
			}
			suite.AddTestcase(tc)
		}
		if st.Error != "" {
			suite.AddTestcase(junit.Testcase{Name: "request", Classname: class, Time: seconds(float64(st.DurationMs)),
				Error: &junit.Result{Message: st.Error, Type: "RequestError", Data: st.Error}})
		}
		suites.AddSuite(suite)
		return nil
	})
	if err != nil {
		return err
	}
	c := CountsOf(t)
	suites.Time = seconds(float64(durationOf(t, c)))
	if _, err := io.WriteString(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"); err != nil {
		return err
	}
	return suites.WriteXML(w)
}

var htmlReport = template.Must(template.New("report").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Run.name}}: test run</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}.passed{color:#17742b}.failed,.error{color:#b00020}.skipped{color:#777}</style>
</head><body>
<h1>{{.Run.name}}</h1>
<p>Status <b class="{{.Run.status}}">{{.Run.status}}</b> &middot; {{.Run.passedTests}} of {{.Run.totalTests}} tests passed, {{.Run.failedTests}} failed, {{.Run.skippedTests}} skipped &middot; {{.Run.completedRequests}} requests &middot; {{.Run.duration}} ms{{if .Run.environment}} &middot; environment {{.Run.environment}}{{end}}</p>
<table><thead><tr><th>#</th><th>Request</th><th>Status</th><th>Response</th><th>Tests</th></tr></thead><tbody>
{{range .Steps}}<tr><td>{{.N}}</td><td>{{.Name}}<br><small>{{.Method}} {{.URL}}</small></td><td class="{{.Status}}">{{.Status}}{{if .Error}}<br>{{.Error}}{{end}}</td><td>{{.Code}} &middot; {{.TimeMs}} ms</td><td>{{range .Tests}}<div class="{{if .Skipped}}skipped{{else if .Passed}}passed{{else}}failed{{end}}">{{if .Passed}}&#10003;{{else}}&#10007;{{end}} {{.Name}}{{if .Error}}: {{.Error}}{{end}}</div>{{end}}</td></tr>
{{end}}</tbody></table>
</body></html>
`))

type htmlStep struct {
	N                                int
	Name, Method, URL, Status, Error string
	Code                             int
	TimeMs                           string
	Tests                            []postman.TestResult
}

func (s *Service) writeHTML(ctx context.Context, t *store.Task, w io.Writer) error {
	var steps []htmlStep
	err := s.EachStep(ctx, t.ID, func(i int, st *postman.Step) error {
		h := htmlStep{N: i + 1, Name: st.Name, Status: st.Status, Error: st.Error, Tests: st.Tests}
		if st.Request != nil {
			h.Method, h.URL = st.Request.Method, st.Request.URL
		}
		if st.Response != nil {
			h.Code, h.TimeMs = st.Response.Code, strconv.FormatFloat(st.Response.TimeMs, 'f', 1, 64)
		}
		steps = append(steps, h)
		return nil
	})
	if err != nil {
		return err
	}
	return htmlReport.Execute(w, map[string]any{"Run": TestRunRow(t, false), "Steps": steps})
}

func (s *Service) writeMarkdown(ctx context.Context, t *store.Task, w io.Writer) error {
	c := CountsOf(t)
	fmt.Fprintf(w, "# %s\n\nStatus: **%s**. %d of %d tests passed, %d failed, %d skipped; %d requests in %d ms.\n\n",
		t.Name, t.Status, c.PassedTests, c.TotalTests, c.FailedTests, c.SkippedTests, c.CompletedRequests, durationOf(t, c))
	fmt.Fprintln(w, "| # | Request | Status | Tests |\n|---|---|---|---|")
	return s.EachStep(ctx, t.ID, func(i int, st *postman.Step) error {
		var tests []string
		for _, tr := range st.Tests {
			mark := "✓"
			if !tr.Passed {
				mark = "✗"
			}
			tests = append(tests, mark+" "+mdCell(tr.Name))
		}
		_, err := fmt.Fprintf(w, "| %d | %s | %s | %s |\n", i+1, mdCell(st.Name), st.Status, strings.Join(tests, "<br>"))
		return err
	})
}

func mdCell(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ").Replace(s)
}

// ImportReport stores a run from the JSON document WriteReport writes
// (also accepted: a bare run row with results), so runs can move between
// servers.
func (s *Service) ImportReport(ctx context.Context, namespace, userID string, doc []byte) (*store.Task, error) {
	var in struct {
		Run     map[string]json.RawMessage `json:"run"`
		Results []postman.Step             `json:"results"`
	}
	if err := json.Unmarshal(doc, &in); err != nil {
		return nil, &model.FieldError{Field: "data", Message: "not a test-run report: " + err.Error(), Malformed: true}
	}
	if in.Run == nil {
		var bare map[string]json.RawMessage
		if json.Unmarshal(doc, &bare) == nil && bare["status"] != nil {
			in.Run = bare
		} else {
			return nil, fieldErr("data", "not a test-run report: want {\"run\": {...}, \"results\": [...]} as the export writes")
		}
	}
	str := func(k string) string { return Stringify(in.Run[k]) }
	num := func(k string) int64 {
		n, _ := strconv.ParseInt(Stringify(in.Run[k]), 10, 64)
		return n
	}
	status := str("status")
	switch status {
	case store.TaskCompleted, store.TaskFailed, store.TaskCancelled:
	default:
		status = store.TaskCompleted
	}
	c := Counts{CollectionIDs: []string{}, Environment: str("environment")}
	if id := str("collectionId"); id != "" {
		c.CollectionIDs = []string{id}
	}
	t := &store.Task{ID: newID(), Namespace: namespace, Mode: ModeFunctional, Name: nonEmpty(str("name"), "imported run"),
		Status: status, Message: "imported", UserID: userID, TriggeredBy: "import", StartedMs: num("startedAt"), FinishedMs: num("finishedAt")}
	items := make([]store.TaskItem, 0, len(in.Results))
	for i := range in.Results {
		st := &in.Results[i]
		b, _ := json.Marshal(st)
		items = append(items, store.TaskItem{TaskID: t.ID, Seq: int64(i + 1), Kind: postman.ItemStep, Document: string(b)})
		c.CompletedRequests++
		for _, tr := range st.Tests {
			c.TotalTests++
			switch {
			case tr.Skipped:
				c.SkippedTests++
			case tr.Passed:
				c.PassedTests++
			default:
				c.FailedTests++
			}
		}
		if st.Status == postman.StepFailed {
			c.FailedRequests++
		}
	}
	c.TotalRequests, c.Progress, c.DurationMs = c.CompletedRequests, 100, num("duration")
	t.Summary = mustJSON(c)
	if err := s.st.PutTask(ctx, t); err != nil {
		return nil, err
	}
	if err := s.st.AddTaskItems(ctx, items); err != nil {
		return nil, err
	}
	return t, nil
}

// allureResult is one test as an Allure 2 result file describes it.
type allureResult struct {
	UUID          string            `json:"uuid"`
	HistoryID     string            `json:"historyId"`
	Name          string            `json:"name"`
	FullName      string            `json:"fullName"`
	Status        string            `json:"status"`
	Stage         string            `json:"stage"`
	Start         int64             `json:"start"`
	Stop          int64             `json:"stop"`
	StatusDetails map[string]string `json:"statusDetails,omitempty"`
	Labels        []allureLabel     `json:"labels"`
}

type allureLabel struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// allureResults are a run's tests as Allure results, one per test (a
// request that failed without tests is one broken result). Their ids come
// from the run and the position, so the report is byte-stable.
func (s *Service) allureResults(ctx context.Context, t *store.Task, fn func(r *allureResult) error) error {
	n := 0
	return s.EachStep(ctx, t.ID, func(i int, st *postman.Step) error {
		suite := st.Name
		if len(st.Path) > 0 {
			suite = strings.Join(st.Path, " / ")
		}
		emit := func(name, status, message string) error {
			n++
			full := t.Name + " / " + st.Name + " / " + name
			r := &allureResult{UUID: stableID(t.ID, n), HistoryID: stableID(full, 0), Name: name, FullName: full, Status: status,
				Stage: "finished", Start: st.StartedAt, Stop: st.StartedAt + st.DurationMs,
				Labels: []allureLabel{{"parentSuite", t.Name}, {"suite", suite}, {"subSuite", st.Name}, {"framework", "mockarty"}}}
			if message != "" {
				r.StatusDetails = map[string]string{"message": message}
			}
			return fn(r)
		}
		for _, tr := range st.Tests {
			status := "passed"
			switch {
			case tr.Skipped:
				status = "skipped"
			case !tr.Passed:
				status = "failed"
			}
			if err := emit(tr.Name, status, tr.Error); err != nil {
				return err
			}
		}
		if st.Error != "" {
			return emit("request", "broken", st.Error)
		}
		return nil
	})
}

// stableID is a UUID-shaped id derived from text and a number.
func stableID(text string, n int) string {
	sum := sha256.Sum256([]byte(text + "#" + strconv.Itoa(n)))
	h := hex.EncodeToString(sum[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func (s *Service) writeAllureJSON(ctx context.Context, t *store.Task, w io.Writer) error {
	err := writeArray(w, func(item func(v any) error) error {
		return s.allureResults(ctx, t, func(r *allureResult) error { return item(r) })
	})
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, "\n")
	return err
}

// writeAllureZip writes an allure-results folder as a zip: one
// <uuid>-result.json per test, with fixed file times.
func (s *Service) writeAllureZip(ctx context.Context, t *store.Task, w io.Writer) error {
	zw := zip.NewWriter(w)
	mod := time.UnixMilli(t.StartedMs).UTC()
	err := s.allureResults(ctx, t, func(r *allureResult) error {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: r.UUID + "-result.json", Method: zip.Deflate, Modified: mod})
		if err != nil {
			return err
		}
		return json.NewEncoder(f).Encode(r)
	})
	if err != nil {
		return err
	}
	return zw.Close()
}

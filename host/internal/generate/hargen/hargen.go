// Package hargen makes HTTP mocks from a HAR 1.2 file (what a browser's
// developer tools, Playwright or a proxy record): one mock per distinct
// request, matching that request (path, method, query, body) and answering
// what was recorded, volatile headers and secrets left out.
package hargen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/host/internal/model"
)

// Bounds on what one file makes.
const (
	// MaxEntries is how many entries of log.entries are read.
	MaxEntries = 5000
	// MaxBodyBytes is the largest request or response body carried over:
	// an entry with a larger one is skipped.
	MaxBodyBytes = 1 << 20
)

// Redacted replaces the value of a secret in payloads and headers.
const Redacted = "REDACTED"

// Input is what to generate from.
type Input struct {
	Namespace string
	// IDPrefix starts every mock id; default "har-<namespace>", as mock ids
	// are unique across namespaces and one file may be generated into
	// several.
	IDPrefix   string
	ServerName string
	// PathPrefix is put before every recorded path.
	PathPrefix string
	// OneOf keeps every answer of a request recorded several times, served
	// in the recorded order; without it the first answer is kept.
	OneOf bool
	HAR   []byte
}

// Result is the generated mocks and what could not be carried over.
type Result struct {
	Mocks    []*model.Mock
	Warnings []string
}

// The HAR 1.2 shapes read (http://www.softwareishard.com/blog/har-12-spec/);
// everything else in the file is ignored.
type harFile struct {
	Log *struct {
		Version *string            `json:"version"`
		Entries *[]json.RawMessage `json:"entries"`
	} `json:"log"`
}

// Entry is one exchange of log.entries.
type Entry struct {
	StartedDateTime string        `json:"startedDateTime"`
	Request         EntryRequest  `json:"request"`
	Response        EntryResponse `json:"response"`
}

// EntryRequest is an entry's request.
type EntryRequest struct {
	Method      string      `json:"method"`
	URL         string      `json:"url"`
	HTTPVersion string      `json:"httpVersion"`
	Headers     []NameValue `json:"headers"`
	PostData    *PostData   `json:"postData"`
}

// PostData is a request's body: its text, or for a form the fields the
// recorder kept.
type PostData struct {
	MimeType string  `json:"mimeType"`
	Text     string  `json:"text"`
	Params   []Param `json:"params"`
}

// Param is a posted form field (a file field names its file).
type Param struct {
	Name        string `json:"name"`
	Value       string `json:"value"`
	FileName    string `json:"fileName"`
	ContentType string `json:"contentType"`
}

// EntryResponse is an entry's response.
type EntryResponse struct {
	Status     int         `json:"status"`
	StatusText string      `json:"statusText"`
	Headers    []NameValue `json:"headers"`
	Content    Content     `json:"content"`
}

// Content is a response's body as recorded.
type Content struct {
	Size     int64   `json:"size"`
	MimeType string  `json:"mimeType"`
	Text     *string `json:"text"`
	Encoding string  `json:"encoding"`
}

// NameValue is a header (or query parameter).
type NameValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Generate makes the mocks, in the order their requests were first made.
func Generate(in Input) (*Result, error) {
	if len(bytes.TrimSpace(in.HAR)) == 0 {
		return nil, generate.Inputf("spec", "is required: the HAR file (JSON), as spec or harContent, or as the multipart file")
	}
	entries, bad, err := Read(in.HAR)
	if err != nil {
		return nil, err
	}
	if in.IDPrefix == "" {
		in.IDPrefix = "har-" + in.Namespace
	}
	g := &gen{in: in, prefix: strings.TrimRight(in.PathPrefix, "/"), res: &Result{}, byKey: map[string]*group{},
		hostsOf: map[string][]string{}, pathHosts: map[string][]string{}, redacted: map[string]map[string]bool{}}
	for _, b := range bad {
		g.warn("%s", b)
	}
	if len(entries) > MaxEntries {
		g.warn("the file has %d entries: the first %d (by start time) are read", len(entries), MaxEntries)
		entries = entries[:MaxEntries]
	}
	for _, e := range entries {
		g.entry(e)
	}
	g.finish()
	if len(g.res.Mocks) == 0 {
		msg := "log.entries holds no request that can be mocked"
		if len(g.res.Warnings) > 0 {
			msg += ": " + g.res.Warnings[0]
		}
		return nil, generate.Inputf("spec", "%s", msg)
	}
	return g.res, nil
}

// Recorded is an entry with its place in log.entries (for warnings) and
// its start time (zero when the recorder wrote none).
type Recorded struct {
	Index int
	Entry Entry
	Start time.Time
}

// Read reads a HAR file's entries, sorted by start time (recorders write
// them as requests finish), and says why entries it cannot read are
// skipped (skipped names each by its place: "log.entries[3]: ..."). A
// file that is not HAR is a *generate.InputError on field "spec".
func Read(doc []byte) (entries []Recorded, skipped []string, err error) {
	if len(bytes.TrimSpace(doc)) == 0 {
		return nil, nil, generate.Inputf("spec", "is empty: a HAR file (JSON) is expected")
	}
	var f harFile
	if err := json.Unmarshal(doc, &f); err != nil {
		return nil, nil, generate.Inputf("spec", "is not HAR 1.2 JSON: %s", jsonWhere(doc, err))
	}
	switch {
	case f.Log == nil:
		return nil, nil, generate.Inputf("spec", "is not a HAR file: it has no \"log\" object")
	case f.Log.Version != nil && *f.Log.Version != "" && *f.Log.Version != "1.2" && *f.Log.Version != "1.1":
		return nil, nil, generate.Inputf("spec", "log.version is %q: HAR 1.2 (or 1.1) is read", *f.Log.Version)
	case f.Log.Entries == nil:
		return nil, nil, generate.Inputf("spec", "is not a HAR file: log.entries is missing")
	case len(*f.Log.Entries) == 0:
		return nil, nil, generate.Inputf("spec", "log.entries is empty: the file recorded no requests")
	}
	raw := *f.Log.Entries
	out := make([]Recorded, 0, min(len(raw), MaxEntries+1))
	for i, r := range raw {
		var e Entry
		if err := json.Unmarshal(r, &e); err != nil {
			skipped = append(skipped, fmt.Sprintf("log.entries[%d]: %s", i, entryErr(err)))
			continue
		}
		t, _ := time.Parse(time.RFC3339Nano, e.StartedDateTime)
		out = append(out, Recorded{Index: i, Entry: e, Start: t})
	}
	if len(out) == 0 {
		return nil, nil, generate.Inputf("spec", "no entry of log.entries is a HAR entry: %s", skipped[0])
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].Start.IsZero() || out[b].Start.IsZero() {
			return false // a recorder without times: the file's order
		}
		return out[a].Start.Before(out[b].Start)
	})
	return out, skipped, nil
}

// jsonWhere turns a JSON error into "line L, column C: message".
func jsonWhere(data []byte, err error) string {
	line, col, ok := generate.JSONPosition(data, err)
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field != "" {
			err = fmt.Errorf("%s is a JSON %s, want %s", te.Field, te.Value, kindName(te.Type.String()))
		} else {
			err = fmt.Errorf("the file is a JSON %s, want an object", te.Value)
		}
	}
	if !ok {
		return err.Error()
	}
	return fmt.Sprintf("line %d, column %d: %v", line, col, err)
}

func entryErr(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s is a JSON %s, want %s; skipped", te.Field, te.Value, kindName(te.Type.String()))
	}
	return err.Error() + "; skipped"
}

func kindName(t string) string {
	switch {
	case t == "string" || strings.HasSuffix(t, "*string"):
		return "a string"
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "float"):
		return "a number"
	case strings.Contains(t, "[]"):
		return "an array"
	}
	return "an object"
}

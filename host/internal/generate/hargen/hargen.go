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

type harEntry struct {
	StartedDateTime string      `json:"startedDateTime"`
	Request         harRequest  `json:"request"`
	Response        harResponse `json:"response"`
}

type harRequest struct {
	Method   string    `json:"method"`
	URL      string    `json:"url"`
	PostData *postData `json:"postData"`
}

type postData struct {
	MimeType string `json:"mimeType"`
	Text     string `json:"text"`
	Params   []nv   `json:"params"`
}

type harResponse struct {
	Status  int     `json:"status"`
	Headers []nv    `json:"headers"`
	Content content `json:"content"`
}

type content struct {
	Size     int64   `json:"size"`
	MimeType string  `json:"mimeType"`
	Text     *string `json:"text"`
	Encoding string  `json:"encoding"`
}

type nv struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Generate makes the mocks, in the order their requests were first made.
func Generate(in Input) (*Result, error) {
	entries, bad, err := parse(in.HAR)
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

// indexed is an entry with its place in log.entries (for warnings).
type indexed struct {
	i     int
	entry harEntry
	start time.Time
}

// parse reads the file's entries, sorted by start time (recorders write
// them as requests finish), or says where the file is not HAR.
func parse(doc []byte) (entries []indexed, bad []string, err error) {
	if len(bytes.TrimSpace(doc)) == 0 {
		return nil, nil, generate.Inputf("spec", "is required: the HAR file (JSON), as spec or harContent, or as the multipart file")
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
	out := make([]indexed, 0, min(len(raw), MaxEntries+1))
	for i, r := range raw {
		var e harEntry
		if err := json.Unmarshal(r, &e); err != nil {
			bad = append(bad, fmt.Sprintf("log.entries[%d]: %s", i, entryErr(err)))
			continue
		}
		t, _ := time.Parse(time.RFC3339Nano, e.StartedDateTime)
		out = append(out, indexed{i: i, entry: e, start: t})
	}
	if len(out) == 0 {
		return nil, nil, generate.Inputf("spec", "no entry of log.entries is a HAR entry: %s", bad[0])
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].start.IsZero() || out[b].start.IsZero() {
			return false // a recorder without times: the file's order
		}
		return out[a].start.Before(out[b].start)
	})
	return out, bad, nil
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

// Command peerctl is the helper of bench/peers.sh: it loads equivalent stubs
// into Mockarty, WireMock and Mountebank, waits for a stub's first 200, and
// turns the results CSV into the markdown table of docs/benchmarks.md.
//
//	peerctl setup -kind K -url ADMIN [-imposter PORT]     the static and the templated stub
//	peerctl stubs -kind K -url ADMIN -from A -to N        stubs r(A+1)..rN (GET /api/r<i>)
//	peerctl wait  -url URL -since UNIXNANO [-timeout D]   polls URL until 200, prints ms since UNIXNANO
//	peerctl table -in results.csv                          the markdown table
//	peerctl summary -in results.csv                        one line per server: how req/s falls with N
//
// Every stub answers {"message":"Hello, World!"} (the bare handler's bytes)
// with Content-Type application/json.
package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

const staticBody = `{"message":"Hello, World!"}`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: peerctl setup|stubs|wait|table [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "setup", "stubs":
		err = load(os.Args[1], os.Args[2:])
	case "wait":
		err = wait(os.Args[2:])
	case "table":
		err = table(os.Args[2:])
	case "summary":
		err = summary(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "peerctl:", err)
		os.Exit(1)
	}
}

// ---- loading stubs ----

var client = &http.Client{Timeout: 10 * time.Minute}

func load(cmd string, args []string) error {
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	kind := fs.String("kind", "", "mockarty | wiremock | mountebank")
	base := fs.String("url", "", "admin base URL, e.g. http://127.0.0.1:5770")
	from := fs.Int("from", 0, "stubs already loaded (r1..r<from>)")
	to := fs.Int("to", 0, "load up to r<to>")
	chunk := fs.Int("chunk", 5000, "stubs per request (Mockarty, WireMock)")
	imposter := fs.Int("imposter", 0, "Mountebank imposter port")
	fs.Parse(args)
	if cmd == "setup" {
		*from, *to = 0, 0
	}
	switch *kind {
	case "mockarty":
		if cmd == "setup" {
			return post(*base+"/api/v1/mocks/batch", "POST", []any{mockartyStatic(), mockartyTemplated()})
		}
		for a := *from; a < *to; a += *chunk {
			b := min(a+*chunk, *to)
			mocks := make([]any, 0, b-a)
			for i := a + 1; i <= b; i++ {
				mocks = append(mocks, mockartyStub(i))
			}
			if err := post(*base+"/api/v1/mocks/batch", "POST", mocks); err != nil {
				return err
			}
		}
		return nil
	case "wiremock":
		if cmd == "setup" {
			return post(*base+"/__admin/mappings/import", "POST", wiremockImport([]any{wiremockStatic(), wiremockTemplated()}))
		}
		for a := *from; a < *to; a += *chunk {
			b := min(a+*chunk, *to)
			maps := make([]any, 0, b-a)
			for i := a + 1; i <= b; i++ {
				maps = append(maps, wiremockStub(i))
			}
			if err := post(*base+"/__admin/mappings/import", "POST", wiremockImport(maps)); err != nil {
				return err
			}
		}
		return nil
	case "mountebank":
		// PUT /imposters replaces every imposter: the whole set is sent each time.
		if *imposter == 0 {
			return errors.New("-imposter is required for mountebank")
		}
		stubs := []any{mountebankStatic(), mountebankTemplated()}
		for i := 1; i <= *to; i++ {
			stubs = append(stubs, mountebankStub(i))
		}
		return post(*base+"/imposters", "PUT", map[string]any{"imposters": []any{map[string]any{
			"port": *imposter, "protocol": "http", "host": "127.0.0.1", "recordRequests": false,
			"defaultResponse": map[string]any{"statusCode": 404, "body": `{"error":"no stub matched"}`,
				"headers": mbHeader},
			"stubs": stubs,
		}}})
	}
	return fmt.Errorf("unknown -kind %q", *kind)
}

func post(url, method string, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		if len(b) > 500 {
			b = b[:500]
		}
		return fmt.Errorf("%s %s: %s: %s", method, url, resp.Status, b)
	}
	return nil
}

// Mockarty: the same two mocks as bench/stubs.sh.
func mockartyStatic() any {
	return json.RawMessage(`{"id":"static","http":{"route":"/api/static","httpMethod":"GET"},
 "response":{"statusCode":200,"payload":{"message":"Hello, World!"}}}`)
}

func mockartyTemplated() any {
	return json.RawMessage(`{"id":"templated","http":{"route":"/api/templated","httpMethod":"GET",
 "header":[{"path":"Authorization","assertAction":"matches","value":"^Bearer .+$"}],
 "queryParams":[{"path":"limit","assertAction":"equals","value":10},{"path":"format","assertAction":"equals","value":"json"}]},
 "response":{"statusCode":200,"payload":{"id":"$.fake.UUID","name":"$.fake.FirstName","email":"$.fake.Email","limit":"$.queryParams.limit"}}}`)
}

func mockartyStub(i int) any {
	return map[string]any{
		"id":       "r" + strconv.Itoa(i),
		"http":     map[string]any{"route": "/api/r" + strconv.Itoa(i), "httpMethod": "GET"},
		"response": map[string]any{"statusCode": 200, "payload": map[string]any{"message": "Hello, World!"}},
	}
}

// WireMock: exact URL stubs; the templated one uses response templating
// (randomValue, pickRandom, request.query) and header and query matchers.
var jsonHeader = map[string]any{"Content-Type": "application/json"}

// Mountebank closes the connection after each answer unless told otherwise.
var mbHeader = map[string]any{"Content-Type": "application/json", "Connection": "keep-alive"}

func wiremockImport(maps []any) any {
	return map[string]any{"mappings": maps,
		"importOptions": map[string]any{"duplicatePolicy": "OVERWRITE", "deleteAllNotInImport": false}}
}

func wiremockStatic() any {
	return map[string]any{
		"request":  map[string]any{"method": "GET", "url": "/api/static"},
		"response": map[string]any{"status": 200, "headers": jsonHeader, "body": staticBody},
	}
}

func wiremockTemplated() any {
	return map[string]any{
		"request": map[string]any{
			"method": "GET", "urlPath": "/api/templated",
			"headers": map[string]any{"Authorization": map[string]any{"matches": "^Bearer .+$"}},
			"queryParameters": map[string]any{
				"limit":  map[string]any{"equalTo": "10"},
				"format": map[string]any{"equalTo": "json"},
			},
		},
		"response": map[string]any{
			"status": 200, "headers": jsonHeader, "transformers": []string{"response-template"},
			"body": `{"id":"{{randomValue type='UUID'}}","name":"{{pickRandom 'James' 'Mary' 'Robert' 'Patricia' 'John' 'Jennifer'}}",` +
				`"limit":{{request.query.limit}},"email":"{{randomValue length=10 type='ALPHANUMERIC' lowercase=true}}@example.com"}`,
		},
	}
}

func wiremockStub(i int) any {
	return map[string]any{
		"request":  map[string]any{"method": "GET", "url": "/api/r" + strconv.Itoa(i)},
		"response": map[string]any{"status": 200, "headers": jsonHeader, "body": staticBody},
	}
}

// Mountebank: equals predicates; the templated one adds a matches predicate on
// the header and answers from an injected function (needs --allowInjection).
func mountebankStatic() any { return mountebankPath("/api/static") }

func mountebankStub(i int) any { return mountebankPath("/api/r" + strconv.Itoa(i)) }

func mountebankPath(path string) any {
	return map[string]any{
		"predicates": []any{map[string]any{"equals": map[string]any{"method": "GET", "path": path}}},
		"responses":  []any{map[string]any{"is": map[string]any{"statusCode": 200, "headers": mbHeader, "body": staticBody}}},
	}
}

const mountebankInject = `function (config) {
  var names = ['James', 'Mary', 'Robert', 'Patricia', 'John', 'Jennifer'];
  var hex = function (n) { var s = ''; for (var i = 0; i < n; i++) { s += Math.floor(Math.random() * 16).toString(16); } return s; };
  var id = hex(8) + '-' + hex(4) + '-4' + hex(3) + '-' + '89ab'[Math.floor(Math.random() * 4)] + hex(3) + '-' + hex(12);
  var name = names[Math.floor(Math.random() * names.length)];
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'application/json', 'Connection': 'keep-alive' },
    body: JSON.stringify({ id: id, name: name, email: name.toLowerCase() + '.' + hex(6) + '@example.com', limit: Number(config.request.query.limit) })
  };
}`

func mountebankTemplated() any {
	return map[string]any{
		"predicates": []any{
			map[string]any{"equals": map[string]any{"method": "GET", "path": "/api/templated",
				"query": map[string]any{"limit": "10", "format": "json"}}},
			map[string]any{"matches": map[string]any{"headers": map[string]any{"Authorization": "^Bearer .+$"}}},
		},
		"responses": []any{map[string]any{"inject": mountebankInject}},
	}
}

// ---- waiting for the first 200 ----

func wait(args []string) error {
	fs := flag.NewFlagSet("wait", flag.ExitOnError)
	url := fs.String("url", "", "URL to poll")
	since := fs.Int64("since", 0, "start time, Unix nanoseconds (date +%s%N)")
	timeout := fs.Duration("timeout", 120*time.Second, "give up after")
	header := fs.String("header", "", "one request header, \"Name: value\"")
	fs.Parse(args)
	c := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(*timeout)
	for {
		req, _ := http.NewRequest("GET", *url, nil)
		if k, v, ok := strings.Cut(*header, ":"); ok {
			req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
		}
		resp, err := c.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: no 200 within %s (last error %v)", *url, *timeout, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if *since > 0 {
		fmt.Printf("%.0f\n", float64(time.Now().UnixNano()-*since)/1e6)
	}
	return nil
}

// ---- the markdown table ----

// A results row, as bench/peers.sh writes it:
// server,case,n,rps,p50_ms,p99_ms,rss_kb,non2xx,errors,status
type row struct {
	server, kase, status string
	n                    int
	rps, p50, p99        float64
	rss                  int64
	non2xx, errs         int64
}

func readRows(path string) ([]row, map[string]map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, nil, err
	}
	var rows []row
	extra := map[string]map[string]string{} // server -> key -> value (startup, load times)
	for _, r := range recs[1:] {
		if r[1] == "startup" || strings.HasPrefix(r[1], "load") {
			if extra[r[0]] == nil {
				extra[r[0]] = map[string]string{}
			}
			extra[r[0]][r[1]] = r[3] + "|" + r[9]
			continue
		}
		x := row{server: r[0], kase: r[1], status: r[9]}
		x.n, _ = strconv.Atoi(r[2])
		x.rps, _ = strconv.ParseFloat(r[3], 64)
		x.p50, _ = strconv.ParseFloat(r[4], 64)
		x.p99, _ = strconv.ParseFloat(r[5], 64)
		x.rss, _ = strconv.ParseInt(r[6], 10, 64)
		x.non2xx, _ = strconv.ParseInt(r[7], 10, 64)
		x.errs, _ = strconv.ParseInt(r[8], 10, 64)
		rows = append(rows, x)
	}
	return rows, extra, nil
}

var serverNames = map[string]string{
	"bare":       "bare Fiber handler",
	"mockarty":   "Mockarty `/stubs`",
	"plugin":     "Mockarty HTTP plugin",
	"wiremock":   "WireMock",
	"mountebank": "Mountebank",
}

var serverOrder = []string{"bare", "mockarty", "plugin", "wiremock", "mountebank"}

func caseName(r row) string {
	switch r.kase {
	case "static":
		return "1 static stub"
	case "templated":
		return "templated (fakers + conditions)"
	case "miss":
		return "miss (404)"
	case "random":
		if r.server == "bare" {
			return "random path (reference)"
		}
		return commas(float64(r.n)) + " stubs, random hit"
	}
	return r.kase
}

func table(args []string) error {
	fs := flag.NewFlagSet("table", flag.ExitOnError)
	in := fs.String("in", "", "results CSV")
	fs.Parse(args)
	rows, extra, err := readRows(*in)
	if err != nil {
		return err
	}
	var bareStatic, bareRandom *row
	for _, r := range rows {
		if r.server == "bare" && r.kase == "static" {
			bareStatic = &r
		}
		if r.server == "bare" && r.kase == "random" {
			bareRandom = &r
		}
	}
	if bareStatic == nil {
		return errors.New("no bare static row")
	}
	if bareRandom == nil {
		bareRandom = bareStatic
	}
	caseOrder := map[string]int{"static": 0, "templated": 1, "miss": 2, "random": 3}
	srvOrder := map[string]int{}
	for i, s := range serverOrder {
		srvOrder[s] = i
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if caseOrder[a.kase] != caseOrder[b.kase] {
			return caseOrder[a.kase] < caseOrder[b.kase]
		}
		if a.n != b.n && a.server != "bare" && b.server != "bare" {
			return a.n < b.n
		}
		if (a.server == "bare") != (b.server == "bare") {
			return a.server == "bare"
		}
		return srvOrder[a.server] < srvOrder[b.server]
	})
	var w strings.Builder
	fmt.Fprintln(&w, "| case | server | req/s | p50 | p99 | RSS after | non-2xx / errors |")
	fmt.Fprintln(&w, "|---|---|---:|---:|---:|---:|---:|")
	for _, r := range rows {
		ref := bareStatic
		if r.kase == "random" {
			ref = bareRandom
		}
		name := serverNames[r.server]
		if r.server == "bare" {
			name = "**" + name + "**"
		}
		if r.status != "ok" {
			fmt.Fprintf(&w, "| %s | %s | %s | | | %s | |\n", caseName(r), name, r.status, mib(r.rss, ref.rss))
			continue
		}
		fmt.Fprintf(&w, "| %s | %s | %s (%s) | %s (%.2fx) | %s (%.2fx) | %s | %s |\n", caseName(r), name,
			commas(r.rps), ratio(r.rps/ref.rps), ms(r.p50), r.p50/ref.p50, ms(r.p99), r.p99/ref.p99,
			mib(r.rss, ref.rss), commas(float64(r.non2xx))+" / "+commas(float64(r.errs)))
	}
	// Start-up and loading times.
	fmt.Fprintln(&w)
	loads := map[string]bool{}
	for _, m := range extra {
		for k := range m {
			if strings.HasPrefix(k, "load") {
				loads[k] = true
			}
		}
	}
	var loadKeys []string
	for k := range loads {
		loadKeys = append(loadKeys, k)
	}
	sort.Slice(loadKeys, func(i, j int) bool {
		a, _ := strconv.Atoi(strings.TrimPrefix(loadKeys[i], "load"))
		b, _ := strconv.Atoi(strings.TrimPrefix(loadKeys[j], "load"))
		return a < b
	})
	fmt.Fprint(&w, "| server | start-up to first served stub |")
	for _, k := range loadKeys {
		n, _ := strconv.Atoi(strings.TrimPrefix(k, "load"))
		fmt.Fprintf(&w, " loading up to %s stubs |", commas(float64(n)))
	}
	fmt.Fprintln(&w)
	fmt.Fprint(&w, "|---|---:|")
	for range loadKeys {
		fmt.Fprint(&w, "---:|")
	}
	fmt.Fprintln(&w)
	bareStart := 0.0
	if v, ok := extra["bare"]["startup"]; ok {
		bareStart, _ = strconv.ParseFloat(strings.Split(v, "|")[0], 64)
	}
	for _, s := range serverOrder {
		m, ok := extra[s]
		if !ok {
			continue
		}
		cell := func(k string, ratio bool) string {
			v, ok := m[k]
			if !ok {
				return ""
			}
			val, status, _ := strings.Cut(v, "|")
			if status != "ok" {
				return status
			}
			f, _ := strconv.ParseFloat(val, 64)
			if ratio && bareStart > 0 {
				return fmt.Sprintf("%s (%.1fx)", dur(f), f/bareStart)
			}
			return dur(f)
		}
		fmt.Fprintf(&w, "| %s | %s |", serverNames[s], cell("startup", true))
		for _, k := range loadKeys {
			fmt.Fprintf(&w, " %s |", cell(k, false))
		}
		fmt.Fprintln(&w)
	}
	_, err = os.Stdout.WriteString(w.String())
	return err
}

// ratio formats a ratio to the bare handler with two decimals, or two
// significant digits below 0.01 (0.00087x rather than 0.00x).
func ratio(r float64) string {
	if r > 0 && r < 0.01 {
		return fmt.Sprintf("%.2gx", r)
	}
	return fmt.Sprintf("%.2fx", r)
}

func commas(f float64) string {
	s := strconv.FormatInt(int64(f+0.5), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func ms(v float64) string {
	switch {
	case v >= 1000:
		return fmt.Sprintf("%.2f s", v/1000)
	case v >= 100:
		return fmt.Sprintf("%.0f ms", v)
	case v >= 10:
		return fmt.Sprintf("%.1f ms", v)
	}
	return fmt.Sprintf("%.2f ms", v)
}

// dur formats milliseconds.
func dur(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%.1f s", v/1000)
	}
	return fmt.Sprintf("%.0f ms", v)
}

func mib(kb, ref int64) string {
	if kb <= 0 {
		return ""
	}
	s := fmt.Sprintf("%.0f MiB", float64(kb)/1024)
	if ref > 0 {
		s += fmt.Sprintf(" (%.1fx)", float64(kb)/float64(ref))
	}
	return s
}

// summary prints, for each server, how its req/s goes from the single static
// stub to the largest number of stubs it was measured with, and where it stalled.
func summary(args []string) error {
	fs := flag.NewFlagSet("summary", flag.ExitOnError)
	in := fs.String("in", "", "results CSV")
	fs.Parse(args)
	rows, _, err := readRows(*in)
	if err != nil {
		return err
	}
	var bare, bareRandom float64
	for _, r := range rows {
		if r.server == "bare" && r.kase == "static" {
			bare = r.rps
		}
		if r.server == "bare" && r.kase == "random" {
			bareRandom = r.rps
		}
	}
	for _, s := range serverOrder[1:] {
		var static, last *row
		stall := ""
		for _, r := range rows {
			if r.server != s {
				continue
			}
			r := r
			switch {
			case r.kase == "static" && r.status == "ok":
				static = &r
			case r.kase == "random" && r.status == "ok" && (last == nil || r.n > last.n):
				last = &r
			case r.kase == "random" && strings.HasPrefix(r.status, "stalled") && stall == "":
				stall = fmt.Sprintf("; %s at %s stubs", r.status, commas(float64(r.n)))
			}
		}
		if static == nil {
			continue
		}
		line := fmt.Sprintf("- %s: %s req/s with one static stub (%s the bare handler)", serverNames[s], commas(static.rps), ratio(static.rps/bare))
		if last != nil {
			line += fmt.Sprintf(", %s req/s with a random one of %s stubs (%s the bare handler under the same script)",
				commas(last.rps), commas(float64(last.n)), ratio(last.rps/bareRandom))
		}
		fmt.Println(line + stall + ".")
	}
	return nil
}

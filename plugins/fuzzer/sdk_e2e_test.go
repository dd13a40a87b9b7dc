package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

// The Go SDK's types, as its fuzzing client and fuzz.Runner decode them
// (model-tools §3.2-3.5): times are time.Time, so they must be RFC 3339.
type (
	sdkFuzzSeed struct {
		ID          string            `json:"id"`
		Name        string            `json:"name"`
		Method      string            `json:"method"`
		URL         string            `json:"url"`
		Path        string            `json:"path"`
		Body        string            `json:"body"`
		ContentType string            `json:"contentType"`
		Headers     map[string]string `json:"headers"`
		QueryParams map[string]string `json:"queryParams"`
		PathParams  map[string]string `json:"pathParams"`
	}
	sdkFuzzOptions struct {
		Concurrency      int               `json:"concurrency"`
		MaxRPS           int               `json:"maxRps"`
		MaxRequests      int64             `json:"maxRequests"`
		MaxDuration      string            `json:"maxDuration"`
		TimeoutPerReq    string            `json:"timeoutPerReq"`
		MutationDepth    int               `json:"mutationDepth"`
		StopOnCritical   bool              `json:"stopOnCritical"`
		StopOnFinding    bool              `json:"stopOnFinding"`
		FollowRedirects  bool              `json:"followRedirects"`
		VerifyFindings   bool              `json:"verifyFindings"`
		StatusCodeAlerts []int             `json:"statusCodeAlerts"`
		CustomHeaders    map[string]string `json:"customHeaders"`
	}
	sdkFuzzConfig struct {
		ID                string         `json:"id"`
		Name              string         `json:"name"`
		Namespace         string         `json:"namespace"`
		SourceType        string         `json:"sourceType"`
		TargetBaseURL     string         `json:"targetBaseUrl"`
		Strategy          string         `json:"strategy"`
		PayloadCategories []string       `json:"payloadCategories"`
		SeedRequests      []sdkFuzzSeed  `json:"seedRequests"`
		Options           sdkFuzzOptions `json:"options"`
		Protocol          string         `json:"protocol"`
		Mutators          []struct {
			Name string `json:"name"`
		} `json:"mutators"`
		SDK       map[string]string `json:"sdk"`
		SortOrder int               `json:"sortOrder"`
		CreatedAt time.Time         `json:"createdAt"`
		UpdatedAt time.Time         `json:"updatedAt"`
	}
	sdkFuzzRun struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	sdkFuzzResult struct {
		ID                  string     `json:"id"`
		RunID               string     `json:"runId"`
		ConfigID            string     `json:"configId"`
		Status              string     `json:"status"`
		TotalRequests       int64      `json:"totalRequests"`
		TotalFindings       int        `json:"totalFindings"`
		CriticalFindings    int        `json:"criticalFindings"`
		QuarantinedFindings int        `json:"quarantinedFindings"`
		StartedAt           time.Time  `json:"startedAt"`
		CompletedAt         *time.Time `json:"completedAt"`
		DurationMs          int64      `json:"durationMs"`
	}
	sdkFinding struct {
		ID             string    `json:"id"`
		RunID          string    `json:"runId"`
		Severity       string    `json:"severity"`
		Category       string    `json:"category"`
		Title          string    `json:"title"`
		RequestMethod  string    `json:"requestMethod"`
		RequestURL     string    `json:"requestUrl"`
		ResponseStatus int       `json:"responseStatus"`
		ReproduceCount int64     `json:"reproduceCount"`
		Reproducible   bool      `json:"reproducible"`
		TriagedStatus  string    `json:"triagedStatus"`
		CreatedAt      time.Time `json:"createdAt"`
	}
	sdkFuzzEvent struct {
		Kind              string      `json:"kind"`
		Timestamp         time.Time   `json:"timestamp"`
		Message           string      `json:"message"`
		TotalRequests     int64       `json:"totalRequests"`
		CompletedRequests int64       `json:"completedRequests"`
		RequestsPerSecond float64     `json:"requestsPerSecond"`
		Finding           *sdkFinding `json:"finding"`
	}
	sdkQuarantineEntry struct {
		ID              string    `json:"id"`
		Namespace       string    `json:"namespace"`
		Fingerprint     string    `json:"fingerprint"`
		Category        string    `json:"category"`
		EndpointPattern string    `json:"endpointPattern"`
		Title           string    `json:"title"`
		Reason          string    `json:"reason"`
		SourceFindingID string    `json:"sourceFindingId"`
		CreatedBy       string    `json:"createdBy"`
		CreatedAt       time.Time `json:"createdAt"`
	}
	sdkFuzzSchedule struct {
		ID              string    `json:"id"`
		Namespace       string    `json:"namespace"`
		ConfigID        string    `json:"configId"`
		Name            string    `json:"name"`
		CronExpression  string    `json:"cronExpression"`
		Enabled         bool      `json:"enabled"`
		NotifyOnFailure bool      `json:"notifyOnFailure"`
		NextRunAt       time.Time `json:"nextRunAt"`
		LastRunAt       time.Time `json:"lastRunAt"`
		CreatedAt       time.Time `json:"createdAt"`
		UpdatedAt       time.Time `json:"updatedAt"`
	}
)

// sdkCall sends v as the Go SDK does (every field marshalled) and decodes
// the answer into out; a body the SDK's types cannot read fails the test.
func sdkCall(t *testing.T, h *plugintest.HostProc, method, path string, v any, want int, out any) []byte {
	t.Helper()
	body := ""
	if v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		body = string(b)
	}
	data := h.Do(t, method, path, body, want)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: the Go SDK could not decode the answer: %v\n%s", method, path, err, data)
		}
	}
	return data
}

// sdkWait is fuzz.Runner.Wait: poll the result until a terminal status.
func sdkWait(t *testing.T, h *plugintest.HostProc, id string) sdkFuzzResult {
	t.Helper()
	var res sdkFuzzResult
	plugintest.Eventually(t, 2*time.Minute, func() bool {
		sdkCall(t, h, http.MethodGet, "/api/v1/fuzzing/results/"+id, nil, http.StatusOK, &res)
		switch strings.ToLower(res.Status) {
		case "completed", "failed", "cancelled", "stopped", "error":
			return true
		}
		return false
	}, "run %s ends", id)
	return res
}

// sdkStream is fuzz.Runner.Stream: read the data lines of the run's event
// stream until the server closes it.
func sdkStream(t *testing.T, h *plugintest.HostProc, id string, during func(e sdkFuzzEvent)) []sdkFuzzEvent {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.URL+"/api/v1/fuzzing/run/"+id+"/stream", nil)
	req.Header.Set("Accept", "text/event-stream")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var out []sdkFuzzEvent
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok || data == "[DONE]" {
			continue
		}
		var e sdkFuzzEvent
		if err := json.Unmarshal([]byte(data), &e); err != nil {
			t.Fatalf("an event the SDK cannot read: %v\n%s", err, data)
		}
		out = append(out, e)
		if during != nil {
			during(e)
		}
	}
	return out
}

// TestGoSDKFuzzing drives the server with the Go SDK's calls
// (model-tools §10.1): configs and their order, fuzz.Runner's submit,
// stream, wait and stop, findings in bulk and their analysis, the
// quarantine (which later runs honour), schedules that fire, and a
// mock's definition as a source.
func TestGoSDKFuzzing(t *testing.T) {
	_, h, base := withTarget(t, plugintest.HostOptions{})
	search := sdkFuzzConfig{Name: "search", Namespace: "sandbox", SourceType: "manual", TargetBaseURL: base, Strategy: "security",
		PayloadCategories: []string{"sqli", "xss"}, Protocol: "http", SDK: map[string]string{"sdk": "mockarty-go", "version": "wave3.fuzz.v1"},
		SeedRequests: []sdkFuzzSeed{{ID: "s", Method: "GET", Path: "/api/products", QueryParams: map[string]string{"q": "phone"}},
			{ID: "g", Method: "GET", Path: "/api/greet", QueryParams: map[string]string{"name": "world"}, Headers: map[string]string{"Accept": "text/html"}}},
		Options: sdkFuzzOptions{TimeoutPerReq: "5s", VerifyFindings: true}}

	// Configs: created with zero values everywhere, listed, reordered.
	var cfg sdkFuzzConfig
	sdkCall(t, h, http.MethodPost, "/api/v1/fuzzing/configs", search, http.StatusCreated, &cfg)
	if cfg.ID == "" || cfg.CreatedAt.IsZero() || cfg.Protocol != "http" || cfg.SDK["sdk"] != "mockarty-go" {
		t.Fatalf("created config: %+v", cfg)
	}
	var other sdkFuzzConfig
	sdkCall(t, h, http.MethodPost, "/api/v1/fuzzing/configs", sdkFuzzConfig{Name: "another", TargetBaseURL: base,
		SeedRequests: []sdkFuzzSeed{{ID: "a", Path: "/api/greet"}}}, http.StatusCreated, &other)
	var ordered []sdkFuzzConfig
	sdkCall(t, h, http.MethodPost, "/api/v1/fuzzing/configs/reorder", map[string]any{"ids": []string{other.ID, cfg.ID}}, http.StatusOK, &ordered)
	var list []sdkFuzzConfig
	sdkCall(t, h, http.MethodGet, "/api/v1/fuzzing/configs", nil, http.StatusOK, &list)
	if len(ordered) != 2 || len(list) != 2 || list[0].ID != other.ID || list[1].ID != cfg.ID || list[1].SortOrder != 1 {
		t.Fatalf("configs after reorder: %+v", list)
	}
	h.Post(t, "/api/v1/fuzzing/configs/reorder", `{"ids": ["nope"]}`, http.StatusUnprocessableEntity)

	// fuzz.Runner: submit the full config, stream it to its end, wait.
	var run sdkFuzzRun
	sdkCall(t, h, http.MethodPost, "/api/v1/fuzzing/run", search, http.StatusCreated, &run)
	events := sdkStream(t, h, run.ID, nil)
	kinds := map[string]int{}
	var found []*sdkFinding
	for _, e := range events {
		kinds[e.Kind]++
		if e.Timestamp.IsZero() {
			t.Errorf("event without a timestamp: %+v", e)
		}
		if e.Kind == "finding" {
			found = append(found, e.Finding)
		}
	}
	last := events[len(events)-1]
	if last.Kind != "complete" || kinds["complete"] != 1 || kinds["finding"] != 2 || last.CompletedRequests < 10 {
		t.Fatalf("stream events: %v, last %+v", kinds, last)
	}
	res := sdkWait(t, h, run.ID)
	if res.Status != "completed" || res.TotalFindings != 2 || res.CompletedAt == nil || res.ID != run.ID || res.RunID != run.ID {
		t.Fatalf("result: %+v", res)
	}
	var results []sdkFuzzResult
	sdkCall(t, h, http.MethodGet, "/api/v1/fuzzing/results", nil, http.StatusOK, &results)
	var summary map[string]any
	sdkCall(t, h, http.MethodGet, "/api/v1/fuzzing/summary", nil, http.StatusOK, &summary)
	if len(results) != 1 || summary["totalFindings"] != float64(2) {
		t.Fatalf("results %+v, summary %v", results, summary)
	}
	var findings []sdkFinding
	sdkCall(t, h, http.MethodGet, "/api/v1/fuzzing/findings?runId="+run.ID, nil, http.StatusOK, &findings)
	if len(findings) != 2 || findings[0].CreatedAt.IsZero() || found[0].ID == "" {
		t.Fatalf("findings: %+v", findings)
	}
	byCat := map[string]sdkFinding{}
	for _, f := range findings {
		byCat[f.Category] = f
	}
	sqli, xss := byCat["sqli"], byCat["xss"]
	if sqli.ID == "" || xss.ID == "" {
		t.Fatalf("findings: %+v", findings)
	}

	// Analysis by rules: what it is, how sure, what to do.
	var an map[string]any
	sdkCall(t, h, http.MethodPost, "/api/v1/fuzzing/findings/"+sqli.ID+"/analyze", nil, http.StatusOK, &an)
	if an["cwe"] != "CWE-89" || an["confidence"] != "high" || an["suggestedStatus"] != "confirmed" || an["engine"] != "rules" {
		t.Fatalf("analysis: %v", an)
	}
	var batchAn struct {
		Analyses []map[string]any `json:"analyses"`
		NotFound int              `json:"notFound"`
	}
	sdkCall(t, h, http.MethodPost, "/api/v1/fuzzing/findings/batch-analyze", map[string]any{"ids": []string{sqli.ID, xss.ID, "nope"}}, http.StatusOK, &batchAn)
	if len(batchAn.Analyses) != 2 || batchAn.NotFound != 1 || batchAn.Analyses[1]["cwe"] == batchAn.Analyses[0]["cwe"] {
		t.Fatalf("batch analysis: %+v", batchAn)
	}
	// Batch triage: the suggested statuses, or the one given.
	var bt struct {
		Updated int              `json:"updated"`
		Results []map[string]any `json:"results"`
	}
	sdkCall(t, h, http.MethodPost, "/api/v1/fuzzing/findings/batch-triage", map[string]any{"ids": []string{sqli.ID, xss.ID}}, http.StatusOK, &bt)
	if bt.Updated != 2 || bt.Results[0]["status"] != "confirmed" {
		t.Fatalf("batch triage: %+v", bt)
	}
	var upd struct {
		Updated int `json:"updated"`
	}
	sdkCall(t, h, http.MethodPost, "/api/v1/fuzzing/findings/batch-manual-triage",
		map[string]any{"ids": []string{sqli.ID, xss.ID}, "status": "accepted", "note": "known"}, http.StatusOK, &upd)
	var got sdkFinding
	sdkCall(t, h, http.MethodGet, "/api/v1/fuzzing/findings/"+sqli.ID, nil, http.StatusOK, &got)
	if upd.Updated != 2 || got.TriagedStatus != "accepted" {
		t.Fatalf("manual triage: %+v %+v", upd, got)
	}
	h.Post(t, "/api/v1/fuzzing/findings/batch-manual-triage", `{"ids": ["x"], "status": "maybe"}`, http.StatusUnprocessableEntity)

	// Quarantine: the XSS finding is quarantined; a new run does not
	// report it again, but counts it.
	var q sdkQuarantineEntry
	sdkCall(t, h, http.MethodPost, "/api/v1/fuzzing/quarantine/from-finding", map[string]any{"findingId": xss.ID, "reason": "test page"},
		http.StatusCreated, &q)
	if q.SourceFindingID != xss.ID || q.Fingerprint == "" || q.EndpointPattern != "GET /api/greet" || q.CreatedAt.IsZero() {
		t.Fatalf("quarantine entry: %+v", q)
	}
	var manual sdkQuarantineEntry
	sdkCall(t, h, http.MethodPost, "/api/v1/fuzzing/quarantine", sdkQuarantineEntry{Category: "ssti", EndpointPattern: "POST /api/*",
		Reason: "by hand"}, http.StatusCreated, &manual)
	h.Post(t, "/api/v1/fuzzing/quarantine", `{"reason": "nothing to match"}`, http.StatusUnprocessableEntity)
	var page struct {
		Entries []sdkQuarantineEntry `json:"entries"`
		Total   int                  `json:"total"`
	}
	sdkCall(t, h, http.MethodGet, "/api/v1/fuzzing/quarantine?limit=1&offset=0", nil, http.StatusOK, &page)
	if page.Total != 2 || len(page.Entries) != 1 {
		t.Fatalf("quarantine page: %+v", page)
	}
	sdkCall(t, h, http.MethodPost, "/api/v1/fuzzing/run", search, http.StatusCreated, &run)
	res = sdkWait(t, h, run.ID)
	sdkCall(t, h, http.MethodGet, "/api/v1/fuzzing/findings?runId="+run.ID, nil, http.StatusOK, &findings)
	if res.TotalFindings != 1 || res.QuarantinedFindings != 1 || len(findings) != 1 || findings[0].Category != "sqli" {
		t.Fatalf("a run with the XSS quarantined: %+v %+v", res, findings)
	}
	var from struct{ Created, Triaged, Failed int }
	sdkCall(t, h, http.MethodPost, "/api/v1/fuzzing/quarantine/from-findings", map[string]any{"findingIds": []string{findings[0].ID, "nope"},
		"reason": "accepted risk"}, http.StatusOK, &from)
	sdkCall(t, h, http.MethodGet, "/api/v1/fuzzing/findings/"+findings[0].ID, nil, http.StatusOK, &got)
	if from.Created != 1 || from.Triaged != 1 || from.Failed != 1 || got.TriagedStatus != "false_positive" {
		t.Fatalf("from findings: %+v, finding %+v", from, got)
	}
	sdkCall(t, h, http.MethodGet, "/api/v1/fuzzing/quarantine?limit=50&offset=0", nil, http.StatusOK, &page)
	h.Do(t, http.MethodDelete, "/api/v1/fuzzing/quarantine/"+manual.ID, "", http.StatusOK)
	var del struct {
		Deleted int `json:"deleted"`
	}
	sdkCall(t, h, http.MethodPost, "/api/v1/fuzzing/quarantine/batch-delete", map[string]any{"ids": []string{page.Entries[0].ID, page.Entries[1].ID, page.Entries[2].ID}},
		http.StatusOK, &del)
	if page.Total != 3 || del.Deleted != 2 {
		t.Fatalf("quarantine deletes: %d entries, %+v", page.Total, del)
	}

	// Batch delete of findings.
	sdkCall(t, h, http.MethodDelete, "/api/v1/fuzzing/findings/batch", map[string]any{"ids": []string{sqli.ID, xss.ID}}, http.StatusOK, &del)
	if del.Deleted != 2 {
		t.Fatalf("batch delete: %+v", del)
	}
	h.Get(t, "/api/v1/fuzzing/findings/"+sqli.ID, http.StatusNotFound)

	// Stop: a slow run (10 requests a second) is streamed, then stopped;
	// its stream ends with complete and the SDK reads "stopped".
	slow := search
	slow.Options.MaxRPS, slow.Options.MaxRequests = 10, 5000
	sdkCall(t, h, http.MethodPost, "/api/v1/fuzzing/run", slow, http.StatusCreated, &run)
	stopped := false
	events = sdkStream(t, h, run.ID, func(e sdkFuzzEvent) {
		if e.Kind == "progress" && e.CompletedRequests > 0 && !stopped {
			stopped = true
			sdkCall(t, h, http.MethodPost, "/api/v1/fuzzing/run/"+run.ID+"/stop", map[string]any{}, http.StatusOK, nil)
		}
	})
	if res = sdkWait(t, h, run.ID); res.Status != "stopped" || events[len(events)-1].Kind != "complete" || !stopped {
		t.Fatalf("a stopped run: %+v; %d events", res, len(events))
	}
	// The unified test runs' cancel stops a fuzz run too.
	sdkCall(t, h, http.MethodPost, "/api/v1/fuzzing/run", slow, http.StatusCreated, &run)
	h.Post(t, "/api/v1/api-tester/test-runs/"+run.ID+"/cancel", "", http.StatusOK)
	if res = sdkWait(t, h, run.ID); res.Status != "stopped" {
		t.Fatalf("cancelled through test-runs: %+v", res)
	}

	// Schedules: one that fires every second starts runs of its config.
	var sc sdkFuzzSchedule
	sdkCall(t, h, http.MethodPost, "/api/v1/fuzzing/schedules", sdkFuzzSchedule{ConfigID: other.ID, Name: "nightly",
		CronExpression: "@every 1s", Enabled: true}, http.StatusCreated, &sc)
	if sc.ID == "" || sc.Namespace != "sandbox" || sc.NextRunAt.IsZero() || sc.CreatedAt.IsZero() {
		t.Fatalf("schedule: %+v", sc)
	}
	plugintest.Eventually(t, time.Minute, func() bool {
		sdkCall(t, h, http.MethodGet, "/api/v1/fuzzing/schedules/"+sc.ID, nil, http.StatusOK, &sc)
		return !sc.LastRunAt.IsZero()
	}, "the schedule fires")
	sc.Enabled = false
	sdkCall(t, h, http.MethodPut, "/api/v1/fuzzing/schedules/"+sc.ID, sc, http.StatusOK, &sc)
	var scs []sdkFuzzSchedule
	sdkCall(t, h, http.MethodGet, "/api/v1/fuzzing/schedules", nil, http.StatusOK, &scs)
	if sc.Enabled || len(scs) != 1 || !scs[0].NextRunAt.IsZero() {
		t.Fatalf("a disabled schedule: %+v", scs)
	}
	var runs struct {
		Runs []map[string]any `json:"runs"`
	}
	sdkCall(t, h, http.MethodGet, "/api/v1/api-tester/test-runs?mode=fuzz&limit=50", nil, http.StatusOK, &runs)
	scheduled := 0
	for _, r := range runs.Runs {
		if r["triggeredBy"] == "schedule" && r["referenceId"] == other.ID {
			scheduled++
		}
	}
	if scheduled == 0 {
		t.Fatalf("no scheduled run among %v", runs.Runs)
	}
	h.Post(t, "/api/v1/fuzzing/schedules", `{"configId": "nope", "cronExpression": "@hourly"}`, http.StatusUnprocessableEntity)
	h.Post(t, "/api/v1/fuzzing/schedules", fmt.Sprintf(`{"configId": %q, "cronExpression": "every tuesday"}`, other.ID), http.StatusUnprocessableEntity)
	h.Do(t, http.MethodDelete, "/api/v1/fuzzing/schedules/"+sc.ID, "", http.StatusOK)
	h.Get(t, "/api/v1/fuzzing/schedules/"+sc.ID, http.StatusNotFound)
}

// TestFuzzImportMock: a mock's definition is the seed of a config that
// fuzzes the real service the mock stands for.
func TestFuzzImportMock(t *testing.T) {
	_, h, base := withTarget(t, plugintest.HostOptions{})
	h.Post(t, "/api/v1/mocks", `{"id": "products", "http": {"route": "/api/products", "httpMethod": "GET",
	  "queryParams": [{"path": "$.q", "assertAction": "equals", "value": "phone"}]},
	  "response": {"statusCode": 200, "payload": {"items": []}}}`, http.StatusCreated)
	h.Post(t, "/api/v1/mocks", `{"id": "orders", "http": {"route": "/api/orders/:id", "httpMethod": "POST",
	  "conditions": [{"path": "$.item.sku", "assertAction": "equals", "value": "A1"}, {"path": "$.qty", "assertAction": "equals", "value": 2}]},
	  "response": {"statusCode": 201}}`, http.StatusCreated)
	h.Post(t, "/api/v1/mocks", `{"id": "q", "kafka": {"topic": "orders"}, "response": {"payload": {}}}`, http.StatusCreated)

	var imp struct {
		ConfigID string   `json:"configId"`
		Count    int      `json:"count"`
		Warnings []string `json:"warnings"`
		Config   struct {
			SourceType   string        `json:"sourceType"`
			SeedRequests []sdkFuzzSeed `json:"seedRequests"`
		} `json:"config"`
	}
	body := fmt.Sprintf(`{"mockIds": ["products", "orders", "q"], "targetBaseUrl": %q, "strategy": "security"}`, base)
	if err := json.Unmarshal(h.Post(t, "/api/v1/fuzzing/import/mock", body, http.StatusCreated), &imp); err != nil || imp.Count != 2 ||
		imp.Config.SourceType != "mock" || len(imp.Warnings) != 1 || !strings.Contains(imp.Warnings[0], "not an HTTP mock") {
		t.Fatalf("mock import: %v %+v", err, imp)
	}
	seeds := imp.Config.SeedRequests
	if seeds[0].Path != "/api/products" || seeds[0].QueryParams["q"] != "phone" || seeds[1].Method != "POST" || seeds[1].Path != "/api/orders/1" ||
		seeds[1].Body != `{"item":{"sku":"A1"},"qty":2}` || seeds[1].ContentType != "application/json" {
		t.Fatalf("seeds from mocks: %+v", seeds)
	}
	var run sdkFuzzRun
	sdkCall(t, h, http.MethodPost, "/api/v1/fuzzing/run", map[string]any{"configId": imp.ConfigID, "payloadCategories": []string{"sqli"}},
		http.StatusCreated, &run)
	res := sdkWait(t, h, run.ID)
	var findings []sdkFinding
	sdkCall(t, h, http.MethodGet, "/api/v1/fuzzing/findings?runId="+run.ID, nil, http.StatusOK, &findings)
	if res.Status != "completed" || len(findings) != 1 || findings[0].Category != "sqli" || !strings.Contains(findings[0].RequestURL, "/api/products") {
		t.Fatalf("the mock config's run: %+v %+v", res, findings)
	}
	// The Go SDK's single mockId; an unknown one is 404.
	h.Post(t, "/api/v1/fuzzing/import/mock", fmt.Sprintf(`{"mockId": "products", "targetBaseUrl": %q}`, base), http.StatusCreated)
	h.Post(t, "/api/v1/fuzzing/import/mock", `{"mockId": "nope"}`, http.StatusNotFound)
	h.Post(t, "/api/v1/fuzzing/import/mock", `{"mockIds": ["q"]}`, http.StatusUnprocessableEntity)
	// Without a target, the mock itself on this server's /stubs.
	var self struct {
		Config struct {
			TargetBaseURL string `json:"targetBaseUrl"`
		} `json:"config"`
	}
	_ = json.Unmarshal(h.Post(t, "/api/v1/fuzzing/import/mock", `{"mockId": "products"}`, http.StatusCreated), &self)
	if !strings.HasSuffix(self.Config.TargetBaseURL, "/stubs/sandbox") {
		t.Fatalf("default target: %+v", self)
	}
}

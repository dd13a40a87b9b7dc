package fuzz

import (
	"fmt"
	"strings"
)

// Analysis explains a finding: what the weakness is, how sure the run is,
// what to do about it and the triage it suggests. The server has no
// language model: the analysis is made by rules from the finding's
// category and evidence (engine "rules"), so the same finding always gets
// the same analysis.
type Analysis struct {
	FindingID       string   `json:"findingId"`
	Engine          string   `json:"engine"`
	Category        string   `json:"category"`
	Severity        string   `json:"severity"`
	Summary         string   `json:"summary"`
	Impact          string   `json:"impact"`
	CWE             string   `json:"cwe,omitempty"`
	OWASP           string   `json:"owasp,omitempty"`
	Confidence      string   `json:"confidence"`
	Reasoning       []string `json:"reasoning"`
	Remediation     []string `json:"remediation"`
	References      []string `json:"references"`
	SuggestedStatus string   `json:"suggestedStatus"`
}

// weakness is what the rules know of a category.
type weakness struct {
	cwe, owasp, impact string
	fix                []string
}

var weaknesses = map[string]weakness{
	"sqli": {"CWE-89", "A03:2021 Injection", "An attacker can read or change the database behind the endpoint.",
		[]string{"Pass every input to the database as a bound parameter (prepared statements); never build SQL by concatenation.",
			"Do not return database error text to clients; log it server-side.",
			"Give the service's database user only the rights it needs."}},
	"xss": {"CWE-79", "A03:2021 Injection", "An attacker's script runs in a victim's browser with the site's origin.",
		[]string{"Encode output for its context (HTML body, attribute, JavaScript, URL) with the template engine's auto-escaping.",
			"Send a Content-Security-Policy that forbids inline scripts."}},
	"path_traversal": {"CWE-22", "A01:2021 Broken Access Control", "An attacker can read files outside the intended directory.",
		[]string{"Resolve the requested name against a fixed base directory and refuse results outside it (filepath.Rel / os.Root).",
			"Prefer an allow-list of file ids over user-supplied paths."}},
	"ssrf": {"CWE-918", "A10:2021 Server-Side Request Forgery", "An attacker can make the server fetch internal URLs (cloud metadata, admin ports).",
		[]string{"Fetch only URLs on an allow-list of hosts and schemes.",
			"Resolve the host and refuse private, loopback and link-local addresses before connecting, and on every redirect."}},
	"xxe": {"CWE-611", "A05:2021 Security Misconfiguration", "An attacker can read files or reach internal hosts through XML entities.",
		[]string{"Disable DTDs and external entity resolution in the XML parser."}},
	"ssti": {"CWE-1336", "A03:2021 Injection", "An attacker's template expressions run on the server, often up to code execution.",
		[]string{"Never build templates from input: pass input as data to a fixed template.", "Use a sandboxed template engine."}},
	"command_injection": {"CWE-78", "A03:2021 Injection", "An attacker can run operating-system commands on the server.",
		[]string{"Call programs with an argument list, never through a shell.", "Validate input against an allow-list."}},
	"auth_bypass": {"CWE-306", "A07:2021 Identification and Authentication Failures", "The operation can be used without credentials.",
		[]string{"Require authentication in one middleware that every route passes through; deny by default.",
			"Test each protected route without credentials in CI."}},
	"jwt_none_alg": {"CWE-347", "A02:2021 Cryptographic Failures", "Anyone can forge tokens: an unsigned token with alg none is trusted.",
		[]string{"Verify tokens with an explicit allow-list of algorithms (e.g. only HS256 or RS256); refuse alg none.",
			"Use a maintained JWT library's verification, not hand-written parsing."}},
	"500_error": {"CWE-755", "A04:2021 Insecure Design", "Unexpected input crashes the handler; error pages can leak internals and crashes can deny service.",
		[]string{"Validate input at the edge and answer 400 with a clear message.", "Recover from panics per request and log the cause server-side."}},
	"schema_violation": {"CWE-20", "A04:2021 Insecure Design", "The endpoint's behaviour departs from its contract: clients may break, invalid data may be stored.",
		[]string{"Validate requests and responses against the API description (OpenAPI) in tests and at the edge."}},
	"timeout": {"CWE-400", "A04:2021 Insecure Design", "Some inputs make the endpoint hang, which an attacker can use to exhaust workers.",
		[]string{"Bound every request's work with a deadline.", "Look for unbounded loops, regular expressions with backtracking and missing limits on input size."}},
	"empty_response": {"CWE-755", "A04:2021 Insecure Design", "Some inputs make the server drop the connection, a sign of a crash.",
		[]string{"Find the crash in the server logs for the time of the request and handle the input."}},
	"open_redirect": {"CWE-601", "A01:2021 Broken Access Control", "Links on the site can send users to an attacker's page.",
		[]string{"Redirect only to relative paths or to an allow-list of hosts."}},
}

// Analyze explains a finding by rules.
func Analyze(f *Finding) Analysis {
	w, known := weaknesses[f.Category]
	a := Analysis{FindingID: f.ID, Engine: "rules", Category: f.Category, Severity: f.Severity, CWE: w.cwe, OWASP: w.owasp,
		Impact: w.impact, Remediation: w.fix, Reasoning: []string{}, References: []string{}}
	if !known {
		a.Impact = "A " + f.Category + " finding: see its description and evidence."
		a.Remediation = []string{"Reproduce it with replay, then fix the handler for this input."}
	}
	if w.cwe != "" {
		a.References = append(a.References, "https://cwe.mitre.org/data/definitions/"+strings.TrimPrefix(w.cwe, "CWE-")+".html")
	}
	a.Summary = fmt.Sprintf("%s: %s %s answered %d to %q.", f.Title, f.RequestMethod, f.RequestURL, f.ResponseStatus, f.MutationApplied)

	// How sure: evidence of the server acting on the input is strong;
	// status or timing alone is weaker; a replay that no longer fails
	// says the bug is gone or flaky.
	score := 1
	switch f.Category {
	case "sqli", "xss", "path_traversal", "ssrf", "xxe", "ssti", "jwt_none_alg", "auth_bypass":
		score = 2
		a.Reasoning = append(a.Reasoning, "The evidence shows the target acting on the payload, not just failing: "+f.Description)
	default:
		a.Reasoning = append(a.Reasoning, "The evidence is the target's status or timing: "+f.Description)
	}
	if f.Count > 1 {
		score++
		a.Reasoning = append(a.Reasoning, fmt.Sprintf("%d requests showed it during the run.", f.Count))
	}
	if !f.Reproducible {
		score--
		a.Reasoning = append(a.Reasoning, "The last replay did not reproduce it: it is fixed, or depends on state or timing.")
	}
	switch {
	case !f.Reproducible && score >= 1:
		a.Confidence, a.SuggestedStatus = "medium", "fixed"
	case score >= 2:
		a.Confidence, a.SuggestedStatus = "high", "confirmed"
	case score == 1:
		a.Confidence, a.SuggestedStatus = "medium", "new"
	default:
		a.Confidence, a.SuggestedStatus = "low", "false_positive"
	}
	if f.TriagedStatus != "" && f.TriagedStatus != "new" {
		a.Reasoning = append(a.Reasoning, "It is already triaged "+f.TriagedStatus+".")
	}
	return a
}

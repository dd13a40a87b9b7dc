package api

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/host/internal/store"
)

const testMail = "From: Ann <ann@corp.test>\r\nTo: team@corp.test\r\nSubject: =?UTF-8?Q?Q3_=E2=9C=93?=\r\n" +
	"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n" +
	"--b1\r\nContent-Type: multipart/alternative; boundary=b2\r\n\r\n" +
	"--b2\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nNumbers attached.\r\n" +
	"--b2\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Numbers attached.</p>\r\n--b2--\r\n" +
	"--b1\r\nContent-Type: text/csv\r\nContent-Disposition: attachment; filename=\"q3.csv\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
	"YSxiCjEsMgo=\r\n--b1--\r\n"

// keepMail stores a mail as the plugin's Capture does and returns its id.
func keepMail(t *testing.T, s *testServer, ns, server, mock, subject string, createdMs int64) string {
	t.Helper()
	row := &store.CaptureRow{Protocol: "smtp", Namespace: ns, ServerName: server, MockID: mock, CreatedMs: createdMs,
		Summary: fmt.Sprintf(`{"from":"ann@corp.test","to":["team@corp.test","cc@corp.test"],"subject":%q,"messageId":"m-%d@corp.test","date":"2026-03-03T10:15:00+01:00","size":%d}`,
			subject, createdMs, len(testMail)),
		Raw: []byte(testMail)}
	if err := s.Store.AddCapture(context.Background(), row); err != nil {
		t.Fatal(err)
	}
	return row.ID
}

func TestMailListGetDelete(t *testing.T) {
	s := newTestServer(t)
	first := keepMail(t, s, "sandbox", "mx", "m1", "first", 1000)
	second := keepMail(t, s, "sandbox", "", "m2", "second", 2000)
	other := keepMail(t, s, "team-b", "mx", "m3", "other", 3000)
	// A capture of another protocol is not mail.
	notMail := &store.CaptureRow{Protocol: "kafka", Namespace: "sandbox", Summary: "{}", Raw: []byte("x"), CreatedMs: 4000}
	if err := s.Store.AddCapture(context.Background(), notMail); err != nil {
		t.Fatal(err)
	}

	list := s.expect(200, "GET", "/api/v1/smtp/messages?namespace=sandbox", nil)
	msgs := list["messages"].([]any)
	if list["total"] != float64(2) || len(msgs) != 2 || ids(msgs)[0] != second || ids(msgs)[1] != first {
		t.Fatalf("newest first: %v", list)
	}
	m := msgs[1].(map[string]any)
	if m["namespace"] != "sandbox" || m["serverName"] != "mx" || m["mockId"] != "m1" || m["from"] != "ann@corp.test" ||
		len(m["to"].([]any)) != 2 || m["subject"] != "first" || m["date"] != "2026-03-03T10:15:00+01:00" ||
		m["size"] != float64(len(testMail)) || m["receivedAt"] != float64(1000) || m["messageId"] != "m-1000@corp.test" {
		t.Fatalf("list item: %v", m)
	}
	if got := ids(s.expect(200, "GET", "/api/v1/smtp/messages?namespace=sandbox&serverName=mx", nil)["messages"].([]any)); len(got) != 1 || got[0] != first {
		t.Fatalf("by serverName: %v", got)
	}
	if all := s.expect(200, "GET", "/api/v1/smtp/messages", nil); all["total"] != float64(3) {
		t.Fatalf("every namespace: %v", all)
	}
	page := s.expect(200, "GET", "/api/v1/smtp/messages?offset=1&limit=1", nil)
	if got := ids(page["messages"].([]any)); page["total"] != float64(3) || len(got) != 1 || got[0] != second {
		t.Fatalf("paging: %v", page)
	}
	s.expectError(400, CodeValidation, "", "GET", "/api/v1/smtp/messages?limit=-1", nil)
	s.expectError(400, CodeValidation, "namespace", "GET", "/api/v1/smtp/messages?namespace=bad%20name", nil)

	one := s.expect(200, "GET", "/api/v1/smtp/messages/"+first, nil)
	atts := one["attachments"].([]any)
	if one["id"] != first || one["text"] != "Numbers attached." || one["html"] != "<p>Numbers attached.</p>" || one["raw"] != testMail ||
		len(atts) != 1 || one["subject"] != "first" {
		t.Fatalf("one message: %v", one)
	}
	if a := atts[0].(map[string]any); a["filename"] != "q3.csv" || a["contentType"] != "text/csv" || a["size"] != float64(8) {
		t.Fatalf("attachment: %v", a)
	}
	headers := one["headers"].(map[string]any)
	if headers["Subject"].([]any)[0] != "Q3 ✓" || headers["From"].([]any)[0] != "Ann <ann@corp.test>" {
		t.Fatalf("headers: %v", headers)
	}
	raw := s.do("GET", "/api/v1/smtp/messages/"+first+"/raw", nil)
	if raw.Status != 200 || raw.Header.Get("Content-Type") != "message/rfc822" || string(raw.Body) != testMail {
		t.Fatalf("raw: %d %v %q", raw.Status, raw.Header, raw.Body)
	}
	s.expectError(404, CodeNotFound, "", "GET", "/api/v1/smtp/messages/"+notMail.ID, nil)
	s.expectError(404, CodeNotFound, "", "GET", "/api/v1/smtp/messages/nope", nil)
	s.expectError(404, CodeNotFound, "", "GET", "/api/v1/smtp/messages/nope/raw", nil)

	// A mail that is not valid MIME still shows, with its problems.
	broken := &store.CaptureRow{Protocol: "smtp", Namespace: "sandbox", Summary: "not json", Raw: []byte("garbage\r\n"), CreatedMs: 5000}
	if err := s.Store.AddCapture(context.Background(), broken); err != nil {
		t.Fatal(err)
	}
	b := s.expect(200, "GET", "/api/v1/smtp/messages/"+broken.ID, nil)
	if b["text"] != "garbage" || len(b["problems"].([]any)) == 0 || len(b["to"].([]any)) != 0 || b["size"] != float64(9) {
		t.Fatalf("broken mail: %v", b)
	}

	if d := s.expect(200, "DELETE", "/api/v1/smtp/messages/"+first, nil); d["deleted"] != float64(1) {
		t.Fatalf("delete one: %v", d)
	}
	s.expectError(404, CodeNotFound, "", "DELETE", "/api/v1/smtp/messages/"+first, nil)
	s.expectError(404, CodeNotFound, "", "DELETE", "/api/v1/smtp/messages/"+notMail.ID, nil)
	if d := s.expect(200, "DELETE", "/api/v1/smtp/messages?namespace=sandbox", nil); d["deleted"] != float64(2) {
		t.Fatalf("delete a namespace: %v", d)
	}
	if left := ids(s.expect(200, "GET", "/api/v1/smtp/messages", nil)["messages"].([]any)); len(left) != 1 || left[0] != other {
		t.Fatalf("only team-b's mail is left: %v", left)
	}
	if _, err := s.Store.GetCapture(context.Background(), notMail.ID); err != nil {
		t.Fatalf("deleting a namespace's mail kept other protocols' captures: %v", err)
	}
}

func TestMailIsolation(t *testing.T) {
	ts := fullServer(t)
	admin := ts.login("admin", "admin-pass-1")
	alice, bob := ts.user(admin, "alice"), ts.user(admin, "bob")
	ts.expect(201, "POST", "/api/v1/namespaces", map[string]string{"name": "team-a"}, key(alice)...)
	ts.expect(201, "POST", "/api/v1/namespaces", map[string]string{"name": "team-b"}, key(bob)...)
	aMail := keepMail(t, ts, "team-a", "", "ma", "secret plans", 1000)
	bMail := keepMail(t, ts, "team-b", "", "mb", "bob's", 2000)

	ts.expectError(401, CodeUnauthorized, "", "GET", "/api/v1/smtp/messages", nil)
	if got := ids(ts.expect(200, "GET", "/api/v1/smtp/messages", nil, key(bob)...)["messages"].([]any)); len(got) != 1 || got[0] != bMail {
		t.Fatalf("bob lists %v", got)
	}
	ts.expectError(403, CodeForbidden, "", "GET", "/api/v1/smtp/messages?namespace=team-a", nil, key(bob)...)
	ts.expectError(404, CodeNotFound, "", "GET", "/api/v1/smtp/messages/"+aMail, nil, key(bob)...)
	ts.expectError(404, CodeNotFound, "", "GET", "/api/v1/smtp/messages/"+aMail+"/raw", nil, key(bob)...)
	ts.expectError(404, CodeNotFound, "", "DELETE", "/api/v1/smtp/messages/"+aMail, nil, key(bob)...)
	ts.expectError(403, CodeForbidden, "", "DELETE", "/api/v1/smtp/messages?namespace=team-a", nil, key(bob)...)
	one := ts.expect(200, "GET", "/api/v1/smtp/messages/"+aMail, nil, key(alice)...)
	if one["subject"] != "secret plans" || !strings.Contains(one["raw"].(string), "Numbers attached.") {
		t.Fatalf("alice reads her mail: %v", one)
	}

	// A viewer reads but does not delete.
	ts.expect(201, "POST", "/api/v1/namespaces/team-a/users", map[string]any{"username": "bob", "role": "viewer"}, key(alice)...)
	ts.expect(200, "GET", "/api/v1/smtp/messages/"+aMail, nil, key(bob)...)
	if got := ts.expect(200, "GET", "/api/v1/smtp/messages", nil, key(bob)...)["total"]; got != float64(2) {
		t.Fatalf("a viewer of team-a lists its mail too: %v", got)
	}
	ts.expectError(403, CodeForbidden, "", "DELETE", "/api/v1/smtp/messages/"+aMail, nil, key(bob)...)
	ts.expectError(403, CodeForbidden, "", "DELETE", "/api/v1/smtp/messages?namespace=team-a", nil, key(bob)...)
	if d := ts.expect(200, "DELETE", "/api/v1/smtp/messages?namespace=team-a", nil, key(alice)...); d["deleted"] != float64(1) {
		t.Fatalf("alice clears team-a: %v", d)
	}
	ts.expect(200, "GET", "/api/v1/smtp/messages/"+bMail, nil, "Cookie", admin)
}

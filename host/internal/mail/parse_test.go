package mail

import (
	"strings"
	"testing"
)

func crlf(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }

func TestParseMixedAlternativeWithAttachments(t *testing.T) {
	raw := crlf(`From: =?UTF-8?Q?J=C3=BCrgen?= <j@corp.test>
To: a@x.test, b@x.test
Subject: =?UTF-8?B?UmVwb3J0IOKAkyBRMw==?=
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

preamble is ignored
--outer
Content-Type: multipart/alternative; boundary="inner"

--inner
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

Gr=FC=DFe, the numbers are=
 attached.
--inner
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: base64

PHA+SGVsbG8gPGI+dGVhbTwvYj48L3A+
--inner--
--outer
Content-Type: application/pdf; name="q3.pdf"
Content-Disposition: attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf
Content-Transfer-Encoding: base64

JVBERi0xLjQK
JSVFT0YK
--outer
Content-Type: image/png
Content-Disposition: inline
Content-ID: <logo@corp>
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--outer
Content-Type: text/plain; name="notes.txt"

a text file, not the body
--outer--
epilogue
`)
	p := Parse(raw)
	if len(p.Problems) != 0 {
		t.Fatalf("problems: %v", p.Problems)
	}
	if p.Headers["Subject"][0] != "Report – Q3" || p.Headers["From"][0] != "Jürgen <j@corp.test>" || p.Headers["To"][0] != "a@x.test, b@x.test" {
		t.Fatalf("headers: %v", p.Headers)
	}
	if p.Text != "Grüße, the numbers are attached." {
		t.Fatalf("text %q", p.Text)
	}
	if p.HTML != "<p>Hello <b>team</b></p>" {
		t.Fatalf("html %q", p.HTML)
	}
	want := []Attachment{
		{Filename: "résumé.pdf", ContentType: "application/pdf", Size: 15, Disposition: "attachment"},
		{ContentType: "image/png", Size: 8, Disposition: "inline", ContentID: "logo@corp"},
		{Filename: "notes.txt", ContentType: "text/plain", Size: 25},
	}
	if len(p.Attachments) != len(want) {
		t.Fatalf("attachments %+v", p.Attachments)
	}
	for i := range want {
		if p.Attachments[i] != want[i] {
			t.Errorf("attachment %d: %+v, want %+v", i, p.Attachments[i], want[i])
		}
	}
}

func TestParseSimpleAndBrokenMail(t *testing.T) {
	p := Parse(crlf("Subject: plain\n\nline 1\nline 2\n"))
	if p.Text != "line 1\nline 2" || p.HTML != "" || len(p.Attachments) != 0 || len(p.Problems) != 0 {
		t.Fatalf("plain: %+v", p)
	}
	cases := map[string]struct {
		raw     []byte
		problem string
	}{
		"no header block":   {[]byte("not a header\r\n"), "header"},
		"no boundary":       {crlf("Content-Type: multipart/mixed\n\nx"), "without a boundary"},
		"unterminated":      {crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nstart"), "multipart/mixed"},
		"unknown encoding":  {crlf("Content-Transfer-Encoding: x-uuencode\n\nbegin 644"), "x-uuencode"},
		"unknown charset":   {crlf("Content-Type: text/plain; charset=x-klingon\n\nqapla"), "x-klingon"},
		"bad base64":        {crlf("Content-Transfer-Encoding: base64\n\n@@@@"), ""},
		"bad content type":  {crlf("Content-Type: ;;;\n\nbody"), "Content-Type"},
		"empty":             {nil, "header"},
		"binary garbage":    {[]byte{0, 1, 2, 0xff, '\r', '\n'}, "header"},
		"deeply nested":     {nested(30), "nested deeper"},
		"multipart no body": {crlf("Content-Type: multipart/mixed; boundary=b\n\n"), "multipart/mixed"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			p := Parse(c.raw) // never panics
			if p.Headers == nil || p.Attachments == nil {
				t.Fatal("headers and attachments are never nil")
			}
			if c.problem != "" && !strings.Contains(strings.Join(p.Problems, "|"), c.problem) {
				t.Fatalf("problems %v should mention %q", p.Problems, c.problem)
			}
		})
	}
	if got := Parse(crlf("Content-Type: text/plain; charset=x-klingon\n\nqapla")).Text; got != "qapla" {
		t.Fatalf("an unknown charset is shown as sent: %q", got)
	}
}

func nested(depth int) []byte {
	var b strings.Builder
	for i := 0; i < depth; i++ {
		b.WriteString("Content-Type: multipart/mixed; boundary=b" + strings.Repeat("x", i) + "\r\n\r\n--b" + strings.Repeat("x", i) + "\r\n")
	}
	b.WriteString("Content-Type: text/plain\r\n\r\ndeep\r\n")
	return []byte(b.String())
}

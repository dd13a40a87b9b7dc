package main

import (
	"strings"
	"testing"
)

func crlf(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }

func TestParseMultipartMail(t *testing.T) {
	raw := crlf(`From: "Ann" <ann@corp.test>
To: team@corp.test
Subject: =?UTF-8?B?UmVwb3J0IOKAkyBRMw==?=
Message-ID: <abc.123@corp.test>
Date: Tue, 03 Mar 2026 10:15:00 +0100
X-Campaign: spring
X-Campaign: second value
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/alternative; boundary="inner"

--inner
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: base64

PHA+SGVsbG8gPGI+dGVhbTwvYj48L3A+
--inner
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Order #42 is ready, caf=C3=A9 incl=
uded.
Second line.
--inner--
--outer
Content-Type: text/plain; name="notes.txt"
Content-Disposition: attachment; filename="notes.txt"

not the body
--outer--
`)
	info := parseMail(raw)
	if info.Subject != "Report – Q3" {
		t.Errorf("subject %q", info.Subject)
	}
	if info.Text != "Order #42 is ready, café included.\nSecond line." {
		t.Errorf("text %q", info.Text)
	}
	if info.MessageID != "abc.123@corp.test" || info.Date != "2026-03-03T10:15:00+01:00" || info.HeaderFrom != "ann@corp.test" {
		t.Errorf("id %q date %q from %q", info.MessageID, info.Date, info.HeaderFrom)
	}
	if info.Headers["X-Campaign"] != "spring" || info.Headers["Subject"] != "Report – Q3" || info.Headers["To"] != "team@corp.test" {
		t.Errorf("headers %v", info.Headers)
	}
}

func TestParseHTMLOnlyAndCharsets(t *testing.T) {
	html := parseMail(crlf("Subject: hi\nContent-Type: text/html\n\n<p>only html</p>\n"))
	if html.Text != "<p>only html</p>" {
		t.Errorf("an HTML-only mail gives its HTML as the body: %q", html.Text)
	}
	latin := parseMail(append(crlf("Subject: =?ISO-8859-1?Q?Gr=FC=DFe?=\nContent-Type: text/plain; charset=iso-8859-1\n\n"), 'G', 'r', 0xfc, 0xdf, 'e'))
	if latin.Subject != "Grüße" || latin.Text != "Grüße" {
		t.Errorf("latin-1 subject %q text %q", latin.Subject, latin.Text)
	}
	plain := parseMail(crlf("Subject: no MIME headers\n\nJust text.\n\n"))
	if plain.Text != "Just text." {
		t.Errorf("a mail without MIME headers is text/plain: %q", plain.Text)
	}
	unknown := parseMail(crlf("Subject: x\nContent-Type: text/plain; charset=x-klingon\n\nqapla\n"))
	if unknown.Text != "qapla" {
		t.Errorf("an unknown charset is read as is: %q", unknown.Text)
	}
}

func TestParseBrokenMail(t *testing.T) {
	for name, raw := range map[string][]byte{
		"empty":              nil,
		"no header block":    []byte("this is not a header line at all\r\nnor this\r\n"),
		"binary":             {0x00, 0xff, 0xfe, '\r', '\n', 0x01},
		"unterminated parts": crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nstart"),
		"no boundary":        crlf("Content-Type: multipart/mixed\n\nbody"),
		"bad encoding":       crlf("Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n!!!not base64!!!"),
	} {
		t.Run(name, func(t *testing.T) {
			info := parseMail(raw) // must not panic
			if info.Headers == nil {
				t.Fatal("headers must be a map")
			}
		})
	}
	if got := parseMail([]byte("garbage without a colon\r\n")).Text; got != "garbage without a colon" {
		t.Errorf("an unreadable header block is kept as text: %q", got)
	}
	if got := parseMail(crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nfirst part\n--b\n")).Text; got != "first part" {
		t.Errorf("parts before a broken one are kept: %q", got)
	}
}

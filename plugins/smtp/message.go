package main

import (
	"bytes"
	"errors"
	"io"
	"net/textproto"
	"strings"
	"time"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // decode the common non-UTF-8 charsets
	"github.com/emersion/go-message/mail"
)

// mailInfo is what the find request and the stored summary need of a message.
type mailInfo struct {
	Subject    string
	Text       string            // the text/plain part (else the HTML part), decoded
	Headers    map[string]string // first value of each header, decoded
	MessageID  string
	Date       string // RFC 3339 when the Date header parses, else as written
	HeaderFrom string // the From header's first address
}

// maxTextBytes caps the text handed to the host for body conditions.
const maxTextBytes = 4 << 20

// maxParts stops a message with an absurd number of parts from costing
// more than reading it.
const maxParts = 1000

// parseMail reads what matching needs from a raw RFC 5322 message. A
// message that is not valid MIME still yields what could be read: the
// headers up to the bad line, and the rest as the text.
func parseMail(raw []byte) mailInfo {
	info := mailInfo{Headers: map[string]string{}}
	// An unknown charset or transfer encoding still gives an entity to read.
	e, _ := message.Read(bytes.NewReader(raw))
	if e == nil {
		// No readable header block: the whole message is the text.
		info.Text = readText(bytes.NewReader(raw))
		return info
	}
	h := mail.Header{Header: e.Header}
	fields := e.Header.Fields()
	for fields.Next() {
		k := textproto.CanonicalMIMEHeaderKey(fields.Key())
		if _, seen := info.Headers[k]; seen {
			continue
		}
		v, err := fields.Text()
		if err != nil {
			v = fields.Value() // an encoded word in an unknown charset: keep it as written
		}
		info.Headers[k] = v
	}
	info.Subject = info.Headers["Subject"]
	if id, err := h.MessageID(); err == nil {
		info.MessageID = id
	}
	if d := h.Get("Date"); d != "" {
		info.Date = d
		if t, err := h.Date(); err == nil {
			info.Date = t.Format(time.RFC3339)
		}
	}
	if from, err := h.AddressList("From"); err == nil && len(from) > 0 {
		info.HeaderFrom = from[0].Address
	}

	var text, html string
	parts := 0
	walkErr := e.Walk(func(_ []int, part *message.Entity, err error) error {
		if part == nil || (err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err)) {
			return errBrokenPart
		}
		if parts++; parts > maxParts {
			return errTooManyParts
		}
		if part.MultipartReader() != nil {
			return nil
		}
		if disp, _, _ := part.Header.ContentDisposition(); strings.EqualFold(disp, "attachment") {
			return nil
		}
		mt, _, cterr := part.Header.ContentType()
		if cterr != nil || mt == "" {
			mt = "text/plain" // RFC 2045 5.2: the default
		}
		switch {
		case mt == "text/plain" && text == "":
			text = readText(part.Body)
		case mt == "text/html" && html == "":
			html = readText(part.Body)
		}
		return nil
	})
	_ = walkErr // a broken part ends the walk; what was read before it is kept
	info.Text = text
	if info.Text == "" {
		info.Text = html
	}
	return info
}

var (
	errTooManyParts = errors.New("too many MIME parts")
	errBrokenPart   = errors.New("unreadable MIME part")
)

func readText(r io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(r, maxTextBytes))
	return normaliseText(b)
}

// normaliseText gives LF line ends and no trailing blank lines, so that a
// condition written as "Hello" or "line 1\nline 2" matches what a mail
// client sent as CRLF lines.
func normaliseText(b []byte) string {
	s := strings.ReplaceAll(string(b), "\r\n", "\n")
	return strings.TrimRight(s, "\r\n")
}

// Package mail reads a stored RFC 5322 message into the parts the API
// shows: decoded headers, the text and HTML bodies, and the attachments.
// It never fails: what cannot be read is reported in Parsed.Problems and
// the rest is still returned.
package mail

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"net/textproto"
	"strings"

	"golang.org/x/text/encoding/htmlindex"
)

// Attachment is a part that is not the text or HTML body.
type Attachment struct {
	Filename    string `json:"filename"`
	ContentType string `json:"contentType"`
	Size        int    `json:"size"` // decoded bytes
	Disposition string `json:"disposition,omitempty"`
	ContentID   string `json:"contentId,omitempty"`
}

// Parsed is a message read for display.
type Parsed struct {
	// Headers of the message, RFC 2047 words decoded, by canonical name.
	Headers map[string][]string `json:"headers"`
	// Text and HTML are the inline text/plain and text/html parts, decoded
	// to UTF-8 with LF line ends (several inline parts of one kind are
	// joined with a newline).
	Text        string       `json:"text"`
	HTML        string       `json:"html"`
	Attachments []Attachment `json:"attachments"`
	// Problems says what could not be read.
	Problems []string `json:"problems,omitempty"`
}

const (
	maxDepth = 20
	maxParts = 1000
)

var wordDecoder = &mime.WordDecoder{CharsetReader: charsetReader}

// Parse reads raw.
func Parse(raw []byte) *Parsed {
	p := &Parsed{Headers: map[string][]string{}, Attachments: []Attachment{}}
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		p.problem("header: %v", err)
		p.Text = normalise(raw)
		return p
	}
	for k, vals := range msg.Header {
		for _, v := range vals {
			p.Headers[k] = append(p.Headers[k], DecodeHeader(v))
		}
	}
	w := &walker{p: p}
	w.entity(textproto.MIMEHeader(msg.Header), msg.Body, 0)
	return p
}

// DecodeHeader decodes RFC 2047 encoded words; a value that cannot be
// decoded is returned as written.
func DecodeHeader(v string) string {
	if d, err := wordDecoder.DecodeHeader(v); err == nil {
		return d
	}
	return v
}

func (p *Parsed) problem(format string, args ...any) {
	if len(p.Problems) < 20 {
		p.Problems = append(p.Problems, fmt.Sprintf(format, args...))
	}
}

type walker struct {
	p     *Parsed
	parts int
}

// entity reads one MIME entity: a multipart container or a leaf.
func (w *walker) entity(h textproto.MIMEHeader, body io.Reader, depth int) {
	w.parts++
	if w.parts > maxParts {
		if w.parts == maxParts+1 {
			w.p.problem("more than %d parts: the rest is not shown", maxParts)
		}
		return
	}
	mediaType, params := contentType(h, w.p)
	if strings.HasPrefix(mediaType, "multipart/") {
		if depth >= maxDepth {
			w.p.problem("parts nested deeper than %d: the rest is not shown", maxDepth)
			return
		}
		boundary := params["boundary"]
		if boundary == "" {
			w.p.problem("%s without a boundary", mediaType)
			return
		}
		mr := multipart.NewReader(body, boundary)
		for {
			// NextRawPart: the transfer encoding is decoded here, the same
			// way for every part.
			part, err := mr.NextRawPart()
			if err == io.EOF {
				return
			}
			if err != nil {
				w.p.problem("%s: %v", mediaType, err)
				return
			}
			w.entity(part.Header, part, depth+1)
		}
	}
	data, err := io.ReadAll(transferDecoder(h, body, w.p))
	if err != nil {
		w.p.problem("%s body: %v", mediaType, err)
	}
	disp, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	disp = strings.ToLower(disp)
	filename := dparams["filename"]
	if filename == "" {
		filename = params["name"]
	}
	filename = DecodeHeader(filename)
	if disp != "attachment" && filename == "" && (mediaType == "text/plain" || mediaType == "text/html") {
		text := normalise(toUTF8(data, params["charset"], w.p))
		if mediaType == "text/plain" {
			w.p.Text = join(w.p.Text, text)
		} else {
			w.p.HTML = join(w.p.HTML, text)
		}
		return
	}
	w.p.Attachments = append(w.p.Attachments, Attachment{Filename: filename, ContentType: mediaType, Size: len(data),
		Disposition: disp, ContentID: strings.Trim(h.Get("Content-Id"), "<> ")})
}

// contentType is the media type (text/plain when missing or unreadable,
// as RFC 2045 5.2 says) and its parameters.
func contentType(h textproto.MIMEHeader, p *Parsed) (string, map[string]string) {
	ct := h.Get("Content-Type")
	if ct == "" {
		return "text/plain", map[string]string{}
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil && mt == "" {
		p.problem("Content-Type %q: %v", ct, err)
		return "text/plain", map[string]string{}
	}
	if params == nil {
		params = map[string]string{}
	}
	return strings.ToLower(mt), params
}

func transferDecoder(h textproto.MIMEHeader, body io.Reader, p *Parsed) io.Reader {
	switch enc := strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))); enc {
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, &base64Filter{r: body})
	case "quoted-printable":
		return quotedprintable.NewReader(body)
	case "", "7bit", "8bit", "binary":
		return body
	default:
		p.problem("unknown Content-Transfer-Encoding %q: shown as sent", enc)
		return body
	}
}

// base64Filter drops what is not base64 alphabet (spaces, tabs, and the
// line breaks the decoder would skip anyway), as mail readers do.
type base64Filter struct{ r io.Reader }

func (f *base64Filter) Read(b []byte) (int, error) {
	for {
		n, err := f.r.Read(b)
		out := b[:0]
		for _, c := range b[:n] {
			if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=' {
				out = append(out, c)
			}
		}
		if len(out) > 0 || err != nil {
			return len(out), err
		}
	}
}

// toUTF8 converts text of a charset to UTF-8; an unknown charset is kept as is.
func toUTF8(data []byte, charset string, p *Parsed) []byte {
	cs := strings.ToLower(strings.TrimSpace(charset))
	if cs == "" || cs == "utf-8" || cs == "utf8" || cs == "us-ascii" || cs == "ascii" {
		return data
	}
	out, err := decodeCharset(cs, data)
	if err != nil {
		p.problem("charset %q: %v", charset, err)
		return data
	}
	return out
}

func decodeCharset(charset string, data []byte) ([]byte, error) {
	enc, err := htmlindex.Get(charset)
	if err != nil {
		return nil, fmt.Errorf("unknown charset")
	}
	return enc.NewDecoder().Bytes(data)
}

func charsetReader(charset string, input io.Reader) (io.Reader, error) {
	data, err := io.ReadAll(input)
	if err != nil {
		return nil, err
	}
	out, err := decodeCharset(strings.ToLower(charset), data)
	if err != nil {
		return nil, err
	}
	return bytes.NewReader(out), nil
}

func normalise(b []byte) string {
	return strings.TrimRight(strings.ReplaceAll(string(b), "\r\n", "\n"), "\r\n")
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	if b == "" {
		return a
	}
	return a + "\n" + b
}

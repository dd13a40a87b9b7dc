package main

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/andybalholm/brotli"
)

// capture keeps the first max bytes written to it and counts them all.
type capture struct {
	max  int
	buf  []byte
	size int64
}

func (c *capture) Write(p []byte) (int, error) {
	c.size += int64(len(p))
	if room := c.max - len(c.buf); room > 0 {
		c.buf = append(c.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (c *capture) truncated() bool { return c.size > int64(len(c.buf)) }

// teeBody is a request body on its way up, kept as it passes.
type teeBody struct {
	rc io.ReadCloser
	mu sync.Mutex // the transport may still read while the entry is made
	c  capture
}

func (b *teeBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.mu.Lock()
		_, _ = b.c.Write(p[:n])
		b.mu.Unlock()
	}
	return n, err
}

func (b *teeBody) Close() error { return b.rc.Close() }

func (b *teeBody) result() ([]byte, int64, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.c.buf...), b.c.size, b.c.truncated()
}

// respBody is an answer's body on its way to the client: streamed as it
// comes (throttled when a bandwidth fault says so), its first bytes kept
// and, when it is compressed, decoded on the side.
type respBody struct {
	ctx context.Context
	rc  io.ReadCloser
	thr *throttle

	mu      sync.Mutex
	raw     capture
	dec     *decoder
	eof     bool
	readErr error

	once               sync.Once
	body               []byte
	size               int64
	truncated, decoded bool
}

func newRespBody(ctx context.Context, rc io.ReadCloser, encoding string, max int, thr *throttle) *respBody {
	b := &respBody{ctx: ctx, rc: rc, thr: thr, raw: capture{max: max}}
	if enc := strings.ToLower(strings.TrimSpace(encoding)); decodable(enc) {
		b.dec = newDecoder(enc, max)
	}
	return b
}

func (b *respBody) Read(p []byte) (int, error) {
	if b.thr != nil && len(p) > b.thr.chunk {
		p = p[:b.thr.chunk]
	}
	n, err := b.rc.Read(p)
	if n > 0 {
		b.mu.Lock()
		_, _ = b.raw.Write(p[:n])
		if b.dec != nil {
			b.dec.write(p[:n])
		}
		b.mu.Unlock()
		if b.thr != nil {
			if werr := b.thr.wait(b.ctx, n); werr != nil && err == nil {
				err = werr
			}
		}
	}
	if err != nil {
		b.mu.Lock()
		if err == io.EOF {
			b.eof = true
		} else if b.readErr == nil {
			b.readErr = err
		}
		b.mu.Unlock()
	}
	return n, err
}

func (b *respBody) Close() error { return b.rc.Close() }

// readError is the error reading the upstream's body failed with, if any.
func (b *respBody) readError() error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.readErr
}

// result is the body as kept: decoded when it was compressed and decodes,
// with its whole size and whether it was cut.
func (b *respBody) result() (body []byte, size int64, truncated, decompressed bool) {
	b.once.Do(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.body, b.size, b.truncated = append([]byte(nil), b.raw.buf...), b.raw.size, b.raw.truncated()
		if b.dec == nil {
			return
		}
		out, err := b.dec.finish()
		switch {
		case b.raw.size == 0: // no body (HEAD, 204, 304): nothing to decode
		case err == nil:
			b.body, b.size, b.truncated, b.decoded = out.buf, out.size, out.truncated(), true
		case !b.eof && out.size > 0:
			// The body was cut off: what decoded of it.
			b.body, b.size, b.truncated, b.decoded = out.buf, out.size, true, true
		}
		// A body that does not decode is kept as it came.
	})
	return b.body, b.size, b.truncated, b.decoded
}

func decodable(enc string) bool {
	switch enc {
	case "gzip", "x-gzip", "br", "deflate":
		return true
	}
	return false
}

// decoder decompresses a body as it is written, keeping the first max
// bytes of the result and counting them all.
type decoder struct {
	pw     *io.PipeWriter
	done   chan struct{}
	out    capture
	err    error
	failed bool
}

var errDecoderStopped = errors.New("decoder stopped")

func newDecoder(enc string, max int) *decoder {
	pr, pw := io.Pipe()
	d := &decoder{pw: pw, done: make(chan struct{}), out: capture{max: max}}
	go func() {
		defer close(d.done)
		r, err := openDecoder(enc, pr)
		if err == nil {
			_, err = io.Copy(&d.out, r)
		}
		d.err = err
		// Writes after a failure return at once instead of blocking.
		pr.CloseWithError(errDecoderStopped)
	}()
	return d
}

func openDecoder(enc string, r io.Reader) (io.Reader, error) {
	switch enc {
	case "gzip", "x-gzip":
		return gzip.NewReader(r)
	case "br":
		return brotli.NewReader(r), nil
	default: // deflate: zlib as the RFC says, raw DEFLATE as some servers send
		br := bufio.NewReader(r)
		if h, err := br.Peek(2); err == nil && h[0]&0x0f == 8 && (uint16(h[0])<<8|uint16(h[1]))%31 == 0 {
			return zlib.NewReader(br)
		}
		return flate.NewReader(br), nil
	}
}

func (d *decoder) write(p []byte) {
	if d.failed {
		return
	}
	if _, err := d.pw.Write(p); err != nil {
		d.failed = true
	}
}

// finish ends the input and returns what decoded and the decoding error.
func (d *decoder) finish() (*capture, error) {
	_ = d.pw.Close()
	<-d.done
	return &d.out, d.err
}

// throttle paces a body at a rate.
type throttle struct {
	rate  float64 // bytes per second
	chunk int     // bytes per read
	start time.Time
	sent  int64
}

func newThrottle(kbps int64) *throttle {
	rate := float64(kbps) * 1024
	return &throttle{rate: rate, chunk: max(512, int(rate/20))}
}

// wait sleeps until n more bytes are due at the rate.
func (t *throttle) wait(ctx context.Context, n int) error {
	if t.start.IsZero() {
		t.start = time.Now()
	}
	t.sent += int64(n)
	due := t.start.Add(time.Duration(float64(t.sent) / t.rate * float64(time.Second)))
	d := time.Until(due)
	if d <= 0 {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// bodyText is a kept body as an entry holds it: the text when it is UTF-8
// (a rune cut by the cap left out), else base64.
func bodyText(b []byte, truncated bool) (text, encoding string) {
	if truncated {
		b = trimPartialRune(b)
	}
	if utf8.Valid(b) {
		return string(b), ""
	}
	return base64.StdEncoding.EncodeToString(b), "base64"
}

// trimPartialRune drops an incomplete UTF-8 sequence at the end of b.
func trimPartialRune(b []byte) []byte {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return b[:i]
			}
			break
		}
	}
	return b
}

// flatHeaders are h as single strings, repeated values joined with ", ".
func flatHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys) // keys that differ only in case merge in one order
	for _, k := range keys {
		ck := http.CanonicalHeaderKey(k)
		v := strings.Join(h[k], ", ")
		if prev, ok := out[ck]; ok {
			v = prev + ", " + v
		}
		out[ck] = v
	}
	return out
}

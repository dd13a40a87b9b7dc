package engine

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
)

// The plain-HTTP path. A request to an http:// URL is HTTP/1.1 whichever
// client sends it (net/http speaks HTTP/2 only over TLS), so it goes through
// this lean client instead of net/http's: the VU's goroutine writes the
// request and reads the answer on a pooled connection itself, where
// net/http hands both to two goroutines per connection. fasthttp parses the
// response (status line, headers, chunked or sized bodies, trailers); the
// request is written here with net/http's header writer, so both paths send
// the same bytes. Each phase is timed where it happens: connecting around
// the dial, sending around the write, waiting until the first response byte
// and receiving until the body is read.

// maxIdlePerHost bounds the kept-alive connections of one VU to one host.
const maxIdlePerHost = 64

// h1Conn is one kept-alive HTTP/1.1 connection.
type h1Conn struct {
	conn   net.Conn
	br     *bufio.Reader
	bw     *bufio.Writer
	remote *net.TCPAddr
	ip     string          // remote's IP, as responses report it
	ctx    context.Context // of the request in flight
}

// h1Watch cuts the requests in flight short when their context ends. One
// watch serves every request made under the same context (an iteration
// loop), instead of one registration per request.
type h1Watch struct {
	mu       sync.Mutex
	ctx      context.Context
	stop     func() bool
	inflight map[*h1Conn]struct{}
}

// enter marks hc in flight under ctx.
func (c *httpClient) enter(ctx context.Context, hc *h1Conn) {
	w := &c.watch
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ctx != ctx {
		if w.stop != nil {
			w.stop()
		}
		watched := ctx
		w.ctx = ctx
		w.stop = context.AfterFunc(ctx, func() {
			w.mu.Lock()
			defer w.mu.Unlock()
			for hc := range w.inflight {
				if hc.ctx == watched {
					_ = hc.conn.SetDeadline(time.Unix(1, 0))
				}
			}
		})
	}
	if w.inflight == nil {
		w.inflight = map[*h1Conn]struct{}{}
	}
	hc.ctx = ctx
	w.inflight[hc] = struct{}{}
}

// leave marks hc done.
func (c *httpClient) leave(hc *h1Conn) {
	w := &c.watch
	w.mu.Lock()
	delete(w.inflight, hc)
	hc.ctx = nil
	w.mu.Unlock()
}

// unwatch drops the watch (the client is closing).
func (c *httpClient) unwatch() {
	w := &c.watch
	w.mu.Lock()
	if w.stop != nil {
		w.stop()
	}
	w.ctx, w.stop = nil, nil
	w.mu.Unlock()
}

// h1Pool holds a VU's idle connections by host:port.
type h1Pool struct {
	mu   sync.Mutex
	idle map[string][]*h1Conn
}

func (p *h1Pool) get(addr string) *h1Conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	list := p.idle[addr]
	if len(list) == 0 {
		return nil
	}
	c := list[len(list)-1]
	p.idle[addr] = list[:len(list)-1]
	return c
}

func (p *h1Pool) put(addr string, c *h1Conn) {
	p.mu.Lock()
	if p.idle == nil {
		p.idle = map[string][]*h1Conn{}
	}
	if len(p.idle[addr]) < maxIdlePerHost {
		p.idle[addr] = append(p.idle[addr], c)
		c = nil
	}
	p.mu.Unlock()
	if c != nil {
		_ = c.conn.Close()
	}
}

func (p *h1Pool) closeAll() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, list := range idle {
		for _, c := range list {
			_ = c.conn.Close()
		}
	}
}

// hostPort is the dial address of an http URL.
func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	return net.JoinHostPort(u.Hostname(), "80")
}

// retryable methods may be sent again when a kept-alive connection turns
// out to be closed by the server before it answered.
func retryable(method string) bool {
	switch method {
	case "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE":
		return true
	}
	return false
}

// writeH1 writes the request line, headers and body as net/http would.
func writeH1(bw *bufio.Writer, method string, u *url.URL, host string, body []byte, header http.Header) error {
	uri := u.RequestURI()
	if uri == "" {
		uri = "/"
	}
	_, _ = bw.WriteString(method)
	_ = bw.WriteByte(' ')
	_, _ = bw.WriteString(uri)
	_, _ = bw.WriteString(" HTTP/1.1\r\nHost: ")
	_, _ = bw.WriteString(host)
	_, _ = bw.WriteString("\r\n")
	if len(body) > 0 || method == "POST" || method == "PUT" || method == "PATCH" {
		_, _ = bw.WriteString("Content-Length: ")
		_, _ = bw.WriteString(strconv.Itoa(len(body)))
		_, _ = bw.WriteString("\r\n")
	}
	excluded := h1Excluded
	if ua := header["User-Agent"]; len(ua) == 1 && ua[0] == "" {
		excluded = h1ExcludedNoAgent // as net/http: an empty User-Agent is none
	}
	if err := header.WriteSubset(bw, excluded); err != nil {
		return err
	}
	_, _ = bw.WriteString("\r\n")
	_, _ = bw.Write(body)
	return bw.Flush()
}

// h1Excluded are the headers writeH1 sets itself.
var (
	h1Excluded        = map[string]bool{"Host": true, "Content-Length": true}
	h1ExcludedNoAgent = map[string]bool{"Host": true, "Content-Length": true, "User-Agent": true}
)

// doH1 sends one request over HTTP/1.1 without TLS.
func (c *httpClient) doH1(ctx context.Context, pr *preparedRequest, method string, u *url.URL, body []byte, header http.Header) hopResult {
	out := hopResult{hop: hop{url: u.String(), method: method}}
	if jar := c.currentJar(); jar != nil {
		if cs := jar.Cookies(u); len(cs) > 0 {
			header = header.Clone()
			for _, ck := range cs {
				s := ck.Name + "=" + ck.Value
				if prev := header.Get("Cookie"); prev != "" {
					s = prev + "; " + s
				}
				header.Set("Cookie", s)
			}
		}
	}
	if u.User != nil && header.Get("Authorization") == "" {
		// credentials in the URL are Basic auth, as net/http sends them
		pw, _ := u.User.Password()
		header = header.Clone()
		header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+pw)))
	}
	out.sentHeader = header
	host := u.Host
	if h := header.Get("Host"); h != "" {
		host = h
	}
	addr := hostPort(u)
	start := time.Now()
	deadline := start.Add(pr.timeout)
	var t timings
	for attempt := 0; ; attempt++ {
		hc, reused := c.h1.get(addr), true
		gotConn := time.Now()
		if hc == nil {
			reused = false
			dctx, cancel := context.WithDeadline(ctx, deadline)
			conn, err := c.dial(dctx, "tcp", addr)
			cancel()
			done := time.Now()
			if err != nil {
				t.blocked, t.connecting = gotConn.Sub(start), done.Sub(gotConn)
				out.t = t
				out.err, out.errCode = classifyH1(ctx, deadline, err)
				return out
			}
			t.connecting = done.Sub(gotConn)
			hc = &h1Conn{conn: conn, br: bufio.NewReaderSize(conn, 4096), bw: bufio.NewWriterSize(conn, 4096)}
			if ta, ok := conn.RemoteAddr().(*net.TCPAddr); ok {
				hc.remote, hc.ip = ta, ta.IP.String()
			}
			gotConn = done
		}
		t.blocked = max(0, gotConn.Sub(start)-t.connecting)
		_ = hc.conn.SetDeadline(deadline)
		c.enter(ctx, hc)
		var raw []byte
		res, data, err := c.exchangeH1(hc, pr, method, u, host, body, header, &t, &raw)
		c.leave(hc)
		tooLarge := errors.Is(err, errBodyCut)
		if err != nil && !tooLarge {
			_ = hc.conn.Close()
			if reused && attempt == 0 && res == nil && retryable(method) && ctx.Err() == nil && staleConn(err) {
				t = timings{}
				continue
			}
			out.t = t
			out.err, out.errCode = classifyH1(ctx, deadline, err)
			if res != nil {
				fasthttp.ReleaseResponse(res)
			}
			return out
		}
		if hc.remote != nil {
			out.remoteIP, out.port = hc.ip, hc.remote.Port
		}
		out.status = res.StatusCode()
		out.proto = "HTTP/1.1"
		if !res.Header.IsHTTP11() {
			out.proto = "HTTP/1.0"
		}
		var enc string
		var setCookies []string
		out.location, enc, setCookies = actedOn(res)
		if raw != nil && !pr.goOnly {
			out.rawHeader = raw // parsed when the script reads the headers
		} else if !pr.goOnly {
			out.header = headerOf(&res.Header)
		}
		keep := !tooLarge && !res.ConnectionClose() && !res.Header.ConnectionClose() && header.Get("Connection") != "close" &&
			!(c.rs.opts != nil && c.rs.opts.NoConnectionReuse)
		fasthttp.ReleaseResponse(res)
		if keep {
			c.h1.put(addr, hc) // the next request sets its own deadline
		} else {
			_ = hc.conn.Close()
		}
		if tooLarge {
			out.err, out.errCode = fmt.Errorf("response body larger than %d bytes; it was cut", c.rs.cfg.MaxBodyBytes), errCodeBodyTooLarge
		}
		if pr.responseType == "none" {
			data = nil
		}
		out.t = t
		if len(data) > 0 && out.err == nil {
			if dec, err := decodeBody(enc, data, c.rs.cfg.MaxBodyBytes); err == nil {
				data = dec
			} else {
				out.err, out.errCode = err, errCodeGeneric
			}
		}
		out.body = data
		if len(setCookies) > 0 {
			out.cookies = (&http.Response{Header: http.Header{"Set-Cookie": setCookies}}).Cookies()
			if len(out.cookies) > 0 {
				c.cookieJar().SetCookies(u, out.cookies)
			}
		}
		return out
	}
}

// actedOn reads the response headers the client itself acts on: Location
// for redirects, Content-Encoding to decode the body and Set-Cookie for
// the jar.
func actedOn(res *fasthttp.Response) (location, encoding string, setCookies []string) {
	location = string(res.Header.Peek("Location"))
	encoding = string(res.Header.ContentEncoding())
	res.Header.VisitAllCookie(func(_, v []byte) {
		setCookies = append(setCookies, string(v))
	})
	return location, encoding, setCookies
}

// headerOf copies parsed response headers into an http.Header.
func headerOf(rh *fasthttp.ResponseHeader) http.Header {
	h := make(http.Header, 8)
	rh.VisitAll(func(k, v []byte) {
		key := string(k)
		h[key] = append(h[key], string(v))
	})
	return h
}

// parseRawHeader parses a response head as it came off the wire.
func parseRawHeader(raw []byte) http.Header {
	var rh fasthttp.ResponseHeader
	rh.SetNoDefaultContentType(true)
	if err := rh.Read(bufio.NewReader(bytes.NewReader(raw))); err != nil {
		return http.Header{}
	}
	return headerOf(&rh)
}

// headEnd ends a response head.
var headEnd = []byte("\r\n\r\n")

// rawHead copies the response head when it is all in the reader's buffer
// (it nearly always is), so that parsing it into a map waits until a script
// reads response.headers. It gives nil otherwise, and for an interim 1xx
// answer: the headers are then copied at once.
func rawHead(br *bufio.Reader) []byte {
	b, err := br.Peek(br.Buffered())
	if err != nil || bytes.HasPrefix(b, []byte("HTTP/1.1 1")) || bytes.HasPrefix(b, []byte("HTTP/1.0 1")) {
		return nil
	}
	if i := bytes.Index(b, headEnd); i >= 0 {
		return append([]byte(nil), b[:i+4]...)
	}
	return nil
}

// errBodyCut marks a response whose body was longer than the limit: the
// body holds its first MaxBodyBytes.
var errBodyCut = errors.New("response body cut at the limit")

// exchangeH1 writes the request and reads the response on one connection,
// filling the sending, waiting and receiving phases, and returns the body
// (a copy). A nil response with an error means no answer arrived.
func (c *httpClient) exchangeH1(hc *h1Conn, pr *preparedRequest, method string, u *url.URL, host string, body []byte, header http.Header, t *timings, raw *[]byte) (*fasthttp.Response, []byte, error) {
	begin := time.Now()
	if err := writeH1(hc.bw, method, u, host, body, header); err != nil {
		return nil, nil, err
	}
	wrote := time.Now()
	t.sending = wrote.Sub(begin)
	if _, err := hc.br.Peek(1); err != nil {
		t.waiting = time.Since(wrote)
		return nil, nil, err
	}
	ttfb := time.Now()
	t.waiting = ttfb.Sub(wrote)
	if !pr.goOnly {
		*raw = rawHead(hc.br)
	}
	res := fasthttp.AcquireResponse()
	res.Header.SetNoDefaultContentType(true)
	res.SkipBody = method == "HEAD"
	limit := int(min(c.rs.cfg.MaxBodyBytes, 1<<40))
	err := res.ReadLimitBody(hc.br, limit)
	var data []byte
	switch {
	case err == nil:
		if b := res.Body(); len(b) > 0 && pr.responseType != "none" {
			data = append([]byte(nil), b...)
		}
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		// A sized body was refused before any of it was read; a chunked
		// one stopped before the chunk that crossed the limit. Either way
		// what follows in the reader is body: take it up to the limit.
		data = append([]byte(nil), res.Body()...)
		if need := limit - len(data); need > 0 {
			buf := make([]byte, need)
			n, _ := io.ReadFull(hc.br, buf)
			data = append(data, buf[:n]...)
		}
		err = errBodyCut
	}
	end := time.Now()
	t.receiving = end.Sub(ttfb)
	t.duration = t.sending + t.waiting + t.receiving
	return res, data, err
}

// staleConn tells a kept-alive connection the server had closed.
func staleConn(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// classifyH1 maps an error of the plain-HTTP path to k6's message and code.
func classifyH1(ctx context.Context, deadline time.Time, err error) (error, int) {
	var ne net.Error
	if ctx.Err() == nil && (errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())) && !time.Now().Before(deadline) {
		return errors.New("request timeout"), errCodeTimeout
	}
	if ctx.Err() != nil {
		return ctx.Err(), errCodeGeneric
	}
	return classifyError(context.Background(), ctx, err)
}

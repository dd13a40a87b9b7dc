package imports

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/sdk/postman"
)

// Curl imports curl command lines, one request per curl command, as a
// shell reads them: ' and " quotes, $'...' strings (what browsers' "Copy
// as cURL" writes), backslash-newline continuations. An element may hold
// several commands (separated by newlines, ";", "&&" or "|"); those that
// are not curl are skipped with a warning, as are options that change
// nothing here or that this import does not know.
func Curl(commands []string) (*Result, error) {
	if len(commands) == 0 {
		return nil, generate.Inputf("commands", "is empty: send one or more curl command lines")
	}
	total := 0
	for _, c := range commands {
		total += len(c)
	}
	if total > MaxBytes {
		return nil, generate.Inputf("commands", "are %d bytes; at most %d (%d MiB) are read", total, MaxBytes, MaxBytes>>20)
	}
	w := &warner{}
	c := &postman.Collection{Info: postman.Info{Name: "curl import"}, Item: []*postman.Item{}}
	for i, text := range commands {
		at := fmt.Sprintf("commands[%d]", i)
		if strings.TrimSpace(text) == "" {
			return nil, generate.Inputf(at, "is empty")
		}
		cmds, err := shellWords(text)
		if err != nil {
			return nil, generate.Inputf(at, "%v", err)
		}
		found := 0
		for _, cmd := range cmds {
			if len(cmd.words) == 0 {
				continue
			}
			if prog := cmd.words[0]; prog != "curl" && !strings.HasSuffix(prog, "/curl") && prog != "curl.exe" {
				w.warn("%s, line %d: %q is not curl; skipped", at, cmd.line, prog)
				continue
			}
			found++
			if len(c.Item) >= MaxRequests {
				return nil, generate.Inputf("commands", "hold more than %d curl commands", MaxRequests)
			}
			where := at
			if len(cmds) > 1 {
				where = fmt.Sprintf("%s, line %d", at, cmd.line)
			}
			it, err := curlRequest(cmd.words[1:], where, w)
			if err != nil {
				return nil, generate.Inputf(at, "%v", err)
			}
			c.Item = append(c.Item, it)
		}
		if found == 0 {
			return nil, generate.Inputf(at, "is not a curl command: it should start with \"curl\"")
		}
	}
	return &Result{Collection: c, Warnings: w.list()}, nil
}

// curlOpts are curl's options this import reads: their long name, and
// whether they take an argument.
var curlOpts = map[string]bool{
	"request": true, "header": true, "data": true, "data-ascii": true, "data-raw": true, "data-binary": true,
	"data-urlencode": true, "json": true, "form": true, "form-string": true, "user": true, "url": true, "get": false,
	"head": false, "user-agent": true, "referer": true, "cookie": true, "upload-file": true, "oauth2-bearer": true,
	"basic": false, "digest": false, "ntlm": false, "anyauth": false,
	// Changing nothing a test collection keeps (output, progress,
	// timeouts, redirects and TLS checks are the runner's settings).
	"compressed": false, "silent": false, "show-error": false, "insecure": false, "location": false, "verbose": false,
	"include": false, "fail": false, "fail-with-body": false, "http1.0": false, "http1.1": false, "http2": false,
	"http2-prior-knowledge": false, "http3": false, "no-buffer": false, "no-progress-meter": false, "progress-bar": false,
	"globoff": false, "location-trusted": false, "path-as-is": false, "tlsv1.2": false, "tlsv1.3": false, "ipv4": false,
	"ipv6": false, "no-keepalive": false, "tcp-nodelay": false, "raw": false, "styled-output": false, "no-styled-output": false,
	"output": true, "max-time": true, "connect-timeout": true, "retry": true, "retry-delay": true, "retry-max-time": true,
	"write-out": true, "dump-header": true, "cookie-jar": true, "max-redirs": true, "limit-rate": true, "trace": true,
	"trace-ascii": true, "stderr": true, "remote-name": false, "remote-name-all": false, "create-dirs": false,
	// Changing the request in ways a collection cannot say: a warning.
	"proxy": true, "proxy-user": true, "cacert": true, "capath": true, "cert": true, "key": true, "cert-type": true,
	"resolve": true, "connect-to": true, "unix-socket": true, "range": true, "config": true, "interface": true,
	"dns-servers": true, "time-cond": true, "continue-at": true, "netrc": false, "netrc-file": true,
	"aws-sigv4": true, "negotiate": false, "delegation": true, "socks5": true, "socks5-hostname": true, "noproxy": true,
}

// curlQuiet are options dropped without a word.
var curlQuiet = map[string]bool{
	"compressed": true, "silent": true, "show-error": true, "insecure": true, "location": true, "verbose": true,
	"include": true, "fail": true, "fail-with-body": true, "http1.0": true, "http1.1": true, "http2": true,
	"http2-prior-knowledge": true, "http3": true, "no-buffer": true, "no-progress-meter": true, "progress-bar": true,
	"globoff": true, "location-trusted": true, "path-as-is": true, "tlsv1.2": true, "tlsv1.3": true, "ipv4": true,
	"ipv6": true, "no-keepalive": true, "tcp-nodelay": true, "raw": true, "styled-output": true, "no-styled-output": true,
	"output": true, "max-time": true, "connect-timeout": true, "retry": true, "retry-delay": true, "retry-max-time": true,
	"write-out": true, "dump-header": true, "cookie-jar": true, "max-redirs": true, "limit-rate": true, "trace": true,
	"trace-ascii": true, "stderr": true, "remote-name": true, "remote-name-all": true, "create-dirs": true,
}

var curlShort = map[byte]string{
	'X': "request", 'H': "header", 'd': "data", 'F': "form", 'u': "user", 'G': "get", 'I': "head", 'A': "user-agent",
	'e': "referer", 'b': "cookie", 'T': "upload-file", 's': "silent", 'S': "show-error", 'k': "insecure", 'L': "location",
	'v': "verbose", 'i': "include", 'f': "fail", 'N': "no-buffer", '#': "progress-bar", 'g': "globoff", 'o': "output",
	'm': "max-time", 'w': "write-out", 'D': "dump-header", 'c': "cookie-jar", 'x': "proxy", 'U': "proxy-user",
	'E': "cert", 'r': "range", 'K': "config", 'z': "time-cond", 'C': "continue-at", 'n': "netrc", '0': "http1.0",
	'4': "ipv4", '6': "ipv6", 'O': "remote-name",
}

// curlCmd is what one curl command asks for.
type curlCmd struct {
	method, url                 string
	urls                        int
	headers                     []postman.Header
	data                        []string
	form                        []postman.FormParam
	get, head, upload, jsonData bool
	user                        *string
	authType                    string
	bearer                      string
}

func curlRequest(args []string, at string, w *warner) (*postman.Item, error) {
	cmd := &curlCmd{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			for _, u := range args[i+1:] {
				cmd.addURL(u)
			}
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			cmd.addURL(a)
			continue
		}
		if strings.HasPrefix(a, "--") {
			name := a[2:]
			takesArg, known := curlOpts[name]
			if !known {
				w.warn("%s: curl option %s is not read; ignored", at, a)
				continue
			}
			val := ""
			if takesArg {
				if i+1 >= len(args) {
					return nil, fmt.Errorf("option %s needs a value", a)
				}
				i++
				val = args[i]
			}
			cmd.option(name, val, at, w)
			continue
		}
		// Short options, bundled ("-sSL") or with their value attached
		// ("-XPOST", "-did=1").
		for j := 1; j < len(a); j++ {
			name, known := curlShort[a[j]]
			if !known {
				w.warn("%s: curl option -%c is not read; ignored", at, a[j])
				continue
			}
			if !curlOpts[name] {
				cmd.option(name, "", at, w)
				continue
			}
			val := a[j+1:]
			if val == "" {
				if i+1 >= len(args) {
					return nil, fmt.Errorf("option -%c needs a value", a[j])
				}
				i++
				val = args[i]
			}
			cmd.option(name, val, at, w)
			break
		}
	}
	if cmd.url == "" {
		return nil, fmt.Errorf("the curl command has no URL")
	}
	if cmd.urls > 1 {
		w.warn("%s: the command names %d URLs: the first, %s, is imported", at, cmd.urls, cmd.url)
	}
	return cmd.item(at, w), nil
}

func (c *curlCmd) addURL(u string) {
	c.urls++
	if c.url == "" {
		c.url = u
	}
}

func (c *curlCmd) option(name, val, at string, w *warner) {
	switch name {
	case "request":
		c.method = strings.ToUpper(val)
	case "header":
		c.header(val, at, w)
	case "data", "data-ascii", "data-binary":
		if strings.HasPrefix(val, "@") {
			w.warn("%s: --%s %s reads a file, which is not imported: the body leaves it out", at, name, val)
			return
		}
		c.data = append(c.data, val)
	case "data-raw":
		c.data = append(c.data, val)
	case "json":
		c.jsonData = true
		c.data = append(c.data, val)
	case "data-urlencode":
		c.data = append(c.data, urlencodeData(val, at, w))
	case "form", "form-string":
		c.formField(val, name == "form-string", at, w)
	case "user":
		c.user = &val
	case "url":
		c.addURL(val)
	case "get":
		c.get = true
	case "head":
		c.head = true
	case "user-agent":
		c.headers = append(c.headers, postman.Header{Key: "User-Agent", Value: val})
	case "referer":
		c.headers = append(c.headers, postman.Header{Key: "Referer", Value: strings.TrimSuffix(val, ";auto")})
	case "cookie":
		if !strings.Contains(val, "=") {
			w.warn("%s: --cookie %s reads a cookie file, which is not imported", at, val)
			return
		}
		c.cookie(val)
	case "upload-file":
		c.upload = true
		w.warn("%s: --upload-file %s sends a file, which is not imported: the body is empty", at, val)
	case "oauth2-bearer":
		c.bearer = val
	case "basic", "digest", "ntlm":
		c.authType = name
	case "anyauth":
	default:
		if !curlQuiet[name] {
			w.warn("%s: curl option --%s has no counterpart in a collection; ignored", at, name)
		}
	}
}

// header reads -H "Name: value" (or "Name;" for an empty value; "Name:"
// asks curl to leave a header out, which a collection does by not having
// it).
func (c *curlCmd) header(h, at string, w *warner) {
	if strings.HasPrefix(h, "@") {
		w.warn("%s: -H %s reads headers from a file, which is not imported", at, h)
		return
	}
	name, val, ok := strings.Cut(h, ":")
	if !ok {
		if n, found := strings.CutSuffix(strings.TrimSpace(h), ";"); found {
			c.headers = append(c.headers, postman.Header{Key: n, Value: ""})
			return
		}
		w.warn("%s: header %q has no colon; ignored", at, h)
		return
	}
	name, val = strings.TrimSpace(name), strings.TrimSpace(val)
	if val == "" {
		return
	}
	if strings.EqualFold(name, "Cookie") {
		c.cookie(val)
		return
	}
	c.headers = append(c.headers, postman.Header{Key: name, Value: val})
}

// cookie adds to the Cookie header (curl sends -b and -H Cookie as one).
func (c *curlCmd) cookie(v string) {
	for i := range c.headers {
		if strings.EqualFold(c.headers[i].Key, "Cookie") {
			c.headers[i].Value += "; " + v
			return
		}
	}
	c.headers = append(c.headers, postman.Header{Key: "Cookie", Value: v})
}

// urlencodeData reads --data-urlencode: "content", "=content" or
// "name=content" (the content encoded), or a file ("@f", "name@f").
func urlencodeData(v, at string, w *warner) string {
	if eq := strings.IndexByte(v, '='); eq >= 0 {
		name := v[:eq]
		if name == "" {
			return url.QueryEscape(v[1:])
		}
		return name + "=" + url.QueryEscape(v[eq+1:])
	}
	if at0 := strings.IndexByte(v, '@'); at0 >= 0 {
		w.warn("%s: --data-urlencode %s reads a file, which is not imported", at, v)
		return ""
	}
	return url.QueryEscape(v)
}

// formField reads -F "name=value", "name=@file;type=...", "name=<file".
func (c *curlCmd) formField(v string, literal bool, at string, w *warner) {
	name, val, _ := strings.Cut(v, "=")
	f := postman.FormParam{Key: name, Value: val, Type: "text"}
	if !literal {
		switch {
		case strings.HasPrefix(val, "@"):
			file, params, _ := strings.Cut(val[1:], ";")
			f = postman.FormParam{Key: name, Type: "file", Src: []string{strings.Trim(file, `"`)}, ContentType: formType(params)}
			w.warn("%s: form field %q sends the file %s, which is not imported: attach it again", at, name, file)
		case strings.HasPrefix(val, "<"):
			w.warn("%s: form field %q takes its value from the file %s, which is not imported: the value is empty", at, name, val[1:])
			f.Value = ""
		default:
			if v, params, ok := strings.Cut(val, ";type="); ok {
				f.Value, f.ContentType = v, formType("type="+params)
			}
		}
	}
	c.form = append(c.form, f)
}

func formType(params string) string {
	for _, p := range strings.Split(params, ";") {
		if t, ok := strings.CutPrefix(strings.TrimSpace(p), "type="); ok {
			return t
		}
	}
	return ""
}

func (c *curlCmd) item(at string, w *warner) *postman.Item {
	method := c.method
	if method == "" {
		switch {
		case c.head:
			method = "HEAD"
		case c.get:
			method = "GET"
		case len(c.data) > 0 || len(c.form) > 0:
			method = "POST"
		case c.upload:
			method = "PUT"
		default:
			method = "GET"
		}
	}
	rawURL := c.url
	data := strings.Join(c.data, "&")
	if c.get && len(c.data) > 0 {
		sep := "?"
		if strings.Contains(rawURL, "?") {
			sep = "&"
		}
		rawURL += sep + data
		data = ""
	}
	req := &postman.Request{Method: method, URL: postman.NewURL(rawURL), Header: c.headers}
	if c.jsonData {
		for _, h := range []string{"Content-Type", "Accept"} {
			if headerValue(req.Header, h) == "" {
				req.Header = append(req.Header, postman.Header{Key: h, Value: "application/json"})
			}
		}
	}
	switch {
	case len(c.form) > 0:
		if data != "" {
			w.warn("%s: the command sends both a form (-F) and data (-d), which curl refuses: the form is imported", at)
		}
		req.Body = &postman.Body{Mode: postman.ModeFormData, FormData: c.form}
	case data != "":
		req.Body = dataBody(data, req)
	}
	switch {
	case c.bearer != "":
		req.Auth = postman.NewAuth("bearer", "token", c.bearer)
	case c.user != nil:
		user, pass, ok := strings.Cut(*c.user, ":")
		if !ok {
			w.warn("%s: -u %s gives no password (curl would ask for it): the password is empty", at, user)
		}
		typ := c.authType
		if typ == "" {
			typ = "basic"
		}
		req.Auth = postman.NewAuth(typ, "username", user, "password", pass)
	}
	return &postman.Item{Name: requestName(method, rawURL), Request: req}
}

// dataBody is -d's body: a form curl sends as urlencoded (fields a
// collection keeps one by one), anything else as raw text with the
// Content-Type curl would send.
func dataBody(data string, req *postman.Request) *postman.Body {
	ct := headerValue(req.Header, "Content-Type")
	if ct == "" || mediaType(ct) == "application/x-www-form-urlencoded" {
		if fields, ok := formFields(data); ok {
			return &postman.Body{Mode: postman.ModeURLEncoded, URLEncoded: fields}
		}
		if ct == "" {
			ct = "application/x-www-form-urlencoded"
			req.Header = append(req.Header, postman.Header{Key: "Content-Type", Value: ct})
		}
	}
	return rawBody(data, ct)
}

// formFields splits "a=1&b=x%20y" into decoded fields; ok is false for
// data that is not such a form.
func formFields(data string) ([]postman.FormParam, bool) {
	if strings.ContainsAny(data, " \t\r\n{}[]\"") {
		return nil, false
	}
	var out []postman.FormParam
	for _, part := range strings.Split(data, "&") {
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, false
		}
		dk, err1 := url.QueryUnescape(k)
		dv, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil || dk == "" {
			return nil, false
		}
		out = append(out, postman.FormParam{Key: dk, Value: dv})
	}
	return out, len(out) > 0
}

// shellCmd is one command of a command line and the line it starts on.
type shellCmd struct {
	words []string
	line  int
}

// maxWords bounds one command line.
const maxWords = 100000

// shellWords splits text into commands and words as a POSIX shell does
// (no expansions: $VAR and globs stay as written).
func shellWords(s string) ([]shellCmd, error) {
	var cmds []shellCmd
	cur := shellCmd{line: 1}
	var word strings.Builder
	inWord := false
	line := 1
	nwords := 0
	endWord := func() {
		if inWord {
			cur.words = append(cur.words, word.String())
			word.Reset()
			inWord = false
			nwords++
		}
	}
	endCmd := func() {
		endWord()
		if len(cur.words) > 0 {
			cmds = append(cmds, cur)
		}
		cur = shellCmd{line: line}
	}
	for i := 0; i < len(s); i++ {
		if nwords > maxWords {
			return nil, fmt.Errorf("holds more than %d words", maxWords)
		}
		ch := s[i]
		switch {
		case ch == '\\':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
				line++
				continue
			}
			if i+2 < len(s) && s[i+1] == '\r' && s[i+2] == '\n' {
				i += 2
				line++
				continue
			}
			if i+1 < len(s) {
				i++
				word.WriteByte(s[i])
			}
			inWord = true
		case ch == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("line %d: a ' quote is not closed", line)
			}
			q := s[i+1 : i+1+end]
			line += strings.Count(q, "\n")
			word.WriteString(q)
			i += end + 1
			inWord = true
		case ch == '$' && i+1 < len(s) && s[i+1] == '\'':
			n, out, err := ansiC(s[i+2:])
			if err != nil {
				return nil, fmt.Errorf("line %d: %v", line, err)
			}
			line += strings.Count(s[i+2:i+2+n], "\n")
			word.WriteString(out)
			i += 1 + n
			inWord = true
		case ch == '"':
			j := i + 1
			start := line
			for ; j < len(s) && s[j] != '"'; j++ {
				switch {
				case s[j] == '\\' && j+1 < len(s) && s[j+1] == '\n':
					j++
					line++
				case s[j] == '\\' && j+1 < len(s) && strings.IndexByte("\"\\$`", s[j+1]) >= 0:
					j++
					word.WriteByte(s[j])
				default:
					if s[j] == '\n' {
						line++
					}
					word.WriteByte(s[j])
				}
			}
			if j >= len(s) {
				return nil, fmt.Errorf("line %d: a \" quote is not closed", start)
			}
			i = j
			inWord = true
		case ch == ' ' || ch == '\t' || ch == '\r':
			endWord()
		case ch == '\n':
			line++
			endCmd()
		case ch == ';' || ch == '|' || ch == '&':
			endCmd()
			for i+1 < len(s) && (s[i+1] == '|' || s[i+1] == '&') {
				i++
			}
		case ch == '#' && !inWord:
			for i < len(s) && s[i] != '\n' {
				i++
			}
			i--
		default:
			word.WriteByte(ch)
			inWord = true
		}
	}
	endCmd()
	return cmds, nil
}

// ansiC reads the rest of a $'...' string: how many bytes it took
// (the closing quote included) and its text.
func ansiC(s string) (int, string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch == '\'' {
			return i + 1, b.String(), nil
		}
		if ch != '\\' || i+1 >= len(s) {
			b.WriteByte(ch)
			continue
		}
		i++
		switch e := s[i]; e {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'e', 'E':
			b.WriteByte(0x1b)
		case 'f':
			b.WriteByte('\f')
		case 'v':
			b.WriteByte('\v')
		case '\\', '\'', '"', '?':
			b.WriteByte(e)
		case 'x', 'u', 'U':
			width := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			j := i + 1
			for j < len(s) && j-i-1 < width && isHex(s[j]) {
				j++
			}
			if j == i+1 {
				b.WriteByte('\\')
				b.WriteByte(e)
				continue
			}
			n, _ := strconv.ParseUint(s[i+1:j], 16, 32)
			if e == 'x' {
				b.WriteByte(byte(n))
			} else if utf8.ValidRune(rune(n)) {
				b.WriteRune(rune(n))
			}
			i = j - 1
		case '0', '1', '2', '3', '4', '5', '6', '7':
			j := i
			for j < len(s) && j-i < 3 && s[j] >= '0' && s[j] <= '7' {
				j++
			}
			n, _ := strconv.ParseUint(s[i:j], 8, 16)
			b.WriteByte(byte(n))
			i = j - 1
		default:
			b.WriteByte('\\')
			b.WriteByte(e)
		}
	}
	return 0, "", fmt.Errorf("a $' quote is not closed")
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

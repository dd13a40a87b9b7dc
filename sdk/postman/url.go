package postman

import (
	"strings"
)

// NewURL is a URL from its text as typed in Postman
// ("{{baseUrl}}/users/:id?x=1"), split into parts as Postman splits it
// (newman sends the parts): the host is split at dots outside
// {{variables}}, ":name" path segments become path variables, and a query
// key without "=" has a nil value. Raw keeps the text as given.
func NewURL(raw string) *URL {
	u := &URL{Raw: raw}
	s := strings.TrimLeft(raw, " \t\r\n")
	if i := strings.Index(s, "://"); i > 0 && !strings.ContainsAny(s[:i], ":?") {
		u.Protocol, s = s[:i], s[i+3:]
	}
	if end := strings.IndexAny(s, "?#/"); end != 0 && s != "" {
		if end < 0 {
			end = len(s)
		}
		host := s[:end]
		s = s[end:]
		userinfo := ""
		if at := strings.IndexByte(host, '@'); at > 0 {
			userinfo, host = host[:at+1], host[at+1:]
		}
		if c := strings.LastIndexByte(host, ':'); c >= 0 && c < len(host)-1 && !strings.HasSuffix(host, "]") {
			u.Port, host = host[c+1:], host[:c]
		}
		u.Host = splitHost(host)
		if userinfo != "" {
			// The schema has no place for credentials in a URL: they stay
			// in the host, which gives them back in the URL's text.
			if len(u.Host) == 0 {
				u.Host = []string{""}
			}
			u.Host[0] = userinfo + u.Host[0]
		}
	}
	p := s
	if end := strings.IndexAny(s, "?#"); end >= 0 {
		p, s = s[:end], s[end:]
	} else {
		s = ""
	}
	u.Path = splitPath(p)
	if strings.HasPrefix(s, "?") {
		q := s[1:]
		if h := strings.IndexByte(q, '#'); h >= 0 {
			q, s = q[:h], q[h:]
		} else {
			s = ""
		}
		if q != "" {
			u.Query = parseQuery(q)
		}
	}
	if h := strings.IndexByte(s, '#'); h >= 0 {
		u.Hash = s[h+1:]
	}
	seen := map[string]bool{}
	for _, seg := range u.Path {
		if len(seg) > 1 && seg[0] == ':' && !seen[seg] {
			seen[seg] = true
			u.Variable = append(u.Variable, Variable{Key: seg[1:]})
		}
	}
	return u
}

// splitHost splits a host at its dots, except those inside {{...}}.
func splitHost(h string) []string {
	h = strings.Trim(h, ".")
	var out []string
	start := 0
	for i := 0; i < len(h); i++ {
		if h[i] != '.' || insideVariable(h[i+1:]) {
			continue
		}
		out = append(out, h[start:i])
		start = i + 1
	}
	return append(out, h[start:])
}

// insideVariable says whether text after a dot closes a {{variable}}
// before opening another: the dot is then part of the variable's name.
func insideVariable(rest string) bool {
	for i := 0; i < len(rest); i++ {
		switch {
		case rest[i] == '{':
			return false
		case strings.HasPrefix(rest[i:], "}}"):
			return true
		}
	}
	return false
}

// splitPath splits a path into segments: nil for "", [""] for "/".
func splitPath(p string) []string {
	if len(p) > 1 && p[0] == '/' {
		p = p[1:]
	}
	switch p {
	case "":
		return nil
	case "/":
		return []string{""}
	}
	return strings.Split(p, "/")
}

// parseQuery splits a query string at & without decoding it: values keep
// their {{variables}} and escapes as typed.
func parseQuery(q string) []QueryParam {
	var out []QueryParam
	for _, part := range strings.Split(q, "&") {
		k, v, ok := strings.Cut(part, "=")
		p := QueryParam{Key: k}
		if ok {
			p.Value = &v
		}
		out = append(out, p)
	}
	return out
}

// String is the URL's text: Raw, or where there is none, Build.
func (u *URL) String() string {
	if u == nil {
		return ""
	}
	if u.Raw != "" {
		return u.Raw
	}
	return u.Build()
}

// Build is the URL's text made from its parts (as newman sends it before
// resolving variables): disabled query parameters are left out.
func (u *URL) Build() string {
	if u == nil {
		return ""
	}
	var b strings.Builder
	if u.Protocol != "" {
		b.WriteString(strings.TrimSuffix(u.Protocol, "://"))
		b.WriteString("://")
	}
	b.WriteString(strings.Join(u.Host, "."))
	if u.Port != "" {
		b.WriteString(":" + u.Port)
	}
	if u.Path != nil {
		b.WriteString("/" + strings.Join(u.Path, "/"))
	}
	if q := u.QueryString(); q != "" {
		b.WriteString("?" + q)
	}
	if u.Hash != "" {
		b.WriteString("#" + u.Hash)
	}
	return b.String()
}

// QueryString is the enabled query parameters as "k=v&k2", not encoded.
func (u *URL) QueryString() string {
	var parts []string
	for _, q := range u.Query {
		if q.Disabled {
			continue
		}
		if q.Value == nil {
			parts = append(parts, q.Key)
			continue
		}
		parts = append(parts, q.Key+"="+*q.Value)
	}
	return strings.Join(parts, "&")
}

// PathVariable is the value of the path variable name (":name"), and
// whether the URL defines it.
func (u *URL) PathVariable(name string) (string, bool) {
	if u == nil {
		return "", false
	}
	for _, v := range u.Variable {
		if v.Key == name {
			return v.String(), true
		}
	}
	return "", false
}

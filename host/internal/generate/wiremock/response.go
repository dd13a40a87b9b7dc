package wiremock

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/generate/imports"
	"github.com/mockarty-oss/mockarty/host/internal/model"
)

// response sets the mock's response, or its proxy; false when no mock can
// be made.
func (s *stubT) response(o *obj, m *model.Mock, rc *routeCtx) bool {
	tp := &tpl{s: s, rc: rc, root: "request"}
	if o.has("transformers") {
		list, ok := o.list("transformers")
		if !ok {
			s.rep.Skip("transformers is not a list of names")
		}
		for _, raw := range list {
			if name := stringOf(raw); name == "response-template" {
				tp.on = true
			} else {
				s.rep.Skip("response transformer %q: a WireMock extension, not translated", name)
			}
		}
	}
	if o.has("transformerParameters") {
		o.raw("transformerParameters")
		s.rep.Skip("transformerParameters (what templates read as parameters.x) are not carried")
	}
	r := &model.ContentResponse{StatusCode: 200}
	if st, ok := o.num("status"); ok {
		r.StatusCode = int(st)
		if r.StatusCode < 100 || r.StatusCode > 599 {
			s.rep.Skip("status %v is no HTTP status Mockarty sends: the mock answers 500", st)
			r.StatusCode = 500
		}
	}
	if msg, ok := o.str("statusMessage"); ok {
		s.rep.Skip("statusMessage %q (Mockarty sends the standard reason phrase)", msg)
	}
	s.headers(o, r, tp)
	s.delay(o, r)
	if fault, ok := o.str("fault"); ok {
		s.rep.Skip("fault %s: Mockarty cannot break a connection; the mock answers 500 with no body", fault)
		r.StatusCode, r.Headers = 500, nil
		o.ignore("body", "jsonBody", "base64Body", "bodyFileName")
		m.Response = r
		s.leftovers(o)
		return true
	}
	if o.has("proxyBaseUrl") {
		return s.proxy(o, m, r)
	}
	s.body(o, r, tp)
	m.Response = r
	s.leftovers(o)
	return true
}

func (s *stubT) leftovers(o *obj) {
	for _, k := range o.rest() {
		s.rep.Skip("the response field %q is not translated", k)
	}
}

func (s *stubT) headers(o *obj, r *model.ContentResponse, tp *tpl) {
	if !o.has("headers") {
		return
	}
	hs := o.sub("headers")
	if hs == nil {
		s.rep.Skip("response headers is not an object")
		return
	}
	r.Headers = map[string][]string{}
	for _, name := range hs.keys() {
		raw := hs.raw(name)
		var vals []string
		if json.Unmarshal(raw, &vals) != nil {
			vals = []string{stringOf(raw)}
		}
		for i, v := range vals {
			vals[i] = tp.text(v, fmt.Sprintf("response header %q", name))
		}
		r.Headers[name] = vals
	}
}

// delay adds the fixed delay, a random delay's typical value and a
// dribbled body's whole duration.
func (s *stubT) delay(o *obj, r *model.ContentResponse) {
	total := 0.0
	if ms, ok := o.num("fixedDelayMilliseconds"); ok {
		total += ms
	}
	if o.has("delayDistribution") {
		d := o.sub("delayDistribution")
		var kind string
		if d != nil {
			kind, _ = d.str("type")
		}
		switch kind {
		case "uniform":
			lo, _ := d.num("lower")
			hi, _ := d.num("upper")
			total += (lo + hi) / 2
			s.rep.Note("delayDistribution uniform %v-%v ms: a fixed delay of the midpoint, %v ms", lo, hi, (lo+hi)/2)
		case "lognormal":
			median, _ := d.num("median")
			total += median
			s.rep.Note("delayDistribution lognormal: a fixed delay of the median, %v ms", median)
		default:
			s.rep.Skip("delayDistribution %q is not translated", kind)
		}
	}
	if o.has("chunkedDribbleDelay") {
		d := o.sub("chunkedDribbleDelay")
		if d != nil {
			dur, _ := d.num("totalDuration")
			total += dur
			s.rep.Note("chunkedDribbleDelay: the body is sent whole after %v ms, not in chunks", dur)
		}
	}
	var note string
	r.Delay, note = imports.Delay(total)
	if note != "" {
		s.rep.Note("%s", note)
	}
}

func (s *stubT) body(o *obj, r *model.ContentResponse, tp *tpl) {
	var set []string
	for _, k := range []string{"body", "jsonBody", "base64Body", "bodyFileName"} {
		if o.has(k) {
			set = append(set, k)
		}
	}
	if len(set) > 1 {
		s.rep.Skip("%s are set together: only %s is used", strings.Join(set, ", "), set[0])
		o.ignore(set[1:]...)
	}
	if len(set) == 0 {
		return
	}
	switch set[0] {
	case "body":
		// Sent as text, byte for byte: a JSON text keeps its spacing, and
		// a template renders into text as WireMock's does.
		r.Payload = imports.JSON(tp.text(stringOf(o.raw("body")), "body"))
	case "jsonBody":
		raw := o.raw("jsonBody")
		out, err := rewriteStrings(raw, func(v string) string { return tp.jsonString(v, "jsonBody") })
		if err != nil {
			s.rep.Skip("jsonBody does not parse (%v)", err)
			return
		}
		r.Payload = out
	case "base64Body":
		b64 := stringOf(o.raw("base64Body"))
		if _, err := base64.StdEncoding.DecodeString(b64); err != nil {
			s.rep.Skip("base64Body is not valid base64 (%v)", err)
			return
		}
		r.Payload, r.Decode = imports.JSON(b64), "base64"
		if tp.on {
			s.rep.Note("base64Body is sent as it is: WireMock does not template it either")
		}
	case "bodyFileName":
		name := stringOf(o.raw("bodyFileName"))
		s.rep.Skip("bodyFileName %q: files are not carried; put the file's content in the mock's payload (or upload it as a template and set payloadTemplatePath)", name)
	}
}

func (s *stubT) proxy(o *obj, m *model.Mock, r *model.ContentResponse) bool {
	target, _ := o.str("proxyBaseUrl")
	if strings.Contains(target, "{{") {
		s.rep.Skip("proxyBaseUrl %q is a template (Mockarty's proxy target is not): no mock made", target)
		return false
	}
	if u, err := url.Parse(target); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		s.rep.Skip("proxyBaseUrl %q is no absolute http(s) URL: no mock made", target)
		return false
	}
	for _, k := range []string{"proxyUrlPrefixToRemove", "additionalProxyRequestHeaders", "removeProxyRequestHeaders"} {
		if o.has(k) {
			o.raw(k)
			s.rep.Skip("%s (Mockarty's proxy passes the path and headers on as they came)", k)
		}
	}
	for _, k := range []string{"body", "jsonBody", "base64Body", "bodyFileName", "status"} {
		if o.has(k) {
			o.raw(k)
			s.rep.Note("%s is not used with proxyBaseUrl (WireMock does not use it either)", k)
		}
	}
	m.Proxy = &model.Proxy{Target: target}
	if r.Delay > 0 || len(r.Headers) > 0 {
		m.Response = &model.ContentResponse{Delay: r.Delay, Headers: r.Headers}
	}
	s.leftovers(o)
	return true
}

// webhooks translates the webhook listeners (serveEventListeners, and the
// older postServeActions) into Mockarty webhooks, sent asynchronously
// after the reply as WireMock sends them.
func (s *stubT) webhooks(o *obj, m *model.Mock, rc *routeCtx) {
	for _, key := range []string{"serveEventListeners", "postServeActions"} {
		if !o.has(key) {
			continue
		}
		raw := o.raw(key)
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) != nil {
			byName := newObj(raw) // the older form: {"webhook": {...}}
			if byName == nil {
				s.rep.Skip("%s is neither a list nor an object", key)
				continue
			}
			for _, name := range byName.keys() {
				s.listener(key+"."+name, name, byName.raw(name), m, rc)
			}
			continue
		}
		for i, item := range list {
			l := newObj(item)
			if l == nil {
				s.rep.Skip("%s[%d] is not an object", key, i)
				continue
			}
			name, _ := l.str("name")
			l.ignore("requestPhases")
			s.listener(fmt.Sprintf("%s[%d]", key, i), name, l.raw("parameters"), m, rc)
			for _, k := range l.rest() {
				s.rep.Skip("%s[%d]: the field %q is not translated", key, i, k)
			}
		}
	}
}

func (s *stubT) listener(where, name string, params json.RawMessage, m *model.Mock, rc *routeCtx) {
	if name != "webhook" {
		s.rep.Skip("%s: the listener %q is a WireMock extension, not translated", where, name)
		return
	}
	p := newObj(params)
	if p == nil {
		s.rep.Skip("%s: the webhook has no parameters", where)
		return
	}
	target, _ := p.str("url")
	if strings.Contains(target, "{{") {
		s.rep.Skip("%s: the url %q is a template (Mockarty webhook URLs are not)", where, target)
		return
	}
	if u, err := url.Parse(target); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		s.rep.Skip("%s: the url %q is no absolute http(s) URL", where, target)
		return
	}
	tp := &tpl{s: s, rc: rc, on: true, root: "originalRequest"}
	cb := model.Callback{Type: "http", URL: target, Async: true}
	if method, ok := p.str("method"); ok {
		mm, ok := imports.Method(method)
		if !ok || mm == "ANY" {
			s.rep.Skip("%s: method %q is not one Mockarty sends", where, method)
			return
		}
		cb.Method = mm
	} else {
		s.rep.Note("%s: no method given: Mockarty sends POST", where)
	}
	if hs := p.sub("headers"); hs != nil {
		cb.Headers = map[string]string{}
		for _, k := range hs.keys() {
			raw := hs.raw(k)
			var vals []string
			if json.Unmarshal(raw, &vals) != nil {
				vals = []string{stringOf(raw)}
			} else if len(vals) > 1 {
				s.rep.Skip("%s: header %q: only the first of several values is sent", where, k)
			}
			if len(vals) > 0 {
				cb.Headers[k] = tp.text(vals[0], where+" header "+k)
			}
		}
	}
	if body, ok := p.str("body"); ok {
		cb.Body = imports.JSON(tp.text(body, where+" body"))
	}
	for _, k := range []string{"base64Body", "delay"} {
		if p.has(k) {
			p.raw(k)
			s.rep.Skip("%s: %s is not translated", where, k)
		}
	}
	for _, k := range p.rest() {
		s.rep.Skip("%s: the parameter %q is not translated", where, k)
	}
	m.Webhooks = append(m.Webhooks, cb)
}

// rewriteStrings re-encodes a JSON document with fn applied to every
// string value (not to keys), keeping the order of members.
func rewriteStrings(raw json.RawMessage, fn func(string) string) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	type frame struct {
		obj, key bool
		n        int
	}
	var stack []frame
	var buf bytes.Buffer
	prefix := func() {
		if len(stack) == 0 {
			return
		}
		top := &stack[len(stack)-1]
		switch {
		case top.obj && !top.key:
			buf.WriteByte(':')
		case top.n > 0:
			buf.WriteByte(',')
		}
	}
	done := func() {
		if len(stack) == 0 {
			return
		}
		top := &stack[len(stack)-1]
		top.n++
		if top.obj {
			top.key = true
		}
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				prefix()
				buf.WriteByte(byte(v))
				stack = append(stack, frame{obj: v == '{', key: v == '{'})
			default:
				stack = stack[:len(stack)-1]
				buf.WriteByte(byte(v))
				done()
			}
		case string:
			if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].key {
				prefix()
				buf.Write(imports.JSON(v))
				stack[n-1].key = false
				continue
			}
			prefix()
			buf.Write(imports.JSON(fn(v)))
			done()
		default:
			prefix()
			buf.Write(imports.JSON(v))
			done()
		}
	}
	return buf.Bytes(), nil
}

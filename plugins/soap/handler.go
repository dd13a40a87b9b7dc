package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/handoff"
	"github.com/mockarty-oss/mockarty/sdk/httpserve"
	"github.com/mockarty-oss/mockarty/sdk/jsonobj"
	"github.com/mockarty-oss/mockarty/sdk/listen"
)

// nearMissNS is the namespace of the near-miss report in a fault's detail.
const nearMissNS = "urn:mockarty:near-miss"

// ServeHTTP answers a SOAP call (POST) or a WSDL request (GET ?wsdl).
func (l *Listener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	s, host, wsdls, client := l.settings, l.host, l.wsdls, l.client
	l.mu.Unlock()
	v := versionOfContentType(r.Header.Get("Content-Type"))
	ns, prefix := s.Namespace, ""
	// The host's /stubs hand-off picks the namespace and prefix; any other
	// request is served in the configured namespace, without those headers.
	hand, fromHost, r := handoff.Accept(r)
	if fromHost {
		if h := hand.Namespace; h != "" {
			if !validNamespace(h) {
				writeFault(w, v, http.StatusBadRequest, fault{code: codeClient, reason: fmt.Sprintf("%s %q is not a namespace name", handoff.HeaderNamespace, h)})
				return
			}
			ns = h
		}
		prefix = strings.TrimRight(hand.Prefix, "/")
	}
	path := r.URL.Path
	if prefix != "" && strings.HasPrefix(path, prefix+"/") {
		path = strings.TrimPrefix(path, prefix) // a proxy that did not strip its prefix
	}
	if path == "" {
		path = "/"
	}
	switch {
	case r.Method == http.MethodGet && wantsWSDL(r):
		l.serveWSDL(w, r, wsdls, ns, path, prefix)
		return
	case r.Method != http.MethodPost:
		w.Header().Set("Allow", "POST, GET")
		writeFault(w, v, http.StatusMethodNotAllowed, fault{code: codeClient,
			reason: "a SOAP call is a POST of an Envelope (GET " + path + "?wsdl serves the WSDL), not " + r.Method})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeFault(w, v, http.StatusRequestEntityTooLarge, fault{code: codeClient,
				reason: fmt.Sprintf("the envelope is larger than %d bytes (maxBodyBytes)", s.MaxBodyBytes)})
		}
		return // else the client went away
	}
	c, err := parseCall(r, body, s.MaxElements)
	if err != nil {
		var mismatch *errVersionMismatch
		if errors.As(err, &mismatch) {
			w.Header().Set("Content-Type", contentType11)
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write(versionMismatchEnvelope(err.Error()))
			return
		}
		writeOwnFault(w, v, fault{code: codeClient, reason: err.Error()})
		return
	}
	ctx := r.Context()
	headers := make(find.MultiMap, len(r.Header)+1)
	for k, vals := range r.Header {
		headers[k] = vals
	}
	if r.Host != "" {
		headers["Host"] = []string{r.Host}
	}
	data, _ := json.Marshal(c.data)
	resp, err := host.FindSOAP(ctx, &find.SOAPRequest{Namespace: ns, ServerName: s.ServerName, Path: path,
		Action: c.action, Operation: c.operation, Headers: headers, Data: data, XML: string(body)})
	var nm *sdk.NoMatch
	switch {
	case errors.As(err, &nm):
		// A fault, not a 404: a SOAP stack reads the reason off a fault's
		// status (500, or 400 for a SOAP 1.2 Sender fault), and a 404
		// would be a transport error to most of them.
		writeOwnFault(w, c.version, noMockFault(nm))
		return
	case err != nil:
		if ctx.Err() == nil {
			// Input the host refuses is the caller's: a Client (Sender) fault.
			status, _, msg := httpserve.FindError(err)
			f := fault{code: codeServer, reason: msg}
			if status < http.StatusInternalServerError {
				f.code = codeClient
			}
			writeFault(w, c.version, status, f)
		}
		return
	}
	if resp.Delay > 0 && !listen.Sleep(ctx, time.Duration(resp.Delay)*time.Millisecond) {
		return // the client went away, or the listener stopped
	}
	if resp.Proxy != nil {
		l.proxy(ctx, w, r, path, body, resp, c.version, client)
		return
	}
	status := resp.StatusCode
	if status < 100 || status > 999 {
		status = http.StatusOK
	}
	var out *reply
	if f := resp.Fault; f != nil {
		status = f.HTTPStatus
		if status < 100 || status > 999 {
			status = http.StatusInternalServerError // the SOAP 1.1 HTTP binding's fault status
		}
		out = &reply{c.version.contentType(), faultEnvelope(c.version, fault{code: f.FaultCode, reason: f.FaultString,
			actor: f.FaultActor, detail: f.Detail, codeNS: c.opNS})}
	} else if out, err = replyOf(c, resp.Data); err != nil {
		pluginLog.Warn("mock payload is not SOAP", "mock", resp.MockID, "error", err)
		writeFault(w, c.version, http.StatusInternalServerError, fault{code: codeServer, reason: err.Error() + " (mock " + resp.MockID + ")"})
		return
	}
	w.Header().Set("Content-Type", out.contentType)
	for k, vals := range resp.Headers {
		w.Header()[http.CanonicalHeaderKey(k)] = vals
	}
	w.Header().Set("X-Mockarty-Mock-Id", resp.MockID)
	if resp.Fault == nil && len(bytes.TrimSpace(resp.Data)) == 0 && (status == http.StatusAccepted || status == http.StatusNoContent) {
		w.WriteHeader(status) // a one-way operation's acknowledgement has no envelope
		return
	}
	w.WriteHeader(status)
	_, _ = w.Write(out.body)
}

// wantsWSDL says the query asks for the WSDL (?wsdl, ?WSDL, ?wsdl=name).
func wantsWSDL(r *http.Request) bool {
	_, ok := wsdlParam(r)
	return ok
}

func wsdlParam(r *http.Request) (string, bool) {
	for k, vals := range r.URL.Query() {
		if strings.EqualFold(k, "wsdl") {
			if len(vals) > 0 {
				return vals[0], true
			}
			return "", true
		}
	}
	return "", false
}

// writeOwnFault sends one of the listener's own faults with the status
// of its version's HTTP binding.
func writeOwnFault(w http.ResponseWriter, v version, f fault) {
	writeFault(w, v, faultStatus(v, f.code), f)
}

// writeFault sends a fault with an HTTP status of the caller's choosing
// (a transport-level answer: 405, 413, 502).
func writeFault(w http.ResponseWriter, v version, status int, f fault) {
	w.Header().Set("Content-Type", v.contentType())
	w.WriteHeader(status)
	_, _ = w.Write(faultEnvelope(v, f))
}

// noMockFault is the Client/Sender fault of a call no mock answers: the
// host's near-miss report, its reason in the faultstring and its
// candidates in the detail (without the expected values of failed
// conditions, as the host's /stubs does: the fault goes to anyone).
func noMockFault(nm *sdk.NoMatch) fault {
	report := &jsonobj.Object{}
	report.Add("-xmlns", nearMissNS)
	report.Add("code", nm.Code)
	report.Add("namespace", nm.Namespace)
	if len(nm.Candidates) > 0 {
		if list, err := jsonobj.Decode(nm.Candidates, maxDepth); err == nil {
			if items, ok := list.([]any); ok && len(items) > 0 {
				for _, it := range items {
					dropExpected(it)
				}
				report.Add("candidate", items)
			}
		}
	}
	var b bytes.Buffer
	if err := writeElement(&b, "nearMiss", report, nil, 0); err != nil {
		b.Reset()
	}
	return fault{code: codeClient, reason: nm.Message, detail: b.String()}
}

// dropExpected removes failedCondition.expected from a candidate.
func dropExpected(candidate any) {
	o, ok := candidate.(*jsonobj.Object)
	if !ok {
		return
	}
	for i, k := range o.Keys {
		if k != "failedCondition" {
			continue
		}
		if f, ok := o.Vals[i].(*jsonobj.Object); ok {
			keep := &jsonobj.Object{}
			for j, fk := range f.Keys {
				if fk != "expected" {
					keep.Add(fk, f.Vals[j])
				}
			}
			o.Vals[i] = keep
		}
	}
}

// serveWSDL answers GET <path>?wsdl.
func (l *Listener) serveWSDL(w http.ResponseWriter, r *http.Request, wsdls *wsdlCache, ns, path, prefix string) {
	name, _ := wsdlParam(r)
	doc, all, err := wsdls.pick(r.Context(), ns, path, name)
	if err != nil {
		if r.Context().Err() == nil {
			textError(w, http.StatusBadGateway, "the mock host did not list the WSDLs: "+err.Error())
		}
		return
	}
	if doc == nil {
		var names []string
		for _, d := range all {
			names = append(names, d.name)
		}
		msg := fmt.Sprintf("no WSDL of namespace %q is registered for %s", ns, path)
		switch {
		case name != "":
			msg = fmt.Sprintf("namespace %q has no WSDL named %q", ns, name)
		case len(names) == 0:
			msg += ": the namespace has none (register one with POST /api/v1/soap/wsdls)"
		}
		if len(names) > 0 {
			msg += "; registered: " + strings.Join(names, ", ") + " (choose one with ?wsdl=<name>)"
		}
		textError(w, http.StatusNotFound, msg)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	_, _ = w.Write(doc.rewrite(publicBase(r, prefix)))
}

// publicBase is the URL a client reaches this listener by: the scheme and
// host it used (as the host's hand-off passes them on) plus the public
// path prefix.
func publicBase(r *http.Request, prefix string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "http" || p == "https" {
		scheme = p
	}
	host := r.Host
	if h := r.Header.Get("X-Forwarded-Host"); h != "" {
		host = strings.TrimSpace(strings.Split(h, ",")[0])
	}
	return scheme + "://" + host + prefix
}

func textError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, msg+"\n")
}

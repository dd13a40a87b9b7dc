package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/mockarty-oss/mockarty/sdk/jsonobj"
	"github.com/mockarty-oss/mockarty/sdk/listen"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Subscriptions are answered over server-sent events, as the GraphQL over
// SSE protocol's "distinct connections" mode has them: one `next` event per
// result, then `complete`. The subscription's one root field is resolved
// once; the mock's payload is the list of events when it is a JSON array
// (one event per element), else the one event. The mock's delay is waited
// before each event, so a delay makes a ticking stream.

func acceptsEventStream(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		media, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(media), mediaEventStream) {
			return true
		}
	}
	return false
}

// serveSubscription streams a subscription's events.
func (x *request) serveSubscription(w http.ResponseWriter, r *http.Request, p *prepared, streams context.Context, media string) {
	reject := func(format string, args ...any) {
		writeResult(w, media, requestErrorStatus(media, http.StatusBadRequest),
			&result{Errors: gqlerror.List{gqlerror.Errorf(format, args...)}, NoData: true})
	}
	if !acceptsEventStream(r.Header.Get("Accept")) {
		reject("subscriptions are answered as server-sent events (GraphQL over SSE): send Accept: text/event-stream")
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		reject("this connection cannot stream events")
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	if streams != nil {
		stop := context.AfterFunc(streams, cancel) // the listener stops
		defer stop()
	}
	x.ctx = ctx
	e := &executor{request: x, prepared: p}
	def, typeName := e.rootType()
	groups := p.roots
	if len(groups) != 1 {
		reject("a subscription selects exactly one root field, this one selects %d", len(groups))
		return
	}
	g := groups[0]
	f := g.fields[0]
	path := ast.Path{ast.PathName(g.key)}
	var fieldType *ast.Type
	if fd := fieldDef(def, f); fd != nil {
		fieldType = fd.Type
	}
	var fd found
	if f.Name == "__typename" {
		fd = found{payload: typeName, ok: true}
	} else {
		fd = e.find(f, fieldDef(def, f), path)
	}

	h := w.Header()
	h.Set("Content-Type", mediaEventStream+"; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // proxies must not hold events back
	w.WriteHeader(http.StatusOK)
	flusher.Flush()

	events := []any{fd.payload}
	if list, isList := fd.payload.([]any); isList && fd.ok {
		events = list
	}
	for i, ev := range events {
		if i > 0 || fd.ok {
			if !listen.Sleep(ctx, fd.delay) {
				return
			}
		}
		// Each event is an answer of its own, with its own budget.
		one := &executor{request: x, prepared: p, budget: newBudget(x.limits.maxResultNodes)}
		if i == 0 {
			one.errs = append(one.errs, fd.errs...)
		}
		res := &result{}
		data := &jsonobj.Object{}
		if !fd.ok || (ev == nil && i == 0 && len(fd.errs) > 0) {
			if fieldType == nil || !fieldType.NonNull {
				data.Add(g.key, nil)
				res.Data = data
			}
		} else {
			val, err := one.fieldValue(fieldType, g.fields, path, ev)
			if err == errTooLarge {
				res = &result{Errors: gqlerror.List{tooLargeError(x.limits.maxResultNodes)}}
				_ = writeEvent(w, flusher, "next", res)
				break
			}
			if err != nil {
				if err != reported {
					one.errs = append(one.errs, err)
				}
			} else {
				data.Add(g.key, val)
				res.Data = data
			}
		}
		res.Errors = one.errs
		if err := writeEvent(w, flusher, "next", res); err != nil {
			return
		}
		if !fd.ok {
			break
		}
	}
	_ = writeEvent(w, flusher, "complete", nil)
}

// writeEvent writes one server-sent event (data on one line: JSON has no
// raw newlines).
func writeEvent(w http.ResponseWriter, f http.Flusher, name string, v any) error {
	data := []byte{}
	if v != nil {
		var err error
		if data, err = json.Marshal(v); err != nil {
			return err
		}
	}
	sep := " "
	if len(data) == 0 {
		sep = ""
	}
	if _, err := fmt.Fprintf(w, "event: %s\ndata:%s%s\n\n", name, sep, data); err != nil {
		return err
	}
	f.Flush()
	return nil
}

package resolve

import (
	"context"
	"sync"

	"github.com/mockarty-oss/mockarty/host/internal/match"
	"github.com/mockarty-oss/mockarty/host/internal/render"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/sdk"
)

// The selection step is the one way a mock is chosen, for /stubs, the
// preview, every find (REST and plugin) and SSE. The index gives the
// candidates best first; each is checked in one order (the protocol's own
// test, the serverName rule, ttl and use limit, the condition lists in
// match.ListOrder); the first that passes takes a use and answers, and
// the others make the near-miss report. What differs between protocols is
// the request hook: what a candidate must be before its lists are read,
// what each list reads, and how a call is logged.

// request is a protocol's request as the selection step reads it.
type request interface {
	requestData
	// skip says why mock e cannot answer this request before its
	// condition lists are read ("": it may).
	skip(e *match.Entry) string
	// input is the request as the condition list named list reads it
	// (nil: an empty request).
	input(list string) *match.Input
	// logCall keeps the call in its mock's request log.
	logCall(l *logRing, limit int, now int64, a *answer)
}

// selection is one request to choose a mock for.
type selection struct {
	proto     string
	namespace string
	path      string          // what the request names, for reports
	server    string          // the serverName the request came to
	servers   *sdk.ServerSet  // the serverName rule; nil: every mock, whatever its serverName
	ctx       context.Context // when done, no further candidate is tried (nil: never)
	req       request
	// refused, when set, is the chosen mock's answer to a request its own
	// check refused (http.validateRequest): respond sends it instead of
	// the mock's response, without extract or webhooks.
	refused *Rendered
	// cacheable, when set, hears whether the answer may be cached by the
	// plugin that asked (compiled.static).
	cacheable *bool
}

// check says why candidate e cannot answer the request: the candidate as
// the near-miss report names it, with a Reason, or none when it may answer
// (its use limit aside, which only TryUse decides).
func (s *selection) check(e *match.Entry, now int64, files match.FileReader) Candidate {
	m := e.Mock
	c := Candidate{MockID: m.ID, Route: e.Route()}
	if m.HTTP != nil {
		c.Method = m.HTTP.HTTPMethod
	}
	if c.Reason = s.req.skip(e); c.Reason != "" {
		return c
	}
	if s.servers != nil {
		if ok, why := s.servers.Serves(s.namespace, s.server, mockServer(m)); !ok {
			c.Reason = why
			return c
		}
	}
	if c.Reason = passOver(e, now); c.Reason != "" {
		return c
	}
	for _, list := range match.ListOrder {
		conds := e.Lists[list]
		if len(conds) == 0 {
			continue
		}
		in := s.req.input(list)
		if in == nil {
			in = &match.Input{}
		}
		if ok, f := match.CheckAll(conds, in, files, m.Namespace); !ok {
			c.Reason, c.Failure, c.Where = "condition failed", f, list
			return c
		}
	}
	return c
}

// choose walks the candidates and returns the index of the first that
// answers, with one use of it taken, or -1. near holds the candidates
// passed over, and stopped why the walk ended early (the request's context
// is done) before a candidate answered. files reads valueFromFile
// templates (Resolver.FileReader); it is not kept in s, so that it stays on
// the stack.
func (s *selection) choose(hits []match.Hit, now int64, files match.FileReader) (chosen int, near []Candidate, stopped error) {
	for i := range hits {
		if i > 0 && s.ctx != nil && s.ctx.Err() != nil {
			// Nobody waits for the other candidates.
			return -1, near, s.ctx.Err()
		}
		e := hits[i].Entry
		c := s.check(e, now, files)
		if c.Reason == "" && !e.TryUse(now) {
			c.Reason = reasonLimit
		}
		if c.Reason != "" {
			near = append(near, c)
			continue
		}
		return i, near, nil
	}
	return -1, near, nil
}

// preview runs the checks of choose without side effects: every candidate,
// with the one that would answer and those that would match after it.
func (s *selection) preview(hits []match.Hit, now int64, files match.FileReader) (chosen string, all []Candidate) {
	all = make([]Candidate, 0, len(hits))
	for i := range hits {
		c := s.check(hits[i].Entry, now, files)
		switch {
		case c.Reason != "":
		case chosen == "":
			c.Reason, chosen = "would answer", c.MockID
		default:
			c.Reason = "would match, after " + chosen
		}
		all = append(all, c)
	}
	return chosen, all
}

// answer is everything a chosen mock's response to one request needs, in
// one pooled object (see release).
type answer struct {
	entry *match.Entry
	cr    *compiledResponse // the response picked
	out   Rendered
	d     render.Data
	v     view
	// value is the rendered body as a value (valueOf): a JSON document
	// decoded, or the text; only made when something reads it.
	value     any
	valueDone bool
	res       HTTPResult
}

// valueOf is the rendered body as a value: what $.response reads and
// what a protocol that inspects the reply (SMTP, gRPC streams) decodes.
func (a *answer) valueOf() any {
	if !a.valueDone {
		a.value, a.valueDone = responseValue(&a.out), true
	}
	return a.value
}

var answerPool = sync.Pool{New: func() any { return new(answer) }}

// release returns an answer to the pool once its reply is built. The body
// bytes are not reused, so a transport may still be sending them.
func release(a *answer) {
	if a == nil {
		return
	}
	*a = answer{}
	answerPool.Put(a)
}

// respond is what every protocol does once a mock is chosen: the stores
// the request sees, its use, extract, the response rendered, the change
// made durable (settle), webhooks and the request log. d is the request's
// template data; its Stores are filled here. defaultStatus is the status of
// a response that names none (0: none); more, when set, renders what else
// the reply holds, before the change is made durable, so it too only shows
// values that are saved.
func (r *Resolver) respond(s *selection, e *match.Entry, d render.Data, now int64, defaultStatus int, more func(a *answer)) (*answer, *NearMiss) {
	m := e.Mock
	a := answerPool.Get().(*answer)
	a.entry = e
	r.fillView(&a.v, m)
	a.d = d
	a.d.Stores = &a.v
	r.used(e, &a.v)
	if s.refused != nil {
		// A use of the mock, logged as its answer; what the mock does
		// with a request (stores, the next oneOf, webhooks) is for
		// requests it accepts.
		a.out = *s.refused
	} else {
		r.extract(e, &a.d, &a.v)
		a.cr = pick(e)
		r.renderInto(&a.out, e, a.cr, &a.d)
		if a.out.Status == 0 {
			a.out.Status = defaultStatus
		}
		if more != nil {
			more(a)
		}
	}
	if err := a.v.settle(); err != nil {
		// Not durable, so not acknowledged: the client may retry.
		release(a)
		return nil, notSaved(s.namespace, s.path, err)
	}
	if len(m.Webhooks) > 0 && s.refused == nil {
		a.d.Response = a.valueOf()
		r.fireWebhooks(m, &a.d, a.out.Status >= 400 || a.out.Error != "")
	}
	if c, _ := e.Compiled.(*compiled); c != nil {
		s.req.logCall(c.logs, r.logLimit, now, a)
		if s.cacheable != nil {
			*s.cacheable = c.static && s.refused == nil
		}
	}
	return a, nil
}

// miss records a request no mock answered and reports why: what names the
// request in the report's message.
func (r *Resolver) miss(s *selection, u store.UndefinedRequest, what string, near []Candidate) *NearMiss {
	u.Namespace, u.Protocol = s.namespace, s.proto
	r.journal.recordUndefined(u)
	return newNearMiss(what, s.namespace, u.Method, u.Path, near)
}

package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/grafana/sobek"
)

// initTimeout bounds a VU's init code (module evaluation).
const initTimeout = 60 * time.Second

// errInterrupted marks a call stopped by its context (gracefulStop, run end).
var errInterrupted = errors.New("iteration interrupted")

// abortError is raised by test.abort() and carries its reason.
type abortError struct{ reason string }

// Error gives the abort reason.
func (a *abortError) Error() string {
	if a.reason == "" {
		return "test aborted"
	}
	return "test aborted: " + a.reason
}

// vu is one virtual user: its own runtime over the shared compiled modules.
type vu struct {
	prog *Program
	run  *runState // nil while the Program is probed at compile time
	id   int64
	rt   *sobek.Runtime
	// ns is the main module's namespace: its exports by exported name
	ns *sobek.Object

	inInit bool
	ctx    context.Context
	http   *httpClient

	respProto *sobek.Object

	// response callback for http_req_failed: nil means none (setResponseCallback(null))
	respCallback *expectedStatuses

	// iteration state
	sc             *scenarioRun
	iterInScenario int64
	iterInInstance int64
	scIterInTest   int64
	group          string
	customTags     map[string]string
	tagsGen        int // counts changes to customTags
	tagCache       tagCache
	samples        []sample // recordRequest's buffer
	data           sobek.Value
	dataParsed     bool
	jsonParse      sobek.Callable
	jsonStringify  sobek.Callable
	goIter         Iterator      // the Program's Go iterations, made on first use
	events         *streamEvents // gRPC streams' events, made on first use
	grpcClients    map[*sobek.Object]*grpcClient

	// guard's watch on the context of the calls (see guard)
	watchMu sync.Mutex
	watched context.Context
	running context.Context
	unwatch func() bool

	lastFn     string // the last exported function called, and its value
	lastFnVal  sobek.Callable
	userAgent  http.Header // the shared header of requests without their own
	lastRawURL string      // the last URL prepared, and its parse
	lastURL    *url.URL
}

// newVU makes a runtime, installs the globals and evaluates the modules
// (the init context).
func newVU(p *Program, run *runState, id int64, env map[string]string) (*vu, error) {
	rt := sobek.New()
	rt.SetMaxCallStackSize(maxCallStackSize)
	rt.SetFieldNameMapper(sobek.UncapFieldNameMapper())
	v := &vu{prog: p, run: run, id: id, rt: rt, inInit: true, ctx: context.Background(), customTags: map[string]string{}}
	v.respCallback = defaultExpectedStatuses()
	jsonObj := rt.Get("JSON").ToObject(rt)
	v.jsonParse, _ = sobek.AssertFunction(jsonObj.Get("parse"))
	v.jsonStringify, _ = sobek.AssertFunction(jsonObj.Get("stringify"))
	if err := v.installGlobals(env); err != nil {
		return nil, err
	}
	p.vus.Store(rt, v)
	ctx, cancel := context.WithTimeout(context.Background(), initTimeout)
	defer cancel()
	if run != nil {
		ctx2, cancel2 := context.WithCancel(ctx)
		defer cancel2()
		stop := context.AfterFunc(run.hardCtx, cancel2)
		defer stop()
		ctx = ctx2
	}
	err := v.guard(ctx, func() error {
		promise := rt.CyclicModuleRecordEvaluate(p.main, p.resolve)
		switch promise.State() {
		case sobek.PromiseStateRejected:
			res := promise.Result()
			if e, ok := res.Export().(error); ok {
				return e
			}
			return fmt.Errorf("%s", res.String())
		case sobek.PromiseStatePending:
			return fmt.Errorf("top-level await did not finish (timers and other asynchronous work are not supported in the init context)")
		}
		return nil
	})
	if err != nil {
		v.close()
		return nil, fmt.Errorf("init: %s", describeError(err))
	}
	v.ns = rt.NamespaceObjectFor(p.main)
	v.inInit = false
	return v, nil
}

// close releases what the VU holds.
func (v *vu) close() {
	v.prog.vus.Delete(v.rt)
	if v.goIter != nil {
		v.goIter.Close()
	}
	v.watchMu.Lock()
	if v.unwatch != nil {
		v.unwatch()
	}
	v.watchMu.Unlock()
	if v.http != nil {
		v.http.close()
	}
}

func (v *vu) installGlobals(env map[string]string) error {
	rt := v.rt
	if err := rt.Set("__ENV", v.envObject(env, nil)); err != nil {
		return err
	}
	_ = rt.Set("__VU", v.id)
	_ = rt.Set("__ITER", 0)
	_ = rt.Set("open", v.open)
	console := rt.NewObject()
	for _, level := range []string{"log", "info", "warn", "error", "debug"} {
		lvl := level
		_ = console.Set(level, func(call sobek.FunctionCall) sobek.Value {
			parts := make([]string, len(call.Arguments))
			for i, a := range call.Arguments {
				parts[i] = v.stringify(a)
			}
			if v.run != nil {
				v.run.logs.add(lvl, strings.Join(parts, " "))
			}
			return sobek.Undefined()
		})
	}
	return rt.Set("console", console)
}

// stringify renders a console argument: objects as JSON, the rest as strings.
func (v *vu) stringify(a sobek.Value) string {
	if a == nil || sobek.IsUndefined(a) {
		return "undefined"
	}
	if o, ok := a.(*sobek.Object); ok && o.ClassName() != "Error" && o.ClassName() != "Function" {
		if s, err := v.jsonStringify(sobek.Undefined(), a); err == nil && !sobek.IsUndefined(s) {
			return s.String()
		}
	}
	return a.String()
}

func (v *vu) envObject(env, extra map[string]string) *sobek.Object {
	o := v.rt.NewObject()
	for k, val := range env {
		_ = o.Set(k, val)
	}
	for k, val := range extra {
		_ = o.Set(k, val)
	}
	return o
}

// open reads a file of the test in the init context: a string, or an
// ArrayBuffer with mode "b".
func (v *vu) open(call sobek.FunctionCall) sobek.Value {
	if !v.inInit {
		panic(v.rt.NewGoError(errors.New("open() works only in the init context (outside functions)")))
	}
	name := call.Argument(0).String()
	if name == "" {
		panic(v.rt.NewTypeError("open() needs a file name"))
	}
	from := v.prog.filename
	if rec, ok := v.rt.GetActiveScriptOrModule().(sobek.ModuleRecord); ok {
		if p, ok := v.prog.paths[rec]; ok {
			from = p
		}
	}
	if !isPathSpecifier(name) {
		name = "./" + name
	}
	b, err := v.prog.openFile(resolvePath(from, name))
	if err != nil {
		panic(v.rt.NewGoError(err))
	}
	if call.Argument(1).String() == "b" {
		return v.rt.ToValue(v.rt.NewArrayBuffer(append([]byte(nil), b...)))
	}
	return v.rt.ToValue(string(b))
}

// guard runs fn with the runtime interrupted when ctx ends, and turns
// panics from Go code into errors. The watch on ctx stays registered while
// calls keep coming with the same context (an iteration loop), and only
// interrupts while a call under that context runs.
func (v *vu) guard(ctx context.Context, fn func() error) (err error) {
	v.rt.ClearInterrupt()
	if ctx.Err() != nil {
		return errInterrupted
	}
	prev := v.ctx
	v.ctx = ctx
	v.watchMu.Lock()
	prevRunning := v.running
	v.running = ctx
	if v.watched != ctx {
		if v.unwatch != nil {
			v.unwatch()
		}
		watched := ctx
		v.watched = ctx
		v.unwatch = context.AfterFunc(ctx, func() {
			v.watchMu.Lock()
			defer v.watchMu.Unlock()
			if v.running == watched {
				v.rt.Interrupt(errInterrupted)
			}
		})
	}
	v.watchMu.Unlock()
	defer func() {
		v.watchMu.Lock()
		v.running = prevRunning
		v.watchMu.Unlock()
		v.ctx = prev
	}()
	defer func() {
		if x := recover(); x != nil {
			err = fmt.Errorf("internal error: %v", x)
		}
	}()
	err = fn()
	if err == nil && ctx.Err() != nil {
		// the call returned on its own while being stopped (a sleep or a
		// request cut short): it did not finish its work
		err = errInterrupted
	}
	return err
}

// stopIfDone interrupts the script now when its context has ended, so no
// more of it runs after a cut-short sleep or request.
func (v *vu) stopIfDone() bool {
	if v.ctx.Err() != nil {
		v.rt.Interrupt(errInterrupted)
		return true
	}
	return false
}

// export returns an exported function of the main module; the last one is
// remembered, as an iteration loop asks for the same one each time.
func (v *vu) export(name string) (sobek.Callable, bool) {
	if v.ns == nil {
		return nil, false
	}
	if v.lastFnVal != nil && v.lastFn == name {
		return v.lastFnVal, true
	}
	val := v.ns.Get(name)
	if val == nil {
		return nil, false
	}
	fn, ok := sobek.AssertFunction(val)
	if ok {
		v.lastFn, v.lastFnVal = name, fn
	}
	return fn, ok
}

// call runs an exported function within ctx; a returned promise must settle.
func (v *vu) call(ctx context.Context, name string, args ...sobek.Value) (sobek.Value, error) {
	fn, ok := v.export(name)
	if !ok {
		return nil, fmt.Errorf("the script exports no function %q", name)
	}
	var out sobek.Value
	err := v.guard(ctx, func() error {
		val, err := fn(sobek.Undefined(), args...)
		if err != nil {
			return err
		}
		if p, ok := val.Export().(*sobek.Promise); ok {
			switch p.State() {
			case sobek.PromiseStateRejected:
				return &promiseRejection{val: p.Result(), v: v}
			case sobek.PromiseStatePending:
				return fmt.Errorf("%s returned a promise that never settled (timers and other asynchronous work are not supported)", name)
			}
			val = p.Result()
		}
		out = val
		// the streams the call opened run their handlers before it ends
		return v.runEvents(ctx)
	})
	if v.events != nil && len(v.events.open) > 0 {
		v.cancelStreams() // the call failed or was stopped with streams open
	}
	return out, err
}

// promiseRejection is an async function's thrown value.
type promiseRejection struct {
	val sobek.Value
	v   *vu
}

// Error gives the rejection value, with its stack when it has one.
func (p *promiseRejection) Error() string {
	if o, ok := p.val.(*sobek.Object); ok {
		if st := o.Get("stack"); st != nil && !sobek.IsUndefined(st) {
			return strings.TrimSpace(st.String())
		}
	}
	return p.val.String()
}

// optionsJSON returns the exported options as JSON (nil if none).
func (v *vu) optionsJSON() ([]byte, error) {
	if v.ns == nil {
		return nil, nil
	}
	val := v.ns.Get("options")
	if val == nil || sobek.IsUndefined(val) || sobek.IsNull(val) {
		return nil, nil
	}
	s, err := v.toJSON(val)
	if err != nil {
		return nil, fmt.Errorf("options: %w", err)
	}
	return []byte(s), nil
}

// toJSON stringifies a value in this runtime.
func (v *vu) toJSON(val sobek.Value) (out string, err error) {
	err = v.guard(context.Background(), func() error {
		s, err := v.jsonStringify(sobek.Undefined(), val)
		if err != nil {
			return err
		}
		if s == nil || sobek.IsUndefined(s) {
			out = "null"
			return nil
		}
		out = s.String()
		return nil
	})
	return out, err
}

// fromJSON parses JSON in this runtime.
func (v *vu) fromJSON(s string) (sobek.Value, error) {
	return v.jsonParse(sobek.Undefined(), v.rt.ToValue(s))
}

// throw raises a JS error from Go code.
func (v *vu) throw(format string, args ...any) {
	panic(v.rt.NewGoError(fmt.Errorf(format, args...)))
}

// describeError renders an error for people: message and script location.
func describeError(err error) string {
	var ie *sobek.InterruptedError
	if errors.As(err, &ie) {
		if e, ok := ie.Value().(error); ok {
			return e.Error()
		}
		return "interrupted"
	}
	var so *sobek.StackOverflowError
	if errors.As(err, &so) {
		for _, fr := range so.Stack() {
			if pos := fr.Position(); pos.Filename != "" && pos.Line > 0 {
				return fmt.Sprintf("RangeError: maximum call stack size exceeded (at %s:%d:%d)", pos.Filename, pos.Line, pos.Column)
			}
		}
		return "RangeError: maximum call stack size exceeded"
	}
	var ex *sobek.Exception
	if !errors.As(err, &ex) {
		return err.Error()
	}
	msg := ""
	if val := ex.Value(); val != nil {
		msg = val.String()
		if o, ok := val.(*sobek.Object); ok {
			m, n := o.Get("message"), o.Get("name")
			if m != nil && !sobek.IsUndefined(m) && n != nil && !sobek.IsUndefined(n) {
				msg = n.String() + ": " + m.String()
			}
		}
	}
	for _, fr := range ex.Stack() {
		pos := fr.Position()
		if pos.Filename != "" && pos.Line > 0 {
			return fmt.Sprintf("%s (at %s:%d:%d)", msg, pos.Filename, pos.Line, pos.Column)
		}
	}
	return msg
}

// Package script runs Postman-style pre-request and test scripts in an
// embedded JavaScript engine (goja) with Postman's sandbox API: pm.* (also
// available as mk), chai's expect, the legacy tests/postman globals,
// pm.sendRequest, timers and console.
//
// One Sandbox serves one collection run: it holds one JavaScript runtime with
// chai loaded, and Run executes every script of one request event in it, each
// script in its own function scope, as Postman does.
package script

//go:generate sh js/gen.sh

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"
)

var (
	//go:embed js/chai.js
	chaiSource string
	//go:embed js/prelude.js
	preludeSource string
)

// shared holds the programs every runtime of the process evaluates: compiling
// chai and the prelude once saves most of a runtime's start-up cost.
var shared struct {
	once    sync.Once
	chai    *goja.Program
	prelude *goja.Program
	err     error
}

func sharedPrograms() (*goja.Program, *goja.Program, error) {
	shared.once.Do(func() {
		// chai.js declares `var chai`; wrapping it keeps that name out of the
		// global scope, where Postman scripts do not see it either.
		shared.chai, shared.err = goja.Compile("chai.js", "(function(){"+chaiSource+"\nreturn chai;})", false)
		if shared.err != nil {
			return
		}
		shared.prelude, shared.err = goja.Compile("prelude.js", preludeSource, false)
	})
	return shared.chai, shared.prelude, shared.err
}

// Bounds on what one Run or script may queue; all work a script starts is
// bounded by these and by Limits.
const (
	maxLogLines        = 1000
	maxLogLineBytes    = 64 << 10
	maxTests           = 10000
	maxTimers          = 1000  // timers created per script
	maxTimerFirings    = 10000 // callbacks run per script, intervals included
	maxSends           = 100   // pm.sendRequest calls per script
	maxCallStack       = 10000
	maxCachedPrograms  = 1024
	memorySampleEvery  = 10 * time.Millisecond
	scriptWrapperStart = "(function(){"
)

// Sandbox runs the scripts of one collection run in a single JavaScript
// runtime. Its methods are safe for concurrent use; runs are serialised.
type Sandbox struct {
	limits   Limits
	mu       sync.Mutex
	closed   bool
	rt       *jsRuntime // nil after a memory-limit stop: rebuilt on the next Run
	programs map[string]*goja.Program
	order    []string // insertion order of programs, for eviction
}

// NewSandbox creates a Sandbox with its runtime ready (chai loaded).
func NewSandbox(l Limits) (*Sandbox, error) {
	sb := &Sandbox{limits: l.withDefaults(), programs: map[string]*goja.Program{}}
	rt, err := newRuntime()
	if err != nil {
		return nil, err
	}
	sb.rt = rt
	return sb, nil
}

// Close releases the runtime; later Runs report that the sandbox is closed.
func (sb *Sandbox) Close() {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	sb.closed = true
	sb.rt = nil
	sb.programs = nil
	sb.order = nil
}

// interruption is why the watchdog or the script itself stopped the runtime.
type interruption struct {
	kind string // "timeout", "memory", "canceled", "skip"
	msg  string
}

func (i *interruption) Error() string { return i.msg }

// Run executes e.Scripts in order and reports their tests, logs and errors.
// It never panics. Cancelling ctx interrupts the running script and skips the
// rest. A script that throws or times out is reported and the next one runs,
// as in Postman; a memory-limit stop ends the Run and the runtime is replaced
// (globals that earlier scripts created implicitly are then gone).
func (sb *Sandbox) Run(ctx context.Context, e *Exec) (res Result) {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	defer func() {
		if p := recover(); p != nil {
			res.addError(ScriptError{Script: -1, Message: fmt.Sprintf("script sandbox internal error: %v", p)})
			sb.rt = nil // its state is unknown: start the next Run afresh
		}
	}()
	if sb.closed {
		res.addError(ScriptError{Script: -1, Message: "script sandbox is closed"})
		return res
	}
	if e == nil {
		res.addError(ScriptError{Script: -1, Message: "script sandbox: nil Exec"})
		return res
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if sb.rt == nil {
		rt, err := newRuntime()
		if err != nil {
			res.addError(ScriptError{Script: -1, Message: err.Error()})
			return res
		}
		sb.rt = rt
	}
	if e.Scopes == nil {
		e.Scopes = &Scopes{}
	}
	event := e.Info.EventName
	if event == "" {
		event = "test"
		if e.Response == nil {
			event = "prerequest"
		}
	}
	rt := sb.rt
	st := &runState{ctx: ctx, exec: e, res: &res, event: event, data: e.Scopes.Data}
	rt.cur = st
	defer func() { rt.cur = nil }()

	if err := rt.begin(st); err != nil {
		res.addError(ScriptError{Script: -1, Message: "script sandbox: " + err.Error()})
		return res
	}
	resetRuntime := false
	for i, src := range e.Scripts {
		if strings.TrimSpace(src) == "" {
			continue // Postman does not execute an empty script
		}
		if err := ctx.Err(); err != nil {
			res.addError(ScriptError{Script: i, Message: fmt.Sprintf("%s: canceled before it started: %v", st.scriptLabel(i), err)})
			break
		}
		stop := sb.runScript(rt, st, i, src)
		if stop == nil {
			continue
		}
		if stop.kind == "memory" {
			resetRuntime = true
		}
		break
	}
	if err := rt.finish(st); err != nil {
		res.addError(ScriptError{Script: -1, Message: "script sandbox: " + err.Error()})
	}
	if resetRuntime {
		sb.rt = nil
		// collect now so the next script's heap baseline is not inflated by
		// what the stopped script left behind
		runtime.GC()
	}
	return res
}

// runScript runs one script: its body, then its legacy tests, then its timers
// and pm.sendRequest callbacks. It returns non-nil when the Run must stop.
func (sb *Sandbox) runScript(rt *jsRuntime, st *runState, i int, src string) *interruption {
	label := st.scriptLabel(i)
	name := fmt.Sprintf("%s-script-%d", st.event, i)
	prog, err := sb.program(name, src)
	if err != nil {
		st.res.addError(ScriptError{Script: i, Message: label + ": " + syntaxMessage(err)})
		return nil
	}
	if err := rt.prepareScript(); err != nil {
		st.res.addError(ScriptError{Script: i, Message: label + ": " + err.Error()})
		return nil
	}
	lp := newLoop(st.ctx)
	st.loop, st.script, st.scriptName = lp, i, name
	wd := startWatchdog(st.ctx, rt.vm, sb.limits)

	var stop *interruption
	fnVal, err := rt.vm.RunProgram(prog)
	if err == nil {
		fn, ok := goja.AssertFunction(fnVal)
		if !ok {
			err = errors.New("script did not compile to a function")
		} else {
			_, err = fn(goja.Undefined())
		}
	}
	if err != nil {
		if stop = asInterruption(err); stop == nil {
			// With timers or requests still pending, Postman reports a thrown
			// error as a run exception, not as a failed script.
			st.res.addError(ScriptError{Script: i, Message: label + ": " + exceptionMessage(err, name), Async: lp.busy()})
		}
	}
	if stop == nil {
		if err := rt.legacyTests(); err != nil {
			stop = asInterruption(err)
		}
	}
	if stop == nil {
		stop = rt.drain(st, wd)
	}
	wd.stop()
	rt.vm.ClearInterrupt()
	lp.close()
	st.loop = nil
	st.settleUndefined()
	if stop == nil {
		return nil
	}
	switch stop.kind {
	case "skip":
		st.res.Skip = true
		// Postman reads the legacy tests object when the script ends, however it ends.
		if err := rt.legacyTests(); err != nil {
			st.res.addError(ScriptError{Script: i, Message: label + ": " + err.Error()})
		}
		return stop
	case "timeout", "limit":
		st.res.addError(ScriptError{Script: i, Message: label + ": " + stop.msg})
		return nil
	default:
		st.res.addError(ScriptError{Script: i, Message: label + ": " + stop.msg})
		return stop
	}
}

// program compiles src wrapped in a function (so `return` and top-level
// declarations stay local, as in Postman) and caches it: the same collection
// and folder scripts run for every request of a run.
func (sb *Sandbox) program(name, src string) (*goja.Program, error) {
	key := name + "\x00" + src
	if p, ok := sb.programs[key]; ok {
		return p, nil
	}
	p, err := goja.Compile(name, scriptWrapperStart+src+"\n})", false)
	if err != nil {
		return nil, err
	}
	if len(sb.order) >= maxCachedPrograms {
		delete(sb.programs, sb.order[0])
		sb.order = sb.order[1:]
	}
	sb.programs[key] = p
	sb.order = append(sb.order, key)
	return p, nil
}

// runState is the state of one Run, reachable from the host functions.
type runState struct {
	ctx        context.Context
	exec       *Exec
	res        *Result
	event      string
	data       *Vars // iteration data; copied on the first pm.iterationData.set
	dataCopied bool
	loop       *loop
	script     int
	scriptName string
	logsDrop   int
	undefs     []undefRef // variables set to undefined by the running script
}

type undefRef struct {
	vars *Vars
	key  string
}

// settleUndefined turns the variables the script set to undefined into null,
// as they reach the next Postman script after a JSON round trip.
func (st *runState) settleUndefined() {
	for _, u := range st.undefs {
		if v, ok := u.vars.Get(u.key); ok {
			if _, undef := v.(undefinedValue); undef {
				u.vars.Set(u.key, nil)
			}
		}
	}
	st.undefs = st.undefs[:0]
}

func (st *runState) scriptLabel(i int) string {
	return fmt.Sprintf("%s script %d of %d", st.event, i+1, len(st.exec.Scripts))
}

func (r *Result) addError(e ScriptError) {
	if r.Error == "" {
		r.Error = e.Message
	}
	r.Errors = append(r.Errors, e)
}

func (st *runState) log(level, text string) {
	if len(st.res.Logs) >= maxLogLines {
		st.logsDrop++
		st.res.Logs[maxLogLines-1] = fmt.Sprintf("[warn] %d more console lines dropped (limit %d)", st.logsDrop+1, maxLogLines)
		return
	}
	if len(text) > maxLogLineBytes {
		text = text[:maxLogLineBytes] + "…(truncated)"
	}
	st.res.Logs = append(st.res.Logs, "["+level+"] "+text)
}

// asInterruption returns the reason when err is a runtime interrupt.
func asInterruption(err error) *interruption {
	var ie *goja.InterruptedError
	if errors.As(err, &ie) {
		if reason, ok := ie.Value().(*interruption); ok {
			return reason
		}
		return &interruption{kind: "canceled", msg: fmt.Sprint(ie.Value())}
	}
	return nil
}

// syntaxMessage reports a compile error with its line in the user's script.
func syntaxMessage(err error) string {
	var se *goja.CompilerSyntaxError
	if !errors.As(err, &se) {
		return err.Error()
	}
	msg, line, col := se.Message, 0, 0
	if se.File != nil {
		pos := se.File.Position(se.Offset)
		line, col = pos.Line, pos.Column
	} else if m := parserPosition.FindStringSubmatch(msg); m != nil {
		// the parser reports "name: Line L:C message"
		line, _ = strconv.Atoi(m[1])
		col, _ = strconv.Atoi(m[2])
		msg = m[3]
	}
	if line == 0 {
		return "SyntaxError: " + msg
	}
	if line == 1 {
		col -= len(scriptWrapperStart) // the wrapper shares the script's first line
	}
	return fmt.Sprintf("SyntaxError: %s (line %d, column %d)", msg, line, max(col, 1))
}

var parserPosition = regexp.MustCompile(`Line (\d+):(\d+) (.*)$`)

// exceptionMessage renders a thrown value as "Name: message (line L)".
func exceptionMessage(err error, scriptName string) string {
	var ex *goja.Exception
	if !errors.As(err, &ex) {
		return err.Error()
	}
	msg := valueMessage(ex.Value())
	for _, f := range ex.Stack() {
		if f.SrcName() == scriptName {
			pos := f.Position()
			col := pos.Column
			if pos.Line == 1 {
				col -= len(scriptWrapperStart)
			}
			return fmt.Sprintf("%s (line %d, column %d)", msg, pos.Line, max(col, 1))
		}
	}
	return msg
}

func valueMessage(v goja.Value) string {
	if v == nil {
		return "undefined"
	}
	if obj, ok := v.(*goja.Object); ok {
		name, message := obj.Get("name"), obj.Get("message")
		if message != nil && !goja.IsUndefined(message) {
			n := "Error"
			if name != nil && !goja.IsUndefined(name) {
				n = name.String()
			}
			return n + ": " + message.String()
		}
	}
	return v.String()
}

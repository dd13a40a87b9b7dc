package script

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/dop251/goja"
)

// jsRuntime is one goja runtime with chai and the prelude loaded, plus the
// prelude's hooks that Run drives.
type jsRuntime struct {
	vm                                 *goja.Runtime
	beginFn, scriptFn, legacyFn, endFn goja.Callable
	jsonStringify, jsonParse           goja.Callable
	cur                                *runState
}

func newRuntime() (*jsRuntime, error) {
	chaiProg, preludeProg, err := sharedPrograms()
	if err != nil {
		return nil, fmt.Errorf("script sandbox: compiling the JavaScript prelude: %w", err)
	}
	vm := goja.New()
	vm.SetMaxCallStackSize(maxCallStack)
	rt := &jsRuntime{vm: vm}

	chaiFn, err := vm.RunProgram(chaiProg)
	if err != nil {
		return nil, fmt.Errorf("script sandbox: loading chai: %w", err)
	}
	call, _ := goja.AssertFunction(chaiFn)
	chai, err := call(goja.Undefined())
	if err != nil {
		return nil, fmt.Errorf("script sandbox: loading chai: %w", err)
	}
	jsonObj := vm.Get("JSON").ToObject(vm)
	rt.jsonStringify, _ = goja.AssertFunction(jsonObj.Get("stringify"))
	rt.jsonParse, _ = goja.AssertFunction(jsonObj.Get("parse"))

	preludeFn, err := vm.RunProgram(preludeProg)
	if err != nil {
		return nil, fmt.Errorf("script sandbox: loading prelude: %w", err)
	}
	call, ok := goja.AssertFunction(preludeFn)
	if !ok {
		return nil, errors.New("script sandbox: prelude is not a function")
	}
	apiVal, err := call(goja.Undefined(), rt.hostObject(), chai)
	if err != nil {
		return nil, fmt.Errorf("script sandbox: starting prelude: %w", err)
	}
	api := apiVal.ToObject(vm)
	for name, dst := range map[string]*goja.Callable{
		"begin": &rt.beginFn, "script": &rt.scriptFn, "legacyTests": &rt.legacyFn, "end": &rt.endFn,
	} {
		fn, ok := goja.AssertFunction(api.Get(name))
		if !ok {
			return nil, fmt.Errorf("script sandbox: prelude lacks %s()", name)
		}
		*dst = fn
	}
	return rt, nil
}

// begin starts a Run in the prelude; the request and response reach
// JavaScript through host.requestData/responseData only if a script uses them.
func (rt *jsRuntime) begin(st *runState) error {
	in := st.exec.Info
	_, err := rt.beginFn(goja.Undefined(), rt.vm.ToValue(st.event), rt.vm.ToValue(in.Iteration),
		rt.vm.ToValue(in.IterationCount), rt.vm.ToValue(in.RequestName), rt.vm.ToValue(in.RequestID))
	return err
}

func (rt *jsRuntime) requestValue(r *Request) goja.Value {
	o := rt.vm.NewObject()
	_ = o.Set("id", r.ID)
	_ = o.Set("name", r.Name)
	_ = o.Set("method", r.Method)
	_ = o.Set("url", r.URL)
	_ = o.Set("headers", rt.headersValue(r.Headers))
	_ = o.Set("body", r.Body)
	return o
}

func (rt *jsRuntime) prepareScript() error {
	_, err := rt.scriptFn(goja.Undefined())
	return err
}

func (rt *jsRuntime) legacyTests() error {
	_, err := rt.legacyFn(goja.Undefined())
	return err
}

// finish reads back the request as the scripts left it and the next-request choice.
func (rt *jsRuntime) finish(st *runState) error {
	out, err := rt.endFn(goja.Undefined())
	if err != nil {
		return err
	}
	obj := out.ToObject(rt.vm)
	if next := obj.Get("next"); next != nil && !goja.IsUndefined(next) {
		v := next.ToObject(rt.vm).Get("value")
		switch {
		case v == nil || goja.IsUndefined(v) || goja.IsNull(v):
			st.res.Stop = true
		default:
			name := v.String()
			if name == "" {
				// Postman finds no request named "" and stops the iteration
				st.res.Stop = true
			} else {
				st.res.NextRequest = &name
			}
		}
	}
	if req := obj.Get("request"); req != nil && !goja.IsUndefined(req) && st.exec.Request != nil {
		var plain plainRequest
		if err := rt.decode(req, &plain); err != nil {
			return fmt.Errorf("reading pm.request back: %w", err)
		}
		r := st.exec.Request
		r.Method, r.URL, r.Body = plain.Method, plain.URL, plain.Body
		r.Headers = plain.headers()
	}
	return nil
}

// plainRequest is the shape prelude.js gives a request to Go in.
type plainRequest struct {
	Method  string `json:"method"`
	URL     string `json:"url"`
	Headers []struct {
		Key      string `json:"key"`
		Value    string `json:"value"`
		Disabled bool   `json:"disabled"`
	} `json:"headers"`
	Body string `json:"body"`
}

func (p *plainRequest) headers() []Header {
	out := make([]Header, 0, len(p.Headers))
	for _, h := range p.Headers {
		out = append(out, Header{Key: h.Key, Value: h.Value, Disabled: h.Disabled})
	}
	return out
}

// decode converts a JavaScript value into a Go value through JSON.
func (rt *jsRuntime) decode(v goja.Value, dst any) error {
	s, err := rt.jsonStringify(goja.Undefined(), v)
	if err != nil {
		return err
	}
	return json.Unmarshal([]byte(s.String()), dst)
}

func (rt *jsRuntime) headersValue(hs []Header) goja.Value {
	vm := rt.vm
	arr := make([]any, len(hs))
	for i, h := range hs {
		o := vm.NewObject()
		_ = o.Set("key", h.Key)
		_ = o.Set("value", h.Value)
		if h.Disabled {
			_ = o.Set("disabled", true)
		}
		arr[i] = o
	}
	return vm.NewArray(arr...)
}

func (rt *jsRuntime) responseValue(r *Response) goja.Value {
	o := rt.vm.NewObject()
	_ = o.Set("code", r.Code)
	_ = o.Set("status", r.reasonPhrase())
	_ = o.Set("headers", rt.headersValue(r.Headers))
	_ = o.Set("body", string(r.Body))
	_ = o.Set("size", len(r.Body))
	_ = o.Set("time", r.Time.Milliseconds())
	return o
}

// toGo converts a value a script stores in a variable into a JSON-able Go value.
func (rt *jsRuntime) toGo(v goja.Value) any {
	switch {
	case v == nil || goja.IsUndefined(v):
		return undefinedValue{}
	case goja.IsNull(v):
		return nil
	}
	switch x := v.Export().(type) {
	case string:
		return x
	case bool:
		return x
	case int64:
		return float64(x)
	case float64:
		return x
	}
	if _, isObj := v.(*goja.Object); !isObj {
		return v.String()
	}
	s, err := rt.jsonStringify(goja.Undefined(), v)
	if err != nil {
		// rethrow into the script: a cyclic value cannot be stored
		var ex *goja.Exception
		if errors.As(err, &ex) {
			panic(ex.Value())
		}
		panic(rt.vm.NewGoError(err))
	}
	if goja.IsUndefined(s) {
		return undefinedValue{}
	}
	var out any
	if err := json.Unmarshal([]byte(s.String()), &out); err != nil {
		return s.String()
	}
	return out
}

// toJS converts a stored variable value into a fresh JavaScript value, so
// that a script changing a returned object does not change the stored one.
func (rt *jsRuntime) toJS(v any) goja.Value {
	switch x := v.(type) {
	case undefinedValue:
		return goja.Undefined()
	case nil:
		return goja.Null()
	case string, bool, float64, int, int64:
		return rt.vm.ToValue(x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return rt.vm.ToValue(ValueString(v))
	}
	out, err := rt.jsonParse(goja.Undefined(), rt.vm.ToValue(string(b)))
	if err != nil {
		return rt.vm.ToValue(string(b))
	}
	return out
}

// hostObject builds the bridge prelude.js calls into.
func (rt *jsRuntime) hostObject() *goja.Object {
	vm := rt.vm
	h := vm.NewObject()
	set := func(name string, fn func(goja.FunctionCall) goja.Value) { _ = h.Set(name, fn) }
	arg := func(c goja.FunctionCall, i int) string {
		v := c.Argument(i)
		if goja.IsUndefined(v) || goja.IsNull(v) {
			return ""
		}
		return v.String()
	}

	reasons := vm.NewObject()
	for code := 100; code < 600; code++ {
		if t := http.StatusText(code); t != "" {
			_ = reasons.Set(strconv.Itoa(code), t)
		}
	}
	_ = h.Set("reasons", reasons)

	set("hasRequest", func(goja.FunctionCall) goja.Value { return vm.ToValue(rt.state().exec.Request != nil) })
	set("requestData", func(goja.FunctionCall) goja.Value {
		if r := rt.state().exec.Request; r != nil {
			return rt.requestValue(r)
		}
		return goja.Undefined()
	})
	set("hasResponse", func(goja.FunctionCall) goja.Value { return vm.ToValue(rt.state().exec.Response != nil) })
	set("responseData", func(goja.FunctionCall) goja.Value {
		if r := rt.state().exec.Response; r != nil {
			return rt.responseValue(r)
		}
		return goja.Undefined()
	})
	set("varGet", func(c goja.FunctionCall) goja.Value {
		val, ok := rt.state().lookup(arg(c, 0), arg(c, 1))
		if !ok {
			return goja.Undefined()
		}
		return rt.toJS(val)
	})
	set("varHas", func(c goja.FunctionCall) goja.Value {
		_, ok := rt.state().lookup(arg(c, 0), arg(c, 1))
		return vm.ToValue(ok)
	})
	set("varSet", func(c goja.FunctionCall) goja.Value {
		st := rt.state()
		v, key, val := st.writable(arg(c, 0)), arg(c, 1), rt.toGo(c.Argument(2))
		v.Set(key, val)
		if _, undef := val.(undefinedValue); undef {
			st.undefs = append(st.undefs, undefRef{v, key})
		}
		return goja.Undefined()
	})
	set("varUnset", func(c goja.FunctionCall) goja.Value {
		rt.state().writable(arg(c, 0)).Unset(arg(c, 1))
		return goja.Undefined()
	})
	set("varClear", func(c goja.FunctionCall) goja.Value {
		rt.state().writable(arg(c, 0)).Clear()
		return goja.Undefined()
	})
	set("varObject", func(c goja.FunctionCall) goja.Value {
		o := vm.NewObject()
		for _, v := range rt.state().readable(arg(c, 0)) {
			for _, k := range v.Keys() {
				if val, ok := v.Get(k); ok {
					_ = o.Set(k, rt.toJS(val))
				}
			}
		}
		return o
	})
	set("varReplace", func(c goja.FunctionCall) goja.Value {
		st := rt.state()
		layers := st.readable(arg(c, 0))
		out := replaceVars(arg(c, 1), func(name string) (string, bool) {
			for i := len(layers) - 1; i >= 0; i-- {
				if s, ok := layers[i].String(name); ok {
					return s, true
				}
			}
			return "", false
		})
		return vm.ToValue(out)
	})
	set("log", func(c goja.FunctionCall) goja.Value {
		rt.state().log(arg(c, 0), arg(c, 1))
		return goja.Undefined()
	})
	set("test", func(c goja.FunctionCall) goja.Value {
		st := rt.state()
		if len(st.res.Tests) >= maxTests {
			if len(st.res.Tests) == maxTests {
				st.log("warn", fmt.Sprintf("more than %d tests in one run: the rest are not recorded", maxTests))
				st.res.Tests = append(st.res.Tests, TestResult{Name: "too many tests", Error: fmt.Sprintf("more than %d tests in one run", maxTests)})
			}
			return goja.Undefined()
		}
		st.res.Tests = append(st.res.Tests, TestResult{
			Name: arg(c, 0), Passed: c.Argument(1).ToBoolean(), Skipped: c.Argument(2).ToBoolean(), Error: arg(c, 3),
		})
		return goja.Undefined()
	})
	set("testCount", func(goja.FunctionCall) goja.Value { return vm.ToValue(len(rt.state().res.Tests)) })
	set("skip", func(goja.FunctionCall) goja.Value {
		// stop the script right here: Postman ends the execution at skipRequest
		vm.Interrupt(&interruption{kind: "skip", msg: "request skipped"})
		return goja.Undefined()
	})
	set("send", func(c goja.FunctionCall) goja.Value {
		rt.send(c.Argument(0), c.Argument(1))
		return goja.Undefined()
	})
	set("atob", func(c goja.FunctionCall) goja.Value { return vm.ToValue(rt.atob(c)) })
	set("btoa", func(c goja.FunctionCall) goja.Value { return vm.ToValue(rt.btoa(c)) })
	for _, kind := range []string{"Timeout", "Interval", "Immediate"} {
		set("set"+kind, func(c goja.FunctionCall) goja.Value { return rt.setTimer(kind, c) })
		set("clear"+kind, func(c goja.FunctionCall) goja.Value {
			if l := rt.state().loop; l != nil {
				l.clearTimer(c.Argument(0).ToInteger())
			}
			return goja.Undefined()
		})
	}
	return h
}

// state returns the current Run; host functions are only reachable from a
// script, so there always is one.
func (rt *jsRuntime) state() *runState {
	if rt.cur == nil {
		panic(rt.vm.NewTypeError("the pm API is only available while a script runs"))
	}
	return rt.cur
}

// lookup reads key from a named scope; "variables" resolves through all
// scopes in Postman's precedence.
func (st *runState) lookup(scope, key string) (any, bool) {
	layers := st.readable(scope)
	for i := len(layers) - 1; i >= 0; i-- {
		if v, ok := layers[i].Get(key); ok {
			return v, true
		}
	}
	return nil, false
}

// readable returns the scopes a name reads from, lowest precedence first.
func (st *runState) readable(scope string) []*Vars {
	s := st.exec.Scopes
	switch scope {
	case "globals":
		return []*Vars{s.Globals}
	case "collection":
		return []*Vars{s.Collection}
	case "environment":
		return []*Vars{s.Environment}
	case "data":
		return []*Vars{st.data}
	default: // "variables"
		return []*Vars{s.Globals, s.Collection, s.Environment, st.data, s.Local}
	}
}

// writable returns the scope a name writes to, creating it when missing.
// pm.variables writes the local scope; pm.iterationData writes a copy of the
// data scope that lives for this Run only, as Postman keeps data per execution.
func (st *runState) writable(scope string) *Vars {
	s := st.exec.Scopes
	ensure := func(p **Vars) *Vars {
		if *p == nil {
			*p = NewVars()
		}
		return *p
	}
	switch scope {
	case "globals":
		return ensure(&s.Globals)
	case "collection":
		return ensure(&s.Collection)
	case "environment":
		return ensure(&s.Environment)
	case "data":
		if !st.dataCopied {
			st.data, st.dataCopied = st.data.Clone(), true
		}
		return st.data
	default:
		return ensure(&s.Local)
	}
}

// atob decodes base64 into a "binary string" (one char per byte), like browsers.
func (rt *jsRuntime) atob(c goja.FunctionCall) string {
	s := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\n' || r == '\f' || r == '\r' {
			return -1
		}
		return r
	}, c.Argument(0).String())
	s = strings.TrimRight(s, "=")
	b, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		panic(rt.domError("InvalidCharacterError", "The string to be decoded is not correctly encoded."))
	}
	runes := make([]rune, len(b))
	for i, x := range b {
		runes[i] = rune(x)
	}
	return string(runes)
}

// btoa encodes a string of Latin-1 characters as base64, like browsers.
func (rt *jsRuntime) btoa(c goja.FunctionCall) string {
	s := c.Argument(0).String()
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			panic(rt.domError("InvalidCharacterError", "The string to be encoded contains characters outside of the Latin1 range."))
		}
		b = append(b, byte(r))
	}
	return base64.StdEncoding.EncodeToString(b)
}

func (rt *jsRuntime) domError(name, msg string) *goja.Object {
	e := rt.vm.NewGoError(errors.New(msg))
	_ = e.Set("name", name)
	_ = e.Set("message", msg)
	return e
}

// setTimer implements setTimeout, setInterval and setImmediate on the run's loop.
func (rt *jsRuntime) setTimer(kind string, c goja.FunctionCall) goja.Value {
	st := rt.state()
	fn, ok := goja.AssertFunction(c.Argument(0))
	if !ok || st.loop == nil {
		return goja.Undefined() // Postman ignores a timer without a callback
	}
	var delay float64
	rest := c.Arguments
	if len(rest) > 0 {
		rest = rest[1:]
	}
	if kind != "Immediate" {
		delay = c.Argument(1).ToFloat()
		if len(rest) > 0 {
			rest = rest[1:]
		}
	}
	if math.IsNaN(delay) || delay < 0 {
		delay = 0
	}
	id, err := st.loop.addTimer(fn, rest, delay, kind == "Interval")
	if err != nil {
		panic(rt.vm.NewGoError(err))
	}
	return rt.vm.ToValue(id)
}

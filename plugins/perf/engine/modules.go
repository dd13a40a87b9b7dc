package engine

import (
	"errors"
	"math"
	"math/rand"
	"sort"
	"strings"
	"time"

	"github.com/grafana/sobek"
)

// nativeModule is a Go-implemented module: its export names and a builder
// that makes its object for one VU.
type nativeModule struct {
	exports []string
	build   func(v *vu) *sobek.Object
}

func (m *nativeModule) has(name string) bool {
	for _, e := range m.exports {
		if e == name {
			return true
		}
	}
	return false
}

// nativeModules are the importable module names.
var nativeModules = map[string]*nativeModule{
	"k6":           {exports: []string{"check", "group", "sleep", "fail", "randomSeed"}, build: (*vu).k6Module},
	"k6/http":      {exports: httpExports, build: (*vu).httpModule},
	"k6/metrics":   {exports: []string{"Counter", "Gauge", "Rate", "Trend"}, build: (*vu).metricsModule},
	"k6/data":      {exports: []string{"SharedArray"}, build: (*vu).dataModule},
	"k6/execution": {exports: []string{"vu", "scenario", "instance", "test"}, build: (*vu).executionModule},
	"k6/encoding":  {exports: []string{"b64encode", "b64decode"}, build: (*vu).encodingModule},
	"k6/crypto":    {exports: cryptoExports, build: (*vu).cryptoModule},
	"k6/ws":        {exports: wsExports, build: (*vu).wsModule},
	"k6/net/grpc":  {exports: grpcExports, build: (*vu).grpcModule},
}

// nativeAlias maps mockarty/* names to the k6 module they alias.
func nativeAlias(spec string) string {
	if spec == "mockarty" {
		return "k6"
	}
	if rest, ok := strings.CutPrefix(spec, "mockarty/"); ok {
		return "k6/" + rest
	}
	return spec
}

func nativeModuleNames() []string {
	out := make([]string, 0, 2*len(nativeModules))
	for n := range nativeModules {
		out = append(out, n)
		if n == "k6" {
			out = append(out, "mockarty")
		} else {
			out = append(out, "mockarty/"+strings.TrimPrefix(n, "k6/"))
		}
	}
	sort.Strings(out)
	return out
}

// setFuncs puts Go functions on a new object.
func (v *vu) object(fns map[string]func(sobek.FunctionCall) sobek.Value) *sobek.Object {
	o := v.rt.NewObject()
	for k, f := range fns {
		_ = o.Set(k, f)
	}
	return o
}

func (v *vu) k6Module() *sobek.Object {
	return v.object(map[string]func(sobek.FunctionCall) sobek.Value{
		"check":      v.check,
		"group":      v.groupFn,
		"sleep":      v.sleep,
		"fail":       v.fail,
		"randomSeed": v.randomSeed,
	})
}

// stringMap reads a JS object of strings (tags, headers).
func (v *vu) stringMap(val sobek.Value) map[string]string {
	if val == nil || sobek.IsUndefined(val) || sobek.IsNull(val) {
		return nil
	}
	o, ok := val.(*sobek.Object)
	if !ok {
		return nil
	}
	keys := o.Keys()
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		out[k] = o.Get(k).String()
	}
	return out
}

// check runs each named predicate on val, records a checks sample per
// name and returns whether all passed.
func (v *vu) check(call sobek.FunctionCall) sobek.Value {
	val := call.Argument(0)
	sets, ok := call.Argument(1).(*sobek.Object)
	if !ok {
		panic(v.rt.NewTypeError("check() needs an object of named checks as its second argument"))
	}
	extra := v.stringMap(call.Argument(2))
	all := true
	for _, name := range sets.Keys() {
		pred := sets.Get(name)
		var passed bool
		if fn, isFn := sobek.AssertFunction(pred); isFn {
			r, err := fn(sobek.Undefined(), val)
			if err != nil {
				panic(err)
			}
			passed = r.ToBoolean()
		} else {
			passed = pred.ToBoolean()
		}
		all = all && passed
		if v.run == nil {
			continue
		}
		node := v.run.groups.check(v.group, name)
		if passed {
			node.passes.Add(1)
		} else {
			node.fails.Add(1)
		}
		var tags map[string]string
		if len(extra) == 0 {
			tags = v.checkTags(name)
		} else {
			tags = v.tags(extra)
			tags["check"] = name
		}
		b := 0.0
		if passed {
			b = 1
		}
		v.run.reg.push(sample{m: v.run.reg.checks, v: b, tags: tags})
	}
	return v.rt.ToValue(all)
}

// groupFn runs fn inside a named group and records group_duration.
func (v *vu) groupFn(call sobek.FunctionCall) sobek.Value {
	name := call.Argument(0).String()
	if name == "" || strings.Contains(name, "::") {
		panic(v.rt.NewTypeError("group names must not be empty or contain '::'"))
	}
	fn, ok := sobek.AssertFunction(call.Argument(1))
	if !ok {
		panic(v.rt.NewTypeError("group() needs a function as its second argument"))
	}
	prev := v.group
	if v.run != nil {
		v.group = v.run.groups.group(prev, name)
	} else {
		v.group = prev + "::" + name
	}
	start := time.Now()
	r, err := fn(sobek.Undefined())
	d := time.Since(start)
	path := v.group
	v.group = prev
	if err != nil {
		panic(err)
	}
	if v.run != nil {
		tags := v.tags(nil)
		tags["group"] = path
		v.run.reg.push(sample{m: v.run.reg.groupDuration, v: ms(d), tags: tags})
	}
	return r
}

// sleep pauses the VU; the run ending cuts it short.
func (v *vu) sleep(call sobek.FunctionCall) sobek.Value {
	s := call.Argument(0).ToFloat()
	if math.IsNaN(s) || s <= 0 {
		return sobek.Undefined()
	}
	sleepCtx(v.ctx, time.Duration(math.Min(s, 1e6)*float64(time.Second)))
	v.stopIfDone()
	return sobek.Undefined()
}

// fail aborts the iteration with an error, as k6's fail().
func (v *vu) fail(call sobek.FunctionCall) sobek.Value {
	msg := "fail"
	if a := call.Argument(0); !sobek.IsUndefined(a) {
		msg = a.String()
	}
	panic(v.rt.NewGoError(errors.New(msg)))
}

func (v *vu) randomSeed(call sobek.FunctionCall) sobek.Value {
	r := rand.New(rand.NewSource(call.Argument(0).ToInteger()))
	v.rt.SetRandSource(r.Float64)
	return sobek.Undefined()
}

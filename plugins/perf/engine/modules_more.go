package engine

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/grafana/sobek"
)

// ---- k6/metrics ----

func (v *vu) metricsModule() *sobek.Object {
	o := v.rt.NewObject()
	for name, t := range map[string]metricType{"Counter": kindCounter, "Gauge": kindGauge, "Rate": kindRate, "Trend": kindTrend} {
		_ = o.Set(name, v.metricConstructor(name, t))
	}
	return o
}

func (v *vu) metricConstructor(kind string, t metricType) func(sobek.ConstructorCall) *sobek.Object {
	return func(call sobek.ConstructorCall) *sobek.Object {
		if !v.inInit {
			panic(v.rt.NewGoError(errors.New("metrics must be declared in the init context (outside functions)")))
		}
		name := call.Argument(0).String()
		contains := valueDefault
		if t == kindTrend && call.Argument(1).ToBoolean() {
			contains = valueTime
		}
		var m *metric
		if v.run != nil {
			var err error
			if m, err = v.run.reg.get(name, t, contains); err != nil {
				panic(v.rt.NewGoError(err))
			}
		} else if !metricNameRe.MatchString(name) {
			panic(v.rt.NewGoError(fmt.Errorf("invalid metric name %q", name)))
		}
		obj := call.This
		_ = obj.Set("name", name)
		_ = obj.Set("add", func(c sobek.FunctionCall) sobek.Value {
			if m == nil || v.run == nil {
				return sobek.Undefined()
			}
			val := c.Argument(0)
			var f float64
			if b, isBool := val.Export().(bool); isBool {
				if b {
					f = 1
				}
			} else {
				f = val.ToFloat()
			}
			if math.IsNaN(f) || math.IsInf(f, 0) {
				v.run.logs.add("warn", fmt.Sprintf("%s %q: ignored a value that is not a number (%s)", kind, name, val.String()))
				return v.rt.ToValue(false)
			}
			v.run.reg.push(sample{m: m, v: f, tags: v.tags(v.stringMap(c.Argument(1)))})
			return v.rt.ToValue(true)
		})
		return nil
	}
}

// ---- k6/data ----

// sharedArrays holds every SharedArray of a run, built once, as JSON per
// element so each VU reads its own copy.
type sharedArrays struct {
	mu     sync.Mutex
	arrays map[string]*sharedEntry
}

type sharedEntry struct {
	once  sync.Once
	elems []string
	err   error
}

func newSharedArrays() *sharedArrays { return &sharedArrays{arrays: map[string]*sharedEntry{}} }

func (s *sharedArrays) get(name string, build func() ([]string, error)) ([]string, error) {
	s.mu.Lock()
	e, ok := s.arrays[name]
	if !ok {
		e = &sharedEntry{}
		s.arrays[name] = e
	}
	s.mu.Unlock()
	e.once.Do(func() { e.elems, e.err = build() })
	return e.elems, e.err
}

func (v *vu) dataModule() *sobek.Object {
	o := v.rt.NewObject()
	_ = o.Set("SharedArray", func(call sobek.ConstructorCall) *sobek.Object {
		if !v.inInit {
			panic(v.rt.NewGoError(errors.New("SharedArray must be created in the init context")))
		}
		name := call.Argument(0).String()
		if name == "" {
			panic(v.rt.NewTypeError("SharedArray needs a name"))
		}
		fn, ok := sobek.AssertFunction(call.Argument(1))
		if !ok {
			panic(v.rt.NewTypeError("SharedArray needs a function that returns an array"))
		}
		build := func() ([]string, error) {
			val, err := fn(sobek.Undefined())
			if err != nil {
				return nil, err
			}
			arr, ok := val.(*sobek.Object)
			if !ok || arr.ClassName() != "Array" {
				return nil, errors.New("SharedArray: the function must return an array")
			}
			n := int(arr.Get("length").ToInteger())
			elems := make([]string, n)
			for i := 0; i < n; i++ {
				s, err := v.jsonStringify(sobek.Undefined(), arr.Get(fmt.Sprint(i)))
				if err != nil {
					return nil, err
				}
				if s == nil || sobek.IsUndefined(s) {
					elems[i] = "null"
				} else {
					elems[i] = s.String()
				}
			}
			return elems, nil
		}
		var elems []string
		var err error
		if v.run != nil {
			elems, err = v.run.shared.get(name, build)
		} else {
			elems, err = build()
		}
		if err != nil {
			var ex *sobek.Exception
			if errors.As(err, &ex) {
				panic(ex)
			}
			panic(v.rt.NewGoError(err))
		}
		return v.rt.NewDynamicArray(&sharedArray{v: v, elems: elems})
	})
	return o
}

// sharedArray is a read-only array whose elements are parsed on access.
type sharedArray struct {
	v     *vu
	elems []string
}

// Len implements sobek.DynamicArray.
func (s *sharedArray) Len() int { return len(s.elems) }

// Get implements sobek.DynamicArray.
func (s *sharedArray) Get(i int) sobek.Value {
	if i < 0 || i >= len(s.elems) {
		return sobek.Undefined()
	}
	val, err := s.v.fromJSON(s.elems[i])
	if err != nil {
		return sobek.Undefined()
	}
	return val
}

// Set implements sobek.DynamicArray: a SharedArray is read-only.
func (s *sharedArray) Set(int, sobek.Value) bool { return false }

// SetLen implements sobek.DynamicArray: a SharedArray is read-only.
func (s *sharedArray) SetLen(int) bool { return false }

// ---- k6/execution ----

// getters is a read-only object whose properties are computed on access;
// setters, when present, accept writes.
type getters struct {
	keys []string
	get  map[string]func() sobek.Value
	set  func(key string, val sobek.Value) bool
	del  func(key string) bool
}

// Get implements sobek.DynamicObject.
func (g *getters) Get(key string) sobek.Value {
	if f, ok := g.get[key]; ok {
		return f()
	}
	return nil
}

// Set implements sobek.DynamicObject.
func (g *getters) Set(key string, val sobek.Value) bool {
	if g.set != nil {
		return g.set(key, val)
	}
	return false
}

// Has implements sobek.DynamicObject.
func (g *getters) Has(key string) bool { _, ok := g.get[key]; return ok }

// Delete implements sobek.DynamicObject.
func (g *getters) Delete(key string) bool {
	if g.del != nil {
		return g.del(key)
	}
	return false
}

// Keys implements sobek.DynamicObject.
func (g *getters) Keys() []string { return g.keys }

func (v *vu) dyn(get map[string]func() sobek.Value) *sobek.Object {
	keys := make([]string, 0, len(get))
	for k := range get {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return v.rt.NewDynamicObject(&getters{keys: keys, get: get})
}

// tagsObject exposes the VU's custom tags, writable as in k6.
func (v *vu) tagsObject() *sobek.Object {
	g := &getters{}
	refresh := func() {
		g.get = map[string]func() sobek.Value{}
		g.keys = g.keys[:0]
		for k, val := range v.customTags {
			val := val
			g.get[k] = func() sobek.Value { return v.rt.ToValue(val) }
			g.keys = append(g.keys, k)
		}
		if v.sc != nil {
			if _, ok := g.get["scenario"]; !ok {
				name := v.sc.name
				g.get["scenario"] = func() sobek.Value { return v.rt.ToValue(name) }
				g.keys = append(g.keys, "scenario")
			}
		}
		sort.Strings(g.keys)
	}
	refresh()
	g.set = func(key string, val sobek.Value) bool {
		switch val.Export().(type) {
		case string, int64, float64, bool:
		default:
			return false
		}
		v.customTags[key] = val.String()
		v.tagsGen++
		refresh()
		return true
	}
	g.del = func(key string) bool {
		delete(v.customTags, key)
		v.tagsGen++
		refresh()
		return true
	}
	obj := v.rt.NewDynamicObject(g)
	return obj
}

func (v *vu) executionModule() *sobek.Object {
	rt := v.rt
	num := func(f func() int64) func() sobek.Value { return func() sobek.Value { return rt.ToValue(f()) } }
	needScenario := func() *scenarioRun {
		if v.sc == nil {
			panic(v.rt.NewGoError(errors.New("scenario information is only available inside a scenario's iterations")))
		}
		return v.sc
	}
	tags := v.tagsObject()
	metricsObj := rt.NewObject()
	_ = metricsObj.Set("tags", tags)
	_ = metricsObj.Set("metadata", rt.NewObject())
	vuObj := v.dyn(map[string]func() sobek.Value{
		"idInInstance":        num(func() int64 { return v.id }),
		"idInTest":            num(func() int64 { return v.id }),
		"iterationInInstance": num(func() int64 { return v.iterInInstance }),
		"iterationInScenario": num(func() int64 { return v.iterInScenario }),
		"tags":                func() sobek.Value { return tags },
		"metrics":             func() sobek.Value { return metricsObj },
	})
	scenarioObj := v.dyn(map[string]func() sobek.Value{
		"name":                func() sobek.Value { return rt.ToValue(needScenario().name) },
		"executor":            func() sobek.Value { return rt.ToValue(needScenario().executor) },
		"startTime":           func() sobek.Value { return rt.ToValue(needScenario().start.UnixMilli()) },
		"progress":            func() sobek.Value { return rt.ToValue(needScenario().progress()) },
		"iterationInInstance": func() sobek.Value { needScenario(); return rt.ToValue(v.scIterInTest) },
		"iterationInTest":     func() sobek.Value { needScenario(); return rt.ToValue(v.scIterInTest) },
	})
	run := func() *runState {
		if v.run == nil {
			panic(v.rt.NewGoError(errors.New("instance information is not available in the init context")))
		}
		return v.run
	}
	instanceObj := v.dyn(map[string]func() sobek.Value{
		"iterationsInterrupted":  num(func() int64 { return run().iterInterrupted.Load() }),
		"iterationsCompleted":    num(func() int64 { return run().iterCompleted.Load() }),
		"vusActive":              num(func() int64 { return run().vusActive.Load() }),
		"vusInitialized":         num(func() int64 { return run().pool.size() }),
		"currentTestRunDuration": func() sobek.Value { return rt.ToValue(ms(time.Since(run().start))) },
	})
	test := rt.NewObject()
	_ = test.Set("abort", func(c sobek.FunctionCall) sobek.Value {
		reason := ""
		if a := c.Argument(0); !sobek.IsUndefined(a) {
			reason = a.String()
		}
		if v.run != nil {
			v.run.abort(reason)
		}
		v.rt.Interrupt(&abortError{reason: reason})
		return sobek.Undefined()
	})
	_ = test.Set("fail", func(c sobek.FunctionCall) sobek.Value {
		if v.run != nil {
			v.run.testFailed.Store(true)
			if a := c.Argument(0); !sobek.IsUndefined(a) {
				v.run.logs.add("error", "test failed: "+a.String())
			}
		}
		return sobek.Undefined()
	})
	var opts sobek.Value = rt.NewObject()
	raw := string(v.prog.rawOptions)
	if v.run != nil && v.run.optionsJSON != "" {
		raw = v.run.optionsJSON
	}
	if raw != "" {
		if val, err := v.fromJSON(raw); err == nil {
			opts = val
		}
	}
	_ = test.DefineAccessorProperty("options", rt.ToValue(func() sobek.Value { return opts }), nil, sobek.FLAG_FALSE, sobek.FLAG_TRUE)
	o := rt.NewObject()
	_ = o.Set("vu", vuObj)
	_ = o.Set("scenario", scenarioObj)
	_ = o.Set("instance", instanceObj)
	_ = o.Set("test", test)
	return o
}

// ---- k6/encoding ----

func b64Encoding(name string) (*base64.Encoding, error) {
	switch name {
	case "", "std":
		return base64.StdEncoding, nil
	case "rawstd":
		return base64.RawStdEncoding, nil
	case "url":
		return base64.URLEncoding, nil
	case "rawurl":
		return base64.RawURLEncoding, nil
	}
	return nil, fmt.Errorf("unknown base64 encoding %q (std, rawstd, url, rawurl)", name)
}

func optString(val sobek.Value) string {
	if val == nil || sobek.IsUndefined(val) || sobek.IsNull(val) {
		return ""
	}
	return val.String()
}

func (v *vu) encodingModule() *sobek.Object {
	return v.object(map[string]func(sobek.FunctionCall) sobek.Value{
		"b64encode": func(c sobek.FunctionCall) sobek.Value {
			enc, err := b64Encoding(optString(c.Argument(1)))
			if err != nil {
				panic(v.rt.NewTypeError(err.Error()))
			}
			return v.rt.ToValue(enc.EncodeToString(v.bytesArg(c.Argument(0))))
		},
		"b64decode": func(c sobek.FunctionCall) sobek.Value {
			enc, err := b64Encoding(optString(c.Argument(1)))
			if err != nil {
				panic(v.rt.NewTypeError(err.Error()))
			}
			b, err := enc.DecodeString(c.Argument(0).String())
			if err != nil {
				panic(v.rt.NewGoError(fmt.Errorf("b64decode: %w", err)))
			}
			if optString(c.Argument(2)) == "s" {
				return v.rt.ToValue(string(b))
			}
			return v.rt.ToValue(v.rt.NewArrayBuffer(b))
		},
	})
}

// ---- k6/crypto ----

var cryptoExports = []string{"createHash", "createHMAC", "hmac", "md5", "sha1", "sha256", "sha384", "sha512", "sha512_224", "sha512_256", "randomBytes"}

const maxRandomBytes = 1 << 20

func hashFunc(alg string) (func() hash.Hash, error) {
	switch alg {
	case "md5":
		return md5.New, nil
	case "sha1":
		return sha1.New, nil
	case "sha256":
		return sha256.New, nil
	case "sha384":
		return sha512.New384, nil
	case "sha512":
		return sha512.New, nil
	case "sha512_224":
		return sha512.New512_224, nil
	case "sha512_256":
		return sha512.New512_256, nil
	}
	return nil, fmt.Errorf("unsupported hash algorithm %q (md5, sha1, sha256, sha384, sha512, sha512_224, sha512_256)", alg)
}

// encodeDigest renders a digest as hex, base64, base64url, base64rawurl or
// binary (ArrayBuffer).
func (v *vu) encodeDigest(sum []byte, enc string) sobek.Value {
	switch enc {
	case "hex":
		return v.rt.ToValue(hex.EncodeToString(sum))
	case "base64":
		return v.rt.ToValue(base64.StdEncoding.EncodeToString(sum))
	case "base64url":
		return v.rt.ToValue(base64.URLEncoding.EncodeToString(sum))
	case "base64rawurl":
		return v.rt.ToValue(base64.RawURLEncoding.EncodeToString(sum))
	case "binary":
		return v.rt.ToValue(v.rt.NewArrayBuffer(sum))
	}
	panic(v.rt.NewTypeError(fmt.Sprintf("unknown output encoding %q (hex, base64, base64url, base64rawurl, binary)", enc)))
}

func (v *vu) hasher(h hash.Hash) *sobek.Object {
	o := v.rt.NewObject()
	_ = o.Set("update", func(c sobek.FunctionCall) sobek.Value {
		h.Write(v.bytesArg(c.Argument(0)))
		return sobek.Undefined()
	})
	_ = o.Set("digest", func(c sobek.FunctionCall) sobek.Value {
		return v.encodeDigest(h.Sum(nil), optString(c.Argument(0)))
	})
	return o
}

func (v *vu) cryptoModule() *sobek.Object {
	must := func(alg string) func() hash.Hash {
		f, err := hashFunc(alg)
		if err != nil {
			panic(v.rt.NewTypeError(err.Error()))
		}
		return f
	}
	fns := map[string]func(sobek.FunctionCall) sobek.Value{
		"createHash": func(c sobek.FunctionCall) sobek.Value {
			return v.hasher(must(c.Argument(0).String())())
		},
		"createHMAC": func(c sobek.FunctionCall) sobek.Value {
			return v.hasher(hmac.New(must(c.Argument(0).String()), v.bytesArg(c.Argument(1))))
		},
		"hmac": func(c sobek.FunctionCall) sobek.Value {
			h := hmac.New(must(c.Argument(0).String()), v.bytesArg(c.Argument(1)))
			h.Write(v.bytesArg(c.Argument(2)))
			return v.encodeDigest(h.Sum(nil), optString(c.Argument(3)))
		},
		"randomBytes": func(c sobek.FunctionCall) sobek.Value {
			n := c.Argument(0).ToInteger()
			if n < 0 || n > maxRandomBytes {
				panic(v.rt.NewTypeError(fmt.Sprintf("randomBytes: size must be 0..%d", maxRandomBytes)))
			}
			b := make([]byte, n)
			_, _ = rand.Read(b)
			return v.rt.ToValue(v.rt.NewArrayBuffer(b))
		},
	}
	for _, alg := range []string{"md5", "sha1", "sha256", "sha384", "sha512", "sha512_224", "sha512_256"} {
		alg := alg
		fns[alg] = func(c sobek.FunctionCall) sobek.Value {
			h := must(alg)()
			h.Write(v.bytesArg(c.Argument(0)))
			return v.encodeDigest(h.Sum(nil), optString(c.Argument(1)))
		}
	}
	return v.object(fns)
}

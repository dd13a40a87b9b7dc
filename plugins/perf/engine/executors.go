package engine

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grafana/sobek"
)

// scenarioRun is a scenario being executed.
type scenarioRun struct {
	*scenario
	rs         *runState
	start      time.Time
	iterInTest atomic.Int64
	tagsMap    map[string]string
}

// graceful returns a context that ends grace after soft ends, or when
// parent ends; release frees its timer.
func graceful(parent, soft context.Context, grace time.Duration) (context.Context, func()) {
	ctx, cancel := context.WithCancel(parent)
	var mu sync.Mutex
	var timer *time.Timer
	released := false
	stop := context.AfterFunc(soft, func() {
		mu.Lock()
		defer mu.Unlock()
		if !released {
			timer = time.AfterFunc(grace, cancel)
		}
	})
	return ctx, func() {
		stop()
		mu.Lock()
		released = true
		if timer != nil {
			timer.Stop()
		}
		mu.Unlock()
		cancel()
	}
}

// sleepCtx waits d or until ctx ends; it reports whether d passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// run waits for the scenario's startTime, then runs its executor.
func (sr *scenarioRun) run() {
	rs := sr.rs
	if !sleepCtx(rs.softCtx, sr.startTime) {
		return
	}
	sr.start = time.Now()
	sr.tagsMap = map[string]string{"scenario": sr.name}
	for k, v := range sr.tags {
		sr.tagsMap[k] = v
	}
	switch sr.executor {
	case execConstantVUs, execPerVUIterations, execSharedIterations:
		sr.runLooping()
	case execRampingVUs:
		sr.runRampingVUs()
	case execConstantArrivalRate, execRampingArrivalRate:
		sr.runArrivalRate()
	}
}

// progress is how far through its schedule the scenario is (0..1).
func (sr *scenarioRun) progress() float64 {
	if sr.start.IsZero() {
		return 0
	}
	span := sr.span()
	if sr.executor == execPerVUIterations || sr.executor == execSharedIterations {
		total := float64(sr.iterations)
		if sr.executor == execPerVUIterations {
			total *= float64(sr.vus)
		}
		return math.Min(1, float64(sr.iterInTest.Load())/total)
	}
	if span <= 0 {
		return 1
	}
	return math.Min(1, float64(time.Since(sr.start))/float64(span))
}

// runLooping drives constant-vus, per-vu-iterations and shared-iterations:
// a fixed set of VUs looping until the duration ends or iterations run out.
func (sr *scenarioRun) runLooping() {
	rs := sr.rs
	soft, cancelSoft := context.WithTimeout(rs.softCtx, sr.duration)
	defer cancelSoft()
	hard, release := graceful(rs.hardCtx, soft, sr.gracefulStop)
	defer release()
	vus, err := rs.pool.take(sr.vus)
	if err != nil {
		rs.errs.add("scenario " + sr.name + ": " + err.Error())
		return
	}
	defer rs.pool.put(vus...)
	var shared atomic.Int64
	var wg sync.WaitGroup
	for _, v := range vus {
		wg.Add(1)
		go func(v *vu) {
			defer wg.Done()
			rs.activeVU(1)
			defer rs.activeVU(-1)
			for n := 0; soft.Err() == nil; n++ {
				switch sr.executor {
				case execPerVUIterations:
					if n >= sr.iterations {
						return
					}
				case execSharedIterations:
					if shared.Add(1) > int64(sr.iterations) {
						return
					}
				}
				v.iterate(hard, sr)
			}
		}(v)
	}
	wg.Wait()
}

// rampTarget is the number of VUs (or the rate) the stages give at t.
func rampTarget(start float64, stages []stage, t time.Duration) float64 {
	from := start
	var at time.Duration
	for _, st := range stages {
		d := time.Duration(st.Duration)
		if t < at+d {
			frac := float64(t-at) / float64(d)
			return from + (st.Target-from)*frac
		}
		at += d
		from = st.Target
	}
	return from
}

type rampSlot struct {
	v       *vu
	cancel  context.CancelFunc
	release func()
	running bool
	done    chan struct{}
}

// runRampingVUs changes the number of looping VUs along the stages; VUs
// ramped down finish their iteration within gracefulRampDown.
func (sr *scenarioRun) runRampingVUs() {
	rs := sr.rs
	span := sr.span()
	soft, cancelSoft := context.WithTimeout(rs.softCtx, span)
	defer cancelSoft()
	hard, release := graceful(rs.hardCtx, soft, sr.gracefulStop)
	defer release()
	vus, err := rs.pool.take(sr.maxInitVUs())
	if err != nil {
		rs.errs.add("scenario " + sr.name + ": " + err.Error())
		return
	}
	defer rs.pool.put(vus...)
	slots := make([]*rampSlot, len(vus))
	for i, v := range vus {
		slots[i] = &rampSlot{v: v}
	}
	active := 0 // slots[:active] are running
	activate := func(s *rampSlot) {
		// down ends when the ramp takes this VU away; the scenario's own end
		// is soft, whose iterations get gracefulStop instead
		down, cancel := context.WithCancel(context.Background())
		hctx, rel := graceful(hard, down, sr.gracefulRampDown)
		s.cancel, s.release, s.running, s.done = cancel, rel, true, make(chan struct{})
		go func() {
			defer close(s.done)
			defer rel()
			defer cancel()
			rs.activeVU(1)
			defer rs.activeVU(-1)
			for soft.Err() == nil && down.Err() == nil {
				s.v.iterate(hctx, sr)
			}
		}()
	}
	finished := func(s *rampSlot) bool {
		if !s.running {
			return true
		}
		select {
		case <-s.done:
			s.running = false
			return true
		default:
			return false
		}
	}
	const step = 10 * time.Millisecond
	for soft.Err() == nil {
		t := time.Since(sr.start)
		x := rampTarget(float64(sr.vus), sr.stages, t)
		want := int(math.Floor(x + 1e-9))
		if next := rampTarget(float64(sr.vus), sr.stages, t+step); next < x {
			want = int(math.Ceil(x - 1e-9)) // ramping down: keep a VU until its share is gone
		}
		want = max(0, min(want, len(slots)))
		for active > want {
			active--
			slots[active].cancel()
		}
		for active < want && finished(slots[active]) {
			activate(slots[active])
			active++
		}
		sleepCtx(soft, step)
	}
	for _, s := range slots {
		if s.running {
			<-s.done
		}
	}
}

// arrivalSchedule gives the start offset of the i-th iteration (from 0).
type arrivalSchedule interface {
	at(i int64) (time.Duration, bool)
}

type constantSchedule struct{ interval float64 } // seconds between starts

func (c constantSchedule) at(i int64) (time.Duration, bool) {
	return time.Duration(float64(i) * c.interval * float64(time.Second)), true
}

// rampSchedule starts iterations where the integral of the piecewise
// linear rate reaches each whole number.
type rampSchedule struct{ segs []rampSeg }

type rampSeg struct {
	start, dur, r0, r1, cum0 float64 // seconds, per second, iterations before
}

func newRampSchedule(startRate float64, stages []stage, unit time.Duration) rampSchedule {
	perSec := float64(time.Second) / float64(unit)
	var segs []rampSeg
	from, at, cum := startRate*perSec, 0.0, 0.0
	for _, st := range stages {
		d := time.Duration(st.Duration).Seconds()
		to := st.Target * perSec
		segs = append(segs, rampSeg{start: at, dur: d, r0: from, r1: to, cum0: cum})
		cum += (from + to) / 2 * d
		at += d
		from = to
	}
	return rampSchedule{segs: segs}
}

func (r rampSchedule) at(i int64) (time.Duration, bool) {
	n := float64(i)
	for _, s := range r.segs {
		area := (s.r0 + s.r1) / 2 * s.dur
		if n >= s.cum0+area-1e-9 || s.dur <= 0 {
			continue
		}
		x := n - s.cum0
		a := (s.r1 - s.r0) / (2 * s.dur)
		var t float64
		if math.Abs(a) < 1e-12 {
			t = x / s.r0
		} else {
			t = (-s.r0 + math.Sqrt(math.Max(0, s.r0*s.r0+4*a*x))) / (2 * a)
		}
		return time.Duration((s.start + t) * float64(time.Second)), true
	}
	return 0, false
}

// runArrivalRate starts iterations on a schedule regardless of how long they
// take; an iteration with no free VU is dropped (dropped_iterations) while a
// new VU is initialized, up to maxVUs.
func (sr *scenarioRun) runArrivalRate() {
	rs := sr.rs
	span := sr.span()
	soft, cancelSoft := context.WithTimeout(rs.softCtx, span)
	defer cancelSoft()
	hard, release := graceful(rs.hardCtx, soft, sr.gracefulStop)
	defer release()
	var sched arrivalSchedule
	if sr.executor == execConstantArrivalRate {
		sched = constantSchedule{interval: sr.timeUnit.Seconds() / sr.rate}
	} else {
		sched = newRampSchedule(sr.startRate, sr.stages, sr.timeUnit)
	}
	pre, err := rs.pool.take(sr.preAllocated)
	if err != nil {
		rs.errs.add("scenario " + sr.name + ": " + err.Error())
		return
	}
	free := make(chan *vu, sr.maxVUs)
	for _, v := range pre {
		free <- v
	}
	var allocated atomic.Int64
	allocated.Store(int64(len(pre)))
	var initializing atomic.Bool
	var wg, initWG sync.WaitGroup
	dropped := func() {
		rs.reg.push(sample{m: rs.reg.droppedIterations, v: 1, tags: sr.tagsMap})
	}
	for i := int64(0); ; i++ {
		at, ok := sched.at(i)
		if !ok || at >= span {
			break
		}
		if !sleepCtx(soft, time.Until(sr.start.Add(at))) {
			break
		}
		select {
		case v := <-free:
			wg.Add(1)
			go func() {
				defer wg.Done()
				rs.activeVU(1)
				v.iterate(hard, sr)
				rs.activeVU(-1)
				free <- v
			}()
		default:
			dropped()
			if allocated.Load() < int64(sr.maxVUs) && initializing.CompareAndSwap(false, true) {
				initWG.Add(1)
				go func() {
					defer initWG.Done()
					defer initializing.Store(false)
					vs, err := rs.pool.take(1)
					if err != nil {
						rs.errs.add("scenario " + sr.name + ": " + err.Error())
						return
					}
					allocated.Add(1)
					free <- vs[0]
				}()
			}
		}
	}
	initWG.Wait()
	wg.Wait()
	close(free)
	for v := range free {
		rs.pool.put(v)
	}
}

// iterate runs one iteration of the scenario's function in this VU.
func (v *vu) iterate(ctx context.Context, sr *scenarioRun) {
	rs := v.run
	if v.sc != sr {
		v.sc = sr
		v.iterInScenario = 0
		_ = v.rt.Set("__ENV", v.envObject(rs.env, sr.env))
	}
	v.scIterInTest = sr.iterInTest.Add(1) - 1
	_ = v.rt.Set("__ITER", v.iterInInstance)
	v.group = ""
	if v.http != nil {
		v.http.resetCookies()
	}
	var args []sobek.Value
	if rs.hasSetupData {
		if !v.dataParsed {
			d, err := v.fromJSON(rs.setupData)
			if err == nil {
				v.data = d
			}
			v.dataParsed = true
		}
		if v.data != nil {
			args = append(args, v.data)
		}
	}
	start := time.Now()
	var err error
	if v.prog.iterations != nil && sr.exec == "default" {
		err = v.goIteration(ctx)
	} else {
		_, err = v.call(ctx, sr.exec, args...)
	}
	dur := time.Since(start)
	v.iterInScenario++
	v.iterInInstance++
	if err != nil {
		var ab *abortError
		switch {
		case errors.As(err, &ab):
			rs.abort(ab.reason)
			rs.iterInterrupted.Add(1)
			return
		case errors.Is(err, errInterrupted):
			rs.iterInterrupted.Add(1)
			return
		default:
			msg := describeError(err)
			rs.errs.add(msg)
			rs.logs.add("error", msg)
		}
	}
	rs.iterCompleted.Add(1)
	tags := v.baseTags()
	rs.reg.push(sample{m: rs.reg.iterations, v: 1, tags: tags}, sample{m: rs.reg.iterationDuration, v: ms(dur), tags: tags})
	if min := time.Duration(rs.opts.MinIterationDuration); dur < min {
		sleepCtx(ctx, min-dur)
	}
}

// tags builds a sample's tag set: options.tags, scenario tags, VU tags,
// group, then extra.
func (v *vu) tags(extra map[string]string) map[string]string {
	t := make(map[string]string, 8+len(extra))
	if v.run != nil && v.run.opts != nil {
		for k, val := range v.run.opts.Tags {
			t[k] = val
		}
	}
	if v.sc != nil {
		for k, val := range v.sc.tagsMap {
			t[k] = val
		}
	}
	for k, val := range v.customTags {
		t[k] = val
	}
	t["group"] = v.group
	for k, val := range extra {
		t[k] = val
	}
	return t
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

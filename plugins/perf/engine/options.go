package engine

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// jsonDuration reads k6 durations: "30s", "1m30s", "1h", "1.5s", "1d", or a
// number of milliseconds.
type jsonDuration time.Duration

// UnmarshalJSON reads a duration string or milliseconds.
func (d *jsonDuration) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err == nil {
		if f < 0 || math.IsNaN(f) || f > float64(math.MaxInt64/int64(time.Millisecond)) {
			return fmt.Errorf("invalid duration %v", f)
		}
		*d = jsonDuration(time.Duration(f * float64(time.Millisecond)))
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration is a string like \"30s\" or a number of milliseconds")
	}
	v, err := parseDuration(s)
	if err != nil {
		return err
	}
	*d = jsonDuration(v)
	return nil
}

// parseDuration accepts Go durations plus a "d" (day) unit and bare numbers
// as milliseconds, as k6 does.
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f < 0 {
			return 0, fmt.Errorf("negative duration %q", s)
		}
		return time.Duration(f * float64(time.Millisecond)), nil
	}
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 || n > 365 {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		days = time.Duration(n) * 24 * time.Hour
		s = s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	if v < 0 {
		return 0, fmt.Errorf("negative duration %q", s)
	}
	return days + v, nil
}

// stage is one step of a ramp: reach Target over Duration.
type stage struct {
	Duration jsonDuration `json:"duration"`
	Target   float64      `json:"target"`
}

// scenarioConfig is one entry of options.scenarios (all executors' fields;
// each executor reads its own).
type scenarioConfig struct {
	Executor         string            `json:"executor"`
	StartTime        jsonDuration      `json:"startTime"`
	GracefulStop     *jsonDuration     `json:"gracefulStop"`
	Exec             string            `json:"exec"`
	Env              map[string]string `json:"env"`
	Tags             map[string]string `json:"tags"`
	VUs              *int              `json:"vus"`
	Duration         jsonDuration      `json:"duration"`
	Iterations       *int              `json:"iterations"`
	MaxDuration      *jsonDuration     `json:"maxDuration"`
	StartVUs         *int              `json:"startVUs"`
	Stages           []stage           `json:"stages"`
	GracefulRampDown *jsonDuration     `json:"gracefulRampDown"`
	Rate             *float64          `json:"rate"`
	StartRate        float64           `json:"startRate"`
	TimeUnit         *jsonDuration     `json:"timeUnit"`
	PreAllocatedVUs  *int              `json:"preAllocatedVUs"`
	MaxVUs           *int              `json:"maxVUs"`
}

// scriptOptions is the part of the script's exported options the engine reads.
type scriptOptions struct {
	VUs                   *int                      `json:"vus"`
	Duration              *jsonDuration             `json:"duration"`
	Iterations            *int                      `json:"iterations"`
	Stages                []stage                   `json:"stages"`
	Scenarios             map[string]scenarioConfig `json:"scenarios"`
	Thresholds            map[string]thresholdList  `json:"thresholds"`
	DiscardResponseBodies bool                      `json:"discardResponseBodies"`
	MaxRedirects          *int                      `json:"maxRedirects"`
	UserAgent             *string                   `json:"userAgent"`
	Batch                 int                       `json:"batch"`
	InsecureSkipTLSVerify bool                      `json:"insecureSkipTLSVerify"`
	Tags                  map[string]string         `json:"tags"`
	SetupTimeout          *jsonDuration             `json:"setupTimeout"`
	TeardownTimeout       *jsonDuration             `json:"teardownTimeout"`
	SummaryTrendStats     []string                  `json:"summaryTrendStats"`
	NoConnectionReuse     bool                      `json:"noConnectionReuse"`
	MinIterationDuration  jsonDuration              `json:"minIterationDuration"`
}

// parseOptions decodes the JSON form of `export const options`.
func parseOptions(raw []byte) (*scriptOptions, error) {
	o := &scriptOptions{}
	if len(raw) == 0 || string(raw) == "null" {
		return o, nil
	}
	if err := json.Unmarshal(raw, o); err != nil {
		return nil, fmt.Errorf("options: %w", err)
	}
	return o, nil
}

// Executor names.
const (
	execConstantVUs         = "constant-vus"
	execRampingVUs          = "ramping-vus"
	execPerVUIterations     = "per-vu-iterations"
	execSharedIterations    = "shared-iterations"
	execConstantArrivalRate = "constant-arrival-rate"
	execRampingArrivalRate  = "ramping-arrival-rate"
)

// scenario is a validated scenario with every default filled in.
type scenario struct {
	name             string
	executor         string
	startTime        time.Duration
	gracefulStop     time.Duration
	exec             string
	env              map[string]string
	tags             map[string]string
	vus              int
	duration         time.Duration // constant-vus, constant-arrival-rate; maxDuration for the iteration executors
	iterations       int
	stages           []stage
	gracefulRampDown time.Duration
	rate             float64 // iterations per timeUnit
	startRate        float64
	timeUnit         time.Duration
	preAllocated     int
	maxVUs           int
}

// maxInitVUs is how many VUs the scenario needs before it starts.
func (s *scenario) maxInitVUs() int {
	switch s.executor {
	case execConstantArrivalRate, execRampingArrivalRate:
		return s.preAllocated
	case execRampingVUs:
		n := s.vus
		for _, st := range s.stages {
			if int(st.Target) > n {
				n = int(st.Target)
			}
		}
		return n
	default:
		return s.vus
	}
}

// maxVUsEver is the most VUs the scenario can use.
func (s *scenario) maxVUsEver() int {
	if s.executor == execConstantArrivalRate || s.executor == execRampingArrivalRate {
		return s.maxVUs
	}
	return s.maxInitVUs()
}

// span is the scenario's scheduled length without graceful stop.
func (s *scenario) span() time.Duration {
	switch s.executor {
	case execRampingVUs, execRampingArrivalRate:
		var d time.Duration
		for _, st := range s.stages {
			d += time.Duration(st.Duration)
		}
		return d
	default:
		return s.duration
	}
}

const (
	defaultGracefulStop = 30 * time.Second
	defaultMaxDuration  = 10 * time.Minute
	maxIterationsLimit  = 100_000_000
	maxStages           = 1000
	maxRatePerSecond    = 1_000_000
)

// buildScenarios turns options (after run overrides) into scenarios.
func buildScenarios(o *scriptOptions) ([]*scenario, error) {
	cfgs := o.Scenarios
	if len(cfgs) == 0 {
		cfgs = map[string]scenarioConfig{"default": shortcutScenario(o)}
	} else if o.Duration != nil || o.Iterations != nil || len(o.Stages) > 0 {
		return nil, fmt.Errorf("options: use either scenarios or the vus/duration/iterations/stages shortcut, not both")
	}
	names := make([]string, 0, len(cfgs))
	for n := range cfgs {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]*scenario, 0, len(names))
	for _, n := range names {
		sc, err := newScenario(n, cfgs[n])
		if err != nil {
			return nil, fmt.Errorf("scenario %q: %w", n, err)
		}
		out = append(out, sc)
	}
	return out, nil
}

// shortcutScenario applies k6's rules for the top-level shortcut options.
func shortcutScenario(o *scriptOptions) scenarioConfig {
	vus := 1
	if o.VUs != nil {
		vus = *o.VUs
	}
	switch {
	case len(o.Stages) > 0:
		return scenarioConfig{Executor: execRampingVUs, StartVUs: &vus, Stages: o.Stages}
	case o.Iterations != nil:
		c := scenarioConfig{Executor: execSharedIterations, VUs: &vus, Iterations: o.Iterations}
		if o.Duration != nil {
			c.MaxDuration = o.Duration
		}
		return c
	case o.Duration != nil:
		return scenarioConfig{Executor: execConstantVUs, VUs: &vus, Duration: *o.Duration}
	default:
		one := 1
		return scenarioConfig{Executor: execSharedIterations, VUs: &vus, Iterations: &one}
	}
}

func intOr(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}

func durOr(p *jsonDuration, def time.Duration) time.Duration {
	if p == nil {
		return def
	}
	return time.Duration(*p)
}

func stageTargets(st []stage) []float64 {
	out := make([]float64, len(st))
	for i, s := range st {
		out[i] = s.Target
	}
	return out
}

func newScenario(name string, c scenarioConfig) (*scenario, error) {
	s := &scenario{
		name:         name,
		executor:     c.Executor,
		startTime:    time.Duration(c.StartTime),
		gracefulStop: durOr(c.GracefulStop, defaultGracefulStop),
		exec:         c.Exec,
		env:          c.Env,
		tags:         c.Tags,
	}
	if s.exec == "" {
		s.exec = "default"
	}
	positive := func(field string, v int) error {
		if v < 1 {
			return fmt.Errorf("%s must be at least 1", field)
		}
		return nil
	}
	checkStages := func() error {
		if len(c.Stages) == 0 {
			return fmt.Errorf("stages are required")
		}
		if len(c.Stages) > maxStages {
			return fmt.Errorf("at most %d stages", maxStages)
		}
		for i, st := range c.Stages {
			if st.Target < 0 || math.IsNaN(st.Target) {
				return fmt.Errorf("stage %d: target must not be negative", i)
			}
		}
		s.stages = c.Stages
		return nil
	}
	switch c.Executor {
	case execConstantVUs:
		s.vus = intOr(c.VUs, 1)
		s.duration = time.Duration(c.Duration)
		if err := positive("vus", s.vus); err != nil {
			return nil, err
		}
		if s.duration <= 0 {
			return nil, fmt.Errorf("duration is required")
		}
	case execPerVUIterations, execSharedIterations:
		s.vus = intOr(c.VUs, 1)
		s.iterations = intOr(c.Iterations, 1)
		s.duration = durOr(c.MaxDuration, defaultMaxDuration)
		if err := positive("vus", s.vus); err != nil {
			return nil, err
		}
		if err := positive("iterations", s.iterations); err != nil {
			return nil, err
		}
		if s.iterations > maxIterationsLimit {
			return nil, fmt.Errorf("iterations must be at most %d", maxIterationsLimit)
		}
		if c.Executor == execSharedIterations && s.iterations < s.vus {
			s.vus = s.iterations // extra VUs could never run an iteration
		}
		if s.duration <= 0 {
			return nil, fmt.Errorf("maxDuration must be positive")
		}
	case execRampingVUs:
		s.vus = intOr(c.StartVUs, 1)
		if s.vus < 0 {
			return nil, fmt.Errorf("startVUs must not be negative")
		}
		s.gracefulRampDown = durOr(c.GracefulRampDown, defaultGracefulStop)
		if err := checkStages(); err != nil {
			return nil, err
		}
	case execConstantArrivalRate, execRampingArrivalRate:
		s.timeUnit = durOr(c.TimeUnit, time.Second)
		if s.timeUnit <= 0 {
			return nil, fmt.Errorf("timeUnit must be positive")
		}
		if c.PreAllocatedVUs == nil {
			return nil, fmt.Errorf("preAllocatedVUs is required")
		}
		s.preAllocated = *c.PreAllocatedVUs
		s.maxVUs = intOr(c.MaxVUs, s.preAllocated)
		if s.preAllocated < 0 {
			return nil, fmt.Errorf("preAllocatedVUs must not be negative")
		}
		if s.maxVUs < s.preAllocated {
			s.maxVUs = s.preAllocated
		}
		if s.maxVUs < 1 {
			return nil, fmt.Errorf("maxVUs must be at least 1")
		}
		perSec := float64(time.Second) / float64(s.timeUnit)
		if c.Executor == execConstantArrivalRate {
			if c.Rate == nil || *c.Rate <= 0 || math.IsNaN(*c.Rate) {
				return nil, fmt.Errorf("rate must be positive")
			}
			if *c.Rate*perSec > maxRatePerSecond {
				return nil, fmt.Errorf("rate must be at most %d iterations a second", maxRatePerSecond)
			}
			s.rate = *c.Rate
			s.duration = time.Duration(c.Duration)
			if s.duration <= 0 {
				return nil, fmt.Errorf("duration is required")
			}
		} else {
			s.startRate = c.StartRate
			if s.startRate < 0 || math.IsNaN(s.startRate) {
				return nil, fmt.Errorf("startRate must not be negative")
			}
			if err := checkStages(); err != nil {
				return nil, err
			}
			for _, r := range append([]float64{s.startRate}, stageTargets(s.stages)...) {
				if r*perSec > maxRatePerSecond {
					return nil, fmt.Errorf("rates must be at most %d iterations a second", maxRatePerSecond)
				}
			}
		}
	case "":
		return nil, fmt.Errorf("executor is required")
	default:
		return nil, fmt.Errorf("unknown executor %q (supported: %s)", c.Executor,
			strings.Join([]string{execConstantVUs, execRampingVUs, execPerVUIterations, execSharedIterations, execConstantArrivalRate, execRampingArrivalRate}, ", "))
	}
	return s, nil
}

package wiremock

import (
	"encoding/json"

	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/host/internal/model"
)

// StartedState is the state every WireMock scenario starts in.
const StartedState = "Started"

// StateKey is the chain store key the state of a scenario is written to.
const StateKey = "scenarioState"

// scenarios translates WireMock's scenarios. Mockarty conditions cannot
// read a store, so a state cannot decide which mock answers. What can be
// expressed is a sequence: stubs of one scenario that all match the same
// request and walk the states from Started one after the other. A sequence
// that comes back to Started is one mock serving its responses in turn
// (oneOf "order"); one that stops in its last state is one mock per step,
// each answering once (useLimiter 1) before the next, the last for good.
// Any other scenario keeps one mock per stub: the new state is written to
// the chain store (for anyone reading /api/v1/stores), the required state
// is reported, and stubs that need a later state rank below those of the
// initial one, so the first interaction answers as in WireMock.
func scenarios(all []*stub) {
	groups := map[string][]*stub{}
	var order []string
	for _, s := range all {
		if s.mock == nil || s.scenario == "" {
			continue
		}
		if _, ok := groups[s.scenario]; !ok {
			order = append(order, s.scenario)
		}
		groups[s.scenario] = append(groups[s.scenario], s)
	}
	for _, name := range order {
		g := groups[name]
		steps, cycle, ok := sequence(g)
		switch {
		case ok && cycle:
			mergeCycle(name, steps)
		case ok && len(steps) <= 10:
			chainSteps(name, steps)
		default:
			keepStates(name, g)
		}
	}
}

// sequence orders the stubs of a scenario by state, when they form one:
// same request and priority, plain responses, and each state leads to the
// next stub's. cycle tells whether the last step goes back to Started.
func sequence(g []*stub) (steps []*stub, cycle, ok bool) {
	if len(g) < 2 {
		return nil, false, false
	}
	for _, s := range g {
		if !s.hasRequired || s.request != g[0].request || s.mock.Priority != g[0].mock.Priority ||
			s.mock.Response == nil || s.mock.Proxy != nil || len(s.mock.Webhooks) > 0 {
			return nil, false, false
		}
	}
	state := StartedState
	seen := map[string]bool{}
	for len(steps) < len(g) {
		var next *stub
		for _, s := range g {
			if s.required == state {
				if next != nil {
					return nil, false, false // two stubs for one state: the request decides, not the turn
				}
				next = s
			}
		}
		if next == nil || seen[state] {
			return nil, false, false
		}
		seen[state] = true
		steps = append(steps, next)
		last := len(steps) == len(g)
		switch {
		case !next.hasNext || next.next == state:
			return steps, false, last
		case next.next == StartedState:
			return steps, true, last
		}
		state = next.next
	}
	return nil, false, false
}

// mergeCycle makes one mock serving the steps' responses in turn.
func mergeCycle(name string, steps []*stub) {
	first := steps[0].mock
	first.OneOf = &model.OneOf{Order: "order"}
	for i, s := range steps {
		first.OneOf.Responses = append(first.OneOf.Responses, *s.mock.Response)
		s.rep.Note("scenario %q: the stubs of this request walk its states in a cycle, so they are one mock, %s, serving their responses in turn; this stub's is response %d", name, first.ID, i+1)
		if i > 0 {
			s.mock = nil
			s.rep.MockIDs = []string{first.ID}
		}
	}
	first.Response = nil
}

// chainSteps makes each step answer once, in order, and the last for good.
func chainSteps(name string, steps []*stub) {
	n := len(steps)
	for i, s := range steps {
		s.mock.Priority += int64(n - 1 - i)
		if i < n-1 {
			s.mock.UseLimiter = 1
			s.rep.Note("scenario %q: step %d of %d of one request: the mock answers once (useLimiter 1), then the next step's answers", name, i+1, n)
		} else {
			s.rep.Note("scenario %q: the last step of one request: the mock answers once the steps before it are used up", name)
		}
	}
}

// keepStates writes the new states to the chain store and reports the
// required ones.
func keepStates(name string, g []*stub) {
	chain := generate.MockID("", name)
	if chain == "" || !model.NamePattern.MatchString(chain) {
		chain = generate.MockID("scenario", name)
	}
	for _, s := range g {
		m := s.mock
		m.ChainID = chain
		if s.hasNext {
			if m.Extract == nil {
				m.Extract = &model.Extract{}
			}
			v, _ := json.Marshal(s.next)
			m.Extract.CStore = map[string]json.RawMessage{StateKey: v}
			s.rep.Note("scenario %q: newScenarioState %q is written to the chain store of chain %q (key %s), where no condition can read it", name, s.next, chain, StateKey)
		}
		if !s.hasRequired {
			continue
		}
		if s.required != StartedState {
			m.Priority--
			s.rep.Skip("scenario %q: requiredScenarioState %q (Mockarty conditions cannot read the chain store: the mock answers in any state, ranked below the stubs of state Started)", name, s.required)
			continue
		}
		s.rep.Skip("scenario %q: requiredScenarioState Started (Mockarty conditions cannot read the chain store: the mock answers in any state)", name)
	}
}

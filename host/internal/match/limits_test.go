package match

import (
	"context"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/host/internal/jpath"
	"github.com/mockarty-oss/mockarty/host/internal/model"
)

func check(t *testing.T, c model.Condition, in *Input) (bool, *Failure) {
	t.Helper()
	cs, err := CompileConditions([]model.Condition{c}, SourceBody, false)
	if err != nil {
		t.Fatal(err)
	}
	return CheckAll(cs, in, nil, "ns")
}

// A matches condition reads at most REGEX_MAX_INPUT_BYTES of text: a longer
// value, or a list whose values add up to more, fails with that reason.
func TestRegexInputLimit(t *testing.T) {
	SetMaxRegexInput(100)
	defer SetMaxRegexInput(0)
	long := strings.Repeat("a", 101)
	if ok, f := check(t, cond("$.s", "matches", "a+$"), &Input{Body: map[string]any{"s": long}}); ok || !strings.Contains(f.Reason, "REGEX_MAX_INPUT_BYTES") {
		t.Fatalf("long value: %v %+v", ok, f)
	}
	if ok, f := check(t, cond("$.s", "matches", "a+$"), &Input{Body: map[string]any{"s": long[:100]}}); !ok {
		t.Fatalf("at the limit: %+v", f)
	}
	list := []any{strings.Repeat("b", 60), strings.Repeat("b", 60), "a"}
	if ok, f := check(t, cond("$..s", "matches", "^a$"), &Input{Body: map[string]any{"x": map[string]any{"s": list}}}); ok || !strings.Contains(f.Reason, "REGEX_MAX_INPUT_BYTES") {
		t.Fatalf("a list counts all its values: %v %+v", ok, f)
	}
	// A match found before the limit holds.
	if ok, f := check(t, cond("$.l", "matches", "^b"), &Input{Body: map[string]any{"l": list}}); !ok {
		t.Fatalf("first element: %+v", f)
	}
}

// A path stopped by the JSONPath work limit or by cancellation does not
// hold, and the near-miss report says why.
func TestPathLimitsFailWithReason(t *testing.T) {
	items := make([]any, 200)
	for i := range items {
		items[i] = map[string]any{"x": float64(i)}
	}
	doc := map[string]any{"items": items}
	jpath.SetWorkLimit(50)
	ok, f := check(t, cond("$..x", "notEmpty", nil), &Input{Body: doc})
	jpath.SetWorkLimit(0)
	if ok || !strings.Contains(f.Reason, "JSONPATH_WORK_LIMIT") {
		t.Fatalf("work limit: %v %+v", ok, f)
	}
	if ok, f := check(t, cond("$..x", "not_equals", 5), &Input{Body: doc}); !ok {
		t.Fatalf("within the limit: %+v", f)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ok, f = check(t, cond("$..x", "notEmpty", nil), &Input{Ctx: ctx, Body: doc})
	if ok || !strings.Contains(f.Reason, "canceled") {
		t.Fatalf("cancelled: %v %+v", ok, f)
	}
}

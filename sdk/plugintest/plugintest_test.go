package plugintest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/mockarty-oss/mockarty/sdk"
)

// counter is a tool that counts to n, asking the host for a mock on the way.
type counter struct{}

func (counter) Info() sdk.Info {
	return sdk.Info{Name: "counter", Kind: sdk.KindTool, Version: "0.0.1",
		SettingsSchema: json.RawMessage(`{"type":"object"}`)}
}
func (counter) Configure(context.Context, json.RawMessage) error { return nil }
func (counter) Health(context.Context) error                     { return nil }

func (counter) Run(ctx context.Context, job sdk.Job, host sdk.Host, report func(sdk.Progress)) (json.RawMessage, error) {
	var p struct{ N int }
	if err := json.Unmarshal(job.Params, &p); err != nil || p.N <= 0 {
		return nil, errors.New("params: want {\"N\": a positive number}")
	}
	for i := 1; i <= p.N; i++ {
		report(sdk.Progress{Percent: float64(i) * 100 / float64(p.N), Done: int64(i), Total: int64(p.N), Message: "counting"})
	}
	resp, nm, err := host.FindKafka(ctx, &sdk.FindKafkaRequest{Topic: "t", Data: json.RawMessage(`{}`)})
	if err != nil || nm != nil {
		return nil, errors.New("no mock for topic t")
	}
	return json.Marshal(map[string]any{"counted": p.N, "reply": resp.Data})
}

func TestToolJobs(t *testing.T) {
	host := &FakeHost{Answer: func(protocol string, body json.RawMessage) (bool, any, *sdk.NearMiss) {
		return protocol == "kafka", &sdk.FindKafkaResponse{Data: json.RawMessage(`{"ack":1}`)}, nil
	}}
	p := Start(t, counter{}, nil, host)
	res, steps, err := p.Run(t.Context(), sdk.Job{ID: "j1", Kind: "count", Params: json.RawMessage(`{"N":4}`)})
	if err != nil {
		t.Fatal(err)
	}
	if string(res) != `{"counted":4,"reply":{"ack":1}}` || len(steps) != 4 || steps[3].Percent != 100 || steps[1].Done != 2 {
		t.Fatalf("result %s, steps %+v", res, steps)
	}
	if calls := host.Calls(); len(calls) != 1 || calls[0].Protocol != "kafka" {
		t.Fatalf("the tool used the host: %+v", calls)
	}
	_, _, err = p.Run(t.Context(), sdk.Job{ID: "j2", Params: json.RawMessage(`{"N":0}`)})
	if !errors.Is(err, sdk.ErrJobFailed) {
		t.Fatalf("a failed job reports its error: %v", err)
	}
	// A listener is not a tool.
	info, err := p.Client.Info(t.Context())
	if err != nil || info.Kind != sdk.KindTool {
		t.Fatalf("info: %+v %v", info, err)
	}
}

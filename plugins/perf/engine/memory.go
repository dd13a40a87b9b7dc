package engine

import (
	"fmt"
	"runtime/metrics"
	"time"
)

// memoryCheckEvery is how often the heap is read.
const memoryCheckEvery = 100 * time.Millisecond

// heapMetric is the live and not yet swept heap objects.
const heapMetric = "/memory/classes/heap/objects:bytes"

// watchMemory aborts the run when the heap passes limit (0: the default;
// negative: no limit), so a script that keeps what it allocates ends with
// a clear reason instead of taking the plugin down. The heap is the
// process's: runs going on side by side in one plugin share it. It
// returns the function that stops watching.
func watchMemory(rs *runState, limit int64) func() {
	if limit == 0 {
		limit = DefaultMaxMemoryBytes
	}
	if limit < 0 {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(memoryCheckEvery)
		defer t.Stop()
		sample := []metrics.Sample{{Name: heapMetric}}
		for {
			select {
			case <-done:
				return
			case <-rs.hardCtx.Done():
				return
			case <-t.C:
			}
			metrics.Read(sample)
			if sample[0].Value.Kind() != metrics.KindUint64 {
				return
			}
			if heap := int64(sample[0].Value.Uint64()); heap > limit {
				rs.abort(fmt.Sprintf("the script's memory passed the limit of %d MiB (heap at %d MiB): the run was stopped",
					limit>>20, heap>>20))
				return
			}
		}
	}()
	return func() { close(done) }
}

package cli

import (
	"sync/atomic"
	"testing"
	"time"
)

// inParallel runs every index once, never more than limit at a time.
func TestInParallel(t *testing.T) {
	var running, most atomic.Int32
	seen := make([]int32, 40)
	inParallel(len(seen), 4, func(i int) {
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(time.Millisecond)
		atomic.AddInt32(&seen[i], 1)
		running.Add(-1)
	})
	for i, n := range seen {
		if n != 1 {
			t.Fatalf("index %d ran %d times", i, n)
		}
	}
	if m := most.Load(); m > 4 {
		t.Errorf("%d at a time, limit 4", m)
	}
}

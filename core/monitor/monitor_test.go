package monitor

import (
	"testing"
	"time"
)

// Docker's back-off: 100 ms doubling up to a minute, back to 100 ms after
// a run of 10 s or more.
func TestRestartBackoff(t *testing.T) {
	var b restartBackoff
	var got []time.Duration
	for i := 0; i < 4; i++ {
		got = append(got, b.next(time.Second))
	}
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("delays %v, want %v", got, want)
		}
	}
	if d := b.next(11 * time.Second); d != 100*time.Millisecond {
		t.Errorf("after a long run: %v", d)
	}
	for i := 0; i < 20; i++ {
		b.next(0)
	}
	if d := b.next(0); d != time.Minute {
		t.Errorf("capped at %v", d)
	}
}

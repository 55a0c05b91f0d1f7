package container

import (
	"os"
	"testing"
	"time"
)

// Once WaitMonitor says the monitor's lock is free, a start can take it at
// once (restart = stop, then start): WaitMonitor's own shared lock must be
// gone by then. A restart failed with "container is running" when it was
// not (seen in a CI rehearsal).
func TestWaitMonitorLeavesLockFree(t *testing.T) {
	s, err := Open(t.TempDir(), plainRemover{})
	if err != nil {
		t.Fatal(err)
	}
	const id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	if err := os.MkdirAll(s.Dir(id), 0o700); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 300; i++ {
		mon, err := s.TakeMonitor(id)
		if err != nil {
			t.Fatal(err)
		}
		go func() { time.Sleep(time.Millisecond); mon.Close() }() // the monitor ends
		if !s.WaitMonitor(id, 10*time.Second) {
			t.Fatal("the lock was not freed")
		}
		next, err := s.TakeMonitor(id)
		if err != nil {
			t.Fatalf("round %d: the lock is still held once WaitMonitor returned: %v", i, err)
		}
		next.Close()
	}
}

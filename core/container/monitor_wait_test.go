package container

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hull-project/hull/core/lockfile"
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

// A process that only looks (a shared lock: ps, inspect, WaitMonitor of
// another hull) does not make a start fail with ErrRunning; a monitor (an
// exclusive lock) does, at once.
func TestTakeMonitorWaitsOutLookers(t *testing.T) {
	s, err := Open(t.TempDir(), plainRemover{})
	if err != nil {
		t.Fatal(err)
	}
	const id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	if err := os.MkdirAll(s.Dir(id), 0o700); err != nil {
		t.Fatal(err)
	}
	lock := filepath.Join(s.Dir(id), monitorLock)
	looker, err := os.OpenFile(lock, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer looker.Close()
	if err := lockfile.Flock(looker, unix.LOCK_SH); err != nil {
		t.Fatal(err)
	}
	unlocked := make(chan struct{})
	go func() { time.Sleep(50 * time.Millisecond); lockfile.Flock(looker, unix.LOCK_UN); close(unlocked) }()
	defer func() { <-unlocked }() // before looker.Close: the unlock uses its fd
	mon, err := s.TakeMonitor(id)
	if err != nil {
		t.Fatalf("a shared holder for 50ms made the start fail: %v", err)
	}
	start := time.Now()
	if _, err := s.TakeMonitor(id); !errors.Is(err, ErrRunning) {
		t.Fatalf("second take while a monitor holds it: %v, want ErrRunning", err)
	}
	// Waiting out the lookers' grace takes sharedGrace at least; a
	// stalled machine may take a while to answer at once.
	if d := time.Since(start); d >= sharedGrace {
		t.Errorf("a held monitor lock took %v to report, want at once, not after the lookers' grace (%v)", d, sharedGrace)
	}
	mon.Close()
}

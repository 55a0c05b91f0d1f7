package container

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// stop and kill reach a container's PID 1 only if it is the process the
// record names: a record whose PID 1 was reaped (its pid now another
// process, started after the container's start) yields no process, and
// that process, the canary, is never signalled.
func TestTargetRefusesAReusedPid(t *testing.T) {
	for _, reused := range []bool{true, false} {
		s, _ := openStore(t)
		canary, exited := sleeper(t)
		started := time.Now().Add(time.Minute) // the canary began before it
		if reused {
			started = time.Now().Add(-time.Minute) // the canary began after it
		}
		c := newRecord("target", time.Now())
		if err := s.Create(c); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Modify(c.ID, func(c *Container) error { c.SetRunning(canary.Process.Pid, started); return nil }); err != nil {
			t.Fatal(err)
		}
		mon, err := s.TakeMonitor(c.ID)
		if err != nil {
			t.Fatal(err)
		}
		got, p, err := s.Target(c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.HasBeenManuallyStopped {
			t.Error("Target did not mark the container stopped by the user")
		}
		if reused {
			if p != nil {
				p.Close()
				t.Fatalf("Target returned process %d, which began after the recorded start", p.Pid)
			}
			select {
			case <-exited:
				t.Fatal("the canary ended")
			case <-time.After(100 * time.Millisecond):
			}
		} else {
			if p == nil {
				t.Fatal("Target returned no process for the recorded PID 1")
			}
			if err := p.Signal(unix.SIGKILL); err != nil {
				t.Fatal(err)
			}
			p.Close()
			select {
			case <-exited:
			case <-time.After(20 * time.Second): // lost, not slow
				t.Fatal("the signal through the pidfd did not reach PID 1")
			}
		}
		mon.Close()
	}
}

// OpenProcess (a pod's infra) holds a pid only while it is the process
// recorded: one that began after the recorded start (the canary) is not
// returned, so it is never signalled; the recorded one is, and a signal
// through it arrives.
func TestOpenProcessRefusesAReusedPid(t *testing.T) {
	canary, exited := sleeper(t)
	p, err := OpenProcess(canary.Process.Pid, time.Now().Add(-time.Minute))
	if err != nil || p != nil {
		t.Fatalf("a process that began after the recorded start: %v, %v", p, err)
	}
	if p, err := OpenProcess(0, time.Now()); err != nil || p != nil {
		t.Fatalf("pid 0: %v, %v", p, err)
	}
	p, err = OpenProcess(canary.Process.Pid, time.Now())
	if err != nil || p == nil {
		t.Fatalf("the recorded process: %v, %v", p, err)
	}
	select {
	case <-exited:
		t.Fatal("the canary ended before any signal")
	default:
	}
	if err := p.Signal(unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.Close()
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Fatal("the signal through the pidfd did not arrive")
	}
}

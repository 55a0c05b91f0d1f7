package container

import (
	"errors"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/hull-project/hull/core/events"
	"github.com/hull-project/hull/core/moncall"
)

// rm -f of a running container records its end once, whoever records it:
// the monitor that sees the remove lock held lets go without recording
// (rm records 137 after), and one whose exited call came before rm took
// the lock records it (rm leaves that record as it is). Docker's kill,
// die and destroy are logged once each, in that order.
func TestRemoveRunningRecordsTheEndOnce(t *testing.T) {
	for _, monitorFirst := range []bool{false, true} {
		t.Run("monitor records first "+strconv.FormatBool(monitorFirst), func(t *testing.T) {
			s, root := openStore(t)
			cmd := exec.Command("sleep", "60")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			c := newRecord("rmf", time.Now())
			if err := s.Create(c); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Modify(c.ID, func(c *Container) error { c.SetRunning(cmd.Process.Pid, time.Now()); return nil }); err != nil {
				t.Fatal(err)
			}
			mon, err := s.TakeMonitor(c.ID)
			if err != nil {
				t.Fatal(err)
			}
			sawRemoval := make(chan bool, 1)
			go func() { // the monitor's end of a start (core/monitor run)
				_ = cmd.Wait()
				held := moncall.Held(s.RemoveLockPath(c.ID))
				if !held || monitorFirst {
					time.Sleep(20 * time.Millisecond) // the exited call takes a while
					_, _ = s.Modify(c.ID, func(c *Container) error { c.SetExited(3, time.Now(), ""); return nil })
				}
				sawRemoval <- held
				mon.Close()
			}()
			hooked := false
			s.SetEndHook(func(*Container) func() bool { return func() bool { hooked = true; return false } })
			if err := s.Remove(c.ID, true); err != nil {
				t.Fatal(err)
			}
			if !<-sawRemoval {
				t.Error("the monitor did not see the remove lock held once PID 1 was killed")
			}
			if hooked == monitorFirst {
				t.Errorf("end hook run %v, want %v", hooked, !monitorFirst)
			}
			if _, err := s.Get(c.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("record after rm -f: %v", err)
			}
			evs, _, err := events.Read(root)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range evs {
				if e.Action == "die" {
					got = append(got, "die "+e.Actor.Attributes["exitCode"])
				} else {
					got = append(got, e.Action)
				}
			}
			code := "137"
			if monitorFirst {
				code = "3"
			}
			want := []string{"create", "start", "kill", "die " + code, "destroy"}
			if len(got) != len(want) {
				t.Fatalf("events %q, want %q", got, want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("events %q, want %q", got, want)
				}
			}
		})
	}
}

package container

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hull-project/hull/core/events"
	"github.com/hull-project/hull/core/lockfile"
	"github.com/hull-project/hull/core/moncall"
)

// runningRecord creates a container whose record runs pid, started at.
func runningRecord(t *testing.T, s *Store, name string, pid int, at time.Time) *Container {
	t.Helper()
	c := newRecord(name, time.Now())
	if err := s.Create(c); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Modify(c.ID, func(c *Container) error { c.SetRunning(pid, at); return nil }); err != nil {
		t.Fatal(err)
	}
	return c
}

// sleeper starts a process that runs until killed, reaped by the test.
func sleeper(t *testing.T) (*exec.Cmd, <-chan struct{}) {
	t.Helper()
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ended := make(chan struct{})
	go func() { _ = cmd.Wait(); close(ended) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-ended })
	return cmd, ended
}

// monitorOf holds the container's monitor lock as a monitor does, taken
// as a start that passed its remove-lock check took it, and lets go once
// ended closes, making no exited call when the remove lock is held.
func monitorOf(t *testing.T, s *Store, id string, ended <-chan struct{}) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(s.Dir(id), monitorLock), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := lockfile.Flock(f, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	go func() {
		<-ended
		if !moncall.Held(s.RemoveLockPath(id)) {
			_, _ = s.Modify(id, func(c *Container) error { c.SetExited(3, time.Now(), ""); return nil })
		}
		f.Close()
	}()
}

// F2: rm -f that read the record before a restart replaced the run acts
// on the run the record names once it holds the remove lock: it kills the
// new PID 1 and removes the container. rm -f acted on its old read: it
// killed the old pid, waited 10 s on the new monitor, failed, and left
// the container running.
func TestRemoveRunningActsOnTheCurrentRun(t *testing.T) {
	s, _ := openStore(t)
	old, oldEnded := sleeper(t)
	c := runningRecord(t, s, "rr", old.Process.Pid, time.Now())
	monitorOf(t, s, c.ID, oldEnded)
	// Another rm -f is under way: this one reads the record, then waits
	// for the remove lock.
	other, err := lockfile.Lock(s.RemoveLockPath(c.ID), "test")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Remove(c.ID, true) }()
	time.Sleep(200 * time.Millisecond) // rm has read the record by now
	// The restart: the old run ends, a new start takes the monitor.
	_ = old.Process.Kill()
	<-oldEnded
	if !s.WaitMonitor(c.ID, 10*time.Second) {
		t.Fatal("the old monitor did not let go")
	}
	cur, curEnded := sleeper(t)
	monitorOf(t, s, c.ID, curEnded)
	if _, err := s.Modify(c.ID, func(c *Container) error { c.SetRunning(cur.Process.Pid, time.Now()); return nil }); err != nil {
		t.Fatal(err)
	}
	other()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("rm -f: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("rm -f did not return")
	}
	select {
	case <-curEnded:
	default:
		t.Error("the run the restart started is still running")
	}
	if _, err := s.Get(c.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("record after rm -f: %v", err)
	}
}

// rm -f never signals a pid the record names once that process is gone
// and the pid is another's: here the monitor reaped PID 1 and lets go a
// moment later, and the pid now is a process that began after the start.
// rm -f killed it.
func TestRemoveRunningSparesAReusedPid(t *testing.T) {
	s, _ := openStore(t)
	started := time.Now().Add(-time.Minute)
	other, otherEnded := sleeper(t) // began after the container's start
	c := runningRecord(t, s, "reused", other.Process.Pid, started)
	reaped := make(chan struct{})
	monitorOf(t, s, c.ID, reaped)
	go func() { time.Sleep(300 * time.Millisecond); close(reaped) }()
	if err := s.Remove(c.ID, true); err != nil {
		t.Fatalf("rm -f: %v", err)
	}
	select {
	case <-otherEnded:
		t.Fatal("rm -f killed a process that is not the container's")
	default:
	}
	if _, err := s.Get(c.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("record after rm -f: %v", err)
	}
}

// A start (TakeMonitor) of a container that rm -f is removing fails, as
// Docker's, instead of running a container rm -f then waits on in vain.
func TestTakeMonitorRefusesARemoval(t *testing.T) {
	s, _ := openStore(t)
	c := newRecord("gone", time.Now())
	if err := s.Create(c); err != nil {
		t.Fatal(err)
	}
	release, err := lockfile.Lock(s.RemoveLockPath(c.ID), "test")
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.TakeMonitor(c.ID)
	if err == nil {
		f.Close()
		t.Fatal("a start took the monitor lock while rm -f holds the remove lock")
	}
	want := "removal of container " + ShortID(c.ID) + " is already in progress"
	if !errors.Is(err, ErrRemoving) || err.Error() != want {
		t.Errorf("error %q, want %q (ErrRemoving)", err, want)
	}
	release()
	f, err = s.TakeMonitor(c.ID)
	if err != nil {
		t.Fatalf("start once the removal let go: %v", err)
	}
	f.Close()
}

// F3: between the monitor letting go (it found the remove lock held) and
// rm -f recording the end, ps shows the container as it is, not as one
// whose monitor died (255); a wait that watched the removal gets the code
// rm -f recorded once the record is gone.
func TestRemovalWindowIsNotAMonitorDeath(t *testing.T) {
	s, _ := openStore(t)
	init, ended := sleeper(t)
	c := runningRecord(t, s, "win", init.Process.Pid, time.Now())
	w := s.WatchRemoval(c.ID)
	defer w.Close()
	if w.InProgress() {
		t.Fatal("removal in progress before rm -f")
	}
	// rm -f's side up to the monitor letting go, by hand.
	release, err := lockfile.Lock(s.RemoveLockPath(c.ID), "test")
	if err != nil {
		t.Fatal(err)
	}
	_ = init.Process.Kill()
	<-ended
	got, err := s.Lookup(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.State.Running || got.State.ExitCode == ExitMonitorDied || strings.Contains(got.State.Error, "monitor died") {
		t.Errorf("during the removal the container shows as %+v, want running", got.State)
	}
	if !w.InProgress() {
		t.Error("the watch does not see the removal")
	}
	release()
	// rm -f whole, of a container with a monitor: the watch reads the
	// code rm -f recorded after the record is gone.
	init2, ended2 := sleeper(t)
	c2 := runningRecord(t, s, "win2", init2.Process.Pid, time.Now())
	monitorOf(t, s, c2.ID, ended2)
	w2 := s.WatchRemoval(c2.ID)
	defer w2.Close()
	if err := s.Remove(c2.ID, true); err != nil {
		t.Fatalf("rm -f: %v", err)
	}
	if _, err := s.Get(c2.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("record after rm -f: %v", err)
	}
	if code, ok := w2.Code(); !ok || code != 137 {
		t.Errorf("code read by the watch: %d, %v, want 137", code, ok)
	}
}

// A record read while rm -f was recording the end, looked at after rm let
// go (the monitor gone, the remove lock free), is read again: it shows the
// end rm recorded (137), or, removed since, the run as it was, never a
// monitor death (255, which wait printed).
func TestRefreshRereadsAfterARemoval(t *testing.T) {
	s, _ := openStore(t)
	c := runningRecord(t, s, "late", 1<<22, time.Now())
	read, err := s.Get(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Modify(c.ID, func(c *Container) error { c.SetExited(137, time.Now(), ""); return nil }); err != nil {
		t.Fatal(err)
	}
	recorded := *read
	s.refresh(&recorded)
	if recorded.State.Running || recorded.State.ExitCode != 137 {
		t.Errorf("read before rm recorded the end: shows %+v, want exited 137", recorded.State)
	}
	if err := s.Remove(c.ID, false); err != nil {
		t.Fatal(err)
	}
	removed := *read
	s.refresh(&removed)
	if removed.State.ExitCode == ExitMonitorDied || removed.State.Error == ReasonMonitorDied {
		t.Errorf("read before rm removed it: shows %+v, not as it was", removed.State)
	}
}

// A wait that looks only after the container's run ended and a removal
// took the record away (restart's stop recorded 137, then rm -f found no
// monitor and removed it at once) reads the last run's code from the
// remove lock it holds open: it printed "no such container".
func TestRemovalTellsAWaitTheLastCode(t *testing.T) {
	s, _ := openStore(t)
	c := newRecord("told", time.Now())
	if err := s.Create(c); err != nil {
		t.Fatal(err)
	}
	w := s.WatchRemoval(c.ID)
	defer w.Close()
	if _, err := s.Modify(c.ID, func(c *Container) error { c.SetExited(137, time.Now(), ""); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(c.ID, true); err != nil {
		t.Fatal(err)
	}
	if code, ok := w.Code(); !ok || code != 137 {
		t.Errorf("code read by the watch: %d, %v, want 137", code, ok)
	}
}

// A --rm run's end is recorded and the container removed in one step:
// die (with its code) and destroy are logged in that order, a wait that
// held the remove lock open reads the code, the container is gone, and
// the record the removal found is still the running one (no exited
// record is written for a container that goes at once).
func TestEndAndRemove(t *testing.T) {
	root := t.TempDir()
	var last Container
	s, err := Open(root, removerFunc(func(dir string) error {
		if b, err := os.ReadFile(filepath.Join(dir, recordFile)); err == nil {
			_ = json.Unmarshal(b, &last)
		}
		return os.RemoveAll(dir)
	}))
	if err != nil {
		t.Fatal(err)
	}
	c := newRecord("rm", time.Now())
	c.HostConfig.AutoRemove = true
	if err := s.Create(c); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Modify(c.ID, func(c *Container) error { c.SetRunning(1, time.Now()); return nil }); err != nil {
		t.Fatal(err)
	}
	w := s.WatchRemoval(c.ID)
	defer w.Close()
	if err := s.EndAndRemove(c.ID, func(c *Container) { c.SetExited(3, time.Now(), "") }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(c.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after EndAndRemove: %v, want ErrNotFound", err)
	}
	if code, ok := w.Code(); !ok || code != 3 {
		t.Errorf("code read by the watch: %d, %v, want 3", code, ok)
	}
	if last.ID != c.ID || !last.State.Running {
		t.Errorf("record found by the removal: %q running %v, want %q running", last.ID, last.State.Running, c.ID)
	}
	evs, _, err := events.Read(root)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		got = append(got, e.Action+" "+e.Actor.Attributes["exitCode"])
	}
	if want := []string{"create ", "start ", "die 3", "destroy "}; !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
	if err := s.EndAndRemove(c.ID, func(*Container) {}); !errors.Is(err, ErrNotFound) {
		t.Errorf("EndAndRemove of a removed container: %v, want ErrNotFound", err)
	}
}

type removerFunc func(dir string) error

func (f removerFunc) RemoveAll(dir string) error { return f(dir) }

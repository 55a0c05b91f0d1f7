package core

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// TestStopNamespace stops every process of a pid namespace (its init, the
// init's children and a process in a pid namespace nested in it) and
// resumes them all.
func TestStopNamespace(t *testing.T) {
	script := "sleep 100 & sleep 100 & wait"
	want := 3
	if _, err := exec.LookPath("unshare"); err == nil {
		script = "sleep 100 & unshare --pid --fork sleep 100 & wait"
		want = 4 // sh, sleep, unshare and its child sleep in a nested pid namespace
	}
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUSER | syscall.CLONE_NEWPID,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}}}
	if err := cmd.Start(); err != nil {
		t.Skipf("no user and pid namespace here: %v", err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	ns, err := containerPidNS(cmd.Process.Pid)
	if err != nil || ns == "" {
		t.Fatalf("pid namespace of %d: %q, %v", cmd.Process.Pid, ns, err)
	}
	count := func() int { return len(containerProcsAll(ns)) }
	for deadline := time.Now().Add(20 * time.Second); count() < want; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("container has %d processes, want %d", count(), want)
		}
	}
	stopped, err := stopNamespace(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if len(stopped) != want {
		t.Errorf("stopped %d processes, want %d", len(stopped), want)
	}
	all := containerProcsAll(ns)
	for _, pid := range all {
		if st := procState(pid); st != 'T' {
			t.Errorf("process %d is %c while paused", pid, st)
		}
	}
	if err := stopped.resume(); err != nil {
		t.Fatal(err)
	}
	// Wait for the processes to run again however slow the machine, not
	// a fixed time: one left stopped fails at the deadline.
	stoppedNow := func() (out []int) {
		for _, pid := range all {
			if procState(pid) == 'T' {
				out = append(out, pid)
			}
		}
		return out
	}
	for deadline := time.Now().Add(20 * time.Second); len(stoppedNow()) > 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("processes %v still stopped after resume", stoppedNow())
		}
	}
	if _, err := containerPidNS(os.Getpid()); err == nil {
		t.Error("our own process taken for a container init")
	}
}

// containerProcsAll lists the container's processes, nested ones too.
func containerProcsAll(ns string) []int {
	members := map[int]bool{}
	for {
		n := len(members)
		for _, pid := range containerProcs(ns, members) {
			members[pid] = true
		}
		if len(members) == n {
			break
		}
	}
	var out []int
	for pid := range members {
		out = append(out, pid)
	}
	return out
}

package core

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// TestStopNamespace stops every process of a pid namespace (its init and
// the init's children) and resumes them all.
func TestStopNamespace(t *testing.T) {
	cmd := exec.Command("/bin/sh", "-c", "sleep 100 & sleep 100 & wait")
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
	for deadline := time.Now().Add(5 * time.Second); len(nsPids(ns)) < 3; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("namespace has %d processes, want 3", len(nsPids(ns)))
		}
	}
	stopped, err := stopNamespace(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if len(stopped) != 3 {
		t.Errorf("stopped %d processes, want 3", len(stopped))
	}
	for _, pid := range nsPids(ns) {
		if st := procState(pid); st != 'T' {
			t.Errorf("process %d is %c while paused", pid, st)
		}
	}
	if err := stopped.resume(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	for _, pid := range nsPids(ns) {
		if st := procState(pid); st == 'T' {
			t.Errorf("process %d still stopped after resume", pid)
		}
	}
	if _, err := containerPidNS(os.Getpid()); err == nil {
		t.Error("our own process taken for a container init")
	}
}

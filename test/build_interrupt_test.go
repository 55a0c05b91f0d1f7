package test

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sleepingBuild is a build whose RUN prints "step-started" and sleeps.
func sleepingBuild(t *testing.T) string {
	t.Helper()
	return buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo step-started; sleep 2; echo step-more; sleep 60\n"})
}

// startBuild starts `hull build` of ctx with its output on a pipe and
// returns once the RUN step has started. The reader is returned so that a
// test can close it (a reader gone away: SIGPIPE).
func startBuild(t *testing.T, s *store, ctx string) (*exec.Cmd, *os.File) {
	t.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := s.command(context.Background(), "build", "--progress", "plain", "--network", "none", "-t", "never", ctx)
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			_ = cmd.Wait()
		}
	})
	started := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "step-started") {
				started <- true
				return
			}
		}
		started <- false
	}()
	select {
	case ok := <-started:
		if !ok {
			t.Fatal("the build ended before its RUN step started")
		}
	case <-time.After(cmdTimeout):
		t.Fatal("the RUN step did not start")
	}
	return cmd, pr
}

// buildDirs lists the store's builds/ directory.
func buildDirs(t *testing.T, s *store) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(s.root, "builds"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// waitExit waits for cmd, failing t if it does not end soon.
func waitExit(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		t.Logf("interrupted build: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the build did not end after its interruption")
	}
}

// An interrupted build (SIGINT, SIGTERM, or its output's reader gone:
// SIGPIPE) stops its RUN step and removes its scratch dir.
func TestBuildInterruptCleansUp(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	for _, tc := range []struct {
		name      string
		interrupt func(cmd *exec.Cmd, out *os.File)
	}{
		{"SIGINT", func(cmd *exec.Cmd, _ *os.File) { _ = cmd.Process.Signal(syscall.SIGINT) }},
		{"SIGTERM", func(cmd *exec.Cmd, _ *os.File) { _ = cmd.Process.Signal(syscall.SIGTERM) }},
		{"SIGPIPE", func(_ *exec.Cmd, out *os.File) { out.Close() }}, // the step's next line hits a closed pipe
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd, out := startBuild(t, s, sleepingBuild(t))
			if dirs := buildDirs(t, s); len(dirs) == 0 {
				t.Error("no build dir while the build runs")
			}
			start := time.Now()
			tc.interrupt(cmd, out)
			if tc.name != "SIGPIPE" {
				go io.Copy(io.Discard, out)
			}
			waitExit(t, cmd)
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("the build took %v to stop", d)
			}
			if dirs := buildDirs(t, s); len(dirs) != 0 {
				t.Errorf("builds/ holds %v after %s", dirs, tc.name)
			}
			out.Close()
		})
	}
	s.noImage(t, "never")
}

// The dir of a build killed with SIGKILL (which nothing can catch) is
// removed by system prune, while a build running in another hull process
// keeps its own.
func TestSystemPruneRemovesDeadBuildDirs(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	running, out := startBuild(t, s, sleepingBuild(t))
	go io.Copy(io.Discard, out)
	keep := buildDirs(t, s)
	if len(keep) != 1 {
		t.Fatalf("builds/ holds %v with one build running", keep)
	}
	killed, out2 := startBuild(t, s, sleepingBuild(t))
	go io.Copy(io.Discard, out2)
	_ = syscall.Kill(-killed.Process.Pid, syscall.SIGKILL)
	_ = killed.Wait()
	left := buildDirs(t, s)
	if len(left) != 2 {
		t.Fatalf("builds/ holds %v after a build was killed, want its dir and the running one's", left)
	}
	s.mustHull(t, "system", "prune", "-f")
	if after := buildDirs(t, s); !slices.Equal(after, keep) {
		t.Errorf("builds/ holds %v after system prune, want only the running build's %v", after, keep)
	}
	_ = running.Process.Signal(syscall.SIGTERM)
	waitExit(t, running)
	if after := buildDirs(t, s); len(after) != 0 {
		t.Errorf("builds/ holds %v after the running build was stopped", after)
	}
}

package test

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"
)

// trapINT is PID 1 of the signal tests: it says when it is ready and, when
// SIGINT reaches it, prints a marker and exits 3.
const trapINT = `trap 'echo caught INT; exit 3' INT; echo ready; while :; do sleep 0.2; done`

// interrupt runs hull with args until its stdout says "ready", sends
// SIGINT to the hull process (not its group, as a terminal's Ctrl-C would
// reach the container too) and returns what it printed and its exit code.
func (s *store) interrupt(t *testing.T, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := s.command(ctx, args...)
	var out, errb syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "ready from hull "+quote(args), func() bool { return strings.Contains(out.String(), "ready\n") })
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	code := exitCode(cmd.Wait())
	if ctx.Err() != nil {
		t.Fatalf("hull %s did not end after SIGINT: %s", quote(args), errb.String())
	}
	return out.String(), code
}

// interruptAttach is interrupt of `attach ARGS`. attach shows only new
// output and trapINT prints nothing more once ready: a second shell prints
// ready on PID 1's stdout until attach has shown it.
func (s *store) interruptAttach(t *testing.T, args ...string) (string, int) {
	t.Helper()
	name := args[len(args)-1]
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(500 * time.Millisecond):
				s.hull(t, "exec", name, "sh", "-c", "echo ready > /proc/1/fd/1")
			}
		}
	}()
	defer func() { close(stop); <-done }()
	return s.interrupt(t, append([]string{"attach"}, args...)...)
}

// running reports whether the container runs, as inspect says.
func (s *store) running(t *testing.T, name string) bool {
	out, _, code := s.hull(t, "inspect", "-f", "{{.State.Running}}", name)
	return code == 0 && strings.TrimSpace(out) == "true"
}

// --sig-proxy (default true) passes hull's SIGINT to the container;
// --sig-proxy=false does not: hull ends with 130 and the container goes on,
// as docker run's client and docker attach (where Ctrl-C then detaches).
func TestSigProxy(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)

	out, code := s.interrupt(t, "run", "--name", "sigon", "busybox", "sh", "-c", trapINT)
	if code != 3 || !strings.Contains(out, "caught INT") {
		t.Errorf("run (sig-proxy true) after SIGINT: exit %d, %q; want 3 and the trap's marker", code, out)
	}

	out, code = s.interrupt(t, "run", "--sig-proxy=false", "--name", "sigoff", "busybox", "sh", "-c", trapINT)
	if code != 130 || strings.Contains(out, "caught") {
		t.Errorf("run --sig-proxy=false after SIGINT: exit %d, %q; want 130 and no marker", code, out)
	}
	if !s.running(t, "sigoff") {
		t.Errorf("run --sig-proxy=false: the container stopped with hull")
	}

	// attach, to the container left running: false detaches again, true
	// passes the signal on and returns the container's exit code.
	out, code = s.interruptAttach(t, "--sig-proxy=false", "sigoff")
	if code != 130 || strings.Contains(out, "caught") || !s.running(t, "sigoff") {
		t.Errorf("attach --sig-proxy=false after SIGINT: exit %d, %q, running %v; want 130, no marker, running", code, out, s.running(t, "sigoff"))
	}
	out, code = s.interruptAttach(t, "sigoff")
	if code != 3 || !strings.Contains(out, "caught INT") {
		t.Errorf("attach (sig-proxy true) after SIGINT: exit %d, %q; want 3 and the marker", code, out)
	}
	if logs := s.mustHull(t, "logs", "sigoff"); strings.Count(logs, "caught INT") != 1 {
		t.Errorf("logs of sigoff: %q, want one marker (from the attach that proxied)", logs)
	}

	// --rm still removes a container left running by --sig-proxy=false,
	// when it ends.
	if _, code = s.interrupt(t, "run", "--rm", "--sig-proxy=false", "--name", "sigrm", "busybox", "sh", "-c", trapINT); code != 130 || !s.running(t, "sigrm") {
		t.Fatalf("run --rm --sig-proxy=false after SIGINT: exit %d, running %v", code, s.running(t, "sigrm"))
	}
	s.mustHull(t, "kill", "-s", "INT", "sigrm")
	waitFor(t, "sigrm removed", func() bool {
		_, _, code := s.hull(t, "inspect", "sigrm")
		return code != 0
	})

	if _, errs, code := s.hull(t, "run", "--sig-proxy=false", "--result", "/dev/null", "busybox", "true"); code != 125 || !strings.Contains(errs, "--sig-proxy=false cannot be used with --result") {
		t.Errorf("run --sig-proxy=false --result: exit %d, %q", code, errs)
	}
}

// SIGTERM to a foreground `run --rm` in its first milliseconds, before or
// after its container exists, leaves no container behind: one that came
// between the container's creation and its start used to end hull with
// the container left Created (1 try in 14 to 31 in a shell loop). Now it is
// forwarded once the container runs (--init: 143), or, when it comes
// before, ends hull before anything is created.
func TestEarlySignalLeavesNoContainer(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	for i := range 60 {
		ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
		cmd := s.command(ctx, "run", "--rm", "--init", "--network", "none", "busybox", "sleep", "30")
		if err := cmd.Start(); err != nil {
			cancel()
			t.Fatal(err)
		}
		time.Sleep(time.Duration(10+i) * time.Millisecond) // through the create and the start
		_ = cmd.Process.Signal(syscall.SIGTERM)
		err := cmd.Wait()
		timedOut := ctx.Err() != nil
		cancel()
		if timedOut {
			t.Fatalf("try %d: hull run did not end after SIGTERM", i)
		}
		if code := exitCode(err); code != 143 && code != -1 {
			t.Errorf("try %d: hull run exited %d (%v), want 143 or killed by the signal", i, code, err)
		}
	}
	if ps := s.mustHull(t, "ps", "-aq"); ps != "" {
		t.Errorf("containers left behind: %q", ps)
	}
}

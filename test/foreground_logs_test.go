package test

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// A foreground run without --rm is logged as a detached one is, its
// streams kept apart, while the caller still gets the output byte-exact.
func TestForegroundLogs(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	out, errs, code := s.hull(t, "run", "--name", "fg", "busybox", "sh", "-c", `echo out; echo err >&2; printf 'a\0b'; exit 3`)
	if code != 3 || out != "out\na\x00b" || errs != "err\n" {
		t.Errorf("run: code %d stdout %q stderr %q", code, out, errs)
	}
	out, errs, code = s.hull(t, "logs", "fg")
	if code != 0 || out != "out\na\x00b" || errs != "err\n" {
		t.Errorf("logs: code %d stdout %q stderr %q", code, out, errs)
	}
	// A start appends to the same log.
	s.hull(t, "start", "-a", "fg")
	if out := s.mustHull(t, "logs", "fg"); out != "out\na\x00bout\na\x00b" {
		t.Errorf("logs after a second run: %q", out)
	}
	if out := s.mustHull(t, "logs", "--tail", "3", "fg"); out != "out\na\x00b" {
		t.Errorf("logs --tail 3 after a second run: %q", out)
	}
	// -t: the terminal's output is logged as stdout, as Docker does.
	p := startPty(t, s, 24, 80, "run", "-t", "--name", "fgt", "busybox", "sh", "-c", "echo tty-out; echo tty-err >&2")
	if _, code := p.wait(); code != 0 {
		t.Errorf("run -t exited %d", code)
	}
	out, errs, _ = s.hull(t, "logs", "fgt")
	if out != "tty-out\r\ntty-err\r\n" || errs != "" {
		t.Errorf("logs of a -t run: stdout %q stderr %q", out, errs)
	}
	// --rm: nothing is left to log.
	if out := s.mustHull(t, "run", "--rm", "busybox", "echo", "gone"); out != "gone\n" {
		t.Errorf("run --rm printed %q", out)
	}
}

// A logged foreground run gives a slow reader all of its output, and logs
// all of it: hull used to stop relaying 2 s (outputDrain) after the
// container ended, losing what the reader had not taken yet (the reader
// got 65,536 of these 100,000 bytes) and the log's tail. The output fits
// in the pipes' buffers, so the container ends at once.
func TestForegroundSlowReader(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	const size = 100000
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := s.command(ctx, "run", "--name", "slow", "busybox", "sh", "-c", "head -c 100000 /dev/zero; echo end >&2")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb strings.Builder
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The reader: nothing for longer than outputDrain, then everything.
	time.Sleep(3 * time.Second)
	n, rerr := io.Copy(io.Discard, out)
	err = cmd.Wait()
	if n != size || rerr != nil || exitCode(err) != 0 || errb.String() != "end\n" {
		t.Errorf("slow reader got %d of %d bytes (read error %v), hull exited %d, stderr %q", n, size, rerr, exitCode(err), errb.String())
	}
	logs, _, code := s.hull(t, "logs", "slow")
	if code != 0 || len(logs) != size {
		t.Errorf("logs: code %d, %d of %d bytes", code, len(logs), size)
	}
}

// A reader that stops reading without closing holds hull's relay after
// the container ended (the drain waits for it without a bound); SIGINT
// still ends hull then, as it would have ended the container before.
func TestForegroundStalledReaderInterrupt(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := s.command(ctx, "run", "--name", "stalled", "busybox", "sh", "-c", "head -c 100000 /dev/zero; echo end >&2")
	out, err := cmd.StdoutPipe() // never read
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	var errb syncBuffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	waitFor(t, "the container's last line", func() bool { return strings.Contains(errb.String(), "end\n") })
	// Until hull has reached the drain, SIGINT goes to the container's
	// PID 1 (which ignores it, or has ended): send it until hull ends.
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case err := <-exited:
			if c := exitCode(err); c != 0 && c != 130 {
				t.Errorf("hull run given SIGINT while its reader stalled: exit %d (%v), stderr %q", c, err, errb.String())
			}
			if st := s.inspectField(t, "stalled", "{{.State.Status}}"); st != "exited" {
				t.Errorf("container after the interrupted drain: %q, want exited", st)
			}
			return
		case <-tick.C:
			_ = cmd.Process.Signal(os.Interrupt)
		case <-deadline:
			t.Fatalf("hull run did not end on SIGINT while its reader stalled (stderr %q)", errb.String())
		}
	}
}

// A --rm run whose stderr reader is gone: hull's warning (a limit it
// cannot enforce without cgroups) raised SIGPIPE after the create, which
// ended hull and left the --rm container "Created" for good. Docker's CLI
// never leaves a --rm container. (Found by an outside review.)
func TestRunRmClosedStderrLeavesNothing(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.env = []string{"HULL_NO_CGROUPS=1"}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := s.command(ctx, "run", "--rm", "--network", "none", "--memory", "64m", "--name", "gone", "busybox", "echo", "ok")
	cmd.Stderr = w
	out, err := cmd.Output()
	if code := exitCode(err); code != 0 || string(out) != "ok\n" {
		t.Errorf("run --rm with its stderr reader gone: exit %d (%v), stdout %q", code, err, out)
	}
	if ps := s.mustHull(t, "ps", "-a", "--format", "{{.Names}} {{.Status}}"); ps != "" {
		t.Errorf("ps -a after run --rm: %q", ps)
	}
}

// rm -a removes the stopped containers, -af all of them; -v is accepted.
func TestRmAll(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.mustHull(t, "run", "--name", "done1", "busybox", "true")
	s.mustHull(t, "create", "--name", "new1", "busybox", "true")
	up := s.runD(t, "--name", "up1", "busybox", "sleep", "60")
	out := s.mustHull(t, "rm", "-a", "-v")
	if len(lines(out)) != 2 {
		t.Errorf("rm -a printed %q, want the two stopped ids", out)
	}
	if ps := s.mustHull(t, "ps", "-aq", "--no-trunc"); strings.TrimSpace(ps) != up {
		t.Errorf("after rm -a, ps -a lists %q, want only the running one", ps)
	}
	if _, errs, code := s.hull(t, "rm", "-a", "up1"); code != 125 || !strings.Contains(errs, "requires exactly 0") {
		t.Errorf("rm -a with a name: %d %q", code, errs)
	}
	if out := s.mustHull(t, "rm", "-af"); strings.TrimSpace(out) != up {
		t.Errorf("rm -af printed %q", out)
	}
	if ps := s.mustHull(t, "ps", "-aq"); ps != "" {
		t.Errorf("after rm -af: %q", ps)
	}
}

// The detach keys (ctrl-p ctrl-q, or --detach-keys) typed at a terminal
// end attach and start -a -i with 0 and leave the container running.
func TestDetachKeys(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.runD(t, "-it", "--name", "dk", "busybox", "sh")
	p := startPty(t, s, 24, 80, "attach", "dk")
	p.write("echo hi$((1+1))\r")
	p.waitFor("hi2")
	p.write("\x10\x11")
	if _, code := p.wait(); code != 0 {
		t.Errorf("attach after ctrl-p ctrl-q exited %d", code)
	}
	s.mustHull(t, "create", "-it", "--name", "dk2", "busybox", "sh")
	p = startPty(t, s, 24, 80, "start", "-a", "-i", "--detach-keys", "ctrl-x,x", "dk2")
	p.write("echo x$((2+3))\r")
	p.waitFor("x5")
	p.write("\x10\x11\x18x") // ctrl-p ctrl-q are no longer the keys
	if _, code := p.wait(); code != 0 {
		t.Errorf("start -a -i after ctrl-x x exited %d", code)
	}
	for _, name := range []string{"dk", "dk2"} {
		if st := s.mustHull(t, "inspect", "--format", "{{.State.Running}}", name); strings.TrimSpace(st) != "true" {
			t.Errorf("%s after detaching: running %q", name, st)
		}
	}
	// The shell is still there, with what was typed before.
	p = startPty(t, s, 24, 80, "attach", "dk")
	p.write("echo again; exit 6\r")
	if _, code := p.wait(); code != 6 {
		t.Errorf("attach then exit 6: %d", code)
	}
	if _, errs, code := s.hull(t, "attach", "--detach-keys", "shift-z", "dk2"); code != 125 || !strings.Contains(errs, "detach keys") {
		t.Errorf("bad --detach-keys: %d %q", code, errs)
	}
	s.mustHull(t, "rm", "-f", "dk2")
}

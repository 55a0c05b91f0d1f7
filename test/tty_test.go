package test

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// syncBuffer is a bytes.Buffer safe to read while a process writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// ptySession is hull running with a pseudo-terminal as its stdio, the way a
// user at a terminal runs it.
type ptySession struct {
	t      *testing.T
	cmd    *exec.Cmd
	master *os.File
	out    syncBuffer
	done   chan struct{} // closed when the master reads EOF/EIO
	cancel context.CancelFunc
}

// startPty starts hull in a new session whose controlling terminal is a
// fresh pty of the given size.
func startPty(t *testing.T, s *store, rows, cols uint16, args ...string) *ptySession {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	cmd := exec.CommandContext(ctx, hullBin, append([]string{"--root", s.root}, args...)...)
	// The session leader's pid is also its process group.
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	master, err := pty.StartWithAttrs(cmd, &pty.Winsize{Rows: rows, Cols: cols},
		&syscall.SysProcAttr{Setsid: true, Setctty: true})
	if err != nil {
		cancel()
		t.Fatalf("start hull on a pty: %v", err)
	}
	p := &ptySession{t: t, cmd: cmd, master: master, done: make(chan struct{}), cancel: cancel}
	go func() {
		_, _ = io.Copy(&p.out, master)
		close(p.done)
	}()
	return p
}

// waitFor waits until the output contains s.
func (p *ptySession) waitFor(s string) {
	p.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(p.out.String(), s) {
		if time.Now().After(deadline) {
			p.t.Fatalf("pty output never showed %q: %q", s, p.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *ptySession) write(s string) {
	p.t.Helper()
	if _, err := p.master.Write([]byte(s)); err != nil {
		p.t.Fatalf("write to pty: %v", err)
	}
}

// wait returns hull's exit code and everything the terminal showed, with
// carriage returns dropped: the container's terminal turns LF into CRLF,
// and hull's, cooked without -i, does it again.
func (p *ptySession) wait() (string, int) {
	p.t.Helper()
	defer p.cancel()
	code := exitCode(p.cmd.Wait())
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.t.Errorf("pty still open 10s after hull exited")
	}
	p.master.Close()
	out := strings.ReplaceAll(p.out.String(), "\r", "")
	p.t.Logf("hull on a pty -> %d\n\t%q", code, p.out.String())
	return out, code
}

// -t gives the container a real terminal of the outer terminal's size,
// with /dev/console and TERM.
func TestTty(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	// The sleeps give hull time to size the container's terminal: it does
	// so only once the pty master has come back from the container, after
	// the command started (an isolation limitation; Docker sizes the
	// console before the process runs).
	p := startPty(t, s, 30, 100, "run", "--rm", "-t", "busybox", "sh", "-c",
		`sleep 0.3; tty; stty size; test -c /dev/console && echo console; echo "TERM=$TERM"; test -t 1 && echo stdout-tty; : < /dev/tty && echo dev-tty`)
	out, code := p.wait()
	want := "/dev/pts/0\n30 100\nconsole\nTERM=xterm\nstdout-tty\ndev-tty\n"
	if code != 0 || out != want {
		t.Errorf("exit %d, terminal showed %q, want %q", code, out, want)
	}
	// Without -t there is no console, no /dev/tty and stdout is not a
	// terminal, even with hull on one.
	p = startPty(t, s, 30, 100, "run", "--rm", "busybox", "sh", "-c",
		`test -e /dev/console && echo console; test -e /dev/tty && echo dev-tty; test -t 1 && echo stdout-tty; echo done`)
	if out, code := p.wait(); code != 0 || out != "done\n" {
		t.Errorf("without -t: exit %d, terminal showed %q, want only done", code, out)
	}
	// -i without -t: the typed line arrives through a pipe, not the
	// terminal itself.
	p = startPty(t, s, 30, 100, "run", "--rm", "-i", "busybox", "sh", "-c",
		`test -t 0 && echo stdin-tty; echo ready; read l; echo "got:$l"`)
	p.waitFor("ready")
	p.write("abc\n")
	if out, code := p.wait(); code != 0 || !strings.HasSuffix(out, "got:abc\n") || strings.Contains(out, "stdin-tty") {
		t.Errorf("-i on a terminal: exit %d, terminal showed %q, want got:abc and no tty", code, out)
	}
}

// -it: what the user types reaches the container and is echoed once, by
// the container's terminal (hull's own is raw).
func TestTtyInteractiveEcho(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	p := startPty(t, s, 24, 80, "run", "--rm", "-it", "busybox", "sh", "-c", `echo ready; read line; echo "got:$line"; exit 4`)
	p.waitFor("ready")
	p.write("hello\r")
	out, code := p.wait()
	if code != 4 {
		t.Errorf("exit %d, want 4", code)
	}
	if !strings.Contains(out, "got:hello\n") {
		t.Errorf("terminal showed %q, want got:hello", out)
	}
	if n := strings.Count(out, "hello"); n != 2 {
		t.Errorf("\"hello\" appears %d times in %q, want 2 (one echo, one reply)", n, out)
	}
}

// Resizing the outer terminal reaches the container's.
func TestTtyResize(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	p := startPty(t, s, 24, 80, "run", "--rm", "-it", "busybox", "sh", "-c", `sleep 0.3; stty size; echo ready; read x; stty size`)
	p.waitFor("ready")
	if err := pty.Setsize(p.master, &pty.Winsize{Rows: 40, Cols: 120}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	p.write("\r")
	out, code := p.wait()
	if code != 0 || !strings.HasPrefix(out, "24 80\nready\n") || !strings.HasSuffix(out, "40 120\n") {
		t.Errorf("exit %d, terminal showed %q: want 24 80 then 40 120", code, out)
	}
}

// ^C typed at the terminal is the container's terminal's interrupt.
func TestTtyInterrupt(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	p := startPty(t, s, 24, 80, "run", "--rm", "-it", "busybox", "sh", "-c",
		`trap "echo interrupted; exit 3" INT; echo ready; while :; do sleep 0.1; done`)
	p.waitFor("ready")
	p.write("\x03")
	out, code := p.wait()
	if code != 3 || !strings.Contains(out, "interrupted") {
		t.Errorf("after ^C: exit %d, terminal showed %q; want 3 and interrupted", code, out)
	}
}

package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/moby/term"

	"github.com/hull-project/hull/core/logfile"
	"github.com/hull-project/hull/isolation"
	"golang.org/x/sys/unix"
)

// forwardedSignals are passed on to the container's PID 1, as Docker's
// --sig-proxy does; SIGWINCH is handled here when there is a terminal.
var forwardedSignals = []os.Signal{
	syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT,
	syscall.SIGUSR1, syscall.SIGUSR2,
}

// outputDrain bounds the wait for the last terminal output after the
// container's PID 1 exited: a process that escaped into the background
// may keep the pty open forever (and the relays' pipes, where the pid
// namespace is not the container's own: drain).
const outputDrain = 2 * time.Second

// session connects the caller's streams and signals to one container.
type session struct {
	tty, interactive bool
	stdio            Stdio
	sigs             chan os.Signal
	restore          func()
	// childEnds are the container's ends of the pipes that guard the
	// caller's terminals; closed here once the container holds them.
	childEnds []*os.File
	// relayed is closed when the output relayed from those pipes ended.
	relayed chan struct{}
	// ownPIDs: the container has a pid namespace of its own, so no
	// process can hold the relays' pipes once its PID 1 exited (drain).
	ownPIDs bool
	// log, when set, gets a copy of the container's output (a foreground
	// run without --rm is logged as a detached one is): the outputs then
	// always go through pipes, teed to the caller and the log.
	log      *logfile.Writer
	pipeSigs chan os.Signal
}

// newSession prepares the session before the container starts, so that a
// signal arriving during the start is queued, not fatal to hull.
func newSession(tty, interactive bool, stdio Stdio, sigs chan os.Signal) (*session, error) {
	if tty && interactive && (stdio.In == nil || !term.IsTerminal(stdio.In.Fd())) {
		return nil, errors.New("the input device is not a TTY")
	}
	if sigs == nil {
		sigs = catchSignals()
	}
	s := &session{tty: tty, interactive: interactive, stdio: stdio, sigs: sigs, restore: func() {},
		pipeSigs: make(chan os.Signal, 1)}
	if tty {
		signal.Notify(s.sigs, syscall.SIGWINCH)
	}
	return s, nil
}

// catchSignals starts catching the signals a session forwards. A
// foreground run catches them from before it creates its container: one
// that comes before the start is forwarded once the container runs,
// instead of ending hull with the container left behind (a --rm one
// too). Stopped by the session's close.
func catchSignals() chan os.Signal {
	sigs := make(chan os.Signal, 32)
	signal.Notify(sigs, forwardedSignals...)
	return sigs
}

// stopCatching stops catching into sigs and raises again each signal
// that came meanwhile, now with its default action: with no container to
// forward it to, it ends hull as it would have without the catch.
func stopCatching(sigs chan os.Signal) {
	signal.Stop(sigs)
	for {
		select {
		case sig := <-sigs:
			_ = syscall.Kill(os.Getpid(), sig.(syscall.Signal))
		default:
			return
		}
	}
}

// logTo makes the session copy the container's output to w. hull then
// writes to its own stdout and stderr: catching SIGPIPE turns a reader
// gone away into a write error (Go would otherwise end hull on it, see
// os/signal) without ignoring it, which the container would inherit.
func (s *session) logTo(w *logfile.Writer) {
	s.log = w
	signal.Notify(s.pipeSigs, syscall.SIGPIPE)
}

// isolationStdio is what the container's fds 0-2 become without a
// terminal: the caller's pipes, sockets or /dev/null as they are, stdin
// only with -i; anything else is relayed through a pipe (see shareable).
// Holding the user's terminal would let the container read keystrokes (a
// shell's tty is open read-write), change its modes or push input with
// TIOCSTI; holding a regular file, reopen it to read, truncate or write
// it. Docker, whose streams go through the daemon, never hands either
// over.
func (s *session) isolationStdio() (isolation.Stdio, error) {
	var st isolation.Stdio
	s.relayed = make(chan struct{})
	if s.tty {
		close(s.relayed)
		return st, nil
	}
	var outputs sync.WaitGroup
	var err error
	if s.interactive && s.stdio.In != nil {
		st.Stdin, err = s.guardIn(s.stdio.In)
	}
	if err == nil && (s.stdio.Out != nil || s.log != nil) {
		st.Stdout, err = s.guardOut(s.stdio.Out, "stdout", &outputs)
	}
	if err == nil && (s.stdio.Err != nil || s.log != nil) {
		st.Stderr, err = s.guardOut(s.stdio.Err, "stderr", &outputs)
	}
	go func() {
		outputs.Wait()
		close(s.relayed)
	}()
	return st, err
}

// shareable reports whether the caller's file f may be handed to the
// container as it is: a pipe, a socket or /dev/null. Anything else is
// relayed. A container that holds the caller's regular file (or terminal)
// can reopen it through /proc/self/fd with another mode: read what the
// file held before, truncate it, write into a file opened only for
// reading; Docker's streams go through its daemon and never give that.
func shareable(f *os.File) bool {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return false
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFIFO, unix.S_IFSOCK:
		return true
	case unix.S_IFCHR:
		return st.Rdev == unix.Mkdev(1, 3) // /dev/null
	}
	return false
}

// guardOut returns out itself when it is shareable and nothing is logged,
// else the write end of a pipe whose output is copied to out (and to the
// log as stream).
func (s *session) guardOut(out *os.File, stream string, copies *sync.WaitGroup) (*os.File, error) {
	if s.log == nil && shareable(out) {
		return out, nil
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("relay output: %w", err)
	}
	s.childEnds = append(s.childEnds, w)
	var dst io.Writer
	if out != nil {
		dst = out
	}
	copies.Go(func() {
		defer r.Close()
		s.tee(dst, stream, r)
	})
	return w, nil
}

// tee copies r to out as it comes, unbuffered, and to the log's stream
// (when logging) until r ends. Once out fails (a closed pipe) it stops
// reading, so that the container sees the broken pipe as it would with its
// stdio passed through.
func (s *session) tee(out io.Writer, stream string, r io.Reader) {
	var sw *logfile.StreamWriter
	if s.log != nil {
		sw = s.log.Stream(stream)
		defer func() { _ = sw.Flush() }()
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if out != nil {
				if _, werr := out.Write(buf[:n]); werr != nil {
					return
				}
			}
			if sw != nil {
				_, _ = sw.Write(buf[:n])
			}
		}
		if err != nil {
			return
		}
	}
}

// guardIn returns in itself, or for a terminal the read end of a pipe fed
// from it. The copy is not waited for: it may block on the terminal
// until hull exits.
func (s *session) guardIn(in *os.File) (*os.File, error) {
	if shareable(in) {
		return in, nil
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("relay input: %w", err)
	}
	s.childEnds = append(s.childEnds, r)
	go func() {
		_, _ = io.Copy(w, in)
		w.Close()
	}()
	return r, nil
}

// started drops hull's copies of the container's pipe ends, so that the
// relays see end-of-file when the container's processes are gone.
func (s *session) started() {
	for _, f := range s.childEnds {
		f.Close()
	}
	s.childEnds = nil
}

// serve relays signals (and the terminal) until the container's PID 1
// exits, and returns how it ended.
func (s *session) serve(ctx context.Context, proc *isolation.Process) (isolation.ExitStatus, error) {
	type result struct {
		status isolation.ExitStatus
		err    error
	}
	done := make(chan result, 1)
	go func() {
		st, err := proc.Wait()
		done <- result{st, err}
	}()
	output := s.startTerminal(proc.Console)
	for {
		select {
		case sig := <-s.sigs:
			s.relay(proc, sig)
		case <-ctx.Done():
			_ = proc.Signal(syscall.SIGKILL)
			ctx = context.Background()
		case r := <-done:
			s.drain(output)
			if proc.Console != nil {
				proc.Console.Close()
			}
			return r.status, r.err
		}
	}
}

// drain waits, once PID 1 has exited, for the container's output to end:
// the terminal's (output) and the relays' (s.relayed). In a pid namespace
// of the container's own, PID 1's end kills every process that could
// write into the relays' pipes, so they end as soon as the caller's
// reader has taken the rest, however slowly (a pager, `| (sleep 3; wc)`);
// cutting them short lost what was left, and the log's tail. A terminal,
// or a container in the host's or another container's pid namespace,
// may be held open forever by a process that escaped into the
// background: outputDrain bounds those waits. The unbounded wait still
// ends on SIGINT, SIGTERM, SIGHUP or SIGQUIT (with PID 1 gone there is
// no one left to forward them to): a reader that stops reading without
// closing would otherwise hold hull forever, deaf to the signals meant to
// end it. What the relays still hold is then lost.
func (s *session) drain(output <-chan struct{}) {
	bound := time.After(outputDrain)
	select {
	case <-output:
	case <-bound:
	}
	if s.ownPIDs {
		for {
			select {
			case <-s.relayed:
				return
			case sig := <-s.sigs:
				if sig != syscall.SIGWINCH && sig != syscall.SIGUSR1 && sig != syscall.SIGUSR2 {
					slog.Debug("output drain given up", "signal", sig)
					return
				}
			}
		}
	}
	select {
	case <-s.relayed:
	case <-bound:
	}
}

func (s *session) relay(proc *isolation.Process, sig os.Signal) {
	if sig == syscall.SIGWINCH {
		s.resize(proc.Console)
		return
	}
	if err := proc.Signal(sig.(syscall.Signal)); err != nil {
		slog.Debug("forward signal", "signal", sig, "err", err)
	}
}

// startTerminal puts the caller's terminal in raw mode (with -i), sets
// the container's window size and starts copying; the returned channel is
// closed when the container's output has ended. Without a terminal it is
// closed at once.
func (s *session) startTerminal(console *os.File) <-chan struct{} {
	output := make(chan struct{})
	if !s.tty || console == nil {
		close(output)
		return output
	}
	if s.interactive {
		if state, err := term.MakeRaw(s.stdio.In.Fd()); err == nil {
			s.restore = func() { _ = term.RestoreTerminal(s.stdio.In.Fd(), state) }
		}
		go func() { _, _ = io.Copy(console, s.stdio.In) }()
	}
	s.resize(console)
	go func() {
		defer close(output)
		var out io.Writer
		if s.stdio.Out != nil {
			out = s.stdio.Out
		}
		if out != nil || s.log != nil {
			s.tee(out, "stdout", console) // ends with EIO when the pty's last user is gone
		}
	}()
	return output
}

// resize copies the caller's window size to the container's terminal.
func (s *session) resize(console *os.File) {
	if console == nil {
		return
	}
	if ws := s.winsize(); ws != nil {
		_ = term.SetWinsize(console.Fd(), ws)
	}
}

// winsize is the caller's terminal size, or nil without a terminal.
func (s *session) winsize() *term.Winsize {
	for _, f := range []*os.File{s.stdio.Out, s.stdio.In} {
		if f == nil || !term.IsTerminal(f.Fd()) {
			continue
		}
		if ws, err := term.GetWinsize(f.Fd()); err == nil {
			return ws
		}
	}
	return nil
}

// consoleSize is the size the container's terminal starts with, so that
// the command sees it from its first instruction.
func (s *session) consoleSize() (rows, cols uint16) {
	if ws := s.winsize(); ws != nil {
		return ws.Height, ws.Width
	}
	return 0, 0
}

// close restores the terminal and stops catching signals.
func (s *session) close() {
	s.started()
	s.restore()
	signal.Stop(s.sigs)
	signal.Stop(s.pipeSigs)
}

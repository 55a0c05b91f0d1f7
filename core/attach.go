package core

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/moby/term"

	"github.com/hull-project/hull/isolation"
)

// forwardedSignals are passed on to the container's PID 1, as Docker's
// --sig-proxy does; SIGWINCH is handled here when there is a terminal.
var forwardedSignals = []os.Signal{
	syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT,
	syscall.SIGUSR1, syscall.SIGUSR2,
}

// outputDrain bounds the wait for the last terminal output after the
// container's PID 1 exited: a process that escaped into the background
// may keep the pty open forever.
const outputDrain = 2 * time.Second

// session connects the caller's streams and signals to one container.
type session struct {
	tty, interactive bool
	stdio            Stdio
	sigs             chan os.Signal
	restore          func()
}

// attach prepares the session before the container starts, so that a
// signal arriving during the start is queued, not fatal to hull.
func attach(tty, interactive bool, stdio Stdio) (*session, error) {
	if tty && interactive && (stdio.In == nil || !term.IsTerminal(stdio.In.Fd())) {
		return nil, errors.New("the input device is not a TTY")
	}
	s := &session{tty: tty, interactive: interactive, stdio: stdio, sigs: make(chan os.Signal, 32), restore: func() {}}
	signal.Notify(s.sigs, forwardedSignals...)
	if tty {
		signal.Notify(s.sigs, syscall.SIGWINCH)
	}
	return s, nil
}

// isolationStdio is what the container's fds 0-2 become without a
// terminal: the caller's own files, stdin only with -i.
func (s *session) isolationStdio() isolation.Stdio {
	var st isolation.Stdio
	if s.tty {
		return st
	}
	if s.interactive && s.stdio.In != nil {
		st.Stdin = s.stdio.In
	}
	if s.stdio.Out != nil {
		st.Stdout = s.stdio.Out
	}
	if s.stdio.Err != nil {
		st.Stderr = s.stdio.Err
	}
	return st
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
			select {
			case <-output:
			case <-time.After(outputDrain):
			}
			if proc.Console != nil {
				proc.Console.Close()
			}
			return r.status, r.err
		}
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
		if s.stdio.Out != nil {
			_, _ = io.Copy(s.stdio.Out, console) // ends with EIO when the pty's last user is gone
		}
	}()
	return output
}

// resize copies the caller's window size to the container's terminal.
func (s *session) resize(console *os.File) {
	if console == nil {
		return
	}
	for _, f := range []*os.File{s.stdio.Out, s.stdio.In} {
		if f == nil || !term.IsTerminal(f.Fd()) {
			continue
		}
		if ws, err := term.GetWinsize(f.Fd()); err == nil {
			_ = term.SetWinsize(console.Fd(), ws)
			return
		}
	}
}

// close restores the terminal and stops catching signals.
func (s *session) close() {
	s.restore()
	signal.Stop(s.sigs)
}

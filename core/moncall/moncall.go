// Package moncall is the protocol between a detached container's monitor
// (core/monitor, a small binary of its own) and hull, which the monitor
// executes for everything that needs the store, the image layers, the
// network or the exec path: `hull __hull-mon ROOT ID OP [ARGS]`
// (role.MonitorCall), each call a short-lived process. It is plain data
// and descriptor passing, so the monitor links none of hull's heavy code.
//
// The call's fd 3 is a SOCK_SEQPACKET socket; each message is one JSON
// document in one packet, descriptors riding along as SCM_RIGHTS.
//
//	start first|restart  hull -> monitor  Plan (Stopped: a restart the user stopped; nothing starts)
//	                     monitor -> hull  Go, with the container's stdio (Go.Stdio says which)
//	                     hull -> monitor  Started, with the pty master (Started.Console) and the
//	                                      descriptors that keep the network up (the rest)
//	                     not Started.Detached: hull stays the init's parent, sends Exited
//	                     when it ends, and tears the network down at the monitor's EOF
//	exited CODE SIGNAL TIMEDOUT  hull -> monitor  Finished (the end recorded; restart or not;
//	                     --rm: the container removed, before the monitor lets go of it)
//	health PID           one probe of the health check, recorded; SIGTERM cancels it
//
// No exited call is made while rm -f holds the container's remove lock
// (Plan.RemoveLock): rm records the end itself once the monitor let go.
//
// A call that fails before it can answer exits non-zero with one line on
// stderr, which the monitor logs.
package moncall

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Report is what a monitor tells the hull that started it, once, on its
// report pipe: the container's pid once its command runs, or the code and
// error of a start that failed.
type Report struct {
	Pid   int    `json:"pid,omitempty"`
	Code  int    `json:"code,omitempty"`
	Error string `json:"error,omitempty"`
}

// Ops of a call (argv after ROOT and ID).
const (
	OpStart  = "start"
	OpExited = "exited"
	OpHealth = "health"
)

// Start kinds: the user's start clears a stop and the restart count; a
// restart by the policy counts one more, unless the user stopped it.
const (
	StartFirst   = "first"
	StartRestart = "restart"
)

// Plan is what the monitor needs to know of a start before it happens.
type Plan struct {
	// Code and Error: the start failed before it began (the record
	// says so already); Code is 125, 126 or 127.
	Code  int    `json:"code,omitempty"`
	Error string `json:"error,omitempty"`
	// Stopped: a restart found the container stopped by the user, and
	// recorded it exited; nothing was started.
	Stopped   bool `json:"stopped,omitempty"`
	Tty       bool `json:"tty,omitempty"`
	OpenStdin bool `json:"open_stdin,omitempty"`
	Log       Log  `json:"log"`
	// StateDir is RunRoot/ID (attach.sock lives there); the monitor
	// removes it when it ends.
	StateDir string `json:"state_dir"`
	// Record is the container's record, which the monitor reads for a
	// stop during a restart's back-off (HasBeenManuallyStopped).
	Record string `json:"record"`
	// HealthInterval is 0 without a health check.
	HealthInterval time.Duration `json:"health_interval,omitempty"`
	// Timeout is --timeout: the monitor kills the container past it.
	Timeout time.Duration `json:"timeout,omitempty"`
	// RemoveLock is the container's remove lock: while a process holds
	// it (Held), rm -f is removing the container and records its end
	// itself, so the monitor makes no exited call when PID 1 ends.
	RemoveLock string `json:"remove_lock,omitempty"`
}

// Log is the container's log configuration.
type Log struct {
	// None is --log-driver none: output goes only to attach clients.
	None     bool   `json:"none,omitempty"`
	Path     string `json:"path,omitempty"`
	MaxSize  int64  `json:"max_size,omitempty"`
	MaxFiles int    `json:"max_files,omitempty"`
}

// Go lets the start happen.
type Go struct {
	Rows, Cols uint16
	// Stdio says which of stdin, stdout, stderr come with it, in that
	// order (none with a pty).
	Stdio [3]bool `json:"stdio"`
}

// Started is how the start went.
type Started struct {
	Pid   int    `json:"pid,omitempty"`
	Code  int    `json:"code,omitempty"`
	Error string `json:"error,omitempty"`
	// Detached: the init is the monitor's child (CLONE_PARENT) and hull
	// exits; else hull stays its parent (a network that needs hull's
	// process, a pod member) and sends Exited.
	Detached bool `json:"detached,omitempty"`
	// Console: the first descriptor is the pty master.
	Console bool `json:"console,omitempty"`
}

// Exited is how the init ended, when hull stayed its parent.
type Exited struct {
	Code   int `json:"code"`
	Signal int `json:"signal,omitempty"`
}

// Finished is what recording the end decided.
type Finished struct {
	// Restart: the restart policy starts the container again (after
	// the back-off; the record says "restarting" meanwhile).
	Restart bool `json:"restart,omitempty"`
	// Code is the exit code recorded (sent to attach clients).
	Code int `json:"code"`
}

// Held reports whether a process holds a flock on the file at path (one
// that is gone is not held): the monitor's look at Plan.RemoveLock.
func Held(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	return errors.Is(unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB), unix.EWOULDBLOCK)
}

// maxMessage bounds one message (its JSON).
const maxMessage = 16 << 10

// maxFiles bounds the descriptors of one message.
const maxFiles = 8

// Send writes v as one message with files.
func Send(sock *os.File, v any, files ...*os.File) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var oob []byte
	if len(files) > 0 {
		fds := make([]int, len(files))
		for i, f := range files {
			fds[i] = int(f.Fd())
		}
		oob = unix.UnixRights(fds...)
	}
	if err := unix.Sendmsg(int(sock.Fd()), data, oob, nil, 0); err != nil {
		return fmt.Errorf("monitor call: send: %w", err)
	}
	return nil
}

// ErrClosed: the other side closed the socket before sending.
var ErrClosed = errors.New("monitor call: the other side ended")

// Recv reads one message into v and returns the files that came with it
// (close-on-exec).
func Recv(sock *os.File, v any) ([]*os.File, error) {
	buf := make([]byte, maxMessage)
	oob := make([]byte, unix.CmsgSpace(4*maxFiles))
	n, oobn, _, _, err := unix.Recvmsg(int(sock.Fd()), buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("monitor call: receive: %w", err)
	}
	var files []*os.File
	if oobn > 0 {
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil {
			return nil, fmt.Errorf("monitor call: receive: %w", err)
		}
		for i := range msgs {
			fds, err := unix.ParseUnixRights(&msgs[i])
			if err != nil {
				continue
			}
			for _, fd := range fds {
				files = append(files, os.NewFile(uintptr(fd), "moncall"))
			}
		}
	}
	if n == 0 {
		CloseAll(files)
		return nil, ErrClosed
	}
	if err := json.Unmarshal(buf[:n], v); err != nil {
		CloseAll(files)
		return nil, fmt.Errorf("monitor call: receive: %w", err)
	}
	return files, nil
}

// SocketPair is the call's socket: the monitor's end and the call's.
func SocketPair() (mine, theirs *os.File, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("monitor call socket: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), "moncall"), os.NewFile(uintptr(fds[1]), "moncall"), nil
}

// CloseAll closes files.
func CloseAll(files []*os.File) {
	for _, f := range files {
		if f != nil {
			f.Close()
		}
	}
}

package monitor

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/hull-project/hull/core/moncall"
	"github.com/hull-project/hull/isolation/role"
)

// call starts `hull __hull-mon ROOT ID ARGS...` with sock (when set) as
// its fd 3 and returns its pid; the reaper has its status. It dies with
// the monitor (parent-death signal), and so does a container whose start
// call stayed its parent.
func (m *containerMonitor) call(args []string, sock *os.File) (int, error) {
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return 0, err
	}
	defer devnull.Close()
	files := []*os.File{devnull, devnull, os.Stderr}
	if sock != nil {
		files = append(files, sock)
	}
	argv := append([]string{"hull", role.MonitorCall, m.root, m.id}, args...)
	p, err := os.StartProcess("/proc/self/fd/"+strconv.Itoa(hullFd), argv, &os.ProcAttr{
		Dir: "/", Files: files, Env: os.Environ(),
		Sys: &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL},
	})
	if err != nil {
		return 0, fmt.Errorf("run hull %s: %w", args[0], err)
	}
	pid := p.Pid
	_ = p.Release()
	return pid, nil
}

// callFor runs a call, reads its one answer into v and waits for it.
func (m *containerMonitor) callFor(v any, args ...string) error {
	sock, theirs, err := moncall.SocketPair()
	if err != nil {
		return err
	}
	defer sock.Close()
	pid, err := m.call(args, theirs)
	theirs.Close()
	if err != nil {
		return err
	}
	files, rerr := moncall.Recv(sock, v)
	moncall.CloseAll(files)
	ws := m.reaper.wait(pid)
	if rerr != nil {
		return fmt.Errorf("hull %s: %v (%s)", args[0], rerr, describe(ws))
	}
	return nil
}

func describe(ws unix.WaitStatus) string {
	if ws.Signaled() {
		return "killed by " + unix.SignalName(ws.Signal())
	}
	return "exit status " + strconv.Itoa(ws.ExitStatus())
}

// reaper reaps every child of the monitor, a subreaper: its calls, the
// container's init (a child from the start, CLONE_PARENT) and whatever a
// call left behind (slirp4netns, once its exit fd closes). Statuses of
// pids no one waits for yet are kept until someone does; those of
// orphans no one ever waits for stay, a few bytes each.
type reaper struct {
	mu      sync.Mutex
	waiters map[int]chan unix.WaitStatus
	done    map[int]unix.WaitStatus
}

func newReaper() *reaper {
	r := &reaper{waiters: map[int]chan unix.WaitStatus{}, done: map[int]unix.WaitStatus{}}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGCHLD)
	go func() {
		for range sigs {
			r.reap()
		}
	}()
	return r
}

// reap collects every child that ended.
func (r *reaper) reap() {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
		r.mu.Lock()
		if ch, ok := r.waiters[pid]; ok {
			delete(r.waiters, pid)
			ch <- ws
		} else {
			r.done[pid] = ws
		}
		r.mu.Unlock()
	}
}

// wait blocks until child pid ended and returns its status.
func (r *reaper) wait(pid int) unix.WaitStatus {
	r.mu.Lock()
	if ws, ok := r.done[pid]; ok {
		delete(r.done, pid)
		r.mu.Unlock()
		return ws
	}
	ch := make(chan unix.WaitStatus, 1)
	r.waiters[pid] = ch
	r.mu.Unlock()
	// A child that ended before the SIGCHLD handler was in place.
	r.reap()
	return <-ch
}

// Package monitor is the per-container monitor of a detached container
// (role.Monitor): it writes the container's output to the log, serves
// attach clients, runs its health check on time, waits for it, restarts it
// as its policy says and keeps the monitor lock while it may run. It is
// small on purpose (one per container, for the container's life: what it
// keeps is what one more container costs): `make build` builds it as a
// binary of its own (core/monitor/monbin) that hull embeds and runs, and
// it imports nothing of core. Everything that needs the store, the layers,
// the network or the exec path it asks of hull, executing `hull __hull-mon
// ROOT ID OP` (protocol in core/moncall): each start goes through
// core/launch there, the one start path.
//
// Who waits for the container: the monitor is a child subreaper, and the
// start call starts the init with CLONE_PARENT (launch.Request.Detach), so
// the init is the monitor's child from its first instant, its
// parent-death signal follows the monitor, and the call exits once the
// container runs. Where the network needs the starting process (pasta, an
// external plugin, a named network) or the container joins a pod, the call
// stays the init's parent instead and reports its end. kill -9 of the
// monitor: the kernel drops the monitor lock (the record then shows the
// container exited, 255, "container monitor died"), the init gets its
// parent-death SIGKILL, slirp4netns sees its exit fd close, and a call that
// stayed dies by its own parent-death signal. kill -9 of the hull that
// started the monitor, or of a call, changes nothing for a running
// container: a call killed mid-start is a failed start.
package monitor

import (
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hull-project/hull/core/attach"
	"github.com/hull-project/hull/core/logfile"
	"github.com/hull-project/hull/core/moncall"
	"github.com/hull-project/hull/isolation/role"
)

// Descriptors the monitor is started with (role.Monitor).
const (
	fdReport = 3 // write end of the report pipe: one moncall.Report
	fdHull   = 4 // hull's own binary, executed for every call
	fdLock   = 5 // the container's monitor lock, already taken
	fdAttach = 6 // optional: an attach connection (start -a)
	fdSelf   = 7 // the monitor's own binary, when it is the small one
)

// hullFd is where the monitor keeps hull's binary: above any descriptor
// that a call's child could be given (Go's fork shuffles fds only up to
// the number it passes), so /proc/self/fd/hullFd names it until execve.
const hullFd = 100

// outputDrain bounds the wait for the last output after the container's
// PID 1 exited: a process that escaped into the background may keep the
// pty open forever.
const outputDrain = 2 * time.Second

// Main is the monitor, `__hull-monitor ROOT ID` with the descriptors
// above and /dev/null as stdio, in a session of its own. It returns nil,
// or a role.Exit (125 for bad arguments, 1 when the monitor failed).
func Main(args []string) error {
	// A monitor lives as long as its container: one P, a small heap.
	runtime.GOMAXPROCS(1)
	debug.SetGCPercent(20)
	// Caught, not ignored: an ignored signal stays ignored in every program
	// the monitor starts (the network helpers; pasta refuses to run with
	// SIGPIPE ignored), while a caught one is reset to the default there.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGHUP, syscall.SIGINT, syscall.SIGPIPE, syscall.SIGTTIN, syscall.SIGTTOU)
	for _, fd := range []int{fdReport, fdHull, fdLock, fdAttach, fdSelf} {
		syscall.CloseOnExec(fd)
	}
	// ps and tests know it by this name (its program is a descriptor, so
	// comm would be "7"); /proc/self is the main thread's, which PR_SET_NAME
	// on whatever thread runs this goroutine would not be.
	_ = os.WriteFile("/proc/self/comm", []byte("hull-monitor"), 0)
	report := os.NewFile(fdReport, "report")
	if len(args) != 2 {
		sendReport(report, moncall.Report{Code: 125, Error: "usage: " + role.Monitor + " ROOT ID"})
		return &role.Exit{Code: 125}
	}
	m := &containerMonitor{root: args[0], id: args[1], report: report, lock: os.NewFile(fdLock, "monitor.lock")}
	if err := m.setUp(); err != nil {
		sendReport(report, moncall.Report{Code: 125, Error: err.Error()})
		return &role.Exit{Code: 125}
	}
	if _, err := os.Stat("/proc/self/fd/" + strconv.Itoa(fdAttach)); err == nil {
		m.hub.Add(os.NewFile(fdAttach, "attach"))
	}
	if err := m.monitor(); err != nil {
		warn("monitor %s: %v", m.id, err)
		return &role.Exit{Code: 1}
	}
	return nil
}

func warn(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "hull: monitor: "+format+"\n", args...)
}

func sendReport(w *os.File, r moncall.Report) {
	if w == nil {
		return
	}
	_ = json.NewEncoder(w).Encode(r)
	w.Close()
}

// containerMonitor is the state of one monitor.
type containerMonitor struct {
	root, id string
	report   *os.File // until the first start is reported
	lock     *os.File
	reaper   *reaper
	hub      *attach.Hub
	log      *logfile.Writer
	plan     moncall.Plan
	// exitCode is the last start's, sent to attach clients at the end.
	exitCode int
	// outputs end when the container's output pipes or pty close.
	outputs sync.WaitGroup
	// ioMu guards stdin and console, which attach clients use while
	// starts come and go.
	ioMu    sync.Mutex
	stdin   *os.File // the current start's stdin pipe (-i)
	console *os.File // the current start's pty master (-t)
}

// setUp makes the monitor the reaper of what its calls leave behind (the
// container's init above all), moves hull's binary out of the way of
// the descriptors its calls get, and makes the attach hub.
func (m *containerMonitor) setUp() error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("become a subreaper: %w", err)
	}
	if _, err := unix.FcntlInt(fdHull, unix.F_DUPFD_CLOEXEC, hullFd); err != nil {
		return fmt.Errorf("hull binary (fd %d): %w", fdHull, err)
	}
	unix.Close(fdHull)
	m.reaper = newReaper()
	m.hub = attach.NewHub(m.input, m.resize)
	return nil
}

// start is one start of the container: the outcome of a start call.
type start struct {
	pid      int
	detached bool
	sock     *os.File   // the call's socket; kept while the call stays
	call     int        // the call's pid
	keep     []*os.File // what keeps the network up
}

// monitor starts the container, reports, serves it and records its end;
// then, as the container's restart policy says, starts it again after a
// back-off. The first start's outcome goes to the hull that started the
// monitor.
func (m *containerMonitor) monitor() error {
	st, code, err := m.start(moncall.StartFirst)
	if err != nil || st == nil {
		if err == nil {
			err = fmt.Errorf("stopped")
		}
		sendReport(m.report, moncall.Report{Code: code, Error: err.Error()})
		m.exitCode = code
		m.end()
		return nil
	}
	sendReport(m.report, moncall.Report{Pid: st.pid})
	var backoff restartBackoff
	for {
		started := time.Now()
		fin, err := m.run(st)
		if err != nil {
			warn("record the end of %s: %v", m.id, err)
		}
		if !fin.Restart {
			m.end()
			return nil
		}
		m.waitRestart(backoff.next(time.Since(started)))
		if st, _, err = m.start(moncall.StartRestart); err != nil {
			warn("restart %s: %v", m.id, err)
		}
		if st == nil {
			m.end()
			return nil
		}
	}
}

// end closes the attach connections and the log once the container will
// not start again and lets go of the container (--rm: the exited call
// removed it already, so a client that hears the exit finds it gone).
func (m *containerMonitor) end() {
	m.hub.CloseWithExit(m.exitCode)
	if m.log != nil {
		_ = m.log.Close()
	}
	if m.plan.StateDir != "" {
		os.RemoveAll(m.plan.StateDir)
	}
	m.lock.Close()
}

// start asks hull for one start of the container (kind: the user's, or
// the policy's restart) and feeds it its stdio. It returns nil and no
// error when a restart found the container stopped by the user, and the
// exit code with the error of a start that failed.
func (m *containerMonitor) start(kind string) (*start, int, error) {
	sock, theirs, err := moncall.SocketPair()
	if err != nil {
		return nil, 125, err
	}
	pid, err := m.call([]string{moncall.OpStart, kind}, theirs)
	theirs.Close()
	if err != nil {
		sock.Close()
		return nil, 125, err
	}
	st, code, err := m.startWith(sock, pid)
	if st == nil || st.detached {
		sock.Close()
		m.reaper.wait(pid)
	}
	return st, code, err
}

func (m *containerMonitor) startWith(sock *os.File, call int) (*start, int, error) {
	var plan moncall.Plan
	if _, err := moncall.Recv(sock, &plan); err != nil {
		return nil, 125, fmt.Errorf("start: %w", err)
	}
	if plan.Error != "" {
		return nil, plan.Code, fmt.Errorf("%s", plan.Error)
	}
	if plan.Stopped {
		return nil, 0, nil
	}
	if err := m.prepare(plan); err != nil {
		return nil, 125, err
	}
	g := moncall.Go{}
	g.Rows, g.Cols = m.hub.Size()
	stdio, childEnds, err := m.pipes(plan, &g)
	if err != nil {
		moncall.CloseAll(childEnds)
		return nil, 125, err
	}
	err = moncall.Send(sock, g, childEnds...)
	moncall.CloseAll(childEnds)
	if err != nil {
		return nil, 125, err
	}
	var started moncall.Started
	files, err := moncall.Recv(sock, &started)
	if err == nil && started.Error != "" {
		moncall.CloseAll(files)
		err = fmt.Errorf("%s", started.Error)
	} else if err != nil {
		started.Code, err = 125, fmt.Errorf("start: %w", err)
	}
	if err != nil {
		for _, o := range stdio {
			o.r.Close()
		}
		m.closeIO()
		return nil, started.Code, err
	}
	st := &start{pid: started.Pid, detached: started.Detached, sock: sock, call: call}
	if started.Console && len(files) > 0 {
		m.ioMu.Lock()
		m.console = files[0]
		m.ioMu.Unlock()
		files = files[1:]
		m.resize(m.hub.Size()) // a client's size that came while starting
		m.copyOut(m.console, "stdout", false)
	}
	st.keep = files
	for _, o := range stdio {
		m.copyOut(o.r, o.stream, true)
	}
	return st, 0, nil
}

// prepare opens the log and the attach socket at the first start (the
// plan says where), and keeps the plan.
func (m *containerMonitor) prepare(plan moncall.Plan) error {
	first := m.plan.StateDir == ""
	m.plan = plan
	if !first {
		return nil
	}
	var err error
	if plan.Log.None {
		m.log = logfile.Discard()
	} else if m.log, err = logfile.CreateRotating(plan.Log.Path, plan.Log.MaxSize, plan.Log.MaxFiles); err != nil {
		return err
	}
	return m.hub.Listen(filepath.Join(plan.StateDir, attach.Socket))
}

// output is one output pipe of the container and its stream's name.
type output struct {
	r      *os.File
	stream string
}

// pipes makes the container's stdio (without a terminal): output pipes
// copied to the log, and a stdin pipe kept open with -i. It returns the
// monitor's read ends and the container's ends, marked in g.
func (m *containerMonitor) pipes(plan moncall.Plan, g *moncall.Go) ([]output, []*os.File, error) {
	if plan.Tty {
		return nil, nil, nil
	}
	var ends []*os.File
	if plan.OpenStdin {
		r, w, err := os.Pipe()
		if err != nil {
			return nil, ends, fmt.Errorf("input pipe: %w", err)
		}
		ends = append(ends, r)
		g.Stdio[0] = true
		m.ioMu.Lock()
		m.stdin = w
		m.ioMu.Unlock()
	}
	var outs []output
	for i, stream := range []string{"stdout", "stderr"} {
		r, w, err := os.Pipe()
		if err != nil {
			for _, o := range outs {
				o.r.Close()
			}
			return nil, ends, fmt.Errorf("output pipe: %w", err)
		}
		ends = append(ends, w)
		g.Stdio[1+i] = true
		outs = append(outs, output{r, stream})
	}
	return outs, ends, nil
}

// copyOut copies one output of the container to the log and the attach
// clients until it ends, and closes r when owned (a pipe; the console is
// closed by closeIO).
func (m *containerMonitor) copyOut(r *os.File, stream string, owned bool) {
	sw := m.log.Stream(stream)
	m.outputs.Add(1)
	go func() {
		defer m.outputs.Done()
		buf := make([]byte, 8<<10)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				_, _ = sw.Write(buf[:n])
				m.hub.Broadcast(stream, buf[:n])
			}
			if err != nil {
				break
			}
		}
		_ = sw.Flush()
		if owned {
			r.Close()
		}
	}()
}

// input passes attach clients' input to the container; nil closes it.
func (m *containerMonitor) input(p []byte) {
	m.ioMu.Lock()
	defer m.ioMu.Unlock()
	w := m.stdin
	if m.console != nil {
		w = m.console
	}
	if w == nil {
		return
	}
	if p == nil {
		if w == m.stdin {
			m.stdin.Close()
			m.stdin = nil
		}
		return
	}
	_, _ = w.Write(p)
}

func (m *containerMonitor) resize(rows, cols uint16) {
	m.ioMu.Lock()
	defer m.ioMu.Unlock()
	if m.console != nil {
		_ = attach.SetWinsize(m.console, rows, cols)
	}
}

// closeIO closes the current start's console and stdin.
func (m *containerMonitor) closeIO() {
	m.ioMu.Lock()
	defer m.ioMu.Unlock()
	if m.console != nil {
		m.console.Close()
		m.console = nil
	}
	if m.stdin != nil {
		m.stdin.Close()
		m.stdin = nil
	}
}

// run serves one start until the container's PID 1 ends (its health
// check and --timeout running meanwhile), lets the output drain, tears the
// network down and has hull record the end, unless rm -f holds the
// remove lock: rm records it then, once the monitor let go (with the
// network down: a call that stayed is waited for).
func (m *containerMonitor) run(st *start) (moncall.Finished, error) {
	stopHealth := m.watchHealth(st.pid)
	timedOut := false
	var timer *time.Timer
	var timerMu sync.Mutex
	if m.plan.Timeout > 0 {
		timer = time.AfterFunc(m.plan.Timeout, func() {
			timerMu.Lock()
			timedOut = true
			timerMu.Unlock()
			_ = unix.Kill(st.pid, unix.SIGKILL)
		})
	}
	debug.FreeOSMemory()
	code, sig := m.waitInit(st)
	if timer != nil {
		timer.Stop()
	}
	stopHealth()
	drained := make(chan struct{})
	go func() { m.outputs.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(outputDrain):
	}
	m.closeIO()
	moncall.CloseAll(st.keep)
	removing := moncall.Held(m.plan.RemoveLock)
	if !st.detached {
		// The call that stayed tears the network down at this EOF.
		st.sock.Close()
		if removing {
			m.reaper.wait(st.call)
		} else {
			go m.reaper.wait(st.call)
		}
	}
	m.exitCode = code
	if removing {
		return moncall.Finished{Code: code}, nil
	}
	timerMu.Lock()
	how := "exit"
	if timedOut {
		how = "timeout"
	}
	timerMu.Unlock()
	var fin moncall.Finished
	err := m.callFor(&fin, moncall.OpExited, strconv.Itoa(code), strconv.Itoa(sig), how)
	if err == nil {
		m.exitCode = fin.Code
	}
	return fin, err
}

// waitInit waits for the container's PID 1: the monitor's own child when
// the start detached, else the call that stayed tells.
func (m *containerMonitor) waitInit(st *start) (code, sig int) {
	if st.detached {
		ws := m.reaper.wait(st.pid)
		if ws.Signaled() {
			return 128 + int(ws.Signal()), int(ws.Signal())
		}
		return ws.ExitStatus(), 0
	}
	var ex moncall.Exited
	if _, err := moncall.Recv(st.sock, &ex); err != nil {
		// The call died: so did the init, by its parent-death signal.
		return 255, 0
	}
	return ex.Code, ex.Signal
}

// watchHealth runs the health check every interval while the start runs,
// each probe a call (hull's exec path); the returned func stops it and
// cancels a probe under way.
func (m *containerMonitor) watchHealth(pid int) func() {
	if m.plan.HealthInterval <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(m.plan.HealthInterval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			call, err := m.call([]string{moncall.OpHealth, strconv.Itoa(pid)}, nil)
			if err != nil {
				warn("health check of %s: %v", m.id, err)
				continue
			}
			probed := make(chan struct{})
			go func() { m.reaper.wait(call); close(probed) }()
			select {
			case <-probed:
			case <-done:
				_ = unix.Kill(call, unix.SIGTERM)
				<-probed
				return
			}
		}
	}()
	return func() { close(done); <-finished }
}

// waitRestart waits out delay before a restart; a stop or kill by the
// user (or the record's removal) ends it early, and the restart call then
// finds it.
func (m *containerMonitor) waitRestart(delay time.Duration) {
	deadline := time.Now().Add(delay)
	for {
		if stoppedByUser(m.plan.Record) {
			return
		}
		left := time.Until(deadline)
		if left <= 0 {
			return
		}
		time.Sleep(min(left, restartPoll))
	}
}

// stoppedByUser reads the one field of the record the back-off needs;
// a record that is gone counts as stopped.
func stoppedByUser(record string) bool {
	data, err := os.ReadFile(record)
	if err != nil {
		return os.IsNotExist(err)
	}
	var r struct{ HasBeenManuallyStopped bool }
	return json.Unmarshal(data, &r) == nil && r.HasBeenManuallyStopped
}

// restartPoll is how often a restart's back-off looks for a stop.
const restartPoll = 50 * time.Millisecond

// Docker's restart back-off: 100 ms, doubled at each restart up to a
// minute, back to 100 ms once the container ran for 10 s.
const (
	restartFirstDelay = 100 * time.Millisecond
	restartMaxDelay   = time.Minute
	restartResetAfter = 10 * time.Second
)

// restartBackoff is the delay before the next restart.
type restartBackoff struct{ delay time.Duration }

// next is the delay before restarting a container that ran for ran.
func (b *restartBackoff) next(ran time.Duration) time.Duration {
	switch {
	case ran >= restartResetAfter || b.delay == 0:
		b.delay = restartFirstDelay
	default:
		b.delay = min(2*b.delay, restartMaxDelay)
	}
	return b.delay
}

package isolation

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"unsafe"

	"github.com/hull-project/hull/isolation/lease"
	"github.com/hull-project/hull/isolation/role"
	"golang.org/x/sys/unix"
)

// Start launches the container described by spec and returns once its
// command has been executed (or failed to be). The caller must call Wait.
func Start(spec *Spec, stdio Stdio) (*Process, error) {
	return StartWithHooks(spec, stdio, Hooks{})
}

// StartWithHooks is Start with hooks run at fixed points (see Hooks).
func StartWithHooks(spec *Spec, stdio Stdio, hooks Hooks) (*Process, error) {
	if err := os.MkdirAll(spec.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("create state dir %s: %w", spec.StateDir, err)
	}
	cmd, err := initCommand(spec)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, f := range cmd.ExtraFiles[2:] {
			f.Close()
		}
	}()

	specR, specW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("spec pipe: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		closeAll(specR, specW)
		return nil, fmt.Errorf("error pipe: %w", err)
	}
	cmd.ExtraFiles[0], cmd.ExtraFiles[1] = specR, errW

	proc := &Process{}
	var consoleSock *os.File
	if spec.Terminal {
		// The child opens the pty in the container's own devpts instance (so
		// the container sees /dev/pts/0, as in Docker) and sends us the
		// master over this socket.
		var child *os.File
		if consoleSock, child, err = socketPair(); err != nil {
			closeAll(specR, specW, errR, errW)
			return nil, err
		}
		defer consoleSock.Close()
		defer child.Close()
		cmd.ExtraFiles = append(cmd.ExtraFiles, child)
		spec.ConsoleFd = 2 + len(cmd.ExtraFiles)
	} else {
		cmd.Stdin, cmd.Stdout, cmd.Stderr = stdio.Stdin, stdio.Stdout, stdio.Stderr
	}

	if spec.InitFd == 5 {
		cmd, err = StartCached(cmd, 2, func() (*os.File, error) {
			mem, _, err := sealedInit()
			return mem, err
		})
	} else {
		err = cmd.Start()
	}
	closeAll(specR, errW)
	if err != nil {
		closeAll(specW, errR, proc.Console)
		return nil, startFailure(err)
	}
	proc.Pid = cmd.Process.Pid
	proc.wait = func() (ExitStatus, error) { return waitCmd(cmd) }
	if spec.Detach {
		proc.wait = func() (ExitStatus, error) {
			return ExitStatus{Code: 125}, errors.New("wait for container: a detached init is its starter's parent's to wait for")
		}
	}
	if spec.Join != nil {
		if initForks(spec) {
			proc.Pid, err = childOf(proc.Pid)
		}
		if err != nil {
			err = fmt.Errorf("join namespaces of %d: %w", spec.Join.Pid, err)
		}
	}
	if err == nil {
		err = sendSpec(specW, proc.Pid, spec, hooks)
	} else {
		specW.Close()
	}
	if err != nil {
		if why := UsernsRestriction(); why != "" {
			err = fmt.Errorf("%w: %s (%v)", ErrUserNamespaces, why, err)
		}
		errR.Close()
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
		closeAll(proc.Console)
		return nil, err
	}
	if consoleSock != nil {
		// Close our copy of the child's end so that a child that dies
		// before sending gives EOF here instead of a hang.
		closeAll(cmd.ExtraFiles[len(cmd.ExtraFiles)-1])
		proc.Console, _ = recvConsole(consoleSock)
	}
	err = readStartResult(errR)
	errR.Close()
	if err != nil && !errors.Is(err, ErrCommandNotFound) && !errors.Is(err, ErrCommandNotInvokable) && deniedErr(err) {
		// Ubuntu's AppArmor restriction lets the clone succeed and then
		// denies what the namespace's root may do: name it.
		if why := UsernsRestriction(); why != "" {
			err = fmt.Errorf("%w: %s (%v)", ErrUserNamespaces, why, err)
		}
	}
	if err != nil {
		_, _ = cmd.Process.Wait()
		closeAll(proc.Console)
		return nil, err
	}
	return proc, nil
}

// initCommand prepares the re-exec of hull as the container's init. fds 3
// and 4 are filled in by Start; a memfd copy of the binary, when used, is
// fd 5.
func initCommand(spec *Spec) (*exec.Cmd, error) {
	flags := uintptr(unix.CLONE_NEWUSER | unix.CLONE_NEWNS | unix.CLONE_NEWPID |
		unix.CLONE_NEWUTS | unix.CLONE_NEWIPC | unix.CLONE_NEWCGROUP)
	if !spec.HostNetwork {
		flags |= unix.CLONE_NEWNET
	}
	if spec.HostUTS {
		flags &^= unix.CLONE_NEWUTS
	}
	if spec.HostIPC {
		flags &^= unix.CLONE_NEWIPC
	}
	if spec.HostPID {
		flags &^= unix.CLONE_NEWPID
	}
	cmd := &exec.Cmd{
		Path:       "/proc/self/exe",
		Args:       []string{"hull", role.Init},
		Env:        []string{},
		ExtraFiles: make([]*os.File, 2),
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags: flags,
			Pdeathsig:  syscall.SIGKILL,
		},
	}
	if spec.Detach {
		// Go's check after PR_SET_PDEATHSIG (getppid() against the caller)
		// fails for a CLONE_PARENT child, and its kill(self) is then
		// ignored only by the init of a new pid namespace: never detach
		// anything else.
		if spec.Join != nil || spec.Task != nil || spec.HostPID {
			return nil, fmt.Errorf("a container that joins namespaces, keeps the host's pid namespace or is a task cannot be detached from its starter")
		}
		cmd.SysProcAttr.Cloneflags |= unix.CLONE_PARENT
	}
	if spec.Join != nil {
		return joinCommand(cmd, spec)
	}
	setMappings(cmd.SysProcAttr, spec.Mapping)
	// The small embedded init starts faster than hull itself (tasks need
	// hull's own code). A hull init that stays PID 1 (--init) stays
	// reachable as /proc/1/exe: it always runs from a sealed in-memory
	// copy, so that nothing written there can reach the user's hull binary
	// (runc CVE-2019-5736).
	if spec.Task == nil && !spec.Init && len(initBinary) > 0 {
		// While this init runs nothing of the container runs beside it,
		// and it executes the command as PID 1: a cached copy on disk,
		// checked byte for byte against the embedded one and executed
		// through the descriptor that was checked, is as safe as hull
		// itself, and saves copying it into a memfd.
		if f, err := cachedInit(filepath.Dir(spec.StateDir)); err == nil {
			cmd.ExtraFiles = append(cmd.ExtraFiles, f)
			cmd.Path = "/proc/self/fd/5"
			spec.InitFd = 5
			return cmd, nil
		}
	}
	if spec.Task == nil && (spec.Init || len(initBinary) > 0) {
		mem, _, err := sealedInit()
		if err != nil {
			return nil, err
		}
		cmd.ExtraFiles = append(cmd.ExtraFiles, mem)
		cmd.Path = "/proc/self/fd/5"
		spec.InitFd = 5
	} else if spec.Init {
		return nil, fmt.Errorf("--init cannot run a task")
	}
	return cmd, nil
}

// setMappings lets Go write a single mapping before the child's first
// execve; full mappings are written by newuidmap/newgidmap after Start.
// Then the child's first execve happens while its uid is still unmapped,
// which would clear its capabilities; raising them all as ambient
// capabilities (in the new namespace, before that execve) carries them
// across it, which saves re-executing the child once the map exists. The
// child clears the ambient set before it executes the container's command.
func setMappings(attr *syscall.SysProcAttr, m Mapping) {
	if m.IsFull() {
		attr.AmbientCaps = allCaps()
		return
	}
	for _, e := range m.UIDs {
		attr.UidMappings = append(attr.UidMappings, syscall.SysProcIDMap{ContainerID: e.ContainerID, HostID: e.HostID, Size: e.Size})
	}
	for _, e := range m.GIDs {
		attr.GidMappings = append(attr.GidMappings, syscall.SysProcIDMap{ContainerID: e.ContainerID, HostID: e.HostID, Size: e.Size})
	}
	attr.GidMappingsEnableSetgroups = false
}

// sendSpec writes the id maps when they need newuidmap, then releases the
// child with one byte followed by the spec.
func sendSpec(w *os.File, pid int, spec *Spec, hooks Hooks) error {
	defer w.Close()
	if spec.Mapping.IsFull() && spec.Join == nil {
		if err := writeMaps(pid, spec.Mapping); err != nil {
			return err
		}
	}
	if hooks.Created != nil {
		if err := hooks.Created(pid); err != nil {
			return err
		}
	}
	data, err := appendSpec(append(make([]byte, 0, 32<<10), 'm'), spec)
	if err != nil {
		return fmt.Errorf("encode spec: %w", err)
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("send spec to container init: %w", err)
	}
	return nil
}

func waitCmd(cmd *exec.Cmd) (ExitStatus, error) {
	err := cmd.Wait()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return ExitStatus{Code: 125}, fmt.Errorf("wait for container: %w", err)
	}
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return ExitStatus{Code: 128 + int(ws.Signal()), Signal: ws.Signal()}, nil
	}
	return ExitStatus{Code: ws.ExitStatus()}, nil
}

// startFailure explains why the kernel refused the new user namespace.
func startFailure(err error) error {
	if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EINVAL) {
		if why := UsernsRestriction(); why != "" {
			return fmt.Errorf("%w: %s", ErrUserNamespaces, why)
		}
	}
	return fmt.Errorf("start container init: %w", err)
}

// UsernsRestriction names the host setting that forbids unprivileged user
// namespaces, with its fix, or returns "".
func UsernsRestriction() string { return usernsRestriction("/proc/sys") }

func usernsRestriction(procSys string) string {
	read := func(p string) string {
		b, _ := os.ReadFile(filepath.Join(procSys, p))
		return string(trimSpace(b))
	}
	switch {
	case read("kernel/unprivileged_userns_clone") == "0":
		return "kernel.unprivileged_userns_clone=0 (fix: sysctl -w kernel.unprivileged_userns_clone=1; see docs/userns.md)"
	case read("user/max_user_namespaces") == "0":
		return "user.max_user_namespaces=0 (fix: sysctl -w user.max_user_namespaces=15000; see docs/userns.md)"
	case read("kernel/apparmor_restrict_unprivileged_userns") == "1":
		return "AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns=1; fix: install the AppArmor profile in docs/userns.md)"
	}
	return ""
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}

func closeAll(files ...*os.File) {
	for _, f := range files {
		if f != nil {
			_ = f.Close()
		}
	}
}

// StartCached starts cmd, which executes its ExtraFiles[i] (as
// /proc/self/fd/N): a copy from CachedCopy, checked under a read lease, or
// a sealed memfd. A copy whose lease is gone or breaking by now (a writer
// waited out lease-break-time while this hull stalled), or whose exec
// is refused (lease.ExecRefused: a writer waiting for the lease, the kernel
// counts it already; a copy its owner cut short or made unexecutable
// under the lease), is replaced by embedded(), the embedded bytes in a
// sealed memfd, and closed. It returns the command that was started, a
// new one when the first try failed so; the caller closes ExtraFiles[i]
// of that one as before.
func StartCached(cmd *exec.Cmd, i int, embedded func() (*os.File, error)) (*exec.Cmd, error) {
	swap := func() bool {
		mem, err := embedded()
		if err != nil {
			return false
		}
		cmd.ExtraFiles[i].Close()
		cmd.ExtraFiles[i] = mem
		return true
	}
	cached := strings.ContainsRune(cmd.ExtraFiles[i].Name(), '/') // a memfd's name is not a path
	if cached && !lease.Held(cmd.ExtraFiles[i]) {
		swap()
	}
	err := cmd.Start()
	if cached && lease.ExecRefused(err) && swap() {
		cmd = &exec.Cmd{Path: cmd.Path, Args: cmd.Args, Env: cmd.Env, Dir: cmd.Dir,
			Stdin: cmd.Stdin, Stdout: cmd.Stdout, Stderr: cmd.Stderr,
			ExtraFiles: cmd.ExtraFiles, SysProcAttr: cmd.SysProcAttr}
		err = cmd.Start()
	}
	return cmd, err
}

// sealedSelfCopy copies the running binary into a memfd sealed against any
// further change.
func sealedSelfCopy() (*os.File, error) {
	self, err := os.Open("/proc/self/exe")
	if err != nil {
		return nil, fmt.Errorf("open own binary: %w", err)
	}
	defer self.Close()
	return lease.SealedMemfd("hull-init", self)
}

// SealedMemfd copies data into a memfd named name, sealed against any
// further change (what to execute when no cached copy can be made).
func SealedMemfd(name string, data []byte) (*os.File, error) {
	return lease.SealedMemfd(name, bytes.NewReader(data))
}

// sealedInit returns a sealed memfd holding the small init binary embedded
// at build time, or, without one, a sealed copy of the running binary.
// small reports which.
func sealedInit() (f *os.File, small bool, err error) {
	if len(initBinary) == 0 {
		f, err = sealedSelfCopy()
		return f, false, err
	}
	f, err = lease.SealedMemfd("hull-init", bytes.NewReader(initBinary))
	return f, true, err
}

// cachedInit returns the embedded init binary from its verified copy in
// dir (CachedCopy).
func cachedInit(dir string) (*os.File, error) { return CachedCopy(dir, "hull-init", initBinary) }

// CachedCopy returns data, an executable embedded at build time, from its
// copy named .NAME-… in dir (a private runtime directory), opened
// read-only, after checking that the copy holds exactly data: a copy
// changed behind hull's back is replaced, never run. The caller executes
// the returned descriptor (/proc/self/fd/N in the child), not the path,
// so the file checked is the file run. Core runs the small monitor
// binary this way too.
func CachedCopy(dir, name string, data []byte) (*os.File, error) {
	// The name only finds the copy of this hull binary's init quickly
	// (hashing the init on every start would cost more than the copy
	// saves); the check below is what makes it safe.
	st, err := os.Stat("/proc/self/exe")
	if err != nil {
		return nil, err
	}
	sys, _ := st.Sys().(*syscall.Stat_t)
	if sys == nil {
		return nil, fmt.Errorf("no stat of own binary")
	}
	path := filepath.Join(dir, fmt.Sprintf(".%s-%x-%x-%x", name, sys.Ino, st.Size(), st.ModTime().UnixNano()))
	f, err := openVerified(path, data)
	if err == nil || errors.Is(err, lease.ErrUnsupported) {
		return f, err // without a lease, the caller runs a sealed memfd
	}
	// No fork may happen while the file is open for writing: a child that
	// inherited the descriptor (until its own exec) would make executing
	// the file fail with ETXTBSY.
	syscall.ForkLock.Lock()
	tmp, err := os.CreateTemp(dir, ".tmp-"+name+"-")
	if err == nil {
		_, err = tmp.Write(data)
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
	}
	syscall.ForkLock.Unlock()
	if err != nil {
		if tmp != nil {
			os.Remove(tmp.Name())
		}
		return nil, err
	}
	err = os.Chmod(tmp.Name(), 0o500)
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return nil, err
	}
	return openVerified(path, data)
}

// openVerified opens path (not following a symlink) and returns it only
// when it is a regular file holding exactly data, checked under a read
// lease (isolation/lease): no one can change it until the caller, which
// executes the returned descriptor, has executed it and closed it. A copy
// some process holds open for writing is refused (the caller writes a new
// one). The file is compared through a populated read-only mapping: it
// costs no heap and no page fault per page, which matters on every start.
func openVerified(path string, data []byte) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	// A copy its owner made unexecutable is written again, not run
	// (StartCached would run the embedded bytes at every start).
	if err == nil && (!fi.Mode().IsRegular() || fi.Size() != int64(len(data)) || fi.Mode().Perm()&0o500 != 0o500) {
		err = fmt.Errorf("%s: not the embedded binary", path)
	}
	if err == nil {
		err = lease.Hold(f)
	}
	if err == nil {
		err = sameAs(f, path, data)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// sameAs reports whether f holds exactly data, through a populated
// read-only mapping. The owner can cut the file short under the read
// lease (an open O_RDONLY|O_TRUNC breaks no read lease): a page past the
// new end then faults (SIGBUS), which is read as a copy that is not the
// embedded binary, not a crash of hull.
func sameAs(f *os.File, path string, data []byte) (err error) {
	m, err := unix.Mmap(int(f.Fd()), 0, len(data), unix.PROT_READ, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer unix.Munmap(m)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if recover() != nil {
			err = fmt.Errorf("%s: changed while checked, not the embedded binary", path)
		}
	}()
	populate(data)
	if !bytes.Equal(m, data) {
		return fmt.Errorf("%s: not the embedded binary", path)
	}
	return nil
}

// deniedErr reports whether a setup error reads like a refused privilege.
func deniedErr(err error) bool {
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "not permitted") || strings.Contains(msg, "permission denied")
}

// populate maps the pages of data (the embedded bytes, in hull's own
// binary) in one call before sameAs reads them all, instead of a page
// fault every few pages: 77 -> 72 ms of CPU per `hull run --rm` in
// interleaved rounds (docs/speed.md). Advice only: a kernel without
// MADV_POPULATE_READ (before 5.14) refuses it, and the faults happen as
// before.
func populate(data []byte) {
	if len(data) == 0 {
		return
	}
	first := uintptr(unsafe.Pointer(&data[0]))
	start := first &^ uintptr(os.Getpagesize()-1)
	end := first + uintptr(len(data))
	_, _, _ = unix.Syscall(unix.SYS_MADVISE, start, end-start, unix.MADV_POPULATE_READ)
}

package seccomp

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// emuChildEnv makes the test binary a root-emulation child in a user
// namespace with a single-id mapping; its value names what to load (see
// emuModes). emuDirEnv is a directory the child may write in.
const (
	emuChildEnv = "HULL_ROOTEMU_TEST_CHILD"
	emuDirEnv   = "HULL_ROOTEMU_TEST_DIR"
)

// The child runs from init, before TestMain, so that load_test.go's
// TestMain needs no knowledge of it; it never returns.
func init() {
	if mode := os.Getenv(emuChildEnv); mode != "" {
		if err := emuChild(mode, os.Getenv(emuDirEnv)); err != nil {
			fmt.Fprintf(os.Stderr, "root emulation child (%s): %v\n", mode, err)
			os.Exit(3)
		}
		os.Exit(0)
	}
}

// TestRootEmulationLoaded: RootEmulation then Docker's default profile
// (the recommended order): the id and device calls succeed and change
// nothing, FIFOs and regular files are still created, the profile still
// refuses what it refuses.
func TestRootEmulationLoaded(t *testing.T) { runEmuChild(t, "emulated") }

// TestRootEmulationLoadedAfterDefault: the other order gives the same
// result, because ERRNO(0) beats the profile's ALLOW whichever filter came
// first.
func TestRootEmulationLoadedAfterDefault(t *testing.T) { runEmuChild(t, "emulated-after") }

// TestWithoutRootEmulation: the same calls under the default profile alone
// fail, so the success above is the filter's doing.
func TestWithoutRootEmulation(t *testing.T) { runEmuChild(t, "plain") }

// TestRootEmulationStacking proves the kernel's rule for two ERRNO results
// (seccomp_run_filters walks from the newest filter to the oldest and only
// replaces its result with a strictly lower action): the newest filter's
// errno wins. A profile that refuses fchownat with EACCES therefore keeps
// its EACCES when it is loaded after RootEmulation, and loses to errno 0
// when loaded before it.
func TestRootEmulationStacking(t *testing.T) {
	t.Run("profile last", func(t *testing.T) { runEmuChild(t, "tie-emu-first") })
	t.Run("emulation last", func(t *testing.T) { runEmuChild(t, "tie-emu-last") })
}

func runEmuChild(t *testing.T, mode string) {
	t.Helper()
	if !Supported() {
		t.Skip("seccomp filters are not supported here")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), emuChildEnv+"="+mode, emuDirEnv+"="+t.TempDir())
	// The single-id mapping a user without a subuid range gets: only
	// container root exists. Go writes "deny" to setgroups, as an
	// unprivileged parent must.
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) || errors.Is(err, unix.ENOSPC) {
			t.Skipf("no user namespace here: %v", err)
		}
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child (%s): %v\n%s", mode, err, stderr.String())
	}
}

// emuModes are what each child loads, in order, and what it checks.
var emuModes = map[string]struct {
	load  []func() (*Filter, error)
	check func(dir string) error
}{
	"emulated":       {[]func() (*Filter, error){RootEmulation, dockerDefault}, checkEmulated},
	"emulated-after": {[]func() (*Filter, error){dockerDefault, RootEmulation}, checkEmulated},
	"plain":          {[]func() (*Filter, error){dockerDefault}, checkNotEmulated},
	"tie-emu-first":  {[]func() (*Filter, error){RootEmulation, refuseChown}, chownErrno(unix.EACCES)},
	"tie-emu-last":   {[]func() (*Filter, error){refuseChown, RootEmulation}, chownErrno(0)},
}

func dockerDefault() (*Filter, error) { return Default(dockerCaps) }

// refuseChown is a profile that allows everything but fchownat, which it
// refuses with EACCES.
func refuseChown() (*Filter, error) {
	return FromProfileJSON([]byte(`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["fchownat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}`), nil)
}

func emuChild(mode, dir string) error {
	m, ok := emuModes[mode]
	if !ok {
		return fmt.Errorf("unknown mode %q", mode)
	}
	runtime.LockOSThread()
	if err := checkSingleMapping(); err != nil {
		return err
	}
	// No no_new_privs: like hull's init, the child is root in its own user
	// namespace and may load filters with the CAP_SYS_ADMIN it has there.
	for _, load := range m.load {
		f, err := load()
		if err != nil {
			return err
		}
		if err := f.Load(); err != nil {
			return err
		}
	}
	return m.check(dir)
}

// checkSingleMapping makes sure the test means what it says: the child is
// root of a namespace where no other id exists.
func checkSingleMapping() error {
	for _, file := range []string{"/proc/self/uid_map", "/proc/self/gid_map"} {
		data, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		if f := strings.Fields(string(data)); len(f) != 3 || f[0] != "0" || f[2] != "1" {
			return fmt.Errorf("%s = %q, want a single id mapped to 0", file, data)
		}
	}
	if unix.Getuid() != 0 || unix.Getgid() != 0 {
		return fmt.Errorf("ids %d:%d, want 0:0", unix.Getuid(), unix.Getgid())
	}
	return nil
}

func checkEmulated(dir string) error {
	file, err := newFile(dir)
	if err != nil {
		return err
	}
	groups, err := unix.Getgroups()
	if err != nil {
		return err
	}
	for _, c := range []struct {
		what string
		err  error
	}{
		{"chown(file, 1234, 1234)", rawChown(unix.SYS_CHOWN, file, 1234, 1234)},
		{"lchown(file, 1234, 1234)", rawChown(unix.SYS_LCHOWN, file, 1234, 1234)},
		{"fchownat(file, 1234, 1234)", unix.Fchownat(unix.AT_FDCWD, file, 1234, 1234, 0)},
		{"fchown(fd, 1234, 1234)", fchown(file, 1234, 1234)},
		{"setuid(1000)", errnoOf(unix.RawSyscall(unix.SYS_SETUID, 1000, 0, 0))},
		{"setgid(1000)", errnoOf(unix.RawSyscall(unix.SYS_SETGID, 1000, 0, 0))},
		{"setresuid(1000, 1000, 1000)", errnoOf(unix.RawSyscall(unix.SYS_SETRESUID, 1000, 1000, 1000))},
		{"setresgid(1000, 1000, 1000)", errnoOf(unix.RawSyscall(unix.SYS_SETRESGID, 1000, 1000, 1000))},
		{"setgroups([5])", setgroups(5)},
		{"mknod(char 1:3)", rawMknod(filepath.Join(dir, "null"), unix.S_IFCHR|0o666, unix.Mkdev(1, 3))},
		{"mknodat(block 7:0)", unix.Mknodat(unix.AT_FDCWD, filepath.Join(dir, "loop0"), unix.S_IFBLK|0o660, int(unix.Mkdev(7, 0)))},
	} {
		if c.err != nil {
			return fmt.Errorf("%s = %v, want success", c.what, c.err)
		}
	}
	if err := ownedBy(file, 0, 0); err != nil {
		return fmt.Errorf("after faked chowns: %w", err)
	}
	if uid, euid, gid := unix.Getuid(), unix.Geteuid(), unix.Getgid(); uid != 0 || euid != 0 || gid != 0 {
		return fmt.Errorf("after faked setuid: uid %d euid %d gid %d, want 0", uid, euid, gid)
	}
	if now, err := unix.Getgroups(); err != nil || !slices.Equal(now, groups) {
		return fmt.Errorf("after faked setgroups: groups %v (%v), want %v", now, err, groups)
	}
	// A faked device node is not there: nothing was created.
	for _, name := range []string{"null", "loop0"} {
		var st unix.Stat_t
		if err := unix.Lstat(filepath.Join(dir, name), &st); !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("faked device %s: lstat = %v (mode %#o), want ENOENT", name, err, st.Mode)
		}
	}
	if err := checkRealNodes(dir); err != nil {
		return err
	}
	return checkProfileStillLoaded()
}

func checkNotEmulated(dir string) error {
	file, err := newFile(dir)
	if err != nil {
		return err
	}
	for _, c := range []struct {
		what string
		err  error
		want unix.Errno
	}{
		{"chown(file, 1234, 1234)", rawChown(unix.SYS_CHOWN, file, 1234, 1234), unix.EINVAL},
		{"fchownat(file, 1234, 1234)", unix.Fchownat(unix.AT_FDCWD, file, 1234, 1234, 0), unix.EINVAL},
		{"setuid(1000)", errnoOf(unix.RawSyscall(unix.SYS_SETUID, 1000, 0, 0)), unix.EINVAL},
		{"setgroups([5])", setgroups(5), unix.EPERM},
		{"mknod(char 1:3)", rawMknod(filepath.Join(dir, "null"), unix.S_IFCHR|0o666, unix.Mkdev(1, 3)), unix.EPERM},
	} {
		if !errors.Is(c.err, c.want) {
			return fmt.Errorf("without root emulation, %s = %v, want %v", c.what, c.err, c.want)
		}
	}
	return checkRealNodes(dir)
}

// checkRealNodes: FIFOs and regular files are created for real with or
// without the emulation.
func checkRealNodes(dir string) error {
	fifo, reg := filepath.Join(dir, "fifo"), filepath.Join(dir, "regular")
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		return fmt.Errorf("mkfifo: %w", err)
	}
	if err := rawMknod(reg, unix.S_IFREG|0o644, 0); err != nil {
		return fmt.Errorf("mknod(regular): %w", err)
	}
	for path, want := range map[string]uint32{fifo: unix.S_IFIFO, reg: unix.S_IFREG} {
		var st unix.Stat_t
		if err := unix.Lstat(path, &st); err != nil {
			return fmt.Errorf("node made for real: %w", err)
		}
		if st.Mode&unix.S_IFMT != want {
			return fmt.Errorf("%s: type %#o, want %#o", path, st.Mode&unix.S_IFMT, want)
		}
	}
	return nil
}

// checkProfileStillLoaded: the emulation does not open anything the
// default profile closes.
func checkProfileStillLoaded() error {
	err := errnoOf(unix.Syscall(unix.SYS_KEYCTL, unix.KEYCTL_GET_KEYRING_ID, 0, 0))
	if !errors.Is(err, unix.EPERM) {
		return fmt.Errorf("keyctl = %v, want EPERM from the default profile", err)
	}
	return nil
}

// chownErrno checks what fchownat returns when two filters give ERRNO.
func chownErrno(want unix.Errno) func(dir string) error {
	return func(dir string) error {
		file, err := newFile(dir)
		if err != nil {
			return err
		}
		cwd, p := unix.AT_FDCWD, cstr(file)
		_, _, got := unix.Syscall6(unix.SYS_FCHOWNAT, uintptr(cwd), uintptr(unsafe.Pointer(p)), 1234, 1234, 0, 0)
		runtime.KeepAlive(p)
		if got != want {
			return fmt.Errorf("fchownat under both filters = errno %d (%v), want %d", got, got, want)
		}
		return ownedBy(file, 0, 0)
	}
}

func newFile(dir string) (string, error) {
	path := filepath.Join(dir, "file")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		return "", err
	}
	return path, ownedBy(path, 0, 0)
}

func ownedBy(path string, uid, gid uint32) error {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return err
	}
	if st.Uid != uid || st.Gid != gid {
		return fmt.Errorf("%s owned by %d:%d, want %d:%d", path, st.Uid, st.Gid, uid, gid)
	}
	return nil
}

func cstr(s string) *byte {
	p, _ := unix.BytePtrFromString(s)
	return p
}

// rawChown calls chown or lchown itself: x/sys/unix implements both with
// fchownat on amd64, and the point is to test the legacy syscalls too.
func rawChown(nr uintptr, path string, uid, gid int) error {
	p := cstr(path)
	err := errnoOf(unix.Syscall(nr, uintptr(unsafe.Pointer(p)), uintptr(uid), uintptr(gid)))
	runtime.KeepAlive(p)
	return err
}

func rawMknod(path string, mode uint32, dev uint64) error {
	p := cstr(path)
	err := errnoOf(unix.Syscall(unix.SYS_MKNOD, uintptr(unsafe.Pointer(p)), uintptr(mode), uintptr(dev)))
	runtime.KeepAlive(p)
	return err
}

func fchown(path string, uid, gid int) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Fchown(int(f.Fd()), uid, gid)
}

// setgroups calls the syscall on this thread only: syscall.Setgroups
// would run it on every thread.
func setgroups(gids ...uint32) error {
	return errnoOf(unix.RawSyscall(unix.SYS_SETGROUPS, uintptr(len(gids)), uintptr(unsafe.Pointer(&gids[0])), 0))
}

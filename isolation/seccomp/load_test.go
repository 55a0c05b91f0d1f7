package seccomp

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// childEnv makes the test binary act as a filtered child instead of
// running tests: a loaded filter cannot be removed, so every real load
// happens in a re-executed copy of this binary. Its value names the
// capability set to compile for: "docker" or "sysadmin".
const childEnv = "HULL_SECCOMP_TEST_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		if err := child(mode); err != nil {
			fmt.Fprintf(os.Stderr, "seccomp child: %v\n", err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func runChild(t *testing.T, mode string) {
	t.Helper()
	if !Supported() {
		t.Skip("seccomp filters are not supported here")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if err != nil {
		t.Fatalf("child (%s): %v\n%s", mode, err, stderr.String())
	}
}

// TestLoadDocker loads the filter for Docker's capabilities and checks the
// kernel enforces it.
func TestLoadDocker(t *testing.T) { runChild(t, "docker") }

// TestLoadSysAdmin checks that with CAP_SYS_ADMIN the same calls reach the
// kernel.
func TestLoadSysAdmin(t *testing.T) { runChild(t, "sysadmin") }

func child(mode string) error {
	runtime.LockOSThread()
	caps := dockerCaps
	if mode == "sysadmin" {
		caps = withSysAdmin
	}
	f, err := Default(caps)
	if err != nil {
		return err
	}
	// As a container's init would with no-new-privileges; it also means the
	// test does not depend on CAP_SYS_ADMIN.
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("set no_new_privs: %w", err)
	}
	if err := f.Load(); err != nil {
		return err
	}
	checks := []func() error{checkAllThreadsFiltered, checkAllowed, checkDenied}
	if mode == "sysadmin" {
		checks = []func() error{checkAllThreadsFiltered, checkAllowed, checkSysAdmin}
	}
	for _, check := range checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// checkAllThreadsFiltered reads every thread's status: TSYNC must have put
// the filter on all of them.
func checkAllThreadsFiltered() error {
	tasks, err := filepath.Glob("/proc/self/task/*/status")
	if err != nil || len(tasks) < 2 {
		return fmt.Errorf("list threads: %v (%d found)", err, len(tasks))
	}
	for _, path := range tasks {
		status, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if !strings.Contains(string(status), "\nSeccomp:\t2\n") {
			return fmt.Errorf("%s: not in seccomp filter mode", path)
		}
	}
	return nil
}

func checkAllowed() error {
	if unix.Getpid() != os.Getpid() || unix.Getpid() <= 0 {
		return errors.New("getpid")
	}
	path := filepath.Join(os.TempDir(), fmt.Sprintf("hull-seccomp-%d", os.Getpid()))
	defer os.Remove(path)
	if err := os.WriteFile(path, []byte("ok"), 0o600); err != nil {
		return fmt.Errorf("open and write a file: %w", err)
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		return fmt.Errorf("socket(AF_UNIX): %w", err)
	}
	unix.Close(fd)
	// Go starts threads with clone without namespace flags.
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		close(done)
	}()
	<-done
	return nil
}

func checkDenied() error {
	for _, c := range []struct {
		what string
		err  error
		want unix.Errno
	}{
		{"unshare(CLONE_NEWUSER)", unix.Unshare(unix.CLONE_NEWUSER), unix.EPERM},
		{"keyctl", errnoOf(unix.Syscall(unix.SYS_KEYCTL, unix.KEYCTL_GET_KEYRING_ID, 0, 0)), unix.EPERM},
		{"add_key", errnoOf(addKey()), unix.EPERM},
		{"socket(AF_VSOCK)", errnoOf(unix.Syscall(unix.SYS_SOCKET, unix.AF_VSOCK, unix.SOCK_STREAM, 0)), unix.EPERM},
		{"clone3", errnoOf(unix.Syscall(unix.SYS_CLONE3, 0, 0, 0)), unix.ENOSYS},
		{"syscall 1000", errnoOf(unix.Syscall(1000, 0, 0, 0)), unix.ENOSYS},
		{"personality(PER_BSD)", errnoOf(unix.Syscall(unix.SYS_PERSONALITY, 6, 0, 0)), unix.EPERM},
	} {
		if !errors.Is(c.err, c.want) {
			return fmt.Errorf("%s = %v, want %v", c.what, c.err, c.want)
		}
	}
	return nil
}

// checkSysAdmin: with CAP_SYS_ADMIN the filter lets unshare through, and
// the kernel refuses it for its own reason (a Go process has threads).
func checkSysAdmin() error {
	if err := unix.Unshare(unix.CLONE_NEWUSER); !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("unshare(CLONE_NEWUSER) with CAP_SYS_ADMIN = %v, want EINVAL from the kernel", err)
	}
	return nil
}

func addKey() (uintptr, uintptr, unix.Errno) {
	typ, desc := []byte("user\x00"), []byte("hull-test\x00")
	keyring := int32(unix.KEY_SPEC_PROCESS_KEYRING)
	return unix.Syscall6(unix.SYS_ADD_KEY, uintptr(unsafe.Pointer(&typ[0])), uintptr(unsafe.Pointer(&desc[0])),
		0, 0, uintptr(keyring), 0)
}

func errnoOf(_, _ uintptr, errno unix.Errno) error {
	if errno == 0 {
		return nil
	}
	return errno
}

package isolation

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/hull-project/hull/isolation/lease"
)

// A copy cut short after its size was checked (the owner's open
// O_RDONLY|O_TRUNC, which breaks no read lease) is a copy that is not the
// embedded binary: the check's mapping faults past the new end, which
// must not crash hull (it did: SIGBUS in sameAs, 14 of 30 runs beside a
// loop truncating the cached init).
func TestSameAsCopyCutShort(t *testing.T) {
	data := bytes.Repeat([]byte("init"), 8192)
	path := filepath.Join(t.TempDir(), "copy")
	if err := os.WriteFile(path, data, 0o500); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := sameAs(f, path, data); err != nil {
		t.Fatalf("the copy as written: %v", err)
	}
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	if err := sameAs(f, path, data); err == nil {
		t.Fatal("a copy cut short passed the check")
	}
}

// A checked copy that its owner cuts short or makes unexecutable under
// the lease before the exec (ENOEXEC, EACCES) is replaced by the embedded
// bytes, as one a writer waits on (ETXTBSY) is: the start succeeds.
func TestStartCachedCopySpoiledUnderLease(t *testing.T) {
	exe, err := exec.LookPath("true")
	if err != nil {
		t.Skip("no true(1)")
	}
	prog, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	for _, spoil := range []struct {
		name string
		fn   func(path string) error
	}{
		{"cut short", func(path string) error {
			fd, err := unix.Open(path, unix.O_RDONLY|unix.O_TRUNC|unix.O_NONBLOCK, 0)
			if err == nil {
				unix.Close(fd)
			}
			return err
		}},
		{"not executable", func(path string) error { return os.Chmod(path, 0o600) }},
	} {
		path := filepath.Join(t.TempDir(), "copy")
		if err := os.WriteFile(path, prog, 0o700); err != nil {
			t.Fatal(err)
		}
		f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := lease.Hold(f); errors.Is(err, lease.ErrUnsupported) {
			f.Close()
			t.Skip("no leases here")
		} else if err != nil {
			t.Fatal(err)
		}
		if err := spoil.fn(path); errors.Is(err, unix.EWOULDBLOCK) {
			f.Close()
			t.Skipf("%s: this kernel breaks a read lease for it", spoil.name)
		} else if err != nil {
			t.Fatalf("%s: %v", spoil.name, err)
		}
		if !lease.Held(f) {
			f.Close()
			t.Skipf("%s: this kernel breaks a read lease for it", spoil.name)
		}
		cmd := &exec.Cmd{Path: "/proc/self/fd/3", Args: []string{"true"}, ExtraFiles: []*os.File{f}}
		embedded := func() (*os.File, error) { return SealedMemfd("true", prog) }
		cmd, err = StartCached(cmd, 0, embedded)
		if err != nil {
			t.Fatalf("%s: %v", spoil.name, err)
		}
		err = cmd.Wait()
		cmd.ExtraFiles[0].Close()
		if err != nil {
			t.Fatalf("%s: %v", spoil.name, err)
		}
	}
}

// A copy its owner made unexecutable is written again, not handed to a
// start that would then run the embedded bytes from memory every time.
func TestCachedCopyNotExecutableReplaced(t *testing.T) {
	dir, data := t.TempDir(), bytes.Repeat([]byte("init"), 4096)
	f, err := CachedCopy(dir, "x", data)
	if err != nil {
		t.Skip(err) // no leases here
	}
	f.Close()
	if err := os.Chmod(f.Name(), 0o400); err != nil {
		t.Fatal(err)
	}
	f, err = CachedCopy(dir, "x", data)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || fi.Mode().Perm() != 0o500 {
		t.Fatalf("the copy returned: %v, %v", fi, err)
	}
}

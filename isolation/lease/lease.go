// Package lease keeps a cached executable from changing between the check
// of its content and its exec.
//
// Hull runs embedded binaries (the init, the monitor, the full and app
// hulls) from copies cached in the user's directories, checked against
// the embedded bytes before each exec. Another process of the user (a
// container whose root is the user, writing through a bind mount of the
// cache) could rewrite the copy after the check and before the exec, and
// have its own code run as the user on the host. A read lease closes that
// window: it is granted only while no one has the file open for writing
// (or mapped writable), and once held, whoever opens the file for writing
// or truncates it waits until the lease is let go (up to the system's
// lease-break-time). The lease lasts while a descriptor of the open file
// holds it: the caller checks the file under it, does nothing else that
// could stall, checks that the lease still holds (Held), then executes
// /proc/self/fd/N of that descriptor, and the kernel denies writes to an
// executable being run (ETXTBSY) before the descriptor is closed.
//
// One change gets past a read lease: open(O_RDONLY|O_TRUNC) by the
// file's owner (after a chmod u+w) truncates it without breaking the
// lease. That can only shorten the file, never put other code in it: the
// callers read a fault while checking it as a mismatch and an exec it
// makes fail (ENOEXEC, or EACCES after a chmod) as a reason to run the
// embedded bytes from a sealed memfd (isolation.StartCached, appbin).
package lease

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// ErrOpenForWriting means a process has the file open for writing or
// mapped writable: it must not be trusted, however it reads now.
var ErrOpenForWriting = errors.New("open for writing by another process")

// ErrUnsupported means the file system or the system grants no leases
// (leases-enable off, NFS, some FUSE file systems): the caller runs a
// sealed in-memory copy instead.
var ErrUnsupported = errors.New("file leases unsupported here")

// Hold takes a read lease on f, which must be open read-only and owned by
// the caller. It holds until f and every duplicate of it are closed.
func Hold(f *os.File) error { return hold(int(f.Fd())) }

func hold(fd int) error {
	_, err := unix.FcntlInt(uintptr(fd), unix.F_SETLEASE, unix.F_RDLCK)
	switch {
	case err == nil:
		// Taking a lease makes this process the one told of a break
		// (SIGIO): no one is, a break only waits out the lease. A hull
		// that relays signals to its container would pass it on.
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETOWN, 0); err != nil {
			return fmt.Errorf("lease: %w", err)
		}
		return nil
	case errors.Is(err, unix.EAGAIN), errors.Is(err, unix.EBUSY):
		return ErrOpenForWriting
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOLCK), errors.Is(err, unix.EACCES), errors.Is(err, unix.ENOSYS):
		return fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	return fmt.Errorf("lease: %w", err)
}

// Held reports whether f still holds its read lease, with no break under
// way: a writer that has waited out the system's lease-break-time (a
// caller stalled that long between its check and its exec) could have
// changed the file. Callers check it last, just before the exec, and run
// a sealed in-memory copy of the embedded bytes when it is false.
func Held(f *os.File) bool {
	t, err := unix.FcntlInt(f.Fd(), unix.F_GETLEASE, 0)
	return err == nil && t == unix.F_RDLCK
}

// ExecRefused reports whether the exec of a checked copy failed in a way
// its owner can cause under the lease, which a sealed in-memory copy of
// the embedded bytes does not meet: a writer waiting for the lease
// (ETXTBSY: the kernel counts it already), the copy cut short by an open
// O_RDONLY|O_TRUNC (ENOEXEC) or its mode changed (EACCES).
func ExecRefused(err error) bool {
	return errors.Is(err, unix.ETXTBSY) || errors.Is(err, unix.ENOEXEC) || errors.Is(err, unix.EACCES)
}

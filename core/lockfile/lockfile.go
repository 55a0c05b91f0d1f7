// Package lockfile is the one flock helper of hull's stores: every store
// (images, containers, volumes, pods, networks) serialises its writers
// across hull processes with an exclusive flock on a file of its own. A
// lock is tied to an open file description, so it goes away with the
// process that held it, even after kill -9: nothing is left to clean up.
package lockfile

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Lock takes an exclusive flock on path, creating the file (0600), waits
// for any other holder, and returns the function that releases it. what
// names the object for the error ("lock volume store: ...").
func Lock(path, what string) (release func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", what, err)
	}
	if err := Flock(f, unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", what, err)
	}
	return func() { f.Close() }, nil // closing the file drops the lock
}

// Flock is flock(2) on f, retried when a signal interrupts the wait.
func Flock(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		if err != unix.EINTR {
			return err
		}
	}
}

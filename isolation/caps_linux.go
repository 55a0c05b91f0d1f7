package isolation

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// hasSysAdmin reports whether the calling thread has CAP_SYS_ADMIN in its
// effective set.
func hasSysAdmin() bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return false
	}
	return data[0].Effective&(1<<unix.CAP_SYS_ADMIN) != 0
}

// reexec replaces the process with a fresh copy of the same binary, keeping
// every inherited descriptor.
func reexec(args []string) error {
	if err := unix.Exec("/proc/self/exe", args, os.Environ()); err != nil {
		return fmt.Errorf("re-exec for capabilities: %w", err)
	}
	return errNoReexec
}

// allCaps lists every capability the running kernel knows.
func allCaps() []uintptr {
	last := unix.CAP_LAST_CAP
	if b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap"); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			last = n
		}
	}
	caps := make([]uintptr, 0, last+1)
	for c := 0; c <= last; c++ {
		caps = append(caps, uintptr(c))
	}
	return caps
}

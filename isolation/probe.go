package isolation

import (
	"os"
	"os/exec"

	"golang.org/x/sys/unix"
)

// ProbeRootfsDriver names the root filesystem driver a container will most
// likely get, without starting one: native overlay from kernel 5.11 on (it
// may still be refused, and then the child falls back), else
// fuse-overlayfs when it and /dev/fuse are usable, else copy.
func ProbeRootfsDriver() string {
	if kernelAtLeast(5, 11) {
		return "overlay"
	}
	if _, err := exec.LookPath("fuse-overlayfs"); err == nil {
		if f, err := os.OpenFile("/dev/fuse", os.O_RDWR, 0); err == nil {
			f.Close()
			return "fuse-overlayfs"
		}
	}
	return "copy"
}

// KernelRelease is uname -r.
func KernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "unknown"
	}
	return unix.ByteSliceToString(u.Release[:])
}

func kernelAtLeast(major, minor int) bool {
	var a, b int
	for i, n := 0, 0; i < len(KernelRelease()); i++ {
		c := KernelRelease()[i]
		if c >= '0' && c <= '9' {
			if n == 0 {
				a = a*10 + int(c-'0')
			} else {
				b = b*10 + int(c-'0')
			}
			continue
		}
		if c != '.' || n == 1 {
			break
		}
		n++
	}
	return a > major || (a == major && b >= minor)
}

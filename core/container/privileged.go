package container

import (
	"os"
	"path"
	"sort"

	"golang.org/x/sys/unix"
)

// privilegedDevices are the host's device nodes under /dev (and one level
// of directories: /dev/net/tun, /dev/dri/…) that this user may open for
// reading and writing: what rootless --privileged adds, as Podman does.
// A device the user cannot open would be of no use in the container
// either (the kernel checks the host's permissions), so it is left out.
// The pty and console devices stay the container's own.
func privilegedDevices() []string {
	var out []string
	var walk func(dir string, dfd int, depth int)
	walk = func(dir string, dfd int, depth int) {
		// Each entry is checked through the directory's descriptor: a
		// name is never joined into a path that a file-system call
		// resolves again.
		f := os.NewFile(uintptr(dfd), dir)
		defer f.Close()
		entries, err := f.ReadDir(-1)
		if err != nil {
			return
		}
		for _, e := range entries {
			p := path.Join(dir, e.Name())
			if skipDevice[p] {
				continue
			}
			switch t := e.Type(); {
			case t&os.ModeDir != 0 && depth == 0:
				sub, err := unix.Openat(dfd, e.Name(), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
				if err == nil {
					walk(p, sub, 1)
				}
			case t&os.ModeDevice != 0 && unix.Faccessat(dfd, e.Name(), unix.R_OK|unix.W_OK, 0) == nil:
				out = append(out, p)
			}
		}
	}
	if dfd, err := unix.Open("/dev", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err == nil {
		walk("/dev", dfd, 0)
	}
	sort.Strings(out)
	return out
}

// skipDevice: what the container's /dev already has, or must have as its
// own (its devpts, its shm and mqueue, its console).
var skipDevice = map[string]bool{
	"/dev/null": true, "/dev/zero": true, "/dev/full": true, "/dev/random": true, "/dev/urandom": true,
	"/dev/tty": true, "/dev/console": true, "/dev/ptmx": true, "/dev/pts": true, "/dev/shm": true,
	"/dev/mqueue": true, "/dev/fd": true,
}

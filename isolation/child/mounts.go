package child

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hull-project/hull/isolation"
	"golang.org/x/sys/unix"
)

const noSuidDevExec = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC

// mountProc mounts a new procfs instance. Precondition: this process is
// in the container's pid namespace (PID 1 of a new one, or a joined one),
// owned by its user namespace. With --pid host that pid namespace belongs
// to no user namespace of ours, where the kernel refuses a new proc: the
// host's /proc is bound with what is mounted under it, as rootless
// Podman does; maskPaths and the read-only paths cover it afterwards.
func mountProc(spec *isolation.Spec) error {
	if spec.HostPID {
		return mountAt(spec.Rootfs.MountDir, "/proc", false, "/proc", "", unix.MS_BIND|unix.MS_REC, "")
	}
	return mountAt(spec.Rootfs.MountDir, "/proc", false, "proc", "proc", noSuidDevExec, "")
}

// hostDevices are bound from the host's /dev: an unprivileged user
// namespace cannot mknod them. /dev/tty is added only with a terminal of
// the container's own: without one the container has no controlling
// terminal (it runs in a session of its own) and no business with the
// user's.
var hostDevices = []string{"null", "zero", "full", "random", "urandom"}

// devLinks are the symlinks of a standard /dev.
var devLinks = map[string]string{
	"ptmx": "pts/ptmx", "fd": "/proc/self/fd", "stdin": "/proc/self/fd/0",
	"stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2", "core": "/proc/kcore",
}

// mountDev builds a minimal /dev on a tmpfs. Precondition: the image's
// /dev, if any, is a directory (checkMountPoints).
func mountDev(spec *isolation.Spec) error {
	root := spec.Rootfs.MountDir
	if err := mountAt(root, "/dev", false, "tmpfs", "tmpfs", unix.MS_NOSUID|unix.MS_STRICTATIME, "mode=755,size=65536k"); err != nil {
		return err
	}
	devices := hostDevices
	if spec.Terminal {
		devices = append(devices[:len(devices):len(devices)], "tty")
	}
	for _, d := range devices {
		if err := mountAt(root, "/dev/"+d, true, "/dev/"+d, "", unix.MS_BIND, ""); err != nil {
			return err
		}
	}
	ptsOpts := "newinstance,ptmxmode=0666,mode=0620"
	if mapsID(spec.Mapping.GIDs, 5) {
		ptsOpts += ",gid=5"
	}
	if err := mountAt(root, "/dev/pts", false, "devpts", "devpts", unix.MS_NOSUID|unix.MS_NOEXEC, ptsOpts); err != nil {
		return err
	}
	shm := int64(64 << 20)
	if spec.ShmSize > 0 {
		shm = spec.ShmSize
	}
	if sharedShm >= 0 {
		if err := mountSharedShm(root); err != nil {
			return err
		}
	} else if spec.HostIPC {
		// The host's IPC namespace: its POSIX shared memory too, as Podman.
		if err := mountAt(root, "/dev/shm", false, "/dev/shm", "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return err
		}
	} else if err := mountAt(root, "/dev/shm", false, "shm", "tmpfs", noSuidDevExec, fmt.Sprintf("mode=1777,size=%d", shm)); err != nil {
		return err
	}
	// mqueue needs the new ipc namespace; a kernel without it is no reason
	// to refuse the container.
	_ = mountAt(root, "/dev/mqueue", false, "mqueue", "mqueue", noSuidDevExec, "")
	dev, err := resolveIn(root, "/dev")
	if err != nil {
		return err
	}
	defer dev.Close()
	for name, target := range devLinks {
		if err := unix.Symlinkat(target, int(dev.Fd()), name); err != nil {
			return &os.PathError{Op: "symlink", Path: "/dev/" + name, Err: err}
		}
	}
	return nil
}

// kernelMountPoints are where hull mounts kernel file systems and lays
// its masks.
var kernelMountPoints = []string{"proc", "sys", "dev"}

// checkMountPoints refuses an image whose /proc, /sys or /dev is anything
// but a directory. A symlink there would carry proc, sysfs, the masks over
// them and the device nodes wherever the image points (runc refuses the
// same). Precondition: the root file system is mounted.
func checkMountPoints(spec *isolation.Spec) error {
	rfd, err := unix.Open(spec.Rootfs.MountDir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: spec.Rootfs.MountDir, Err: err}
	}
	defer unix.Close(rfd)
	for _, name := range kernelMountPoints {
		var st unix.Stat_t
		err := unix.Fstatat(rfd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
		if errors.Is(err, unix.ENOENT) {
			continue
		}
		if err != nil {
			return &os.PathError{Op: "stat", Path: "/" + name, Err: err}
		}
		if st.Mode&unix.S_IFMT != unix.S_IFDIR {
			return &isolation.StartError{Code: 125, Msg: fmt.Sprintf(
				"the image's /%s is %s, not a directory: hull mounts %s only on a real directory", name, fileKind(st.Mode), name)}
		}
	}
	return nil
}

func fileKind(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFLNK:
		return "a symlink"
	case unix.S_IFREG:
		return "a file"
	}
	return "a special file"
}

func mapsID(maps []isolation.IDMap, id int) bool {
	for _, m := range maps {
		if id >= m.ContainerID && id < m.ContainerID+m.Size {
			return true
		}
	}
	return false
}

// mountSys mounts a read-only sysfs; without a network namespace of our own
// the kernel refuses a new sysfs, so the host's is bound read-only instead.
func mountSys(spec *isolation.Spec) error {
	root := spec.Rootfs.MountDir
	ro := uintptr(unix.MS_RDONLY)
	if spec.SysWritable {
		ro = 0
	}
	if !spec.HostNetwork {
		err := mountAt(root, "/sys", false, "sysfs", "sysfs", noSuidDevExec|ro, "")
		if err == nil {
			// Best effort: a cgroup2 view of our own cgroup namespace.
			_ = mountAt(root, "/sys/fs/cgroup", false, "cgroup2", "cgroup2", noSuidDevExec|unix.MS_RDONLY, "")
			return nil
		}
	}
	if err := mountAt(root, "/sys", false, "/sys", "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return err
	}
	// The host's cgroup v1 hierarchies and other file systems under /sys
	// are mounts of their own: all of them read-only.
	return readonlyTree(root, "/sys")
}

// mountVolumes applies the user's bind and tmpfs mounts in order.
func mountVolumes(spec *isolation.Spec) error {
	root := spec.Rootfs.MountDir
	for _, m := range spec.Mounts {
		if err := mountVolume(root, spec.StateDir, m); err != nil {
			return fmt.Errorf("%s on %s: %w", m.Type, m.Destination, err)
		}
	}
	return nil
}

func mountVolume(root, stateDir string, m isolation.Mount) error {
	ro, copyUp, noFollow := false, false, false
	wantKind := ""
	var data []string
	flags := uintptr(0)
	for _, o := range m.Options {
		switch o {
		case "ro", "readonly":
			ro = true
		case isolation.MountCopyUp:
			copyUp = true
		case isolation.MountNoFollow:
			noFollow = true
		case isolation.MountSourceDir, isolation.MountSourceFile:
			wantKind = o
		case "rw":
		case "nosuid":
			flags |= unix.MS_NOSUID
		case "nodev":
			flags |= unix.MS_NODEV
		case "noexec":
			flags |= unix.MS_NOEXEC
		default:
			data = append(data, o)
		}
	}
	if m.Scratch != "" && m.Type != "bind" && m.Type != "layers" {
		return fmt.Errorf("a %s mount has no scratch dir", m.Type)
	}
	switch m.Type {
	case "bind":
		src := m.Source
		if noFollow {
			// The source was checked by a hull command that may have
			// run a while ago, in a tree a container can change:
			// open it now with no symlink on its path and bind what
			// that descriptor holds, so what is mounted is what was
			// checked, not what a swapped-in link points at.
			fd, err := unix.Openat2(unix.AT_FDCWD, m.Source, &unix.OpenHow{
				Flags:   unix.O_PATH | unix.O_CLOEXEC,
				Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
			})
			if errors.Is(err, unix.ELOOP) {
				return fmt.Errorf("open bind source %s without following links: a symlink is on its path now (a container may have swapped it in; recreate the container if the link is yours)", m.Source)
			}
			if err != nil {
				return fmt.Errorf("open bind source %s without following links: %w", m.Source, err)
			}
			defer unix.Close(fd)
			if err := checkSourceKind(fd, m.Source, wantKind); err != nil {
				return err
			}
			src = fmt.Sprintf("/proc/self/fd/%d", fd)
		}
		if m.Scratch != "" {
			return mountDiscarding(root, m, src)
		}
		fi, err := os.Stat(src)
		if err != nil {
			return err
		}
		if copyUp && fi.IsDir() {
			if err := seedVolume(root, src, m.Destination); err != nil {
				return err
			}
		}
		if err := mountAt(root, m.Destination, !fi.IsDir(), src, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return err
		}
	case "tmpfs":
		if err := mountAt(root, m.Destination, false, "tmpfs", "tmpfs", flags|unix.MS_NOSUID|unix.MS_NODEV, strings.Join(data, ",")); err != nil {
			return err
		}
	case "layers":
		return mountLayersAt(root, stateDir, m)
	default:
		return fmt.Errorf("unknown mount type %q", m.Type)
	}
	if ro {
		return readonlyTree(root, m.Destination)
	}
	return nil
}

// checkSourceKind refuses a bind source opened as fd that is no longer
// of the kind want (MountSourceDir or MountSourceFile; "" checks nothing).
func checkSourceKind(fd int, src, want string) error {
	if want == "" {
		return nil
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return &os.PathError{Op: "stat", Path: src, Err: err}
	}
	isDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
	if isDir != (want == isolation.MountSourceDir) {
		now, was := "a directory", "a file"
		if !isDir {
			now, was = fileKind(st.Mode), "a directory"
		}
		return fmt.Errorf("bind source %s is %s now, not %s as when the container was created (a container may have swapped it; recreate the container if the change is yours)", src, now, was)
	}
	return nil
}

// mountFiles writes /etc/hosts, /etc/hostname and /etc/resolv.conf into the
// state dir and binds them over the image's copies.
func mountFiles(spec *isolation.Spec) error {
	dir := filepath.Join(spec.StateDir, "files")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for dst, content := range spec.Files {
		src := filepath.Join(dir, strings.ReplaceAll(strings.TrimPrefix(dst, "/"), "/", "_"))
		if err := os.WriteFile(src, []byte(content), 0o644); err != nil {
			return err
		}
		if err := mountAt(spec.Rootfs.MountDir, dst, true, src, "", unix.MS_BIND, ""); err != nil {
			return err
		}
	}
	return nil
}

// maskPaths hides kernel interfaces as Docker does, and binds others
// read-only. Every path is resolved inside the root: it is the kernel's
// /proc or /sys only because checkMountPoints made sure. A path that does
// not exist has nothing to hide; any other failure refuses the container
// rather than start it unmasked. Precondition: /proc and /sys are mounted.
func maskPaths(spec *isolation.Spec) error {
	root := spec.Rootfs.MountDir
	for _, p := range spec.MaskedPaths {
		if err := maskPath(root, p); err != nil {
			return fmt.Errorf("mask %s: %w", p, err)
		}
	}
	for _, p := range spec.ReadonlyPaths {
		if err := readonlyPath(root, p); err != nil {
			return fmt.Errorf("make %s read-only: %w", p, err)
		}
	}
	return nil
}

func maskPath(root, p string) error {
	f, err := resolveIn(root, p)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		err = unix.Mount("tmpfs", fdPath(f), "tmpfs", unix.MS_RDONLY|noSuidDevExec, "size=0")
	} else {
		err = unix.Mount("/dev/null", fdPath(f), "", unix.MS_BIND, "")
	}
	if err != nil {
		return &os.PathError{Op: "mount over", Path: p, Err: err}
	}
	return nil
}

func readonlyPath(root, p string) error {
	f, err := resolveIn(root, p)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return err
	}
	err = unix.Mount(fdPath(f), fdPath(f), "", unix.MS_BIND|unix.MS_REC, "")
	f.Close()
	if err != nil {
		return &os.PathError{Op: "bind", Path: p, Err: err}
	}
	return readonlyTree(root, p)
}

func readonlyRoot(spec *isolation.Spec) error {
	if !spec.Rootfs.ReadOnly {
		return nil
	}
	return remountReadonly(spec.Rootfs.MountDir, "/")
}

// pivotRoot makes MountDir the root and detaches the host's tree.
// Precondition: MountDir is a mount point and mounts are private.
func pivotRoot(spec *isolation.Spec) error {
	if err := unix.Chdir(spec.Rootfs.MountDir); err != nil {
		return err
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return &os.PathError{Op: "pivot_root", Path: spec.Rootfs.MountDir, Err: err}
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return &os.PathError{Op: "unmount old root", Path: "/", Err: err}
	}
	return unix.Chdir("/")
}

// mountLayersAt mounts a read-only view of m.Layers (or of the path
// m.Source inside them, resolved there) at m.Destination.
func mountLayersAt(root, stateDir string, m isolation.Mount) error {
	// Mount beside, then bind or move into place through resolved fds.
	tmp, err := os.MkdirTemp(stateDir, "layers-")
	if err != nil {
		return err
	}
	if err := mountLayers(tmp, m.Layers); err != nil {
		return err
	}
	rel := strings.Trim(filepath.Clean("/"+m.Source), "/")
	if rel == "" && m.Scratch != "" {
		return mountDiscarding(root, m, tmp)
	}
	if rel == "" {
		target, err := inRoot(root, m.Destination, false)
		if err != nil {
			return err
		}
		defer target.Close()
		if err := unix.Mount(tmp, fdPath(target), "", unix.MS_MOVE, ""); err != nil {
			return &os.PathError{Op: "move layers mount", Path: m.Destination, Err: err}
		}
		return nil
	}
	rfd, err := unix.Open(tmp, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	src, err := openIn(rfd, rel)
	unix.Close(rfd)
	if err != nil {
		return err
	}
	defer src.Close()
	if m.Scratch != "" {
		return mountDiscarding(root, m, fdPath(src))
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(src.Fd()), &st); err != nil {
		return err
	}
	target, err := inRoot(root, m.Destination, st.Mode&unix.S_IFMT != unix.S_IFDIR)
	if err != nil {
		return err
	}
	defer target.Close()
	if err := unix.Mount(fdPath(src), fdPath(target), "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return &os.PathError{Op: "bind from layers", Path: m.Destination, Err: err}
	}
	return readonlyTree(root, m.Destination)
}

// mountDiscarding mounts src at m.Destination writable, with its writes
// going to an overlay upper dir in a new directory under m.Scratch: src
// (bound beside as the overlay's only lower layer, read-only) is never
// written. A file is copied there and the copy bound, overlay wanting
// directories. The work happens inside that directory by relative names,
// so no character of its path reaches the overlay's options.
func mountDiscarding(root string, m isolation.Mount, src string) error {
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp(m.Scratch, "rw-")
	if err != nil {
		return err
	}
	if err := os.Chdir(dir); err != nil {
		return err
	}
	defer os.Chdir("/")
	if !fi.IsDir() {
		if err := copyFile(src, "file", fi.Mode()); err != nil {
			return err
		}
		return mountAt(root, m.Destination, true, "file", "", unix.MS_BIND, "")
	}
	for _, d := range []string{"lower", "upper", "work", "merged"} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return err
		}
	}
	// The merged root shows the upper dir's mode: the source's.
	if err := os.Chmod("upper", fi.Mode().Perm()); err != nil {
		return err
	}
	if err := unix.Mount(src, "lower", "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return &os.PathError{Op: "bind", Path: m.Source, Err: err}
	}
	if err := readonlyTree(dir, "/lower"); err != nil {
		return err
	}
	if err := unix.Mount("overlay", "merged", "overlay", 0, "lowerdir=lower,upperdir=upper,workdir=work,userxattr"); err != nil {
		return fmt.Errorf("writable mount of %s (writes discarded) needs overlayfs in a user namespace: %w", m.Source, err)
	}
	return mountAt(root, m.Destination, false, "merged", "", unix.MS_BIND|unix.MS_REC, "")
}

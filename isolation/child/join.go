package child

import (
	"fmt"
	"os"

	"github.com/hull-project/hull/isolation"
	"golang.org/x/sys/unix"
)

// joinFlags are the namespaces a Spec.Join may name that the init enters
// itself, by their /proc/PID/ns names ("pid" is entered by nsenter).
var joinFlags = map[string]int{"net": unix.CLONE_NEWNET, "ipc": unix.CLONE_NEWIPC, "uts": unix.CLONE_NEWUTS}

// joinNamespaces enters the namespaces of spec.Join.Pid that the spec
// names (a pod's network, IPC and UTS; a container's named by --ipc,
// --uts, --network container:NAME) and makes the container's own mount
// and cgroup namespaces, which a multithreaded process may do for the
// thread that executes the command. It ties the init's life to its
// parent's, as a cloned init's Pdeathsig does. Precondition: nsenter put
// this process in the owner's user namespace, where it is root with
// every capability, and nsenter or unshare in its pid namespace and the
// new network, IPC and UTS namespaces the spec does not join
// (isolation's joinCommand); the thread is locked; /proc is still the
// host's.
func joinNamespaces(spec *isolation.Spec) error {
	if spec.Join == nil {
		return nil
	}
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0); err != nil {
		return fmt.Errorf("set parent death signal: %w", err)
	}
	for _, name := range spec.Join.Namespaces {
		if name == "pid" {
			continue
		}
		if err := setns(spec.Join.Pid, name); err != nil {
			return err
		}
	}
	if err := unix.Unshare(unix.CLONE_NEWNS | unix.CLONE_NEWCGROUP); err != nil {
		return fmt.Errorf("unshare mount and cgroup namespaces: %w", err)
	}
	if spec.Join.Shm {
		return takeShm(spec.Join.Pid)
	}
	return nil
}

func setns(pid int, name string) error {
	flag, ok := joinFlags[name]
	if !ok {
		return fmt.Errorf("cannot join a %q namespace", name)
	}
	path := fmt.Sprintf("/proc/%d/ns/%s", pid, name)
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer unix.Close(fd)
	if err := unix.Setns(fd, flag); err != nil {
		return fmt.Errorf("setns %s: %w", path, err)
	}
	return nil
}

// joins reports whether the spec joins another process's namespace name.
func joins(spec *isolation.Spec, name string) bool { return spec.Join.Joins(name) }

// reportJoined tells the parent that the command is about to run: a
// joined init's parent is nsenter, which holds the error pipe open, so
// the execve's EOF never comes (exec's stage does the same). Precondition:
// every check that can fail before the execve is done.
func reportJoined(spec *isolation.Spec) {
	if spec.Join != nil {
		isolation.ReportError(os.NewFile(4, "error-pipe"), &isolation.StartError{Code: 0})
	}
}

// sharedShm is the detached copy of the joined container's /dev/shm that
// mountDev puts in place (--ipc container:NAME); -1 when there is none.
var sharedShm = -1

// takeShm clones the /dev/shm mount of pid's mount namespace: POSIX
// shared memory lives there, not in the IPC namespace, and Docker shares
// it with --ipc container:NAME. A mount can be cloned only from the
// caller's own mount namespace, so the thread enters pid's for the clone
// and goes back to its own. /dev/shm is opened inside that container's
// root with no symlink on its way (the container is hostile) and must be
// a tmpfs. Precondition: the thread has a mount namespace of its own,
// owned by pid's user namespace, where it is root.
func takeShm(pid int) error {
	own, err := unix.Open("/proc/thread-self/ns/mnt", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open own mount namespace: %w", err)
	}
	defer unix.Close(own)
	path := fmt.Sprintf("/proc/%d/ns/mnt", pid)
	theirs, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer unix.Close(theirs)
	if err := unix.Setns(theirs, unix.CLONE_NEWNS); err != nil {
		return fmt.Errorf("setns %s: %w", path, err)
	}
	fd, cloneErr := cloneShm()
	// Back in any case: nothing of the container may be set up in theirs.
	if err := unix.Setns(own, unix.CLONE_NEWNS); err != nil {
		return fmt.Errorf("return to own mount namespace: %w", err)
	}
	if cloneErr != nil {
		return fmt.Errorf("share the joined container's /dev/shm: %w", cloneErr)
	}
	sharedShm = fd
	return nil
}

// cloneShm opens /dev/shm in the current mount namespace's root and
// clones its mount. Precondition: the thread is in the joined container's
// mount namespace, whose root is the container's.
func cloneShm() (int, error) {
	root, err := unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	defer unix.Close(root)
	dir, err := unix.Openat2(root, "dev/shm", &unix.OpenHow{Flags: unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS})
	if err != nil {
		return -1, fmt.Errorf("open /dev/shm: %w", err)
	}
	defer unix.Close(dir)
	var st unix.Statfs_t
	if err := unix.Fstatfs(dir, &st); err != nil {
		return -1, fmt.Errorf("statfs /dev/shm: %w", err)
	}
	if st.Type != unix.TMPFS_MAGIC {
		return -1, fmt.Errorf("its /dev/shm is not a tmpfs")
	}
	return unix.OpenTree(dir, "", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_EMPTY_PATH)
}

// mountSharedShm puts the clone takeShm made on the container's /dev/shm.
func mountSharedShm(root string) error {
	target, err := inRoot(root, "/dev/shm", false)
	if err != nil {
		return err
	}
	defer target.Close()
	defer unix.Close(sharedShm)
	if err := unix.MoveMount(sharedShm, "", int(target.Fd()), "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH); err != nil {
		return &os.PathError{Op: "move shared shm mount", Path: "/dev/shm", Err: err}
	}
	return nil
}

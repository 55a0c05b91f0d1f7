package isolation

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/hull-project/hull/isolation/seccomp/bpfprog"
)

// IDMap is one line of /proc/PID/uid_map or gid_map.
type IDMap struct {
	ContainerID int `json:"container_id"`
	HostID      int `json:"host_id"`
	Size        int `json:"size"`
}

// Mapping is the user namespace's id mapping. Full mappings (from
// /etc/subuid and /etc/subgid) are written by newuidmap/newgidmap; a single
// mapping (the user as container root) is written directly.
type Mapping struct {
	UIDs []IDMap `json:"uids"`
	GIDs []IDMap `json:"gids"`
}

// Mount is one mount inside the container, applied in order after the root
// filesystem is in place. Destinations are container paths and are resolved
// inside the new root, never through a symlink that leads out of it.
type Mount struct {
	Type        string   `json:"type"` // "bind", "tmpfs" or "layers" (read-only overlay of Layers)
	Source      string   `json:"source,omitempty"`
	Layers      []string `json:"layers,omitempty"` // for "layers": image layer dirs, topmost first; Source is then a path inside them
	Destination string   `json:"destination"`
	Options     []string `json:"options,omitempty"` // "ro", "rw", "nosuid", "nodev", "noexec", "size=…", "mode=…", MountCopyUp
	// Scratch, for a "bind" or "layers" mount, makes it writable with
	// its writes discarded (BuildKit's RUN --mount=type=bind,rw): an
	// overlay whose only lower layer is the source, its upper and work
	// dirs made in a new directory under Scratch (which must exist, on a
	// file system overlay takes as upper). Nothing is ever written to the
	// source. A file source is copied there instead.
	Scratch string `json:"scratch,omitempty"`
}

// MountCopyUp, an option of a bind mount, seeds an empty source directory
// with what the container's root has at the destination (resolved inside
// the root) before binding it: Docker's copy-up of a new volume. The copy
// is made by the container's init, inside the user namespace, so owners,
// modes and xattrs come along.
const MountCopyUp = "copy-up"

// MountNoFollow, an option of a bind mount, makes the child open the
// source with no symlink allowed anywhere on its path and bind from that
// descriptor: for sources inside a tree a container may change (kube
// play's hostPaths under --host-path-root), where a link swapped in after
// the check would otherwise be followed out of the tree.
const MountNoFollow = "nofollow"

// MountSourceDir and MountSourceFile, options of a nofollow bind, say
// what the source was when the container was created: a directory, or
// anything else. A start whose opened source is of the other kind is
// refused (a container swapped it).
const (
	MountSourceDir  = "source-dir"
	MountSourceFile = "source-file"
)

// Rootfs says how to build the container's root filesystem.
type Rootfs struct {
	// Layers are the image's unpacked layer directories, topmost first.
	Layers []string `json:"layers"`
	// UpperDir and WorkDir are the container's own writable overlay dirs.
	UpperDir string `json:"upper_dir"`
	WorkDir  string `json:"work_dir"`
	// MountDir is where the root is assembled (an empty directory).
	MountDir string `json:"mount_dir"`
	// Driver is "overlay", "fuse-overlayfs", "copy", or "" for the first
	// that works in that order.
	Driver   string `json:"driver,omitempty"`
	ReadOnly bool   `json:"read_only,omitempty"`
	// Volatile mounts the overlay without syncs to the upper dir (kernel
	// 5.10+): for upper dirs nobody reuses after a crash (run --rm, build
	// steps). It saves a file-system sync when the container ends.
	Volatile bool `json:"volatile,omitempty"`
}

// Spec is everything isolation needs to start one container. Core builds it
// from the image config and the run options; isolation only executes it.
type Spec struct {
	ID      string   `json:"id"`
	Rootfs  Rootfs   `json:"rootfs"`
	Mapping Mapping  `json:"mapping"`
	Args    []string `json:"args"`
	Env     []string `json:"env"`
	Cwd     string   `json:"cwd"`
	// CreateCwd makes a missing working directory (docker run -w).
	CreateCwd      bool  `json:"create_cwd,omitempty"`
	UID            int   `json:"uid"`
	GID            int   `json:"gid"`
	AdditionalGIDs []int `json:"additional_gids,omitempty"`
	// KeepGroups leaves the supplementary groups the init inherited from
	// the caller (--group-add keep-groups): setgroups is not called, so
	// AdditionalGIDs are not set. Groups the mapping lacks show as the
	// overflow gid (65534) but still grant their access on the host.
	KeepGroups bool    `json:"keep_groups,omitempty"`
	Hostname   string  `json:"hostname"`
	Mounts     []Mount `json:"mounts,omitempty"`
	// HostNetwork keeps the caller's network namespace (--network host).
	HostNetwork bool `json:"host_network,omitempty"`
	// Join, when set, starts the container inside another process's user
	// namespace (a pod's infra, or a container named by --pid, --ipc, --uts
	// or --network container:NAME) and the pid, network, IPC and UTS
	// namespaces it lists; it gets new ones of the others (unless Host*
	// keeps the caller's) and mount and cgroup namespaces of its own.
	// Mapping must then be the one of that process's user namespace (it
	// is not written again); Hostname is ignored when UTS is joined.
	Join *Join `json:"join,omitempty"`
	// Capabilities are the names (CAP_…) in the bounding, effective and
	// permitted sets; inheritable and ambient stay empty.
	Capabilities    []string `json:"capabilities"`
	NoNewPrivileges bool     `json:"no_new_privileges,omitempty"`
	// Seccomp loads the default profile; false only for seccomp=unconfined.
	Seccomp bool `json:"seccomp"`
	// SeccompProfile, when set, is a Docker seccomp profile (JSON) loaded
	// instead of the default one (--security-opt seccomp=FILE).
	SeccompProfile json.RawMessage `json:"seccomp_profile,omitempty"`
	// Rlimits are set in the container before the command runs
	// (--ulimit, and the fallbacks of limits no cgroup can enforce).
	Rlimits []Rlimit `json:"rlimits,omitempty"`
	// RootEmulation fakes success for chown, setuid-family and device
	// mknod calls a single-id mapping cannot honour (builds only; see
	// docs/root-emulation.md).
	RootEmulation bool `json:"root_emulation,omitempty"`
	// SeccompPrograms are the filters of the three fields above, compiled
	// by the caller (seccomp.Programs, in core/launch) and loaded by the init
	// in this order. The init compiles nothing (package bpfprog), and refuses
	// to start when a filter asked for above is missing.
	SeccompPrograms []bpfprog.Program `json:"seccomp_programs,omitempty"`
	MaskedPaths     []string          `json:"masked_paths,omitempty"`
	// ShmSize is the size of /dev/shm in bytes; 0 is Docker's 64 MiB.
	ShmSize int64 `json:"shm_size,omitempty"`
	// Sysctls are written under /proc/sys (the key's dots as slashes)
	// before /proc/sys is made read-only: only the namespaced ones, which
	// core checks (--sysctl).
	Sysctls map[string]string `json:"sysctls,omitempty"`
	// HostUTS and HostIPC keep the caller's UTS and IPC namespaces
	// (--uts host, --ipc host): no new ones are made; the host's /dev/shm
	// is bound with HostIPC.
	HostUTS bool `json:"host_uts,omitempty"`
	HostIPC bool `json:"host_ipc,omitempty"`
	// HostPID keeps the caller's pid namespace (--pid host): proc cannot
	// be mounted for a pid namespace the container's user namespace does
	// not own, so the host's /proc is bound (recursively) instead, with
	// the masked and read-only paths over it, as rootless Podman.
	HostPID bool `json:"host_pid,omitempty"`
	// SysWritable mounts /sys read-write (--privileged).
	SysWritable   bool     `json:"sys_writable,omitempty"`
	ReadonlyPaths []string `json:"readonly_paths,omitempty"`
	// Terminal gives the process a new pty as its controlling terminal,
	// of ConsoleRows x ConsoleCols when they are set.
	Terminal    bool   `json:"terminal,omitempty"`
	ConsoleRows uint16 `json:"console_rows,omitempty"`
	ConsoleCols uint16 `json:"console_cols,omitempty"`
	// Init keeps a minimal hull init as PID 1 that forwards signals and
	// reaps zombies (docker run --init).
	Init bool `json:"init,omitempty"`
	// Files are written into the container's state and bind-mounted over
	// these container paths (/etc/hosts, /etc/hostname, /etc/resolv.conf).
	Files map[string]string `json:"files,omitempty"`
	// RecordStubs makes the init record the mount targets it had to
	// create (see Stub; builds remove them before the diff).
	RecordStubs bool `json:"record_stubs,omitempty"`
	// StateDir is a private directory for this start (sync files, pty).
	StateDir string `json:"state_dir"`
	// ConsoleFd is the child's socket for sending the pty master back (set
	// by Start when Terminal is true).
	ConsoleFd int `json:"console_fd,omitempty"`
	// InitFd is the memfd holding the init's own binary (set by Start when
	// Init is true); the init closes it.
	InitFd int `json:"init_fd,omitempty"`
	// Task, when set, replaces the command: the child mounts the root
	// filesystem and the task's sources, runs the registered task function
	// as root of the user namespace (with its capabilities, before
	// pivot_root) and exits. Builds use it to copy files in with the right
	// owners; no process of the image runs.
	Task *Task `json:"task,omitempty"`
	// Detach makes the init a child of the caller's parent (CLONE_PARENT)
	// instead of the caller's: the small monitor of a detached container
	// asks hull for each start (`hull __hull-mon ROOT ID start`) and stays
	// the init's parent and reaper once that hull exited; the init's
	// parent-death signal then follows the monitor. Only for a start with
	// a new pid namespace (no Join, no Task, no HostPID): Start refuses it
	// otherwise.
	// Process.Wait cannot wait for such an init; its parent does.
	Detach bool `json:"-"`
	// StopTimeout is unused by run; kept for the lifecycle commands.
	StopTimeout time.Duration `json:"stop_timeout,omitempty"`
}

// Join names the process whose namespaces a container joins. Its user
// namespace is always joined (a rootless process can only enter the pid,
// network, IPC and UTS namespaces a user namespace it is root of owns);
// Namespaces lists the others, as /proc/PID/ns names them: "pid", "net",
// "ipc", "uts".
type Join struct {
	Pid        int      `json:"pid"`
	Namespaces []string `json:"namespaces"`
	// Shm binds the /dev/shm of Pid's mount namespace as the container's
	// (--ipc container:NAME, as Docker shares it); it needs "ipc".
	Shm bool `json:"shm,omitempty"`
}

// Joins reports whether j joins the namespace name ("pid", "net", …).
func (j *Join) Joins(name string) bool {
	return j != nil && slices.Contains(j.Namespaces, name)
}

// Rlimit is one resource limit (setrlimit) of the container's process.
// Type is the name as --ulimit spells it: "nofile", "nproc", "as", …
type Rlimit struct {
	Type string `json:"type"`
	Soft uint64 `json:"soft"`
	Hard uint64 `json:"hard"`
}

// Task is an operation hull itself performs inside the container's
// namespaces (see Spec.Task).
type Task struct {
	Name string          `json:"name"`
	Args json.RawMessage `json:"args,omitempty"`
	// Sources are read-only trees the task reads: a host directory (Dir)
	// or image layers, topmost first, overlaid (Layers). The task function
	// gets one host-side path for each, in order.
	Sources []TaskSource `json:"sources,omitempty"`
}

// TaskSource is one read-only input tree of a Task.
type TaskSource struct {
	Dir    string   `json:"dir,omitempty"`
	Layers []string `json:"layers,omitempty"`
}

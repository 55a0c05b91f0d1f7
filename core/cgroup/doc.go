// Package cgroup finds a cgroup subtree the user may manage, puts a
// container in a group of its own there, writes its resource limits and
// reads back what the kernel measured (peak memory, OOM kills).
//
// Per controller it uses, in this order: the process's own cgroup (the
// one /proc/self/cgroup names for that hierarchy) when the user may write
// it, which is how a CI runner, an administrator or systemd
// (Delegate=yes) delegates a subtree on v1 and v2 alike; then the
// hull-UID convention, a directory an administrator created under the
// hierarchy and chowned to the user (/sys/fs/cgroup/CONTROLLER/hull-UID
// on v1, /sys/fs/cgroup/hull-UID on v2); else none. Hybrid hosts (v1
// controllers plus a cgroup2 mount at unified/) use whichever hierarchy
// holds each controller. Only the memory, pids and cpu controllers are
// used. On v1 a container's group is a child of a cgroup that may hold
// processes (hull's caller); cgroup v2 gives controllers to children only
// of a cgroup without processes, so its own cgroup is used there only when
// hull is alone in it, and hull first moves itself into a leaf child
// (LeafName).
//
// A later hull (exec) finds a container's groups through the cgroups of
// the container's init, not through its own Layout.
//
// It deliberately does not create delegations (that needs root or
// systemd) and never falls back silently: Layout says, per controller,
// where it is or why it is not available, and the caller decides.
package cgroup

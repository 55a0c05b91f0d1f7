// Package cgroup finds a cgroup subtree the user may manage, puts a
// container in a group of its own there, writes its resource limits and
// reads back what the kernel measured (peak memory, OOM kills).
//
// Two layouts are supported. cgroup v2: a delegated directory in the
// unified hierarchy (a cgroup the user owns, or the process's own cgroup
// when it is writable, as in a systemd user slice). cgroup v1: a directory
// under each controller's hierarchy that the administrator created and
// chowned to the user, by convention /sys/fs/cgroup/CONTROLLER/hull-UID;
// hybrid hosts (v1 controllers plus a cgroup2 mount at unified/) use
// whichever holds each controller. Only the memory, pids and cpu
// controllers are used.
//
// It deliberately does not create delegations (that needs root or
// systemd) and never falls back silently: Layout says, per controller,
// where it is or why it is not available, and the caller decides.
package cgroup

// Package isolation starts containers: processes in new user, mount, pid,
// uts, ipc, cgroup and (unless host networking is asked for) network
// namespaces, on a copy-on-write root filesystem. It executes a Spec that the
// core built; it never reads flags or configuration files.
//
// # Re-exec protocol
//
// Package isolation/role names every role hull re-executes itself as
// and lists each one's descriptors; the init's, in detail:
//
// Start executes the container init with argv[1] = role.Init and Cloneflags
// for the new namespaces: the small init binary `make build` embeds
// (isolation/initbin, build tag hullinit) from a sealed memfd, which starts
// in a third of hull's time; without it, the running binary itself
// (/proc/self/exe, or a sealed memfd copy when the init stays PID 1).
// Tasks always run hull itself. Inherited descriptors:
//
//	fd 3  spec pipe (read end). The parent writes one byte once the id maps
//	      are in place, then the JSON Spec, then closes it.
//	fd 4  error pipe (write end, close-on-exec in the child). The child writes
//	      one JSON startError when setup fails; a successful execve of the
//	      container's command closes it, so EOF means "started".
//	fd 5  the sealed memfd the init was executed from, when it was (closed
//	      at the command's execve; the --init init closes it at once).
//
// A process whose uid map is written by newuidmap after it was cloned would
// lose its capabilities at its first execve (the kernel computes them while
// its uid is still unmapped), so Start raises every capability as ambient
// in the child before that execve; the child clears the ambient set again
// before it executes the container's command. AwaitMapping still re-executes
// the child once ("stage2") if it finds itself without CAP_SYS_ADMIN, as a
// fallback for kernels without ambient capabilities. With a single mapping,
// Go writes the map before the first execve.
//
// A Spec with Join (a pod member, or a container of --pid, --ipc, --uts or
// --network container:NAME) is started differently: no clone flags and no
// id maps; util-linux's nsenter enters the user namespace of Join.Pid (the
// owner's user namespace is the only one from which its other namespaces
// may be entered), util-linux's unshare makes the pid, network, IPC and
// UTS namespaces the spec neither joins nor keeps the host's of, and a
// second nsenter enters a joined pid namespace; the init, forked into the
// pid namespace, runs from its sealed memfd with the same fds 3-5. The
// init's first step enters the network, IPC and UTS namespaces it joins and
// unshares its own mount and cgroup ones. The process Start started keeps
// the error pipe open, so the init writes a StartError with code 0 just
// before it executes the command (as exec's stage does), and Start reports
// the init's pid, that process's child, as the container's.
//
// role.Userns runs the same dance for short helpers that need the user
// namespace but no container (unpacking and removing layers owned by
// subordinate ids).
//
// # What it deliberately does not do
//
// No cgroups, no networking beyond "none" and "host", no detached lifecycle:
// those belong to the callers and later packages.
package isolation

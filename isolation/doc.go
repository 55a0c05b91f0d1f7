// Package isolation starts containers: processes in new user, mount, pid,
// uts, ipc, cgroup and (unless host networking is asked for) network
// namespaces, on a copy-on-write root filesystem. It executes a Spec that the
// core built; it never reads flags or configuration files.
//
// # Re-exec protocol
//
// Start re-executes the running binary (/proc/self/exe, or a sealed memfd
// copy of it when the hull init stays as PID 1) with argv[1] = InitArg and
// Cloneflags for the new namespaces. Inherited descriptors:
//
//	fd 3  spec pipe (read end). The parent writes one byte once the id maps
//	      are in place, then the JSON Spec, then closes it.
//	fd 4  error pipe (write end, close-on-exec in the child). The child writes
//	      one JSON startError when setup fails; a successful execve of the
//	      container's command closes it, so EOF means "started".
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
// HelperArg runs the same dance for short helpers that need the user
// namespace but no container (unpacking and removing layers owned by
// subordinate ids).
//
// # What it deliberately does not do
//
// No cgroups, no networking beyond "none" and "host", no detached lifecycle:
// those belong to the callers and later packages.
package isolation

// Package device turns a container's device requests into what its start
// needs: bind mounts of host device nodes and driver files, environment
// variables and supplementary groups, in hull's launch spec.
//
// Three kinds of request feed it, as Docker and Podman spell them:
//
//   - --device HOST[:CONTAINER][:rwm]: a host device node (or a directory
//     of them), bound into the container. A rootless container cannot
//     mknod, and needs none: the node keeps the host's owner and mode, so
//     the container can open exactly what the user can. The node is
//     checked on the host before the container starts.
//   - --device vendor.com/class=name: a CDI device (the Container Device
//     Interface), read from the spec directories with the CDI library; its
//     container edits are mapped onto hull's spec (hull has no OCI runtime
//     spec to let the library edit). Hooks are never run (see docs/devices.md).
//   - --gpus all|N|device=ID: NVIDIA GPUs, through the nvidia.com/gpu CDI
//     spec when there is one, else found on the host as Apptainer's --nv
//     does (nodes, driver libraries and binaries).
//
// The CDI library (and the YAML parser it links) is linked only where
// CDILinked is true: not in the default hull of `make build` (tag
// appsbin), where Resolve answers ErrNeedsFullHull for CDI devices and
// --gpus and the caller hands its command to the full hull (core/appbin).
//
// Everything here reads the host, which is the user's own: no path comes
// from an image. Container-side destinations are resolved inside the
// container's root by the container's init (isolation/child), like every
// mount destination.
package device

// Package layer extracts OCI/Docker layer tarballs into a directory and
// writes the changes of an overlay upper directory back out as a layer.
//
// # Security model
//
// The tar stream is untrusted. No entry may create, change or read anything
// outside the target directory. Every parent path is resolved with openat2
// (RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS) from a file descriptor of the
// target, so "..", absolute paths and symlinked parents are all clamped to
// the target by the kernel; names that would escape are also rejected up
// front with a clear error. The entry itself is created with *at syscalls
// relative to the resolved parent, and the last component is never followed:
// an existing entry is unlinked first and files are opened with
// O_CREAT|O_EXCL|O_NOFOLLOW. Hardlink targets are resolved inside the target
// too, and linkat does not follow a symlink target, so a hardlink to a
// symlink becomes another symlink, never a link to what it points at.
// Character and block devices are skipped silently (a layer cannot create a
// device node), except overlay whiteouts. The threat is the archive, not a
// concurrent process: the target directory must not be in use while Unpack
// runs.
//
// # Ownership
//
// With Options.Chown the tar header's uid/gid are applied with lchown. This
// is meant for unpacking inside a user namespace with a full subuid mapping.
// Ids the namespace cannot map (the kernel answers EINVAL), and ids that do
// not fit a uid_t, fall back to 0:0 rather than failing the pull: a file of
// an unmappable user becomes the container's root's, as in rootless Docker
// and Podman. Without Chown, ownership is left as the extracting user.
//
// Modes include setuid, setgid and sticky bits; chmod runs after chown
// because chown clears setuid. Directories are created owner-writable while
// the layer is extracted and receive their final mode, owner and times at the
// end, deepest first, so a read-only directory can still be filled by an
// unprivileged user and its mtime is not disturbed by its own contents.
// Directories created only because an entry needed them get 0755. Of the PAX
// xattrs only SCHILY.xattr.user.* are set, and user.overlay.* among them are
// dropped: overlayfs (mounted with userxattr) would interpret them.
//
// # Whiteouts
//
// By default OCI whiteouts become overlayfs whiteouts: ".wh.NAME" is a
// character device 0/0 named NAME (which Linux 5.8+ lets unprivileged users
// create) and ".wh..wh..opq" sets user.overlay.opaque="y" on its directory.
// With Options.ApplyWhiteouts they are applied directly to dir, which then
// holds the lower layers: NAME is removed, and an opaque marker removes what
// its directory held before this layer, keeping what this layer added. Other
// ".wh..wh." names (AUFS metadata) are skipped.
//
// Diff does the reverse for an overlay upper directory.
//
// Compression is detected by magic bytes: plain tar, gzip and bzip2 are
// read; zstd is recognised and refused.
package layer

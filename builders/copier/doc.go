// Package copier performs a Dockerfile COPY or ADD between two directory
// trees: the source (build context, another stage's or an image's root
// filesystem) and the destination (the stage's root filesystem). The build
// engine calls it from the "copy" task, inside the build container's user
// namespace, with both trees mounted at host paths.
//
// # What Copy guarantees
//
// No read leaves srcRoot and no write leaves dstRoot. Each root is opened
// once; every multi-component path is resolved by the kernel with openat2
// RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS from the root's fd, so "..",
// absolute symlinks and symlinked parents are clamped to the root, as they
// would be for a process chrooted there. Directories are walked by fd, one
// component at a time with O_NOFOLLOW; entries are created with *at calls
// relative to a resolved parent and never follow their last component (an
// existing file or symlink is unlinked, files are created O_EXCL). A path
// built by joining strings with a root's host path is never opened. A
// concurrent swap of a directory for a symlink (the BuildKit
// CVE-2024-23651/23653 and Buildah CVE-2024-1753 class) can at worst make
// the copy read or write another place inside the same root.
//
// With Op.Upper (the destination is an overlay mount of that upper dir),
// a copied file's content is written through the upper dir's view of the
// same file: opened there without following a symlink or crossing a
// mount, and used only when it is the inode just created through the
// overlay, empty, with one link. So the kernel can copy in place
// (copy_file_range within one file system; across the overlay it is
// EXDEV), and nothing but that new file is ever written.
//
// With Op.Reuse (the layer the same step made the last time, and the
// source inode each of its big files was copied from), a regular file of
// at least MinReuseSize bytes is not copied when that layer holds, at
// the same path, the copy of this very source inode, born strictly after
// the source last changed (its ctime; no birth time, no reuse), and with
// the size, mtime, mode and owner the copy gives: the file is created
// through the overlay as always, and at the end of the copy its upper
// inode is replaced by a hard link to the old layer's (resolved with
// RESOLVE_IN_ROOT|RESOLVE_NO_SYMLINKS|RESOLVE_NO_XDEV in both dirs,
// linked by fd, checked, renamed over it). Layers are never written in
// place, so two may share an inode. Any doubt or refusal is a copy.
//
// # Docker semantics
//
// Sources are cleaned as if rooted ("../x" is "x"), expanded one segment at
// a time with filepath.Match, and followed (inside srcRoot) when they are
// symlinks themselves. A directory source copies its contents; symlinks in
// it are copied as symlinks; sockets, fifos and devices are skipped;
// hardlinks become separate files. Dest is a directory when it ends in "/",
// when several things are copied, with --parents, when the only source is a
// directory or an archive to extract, or when it exists as a directory
// (symlinks followed inside dstRoot); else it names the new file. Missing
// directories are created 0755 and owned like the copied files. Every
// created entry is owned by Op.UID/GID, else 0:0; Op.Mode replaces the
// permission bits of files and directories, else the source's (setuid,
// setgid and sticky included) are kept; mtimes are kept. A file replaces a
// file or symlink; a directory merges into a directory (or a symlink to
// one); replacing a directory by a file or a file by a directory is an
// error. Directories that already existed keep their metadata.
//
// .dockerignore patterns (Op.Ignore) match paths from the source root,
// --exclude patterns (Op.Exclude) paths inside the source (a file source's
// own name); both use moby/patternmatcher, "!" exceptions included: an
// excluded directory is still walked when an exception could re-include
// something in it, and kept only if something was. A source that names
// nothing is ErrNotFound. With --parents the source path is kept under
// Dest, from after a "/./" marker when there is one.
//
// ADD (Op.ExtractArchives) extracts a local tar, plain or gzip, bzip2 or xz
// compressed (recognised by magic bytes and a valid first header), into
// Dest through core/layer.Unpack, keeping the archive's ownership unless
// UID/GID are set. Op.Files are created with their content (mode 0644 by
// default). Op.Files names are cleaned and stay below Dest.
//
// Hash computes the build-cache digest of the same selection.
//
// # Left to the engine
//
// Downloading URLs (handed over as Op.Files), the build cache and its
// keys, --link (copying into an empty tree to make an independent layer),
// --chown name resolution, and the layer commit after the copy. Neither
// tree may be in use by a running container during Copy: the threat is
// the trees' contents and names, not a concurrent writer with a target.
package copier

package core

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/core/launch"
	"github.com/hull-project/hull/core/layer"
	"github.com/hull-project/hull/isolation"
)

// Copying in and out of a container (hull cp) resolves every path inside
// the container's root with openat2 RESOLVE_IN_ROOT and opens every file
// below it with O_NOFOLLOW, so that a symlink the container placed can
// never lead a read or a write to the host (CVE-2018-15664,
// CVE-2019-14271). A running container is reached through
// /proc/PID/root, its live view; a stopped one through a short task in a
// user namespace that mounts its overlay (image layers + upper dir), so
// that files of every owner are readable. Files copied in belong to the
// container's root, as with docker cp.

// Task names of the copy operations (see Tasks).
const (
	taskCopyOut = "hull-cp-out"
	taskCopyIn  = "hull-cp-in"
)

type copyArgs struct {
	Path string `json:"path"`
	// Name, for a copy in, replaces the archive's top-level name when
	// Path does not exist as a directory (cp FILE CONTAINER:NEWNAME).
	Name string `json:"name,omitempty"`
	// OneFS, for a copy out (export), leaves out what is mounted over the
	// root filesystem: volumes, /proc, /sys, /dev, hull's /etc files.
	OneFS bool `json:"one_fs,omitempty"`
}

// Tasks adds hull's own container tasks (the copies of hull cp) to others
// (the build's), for the container init.
func Tasks[F ~func(string, []string, json.RawMessage) error](others map[string]F) map[string]F {
	out := map[string]F{}
	for k, v := range others {
		out[k] = v
	}
	out[taskPodInfra] = podInfra
	out[taskCopyOut] = func(root string, _ []string, args json.RawMessage) error {
		var a copyArgs
		if err := json.Unmarshal(args, &a); err != nil {
			return err
		}
		return copyOut(root, a.Path, a.OneFS, os.Stdout, nil) // in the user namespace: ids as they are
	}
	out[taskCopyIn] = func(root string, _ []string, args json.RawMessage) error {
		var a copyArgs
		if err := json.Unmarshal(args, &a); err != nil {
			return err
		}
		return copyIn(root, a.Path, a.Name, os.Stdin)
	}
	return out
}

// CopyFrom writes a tar of the container's path (its last element as the
// top-level name) to w.
func (h *Hull) CopyFrom(ref, p string, w io.Writer) error {
	err := h.inContainerRoot(ref, taskCopyOut, copyArgs{Path: p}, nil, w,
		func(root string) error { return copyOut(root, p, false, w, liveIDs(root)) })
	if err == nil {
		h.containerEvent(ref, "archive-path", "path", p)
	}
	// A stopped container's copy reports through the task's stderr, as text.
	if err != nil && strings.Contains(err.Error(), errNoSuchPath.Error()) {
		return fmt.Errorf("%w %s in container %s", errNoSuchPath, path.Clean("/"+p), ref)
	}
	return err
}

// errNoSuchPath is Docker's wording for a cp source that is not there.
var errNoSuchPath = errors.New("Could not find the file")

// CopyTo extracts the tar stream r at the container's path dest: into it
// when it is a directory, else (with name set) as dest itself, its
// archive's top-level entry renamed.
func (h *Hull) CopyTo(ref, dest, name string, r io.Reader) error {
	err := h.inContainerRoot(ref, taskCopyIn, copyArgs{Path: dest, Name: name}, r, nil,
		func(root string) error { return copyIn(root, dest, name, r) })
	if err == nil {
		h.containerEvent(ref, "extract-to-dir", "path", dest)
	}
	return err
}

// inContainerRoot runs live on a running container's /proc/PID/root, or
// the task on a stopped one, holding its monitor lock so that it is not
// started meanwhile.
func (h *Hull) inContainerRoot(ref, task string, args any, in io.Reader, out io.Writer, live func(root string) error) error {
	c, err := h.Containers.Lookup(ref)
	if err != nil {
		return err
	}
	if c.State.Running {
		return live(fmt.Sprintf("/proc/%d/root", c.State.Pid))
	}
	release, err := h.Containers.HoldMonitor(c.ID)
	if err != nil {
		return err
	}
	defer release()
	return h.runTask(c, task, args, in, out)
}

// runTask runs one of hull's tasks on a stopped container's overlay.
func (h *Hull) runTask(c *container.Container, task string, args any, in io.Reader, out io.Writer) error {
	img, err := h.Images.Lookup(c.ImageID)
	if err != nil {
		return err
	}
	layers, err := h.Images.LayerDirs(img)
	if err != nil {
		return err
	}
	data, err := json.Marshal(args)
	if err != nil {
		return err
	}
	stateDir, err := os.MkdirTemp(h.RunRoot, "task-")
	if err != nil {
		return fmt.Errorf("task state dir: %w", err)
	}
	defer os.RemoveAll(stateDir)
	spec := &isolation.Spec{ID: c.ID, Mapping: h.Mapping, StateDir: stateDir,
		Rootfs: isolation.Rootfs{Layers: layers, UpperDir: h.Containers.UpperDir(c.ID),
			WorkDir: h.Containers.WorkDir(c.ID), MountDir: h.Containers.RootfsDir(c.ID)},
		Task: &isolation.Task{Name: task, Args: data}}
	var stderr bytes.Buffer
	st, err := launch.Run(context.Background(), launch.Request{Spec: spec,
		Stdio: isolation.Stdio{Stdin: in, Stdout: out, Stderr: &stderr}})
	if err == nil && st.Code != 0 {
		err = errors.New(strings.TrimSpace(stderr.String()))
		if stderr.Len() == 0 {
			err = fmt.Errorf("exit code %d", st.Code)
		}
	}
	return err
}

// openInRoot opens p inside root (an O_PATH fd resolved with
// RESOLVE_IN_ROOT: symlinks and ".." cannot leave root).
func openInRoot(root, p string, flags uint64) (int, error) {
	rfd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: root, Err: err}
	}
	defer unix.Close(rfd)
	rel := strings.TrimPrefix(path.Clean("/"+p), "/")
	if rel == "" {
		rel = "."
	}
	fd, err := unix.Openat2(rfd, rel, &unix.OpenHow{Flags: flags | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS})
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: p, Err: err}
	}
	return fd, nil
}

// copyOut writes a tar of root/p, its last element resolved without
// following it.
// copyOut writes p, inside root, as a tar stream to w. ids, when set, turns
// the owners that stat shows into the container's: a running container's
// root read from the host through /proc/PID/root shows host (subordinate)
// ids, which an archive of the container must not carry.
func copyOut(root, p string, oneFS bool, w io.Writer, ids func(uid, gid int) (int, int)) error {
	dir, base := path.Split(path.Clean("/" + p))
	if base == "" {
		base = "."
	}
	pfd, err := openInRoot(root, dir, unix.O_PATH|unix.O_DIRECTORY)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w %s", errNoSuchPath, path.Clean("/"+p))
	}
	if err != nil {
		return err
	}
	defer unix.Close(pfd)
	if base != "." {
		var st unix.Stat_t
		if err := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("%w %s", errNoSuchPath, path.Clean("/"+p))
		}
	}
	tw := tar.NewWriter(w)
	name := base
	if base == "." {
		name = "."
	}
	var dev uint64 // 0: descend into every mount
	if oneFS {
		var st unix.Stat_t
		if err := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return &os.PathError{Op: "stat", Path: p, Err: err}
		}
		dev = st.Dev
	}
	if err := addEntry(tw, pfd, base, name, dev, ids); err != nil {
		return err
	}
	return tw.Close()
}

// addEntry adds dirfd/base as name, and a directory's contents below it.
// Nothing is followed: every open is O_NOFOLLOW relative to its parent.
// With dev set, a directory on another device (a mount: a volume, /proc)
// is kept empty, as the mount point it is. Files are not judged by their
// device: overlayfs may report a lower layer's for them.
func addEntry(tw *tar.Writer, dirfd int, base, name string, dev uint64, ids func(uid, gid int) (int, int)) error {
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "stat", Path: name, Err: err}
	}
	mounted := dev != 0 && st.Dev != dev
	hdr := &tar.Header{Name: name, Mode: int64(st.Mode & 0o7777), Uid: int(st.Uid), Gid: int(st.Gid),
		ModTime: time.Unix(st.Mtim.Sec, st.Mtim.Nsec), Format: tar.FormatPAX}
	if ids != nil {
		hdr.Uid, hdr.Gid = ids(hdr.Uid, hdr.Gid)
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		return addFile(tw, dirfd, base, hdr, st.Size)
	case unix.S_IFLNK:
		target, err := readlinkat(dirfd, base)
		if err != nil {
			return &os.PathError{Op: "readlink", Path: name, Err: err}
		}
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, target
		return tw.WriteHeader(hdr)
	case unix.S_IFDIR:
		if mounted {
			hdr.Typeflag, hdr.Name = tar.TypeDir, strings.TrimSuffix(hdr.Name, "/")+"/"
			return tw.WriteHeader(hdr)
		}
		return addDir(tw, dirfd, base, hdr, dev, ids)
	case unix.S_IFIFO:
		hdr.Typeflag = tar.TypeFifo
		return tw.WriteHeader(hdr)
	}
	return nil // devices and sockets are not copied
}

func addFile(tw *tar.Writer, dirfd int, base string, hdr *tar.Header, size int64) error {
	fd, err := unix.Openat(dirfd, base, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: hdr.Name, Err: err}
	}
	f := os.NewFile(uintptr(fd), hdr.Name)
	defer f.Close()
	hdr.Typeflag, hdr.Size = tar.TypeReg, size
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err = io.CopyN(tw, f, size)
	return err
}

func addDir(tw *tar.Writer, dirfd int, base string, hdr *tar.Header, dev uint64, ids func(uid, gid int) (int, int)) error {
	fd, err := unix.Openat(dirfd, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: hdr.Name, Err: err}
	}
	d := os.NewFile(uintptr(fd), hdr.Name)
	defer d.Close()
	hdr.Typeflag = tar.TypeDir
	hdr.Name = strings.TrimSuffix(hdr.Name, "/") + "/"
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	names, err := d.Readdirnames(-1)
	if err != nil {
		return &os.PathError{Op: "read dir", Path: hdr.Name, Err: err}
	}
	for _, n := range names {
		if err := addEntry(tw, fd, n, path.Join(hdr.Name, n), dev, ids); err != nil {
			return err
		}
	}
	return nil
}

func readlinkat(dirfd int, name string) (string, error) {
	buf := make([]byte, 4096)
	n, err := unix.Readlinkat(dirfd, name, buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

// copyIn extracts r at root/dest: into it when it is a directory, else
// into its parent with the top-level entry renamed to name.
func copyIn(root, dest, name string, r io.Reader) error {
	fd, err := openInRoot(root, dest, unix.O_PATH|unix.O_DIRECTORY)
	if err != nil && name != "" && (errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR)) {
		if fd, err = openInRoot(root, path.Dir(path.Clean("/"+dest)), unix.O_PATH|unix.O_DIRECTORY); err == nil {
			r = renameTop(r, name)
		}
	}
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return layer.Unpack(r, fmt.Sprintf("/proc/self/fd/%d", fd), layer.Options{})
}

// renameTop rewrites the first path element of every entry of the tar
// stream r to name.
func renameTop(r io.Reader, name string) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		tr, tw := tar.NewReader(r), tar.NewWriter(pw)
		var err error
		for {
			var hdr *tar.Header
			if hdr, err = tr.Next(); err != nil {
				break
			}
			clean := strings.TrimPrefix(path.Clean("/"+hdr.Name), "/")
			_, rest, _ := strings.Cut(clean, "/")
			hdr.Name = path.Join(name, rest)
			if hdr.Typeflag == tar.TypeDir {
				hdr.Name += "/"
			}
			if err = tw.WriteHeader(hdr); err == nil {
				_, err = io.Copy(tw, tr)
			}
			if err != nil {
				break
			}
		}
		if errors.Is(err, io.EOF) {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr
}

// RenameTop is renameTop for the CLI's host side of hull cp.
func RenameTop(r io.Reader, name string) io.Reader { return renameTop(r, name) }

// UnpackHost extracts a tar stream from a container into the host
// directory dir, as the calling user.
func UnpackHost(r io.Reader, dir string) error {
	return layer.Unpack(r, dir, layer.Options{})
}

// TarHost writes a tar of the host path src to w: a directory's contents
// when src ends in "/.", else src under its own name.
func TarHost(src string, w io.Writer) error {
	contents := strings.HasSuffix(src, "/.") || src == "."
	src = filepath.Clean(src)
	dir, base := filepath.Split(src)
	if contents {
		dir, base = src, "."
	}
	if dir == "" {
		dir = "."
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	tw := tar.NewWriter(w)
	if err := addEntry(tw, int(d.Fd()), base, base, 0, nil); err != nil {
		return err
	}
	return tw.Close()
}

// Export writes a tar of the container's root filesystem (the image's
// layers and the container's changes, not its volumes or what hull
// mounts over it), as docker export. It reads through the same
// RESOLVE_IN_ROOT, O_NOFOLLOW walk as cp.
func (h *Hull) Export(ref string, w io.Writer) error {
	args := copyArgs{Path: "/", OneFS: true}
	err := h.inContainerRoot(ref, taskCopyOut, args, nil, w,
		func(root string) error { return copyOut(root, "/", true, w, liveIDs(root)) })
	if err == nil {
		h.containerEvent(ref, "export")
	}
	return err
}

// liveIDs maps the host ids that stat shows under a running container's
// /proc/PID/root back to the container's ids, by that process's own
// uid_map and gid_map (its user namespace's truth, --userns keep-id
// included); ids the namespace does not map become 65534, as the kernel
// shows them inside. nil (ids as they are) when the maps cannot be read.
func liveIDs(root string) func(uid, gid int) (int, int) {
	proc := strings.TrimSuffix(root, "/root")
	uids, err := readIDMap(proc + "/uid_map")
	if err != nil {
		return nil
	}
	gids, err := readIDMap(proc + "/gid_map")
	if err != nil {
		return nil
	}
	return isolation.Mapping{UIDs: uids, GIDs: gids}.ContainerIDs
}

// readIDMap parses a /proc/PID/{uid,gid}_map as seen from the initial
// user namespace: "inside outside count" per line.
func readIDMap(file string) ([]isolation.IDMap, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var maps []isolation.IDMap
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var m isolation.IDMap
		if _, err := fmt.Sscan(line, &m.ContainerID, &m.HostID, &m.Size); err != nil {
			return nil, fmt.Errorf("parse %s: %w", file, err)
		}
		maps = append(maps, m)
	}
	return maps, nil
}

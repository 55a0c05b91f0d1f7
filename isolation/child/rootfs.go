package child

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/hull-project/hull/isolation"
	"golang.org/x/sys/unix"
)

// mountRootfs assembles the image layers and the container's upper dir at
// Rootfs.MountDir. Precondition: mounts are private.
func mountRootfs(spec *isolation.Spec) error {
	r := spec.Rootfs
	switch r.Driver {
	case "overlay":
		return mountOverlay(r)
	case "fuse-overlayfs":
		return mountFuseOverlay(r)
	case "copy":
		return mountCopy(r)
	}
	err := mountOverlay(r)
	if err == nil {
		return nil
	}
	ferr := mountFuseOverlay(r)
	if ferr == nil {
		return nil
	}
	if cerr := mountCopy(r); cerr != nil {
		return fmt.Errorf("%v; fuse-overlayfs fallback: %v; copy fallback: %w", err, ferr, cerr)
	}
	if !errors.Is(ferr, errNoFuseOverlay) {
		// fuse-overlayfs is there but failed: say why the container got
		// the slow copy driver instead of leaving it to be guessed.
		fmt.Fprintf(os.Stderr, "hull: root filesystem: %v; %v; using a copy of the layers\n", err, ferr)
	}
	return nil
}

// errNoFuseOverlay is mountFuseOverlay's error when fuse-overlayfs is not
// installed: an expected gap, not a failure to report.
var errNoFuseOverlay = errors.New("fuse-overlayfs not found")

// lowerDirs lists the layers for overlay's lowerdir option. Layers sharing
// one parent are named relative to it (the caller chdirs there) so that
// many layers fit in the one-page mount data.
func lowerDirs(layers []string) (dir string, list string) {
	if len(layers) == 0 {
		return "", ""
	}
	parent := filepath.Dir(layers[0])
	names := make([]string, len(layers))
	for i, l := range layers {
		if filepath.Dir(l) != parent {
			return "", strings.Join(layers, ":")
		}
		names[i] = filepath.Base(l)
	}
	return parent, strings.Join(names, ":")
}

func overlayOptions(r isolation.Rootfs) (string, string, error) {
	if len(r.Layers) == 0 {
		// FROM scratch: an empty lower dir.
		empty := filepath.Join(filepath.Dir(r.UpperDir), "empty")
		if err := os.MkdirAll(empty, 0o755); err != nil {
			return "", "", err
		}
		r.Layers = []string{empty}
	}
	dir, lower := lowerDirs(r.Layers)
	if len(r.Layers) == 1 {
		// overlay needs two lower dirs without an upper; with an upper, one is
		// enough.
		dir, lower = "", r.Layers[0]
	}
	return dir, fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", lower, r.UpperDir, r.WorkDir), nil
}

func mountOverlay(r isolation.Rootfs) error {
	dir, opts, err := overlayOptions(r)
	if err != nil {
		return err
	}
	if dir != "" {
		if err := os.Chdir(dir); err != nil {
			return err
		}
		defer os.Chdir("/")
	}
	opts += ",userxattr"
	if r.Volatile {
		// A volatile mount leaves work/incompat/volatile behind, and
		// overlay refuses the dir while it is there. Volatile upper dirs
		// are only reused within one hull process (a build step's RUN and
		// copy tasks), after a clean unmount: the marker can go.
		_ = os.RemoveAll(filepath.Join(r.WorkDir, "work", "incompat", "volatile"))
		// Kernels before 5.10 do not know "volatile": fall back to a
		// plain mount rather than fail.
		if err := unix.Mount("overlay", r.MountDir, "overlay", 0, opts+",volatile"); err == nil {
			return nil
		}
	}
	if err := unix.Mount("overlay", r.MountDir, "overlay", 0, opts); err != nil {
		return &os.PathError{Op: "mount overlay", Path: r.MountDir, Err: err}
	}
	return nil
}

func mountFuseOverlay(r isolation.Rootfs) error {
	bin, err := exec.LookPath("fuse-overlayfs")
	if err != nil {
		for _, p := range []string{"/usr/bin/fuse-overlayfs", "/usr/local/bin/fuse-overlayfs"} {
			if _, serr := os.Stat(p); serr == nil {
				bin, err = p, nil
				break
			}
		}
		if err != nil {
			return errNoFuseOverlay
		}
	}
	cmd, err := fuseOverlayCommand(bin, r)
	if err != nil {
		return err
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("fuse-overlayfs: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// maxArgLen is the kernel's limit on one argument (MAX_ARG_STRLEN).
const maxArgLen = 32 * 4096

// fuseOverlayCommand runs fuse-overlayfs on r. The options go on its
// command line, not into the one-page mount data, so the layers are named
// by absolute path when that fits in one argument; otherwise by the names
// overlayOptions made relative to their parent, with the command started
// there (fuse-overlayfs opens its layers before it daemonizes).
func fuseOverlayCommand(bin string, r isolation.Rootfs) (*exec.Cmd, error) {
	dir, opts, err := overlayOptions(r)
	if err != nil {
		return nil, err
	}
	if abs := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", strings.Join(r.Layers, ":"), r.UpperDir, r.WorkDir); len(r.Layers) > 0 && len(abs) < maxArgLen {
		dir, opts = "", abs
	}
	cmd := exec.Command(bin, "-o", opts, r.MountDir)
	cmd.Dir = dir
	return cmd, nil
}

// mountCopy is the last resort: the layers are copied bottom-up into the
// upper dir, whiteouts applied, and the result bound at MountDir.
func mountCopy(r isolation.Rootfs) error {
	if entries, _ := os.ReadDir(r.UpperDir); len(entries) == 0 {
		for i := len(r.Layers) - 1; i >= 0; i-- {
			if err := copyLayer(r.Layers[i], r.UpperDir); err != nil {
				return err
			}
		}
	}
	return unix.Mount(r.UpperDir, r.MountDir, "", unix.MS_BIND|unix.MS_REC, "")
}

func copyLayer(src, dst string) error {
	return filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		st := fi.Sys().(*syscall.Stat_t)
		if fi.Mode()&os.ModeCharDevice != 0 && st.Rdev == 0 {
			return os.RemoveAll(target) // overlay whiteout
		}
		if rel == "." {
			return nil
		}
		if fi.IsDir() {
			if op, _ := unix.Lgetxattr(p, "user.overlay.opaque", make([]byte, 1)); op == 1 {
				os.RemoveAll(target)
			}
			if tfi, err := os.Lstat(target); err == nil && !tfi.IsDir() {
				os.RemoveAll(target)
			}
			if err := os.Mkdir(target, fi.Mode().Perm()); err != nil && !os.IsExist(err) {
				return err
			}
			return unix.Lchown(target, int(st.Uid), int(st.Gid))
		}
		os.RemoveAll(target)
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			if err := os.Symlink(link, target); err != nil {
				return err
			}
		case fi.Mode().IsRegular():
			if err := copyFile(p, target, fi.Mode()); err != nil {
				return err
			}
		default:
			return nil
		}
		return unix.Lchown(target, int(st.Uid), int(st.Gid))
	})
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode.Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Chmod(dst, mode&(os.ModePerm|os.ModeSetuid|os.ModeSetgid|os.ModeSticky))
}

// Package core is the application API that hull's CLI calls: it finds the
// per-user store and runtime directories and wires the image store, the
// container records and the isolation layer together. Sub-packages hold one
// concept each (image, layer, container, cli).
package core

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Paths are the only two places hull writes to.
type Paths struct {
	// Root holds images, layers and container records (persistent).
	Root string
	// RunRoot holds runtime state that does not survive a reboot.
	RunRoot string
}

// DefaultPaths resolves the store and runtime directories: an explicit root
// (from --root), then $HULL_ROOT, then $XDG_DATA_HOME/hull, then
// ~/.local/share/hull. The runtime dir is $XDG_RUNTIME_DIR/hull when that
// directory is ours; otherwise RunRoot stays empty and Ensure picks a
// private one (privateRunDir).
func DefaultPaths(root string) (Paths, error) {
	var p Paths
	switch {
	case root != "":
		p.Root = root
	case os.Getenv("HULL_ROOT") != "":
		p.Root = os.Getenv("HULL_ROOT")
	case os.Getenv("XDG_DATA_HOME") != "":
		p.Root = filepath.Join(os.Getenv("XDG_DATA_HOME"), "hull")
	default:
		home, err := os.UserHomeDir()
		if err != nil {
			return p, fmt.Errorf("find store directory: %w (set --root or HULL_ROOT)", err)
		}
		p.Root = filepath.Join(home, ".local", "share", "hull")
	}
	abs, err := filepath.Abs(p.Root)
	if err != nil {
		return p, fmt.Errorf("store directory %s: %w", p.Root, err)
	}
	p.Root = abs
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" && writableDir(d) {
		p.RunRoot = filepath.Join(d, "hull")
	}
	return p, nil
}

// Ensure creates both directories with mode 0700. Without a runtime dir
// from DefaultPaths, it picks a private one (privateRunDir) that another
// user can neither have pre-created nor watch or tamper with.
func (p *Paths) Ensure() error {
	if err := os.MkdirAll(p.Root, 0o700); err != nil {
		return fmt.Errorf("create store %s: %w", p.Root, err)
	}
	// Whoever may rename what is directly in the store can swap a record,
	// a volume or a layer dir for their own or for a link: a --root made
	// by another user (say, under /tmp) is refused, not used.
	if st, err := os.Lstat(p.Root); err != nil {
		return fmt.Errorf("store %s: %w", p.Root, err)
	} else if !st.IsDir() || ownerOf(st) != os.Getuid() || st.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("store %s: not a directory of uid %d that only it may write to (owner uid %d, mode %#o)", p.Root, os.Getuid(), ownerOf(st), st.Mode().Perm())
	}
	if p.RunRoot == "" {
		cache, _ := os.UserCacheDir()
		dir, err := privateRunDir(os.TempDir(), cache, os.Getuid(), bootID())
		if err != nil {
			return err
		}
		p.RunRoot = dir
		return nil
	}
	if err := os.MkdirAll(p.RunRoot, 0o700); err != nil {
		return fmt.Errorf("create runtime dir %s: %w", p.RunRoot, err)
	}
	st, err := os.Lstat(p.RunRoot)
	if err != nil {
		return fmt.Errorf("runtime dir %s: %w", p.RunRoot, err)
	}
	if !st.IsDir() || ownerOf(st) != os.Getuid() {
		return fmt.Errorf("runtime dir %s: not a directory owned by uid %d", p.RunRoot, os.Getuid())
	}
	return nil
}

// privateRunDir is the runtime dir when XDG_RUNTIME_DIR is unset:
// TMP/hull-run-UID, made 0700 or accepted when it is a directory of uid's
// that no one else may enter. Any other user can create that name first;
// then it is CACHE/hull/run-BOOT (in the user's own cache dir, which no one
// else can claim; BOOT names the boot, so that state does not outlive a
// reboot), quietly. Once made, the fallback is kept for the whole boot, so
// every hull process of the user agrees on one dir even when the claim on
// /tmp goes away. Without a cache dir, the error says who holds the name
// and what to do.
func privateRunDir(tmp, cache string, uid int, boot string) (string, error) {
	fallback := ""
	if cache != "" {
		fallback = filepath.Join(cache, "hull", "run-"+boot)
		if ownDir(fallback, uid) == nil {
			return fallback, nil
		}
	}
	shared := filepath.Join(tmp, fmt.Sprintf("hull-run-%d", uid))
	err := os.Mkdir(shared, 0o700)
	if err == nil || errors.Is(err, fs.ErrExist) {
		if err = ownDir(shared, uid); err == nil {
			return shared, nil
		}
	}
	claimed := fmt.Errorf("runtime dir %s: %v", shared, err)
	if fallback == "" {
		return "", fmt.Errorf("%w; set XDG_RUNTIME_DIR to a directory of yours", claimed)
	}
	if err := os.MkdirAll(fallback, 0o700); err != nil {
		return "", fmt.Errorf("%w, and %w; set XDG_RUNTIME_DIR to a directory of yours", claimed, err)
	}
	if err := ownDir(fallback, uid); err != nil {
		return "", fmt.Errorf("%w, and %s: %w; set XDG_RUNTIME_DIR to a directory of yours", claimed, fallback, err)
	}
	return fallback, nil
}

// ownDir checks that dir itself (not a symlink to it) is a directory owned
// by uid with no permission for anyone else.
func ownDir(dir string, uid int) error {
	st, err := os.Lstat(dir)
	switch {
	case err != nil:
		return err
	case !st.IsDir():
		return fmt.Errorf("not a directory (%s)", st.Mode().Type())
	case ownerOf(st) != uid:
		return fmt.Errorf("owned by uid %d, not %d", ownerOf(st), uid)
	case st.Mode().Perm()&0o077 != 0:
		return fmt.Errorf("mode %#o lets other users in", st.Mode().Perm())
	}
	return nil
}

// bootID names the current boot (the start of the kernel's boot_id).
func bootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if id := strings.TrimSpace(string(b)); err == nil && len(id) >= 8 {
		return id[:8]
	}
	return "0"
}

func writableDir(d string) bool {
	st, err := os.Stat(d)
	return err == nil && st.IsDir() && ownerOf(st) == os.Getuid()
}

// Package core is the application API that hull's CLI calls: it finds the
// per-user store and runtime directories and wires the image store, the
// container records and the isolation layer together. Sub-packages hold one
// concept each (image, layer, container, cli).
package core

import (
	"fmt"
	"os"
	"path/filepath"
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
// ~/.local/share/hull. The runtime dir is $XDG_RUNTIME_DIR/hull, or a 0700
// directory under /tmp named after the uid when XDG_RUNTIME_DIR is unset.
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
	} else {
		p.RunRoot = filepath.Join(os.TempDir(), fmt.Sprintf("hull-run-%d", os.Getuid()))
	}
	return p, nil
}

// Ensure creates both directories with mode 0700 and checks that an existing
// runtime directory under /tmp belongs to us, so that another user cannot
// pre-create it and watch or tamper with our state.
func (p Paths) Ensure() error {
	if err := os.MkdirAll(p.Root, 0o700); err != nil {
		return fmt.Errorf("create store %s: %w", p.Root, err)
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

func writableDir(d string) bool {
	st, err := os.Stat(d)
	return err == nil && st.IsDir() && ownerOf(st) == os.Getuid()
}

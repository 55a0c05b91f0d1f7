package child

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hull-project/hull/isolation"
	"golang.org/x/sys/unix"
)

// TaskFunc performs a Spec.Task. rootfs is the container's root as a host
// path (mounted, not pivoted); sources are the task's read-only inputs.
// It runs as root of the user namespace with every capability there, and
// must resolve every path inside rootfs or a source (openat2
// RESOLVE_IN_ROOT): nothing of the image runs, but its symlinks are there.
type TaskFunc func(rootfs string, sources []string, args json.RawMessage) error

// runTask mounts the sources read-only under the state dir and runs the
// task. Precondition: the root filesystem is mounted and mounts are
// private.
func runTask(spec *isolation.Spec, tasks map[string]TaskFunc) error {
	fn, ok := tasks[spec.Task.Name]
	if !ok {
		return fmt.Errorf("unknown task %q", spec.Task.Name)
	}
	var paths []string
	for i, src := range spec.Task.Sources {
		p, err := mountSource(spec, i, src)
		if err != nil {
			return fmt.Errorf("task source %d: %w", i, err)
		}
		paths = append(paths, p)
	}
	return fn(spec.Rootfs.MountDir, paths, spec.Task.Args)
}

func mountSource(spec *isolation.Spec, i int, src isolation.TaskSource) (string, error) {
	if src.Dir != "" {
		return src.Dir, nil
	}
	target := filepath.Join(spec.StateDir, fmt.Sprintf("source-%d", i))
	if err := os.MkdirAll(target, 0o700); err != nil {
		return "", err
	}
	return target, mountLayers(target, src.Layers)
}

// mountLayers mounts a read-only view of layers (topmost first) at the
// host path target: nothing for none, a bind for one, an overlay of only
// lower dirs for more.
func mountLayers(target string, layers []string) error {
	switch len(layers) {
	case 0:
		return nil
	case 1:
		if err := unix.Mount(layers[0], target, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return &os.PathError{Op: "bind layer", Path: layers[0], Err: err}
		}
		return remountReadonly(target, "/")
	}
	dir, lower := lowerDirs(layers)
	if dir != "" {
		if err := os.Chdir(dir); err != nil {
			return err
		}
		defer os.Chdir("/")
	}
	if err := unix.Mount("overlay", target, "overlay", unix.MS_RDONLY, "lowerdir="+lower+",userxattr"); err != nil {
		return &os.PathError{Op: "mount layers", Path: strings.Join(layers, ":"), Err: err}
	}
	return nil
}

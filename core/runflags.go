package core

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/core/logfile"
)

// ErrLogNone: logs of a container whose log driver is none.
var ErrLogNone = errors.New(`configured logging driver does not support reading`)

// OpenLog opens the log of c as its --log-driver and --log-opt say.
func (h *Hull) OpenLog(c *container.Container) (*logfile.Writer, error) {
	if c.HostConfig.LogDriver() == container.LogNone {
		return logfile.Discard(), nil
	}
	size, files := c.HostConfig.LogRotation()
	return logfile.CreateRotating(h.LogPath(c.ID), size, files)
}

// VolumesFrom resolves --volumes-from NAME[:ro|rw]: the bind mounts and
// volumes of container NAME become -v entries of o (a volume by its name,
// so an anonymous one is shared, not copied, and stays its owner's; a bind
// by the path pinned at NAME's create), with
// their modes, or all read-only or read-write as the suffix says.
func (h *Hull) VolumesFrom(o *container.Options, refs []string) error {
	for _, ref := range refs {
		name, mode, _ := strings.Cut(ref, ":")
		if mode != "" && mode != "ro" && mode != "rw" {
			return fmt.Errorf("invalid --volumes-from %q: the mode must be ro or rw", ref)
		}
		src, err := h.Containers.Lookup(name)
		if err != nil {
			return fmt.Errorf("volumes from %s: %w", name, err)
		}
		for _, m := range src.Mounts {
			var from string
			switch m.Type {
			case "bind":
				// The path pinned at NAME's create, not its Source
				// resolved again: NAME may have swapped a link in.
				from = m.HostPath
				if from == "" {
					from = m.Source
				}
			case "volume":
				from = m.Name
			default:
				continue
			}
			rw := m.RW
			if mode != "" {
				rw = mode == "rw"
			}
			spec := from + ":" + m.Destination
			if !rw {
				spec += ":ro"
			}
			o.Volumes = append(o.Volumes, spec)
		}
	}
	return nil
}

// writeCIDFile writes the new container's id to --cidfile, refusing a file
// that exists (it may name another container), as Docker.
func writeCIDFile(path, id string) error {
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("write container ID file %s: %w", path, err)
	}
	_, err = f.WriteString(id)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write container ID file %s: %w", path, err)
	}
	return nil
}

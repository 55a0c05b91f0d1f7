package core

import (
	"errors"
	"fmt"

	"github.com/hull-project/hull/core/cgroup"
	"github.com/hull-project/hull/core/container"
)

// UpdateOptions are the flags of `hull update`; empty ones change nothing.
type UpdateOptions struct {
	Memory    string // --memory, "512m"
	CPUs      string // --cpus, "1.5"
	PidsLimit int64  // --pids-limit; 0: unchanged
	Restart   string // --restart POLICY
}

// Update changes a container's limits and restart policy, as docker
// update: a running container's cgroup gets the new limits at once (an
// error where it has none of its own, with nothing changed); every
// container's record keeps them for its next start.
func (h *Hull) Update(ref string, o UpdateOptions) error {
	c, err := h.Containers.Lookup(ref)
	if err != nil {
		return err
	}
	lim, err := container.ParseLimits(container.LimitOptions{Memory: o.Memory, CPUs: o.CPUs, PidsLimit: o.PidsLimit})
	if err != nil {
		return err
	}
	var policy *container.RestartPolicy
	if o.Restart != "" {
		p, err := container.ParseRestart(o.Restart)
		if err != nil {
			return err
		}
		if c.HostConfig.AutoRemove && !p.IsNone() {
			return fmt.Errorf("update container %s: restart policy cannot be updated because AutoRemove is enabled for the container", c.Name)
		}
		policy = &p
	}
	r := cgroup.Resources{Memory: lim.Memory, NanoCPUs: lim.NanoCPUs, PidsLimit: lim.PidsLimit}
	if c.State.Running && len(r.Needs()) > 0 {
		if err := cgroup.Update(cgroup.Probe(), c.State.Pid, "hull-"+c.ID, r); err != nil {
			if errors.Is(err, cgroup.ErrNoGroup) {
				return fmt.Errorf("update container %s: %w (hull makes one where the user has a delegated cgroup: see hull info)", c.Name, err)
			}
			return fmt.Errorf("update container %s: %w", c.Name, err)
		}
	}
	_, err = h.Containers.Modify(c.ID, func(c *container.Container) error {
		l := &c.HostConfig.Limits
		if lim.Memory > 0 {
			l.Memory = lim.Memory
		}
		if lim.NanoCPUs > 0 {
			l.NanoCPUs = lim.NanoCPUs
		}
		if lim.PidsLimit > 0 {
			l.PidsLimit = lim.PidsLimit
		}
		if policy != nil {
			c.HostConfig.RestartPolicy = *policy
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("update container %s: %w", c.Name, err)
	}
	h.Containers.Emit(c, "update")
	return nil
}

package core

import (
	"fmt"
	"slices"

	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/isolation"
)

// resolveJoin looks up the container that c's container:NAME modes
// (--pid, --ipc, --uts, --network) name and records its id, so that a
// later rename changes nothing; c takes its hostname when it joins its
// UTS or network namespace, as Docker. mustRun: c starts at once (run),
// so the target must run now, as each start checks again.
func (h *Hull) resolveJoin(c *container.Container, mustRun bool) error {
	ref, kinds := c.HostConfig.Joins()
	if ref == "" {
		return nil
	}
	t, err := h.joinTarget(ref, kinds, mustRun)
	if err != nil {
		return err
	}
	c.HostConfig.SetJoinTarget(t.ID)
	if slices.Contains(kinds, "uts") || slices.Contains(kinds, "net") {
		c.Config.Hostname = t.Config.Hostname
	}
	return nil
}

// joinTarget is the container whose namespaces of kinds a container
// joins. One that itself joined another's (or a pod's) is refused rather
// than followed: its user namespace, and so the id mapping, is that
// other's, which its record does not say. One that keeps the host's
// namespace of a kind cannot be joined for it: rootless, the host's
// namespaces belong to no user namespace of ours.
func (h *Hull) joinTarget(ref string, kinds []string, mustRun bool) (*container.Container, error) {
	t, err := h.Containers.Lookup(ref)
	if err != nil {
		return nil, err
	}
	if t.Name != "" {
		ref = t.Name // a start names it by id: say its name
	}
	if other, _ := t.HostConfig.Joins(); other != "" || t.HostConfig.Pod != "" {
		return nil, fmt.Errorf("cannot join the namespaces of container %s: it shares those of another container or pod; join that one", ref)
	}
	for _, k := range kinds {
		if t.HostConfig.HostMode(k) {
			return nil, fmt.Errorf("cannot join the %s namespace of container %s: it uses the host's", container.JoinWord(k), ref)
		}
	}
	if mustRun && (!t.State.Running || t.State.Pid <= 0) {
		return nil, fmt.Errorf("cannot join %s of a non running container: %s", container.JoinWord(kinds[0]), ref)
	}
	return t, nil
}

// joinContainer points spec at the namespaces of the container c joins
// (resolved again at every start: it must run now) and, when c joins its
// network, gives c /etc files made as that container's own were.
func (h *Hull) joinContainer(c *container.Container, spec *isolation.Spec) error {
	id, kinds := c.HostConfig.Joins()
	if id == "" {
		return nil
	}
	t, err := h.joinTarget(id, kinds, true)
	if err != nil {
		return err
	}
	spec.Join = &isolation.Join{Pid: t.State.Pid, Namespaces: kinds, Shm: slices.Contains(kinds, "ipc")}
	if !slices.Contains(kinds, "net") {
		return nil
	}
	spec.HostNetwork = false
	in := t.EtcInput()
	in.IP, in.Gateway, in.DNS = t.NetworkSettings.IPAddress, t.NetworkSettings.Gateway, t.NetworkSettings.DNS
	return addEtcFiles(spec, in)
}

// joinedMapping is the id mapping of the container c joins, whose user
// namespace c enters; ok is false when c joins none.
func (h *Hull) joinedMapping(c *container.Container) (m isolation.Mapping, ok bool, err error) {
	id, _ := c.HostConfig.Joins()
	if id == "" {
		return m, false, nil
	}
	t, err := h.Containers.Get(id)
	if err != nil {
		return m, true, err
	}
	m, err = h.MappingFor(t)
	return m, true, err
}

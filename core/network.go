package core

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/isolation"
	"github.com/hull-project/hull/plugins"
	"github.com/hull-project/hull/plugins/network"
)

// openNetwork prepares the network of one start of c: nil for none and
// host. Missing programs, bad options and busy host ports are reported
// here, before the container exists.
func openNetwork(c *container.Container, stateDir string) (*network.Attachment, error) {
	mode, err := network.ParseMode(c.HostConfig.NetworkMode)
	if err != nil {
		return nil, err
	}
	return network.Open(mode, network.OpenOptions{ContainerID: c.ID, StateDir: stateDir,
		Ports: c.HostConfig.PortBindings.Mappings(), PluginDirs: plugins.SearchPath(nil)})
}

// NetworkHooks returns the isolation hooks that set att up once the
// container's namespaces exist and then write /etc/hosts and
// /etc/resolv.conf with its address and name servers into spec (the spec
// is sent to the child after the Created hook). No hooks for a nil att.
func NetworkHooks(ctx context.Context, att *network.Attachment, spec *isolation.Spec, etc container.EtcInput) isolation.Hooks {
	if att == nil {
		return isolation.Hooks{}
	}
	return isolation.Hooks{Created: func(pid int) error {
		res, err := att.Setup(ctx, pid)
		if err != nil {
			return err
		}
		etc.IP, etc.Gateway, etc.DNS = res.IP(), res.Gateway, res.DNS
		files, err := container.NetworkEtcFiles(etc)
		if err != nil {
			return err
		}
		for k, v := range files {
			spec.Files[k] = v
		}
		return nil
	}}
}

// closeNetwork tears a start's network down; a failure is only logged,
// the container's outcome matters more.
func closeNetwork(att *network.Attachment) {
	if err := att.Close(); err != nil {
		slog.Warn("tear down network", "network", att.Mode.Name, "err", err)
	}
}

// Ports are the published ports of a running container, sorted; the
// private port "80/tcp" given in filter narrows them.
func (h *Hull) Ports(ref, filter string) ([]network.PortMapping, error) {
	c, err := h.Containers.Lookup(ref)
	if err != nil {
		return nil, err
	}
	var out []network.PortMapping
	if !c.State.Running {
		return nil, nil
	}
	for _, p := range c.NetworkSettings.Ports.Mappings() {
		if filter == "" || p.Key() == filter || strconv.Itoa(p.ContainerPort) == filter {
			out = append(out, p)
		}
	}
	if filter != "" && len(out) == 0 {
		return nil, fmt.Errorf("no public port '%s' published for %s", filter, ref)
	}
	return out, nil
}

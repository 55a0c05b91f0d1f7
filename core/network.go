package core

import (
	"fmt"
	"strconv"

	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/core/launch"
	"github.com/hull-project/hull/plugins"
	"github.com/hull-project/hull/plugins/network"
)

// networkOf is the network of one start of c, for the launcher: the
// record's --network, -p, and /etc input.
func networkOf(c *container.Container, stateDir string) (*launch.Network, error) {
	mode, err := network.ParseMode(c.HostConfig.NetworkMode)
	if err != nil {
		return nil, err
	}
	return &launch.Network{Mode: mode, Etc: c.EtcInput(),
		Options: network.OpenOptions{ContainerID: c.ID, StateDir: stateDir,
			Ports: c.HostConfig.PortBindings, PluginDirs: plugins.SearchPath(nil)}}, nil
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
	for _, p := range c.NetworkSettings.Ports {
		if filter == "" || p.Key() == filter || strconv.Itoa(p.ContainerPort) == filter {
			out = append(out, p)
		}
	}
	if filter != "" && len(out) == 0 {
		return nil, fmt.Errorf("no public port '%s' published for %s", filter, ref)
	}
	return out, nil
}

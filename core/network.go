package core

import (
	"fmt"
	"strconv"

	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/core/launch"
	"github.com/hull-project/hull/plugins"
	"github.com/hull-project/hull/plugins/network"
	"github.com/hull-project/hull/plugins/sdk/netsdk/netspec"
)

// networkOf is the network of one start of c, for the launcher: the
// record's --network, -p, and /etc input, and its named networks. stateDir
// is $RUNROOT/ID; each named network's driver is h.driverOf's.
func (h *Hull) networkOf(c *container.Container, stateDir string) (*launch.Network, error) {
	mode, err := network.ParseMode(c.HostConfig.NetworkMode)
	if err != nil {
		return nil, err
	}
	n := &launch.Network{Mode: mode, Etc: c.EtcInput(),
		Options: network.OpenOptions{ContainerID: c.ID, StateDir: stateDir,
			Ports: c.HostConfig.PortBindings, PluginDirs: plugins.SearchPath(nil)}}
	named := c.NamedNetworks()
	if len(named) == 0 {
		return n, nil
	}
	// The way out is the container's own user-mode network, unless every
	// named network is internal: then there is none.
	internal := true
	for i, ep := range named {
		internal = internal && ep.Network.Internal
		e := netspec.Endpoint{ContainerID: c.ID, Names: c.DNSNames(ep.Network.Name), Interface: "eth" + strconv.Itoa(i)}
		if ep.IPAMConfig != nil {
			e.IP = ep.IPAMConfig.IPv4Address
		}
		n.Named = append(n.Named, launch.NamedAttach{Driver: h.driverOf(ep.Network), Config: ep.Network, Endpoint: e})
	}
	if internal {
		if len(c.HostConfig.PortBindings) > 0 {
			return nil, fmt.Errorf("published ports need a way out, which an internal network has not")
		}
		n.Mode = network.Mode{Name: network.None}
	}
	return n, nil
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

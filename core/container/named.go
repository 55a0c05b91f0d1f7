package container

import (
	"fmt"
	"net"
	"sort"
	"strings"

	"github.com/hull-project/hull/plugins/sdk/netsdk/netspec"
)

// NamedNetwork is one named network a container joins: --network NAME
// (or network connect), its --network-alias values and --ip.
type NamedNetwork struct {
	Config  netspec.NetworkConfig
	Aliases []string
	IP      string
}

// EndpointSettings is a container's attachment to a named network, as
// Docker's inspect shows it under NetworkSettings.Networks; the network's
// definition at the time it joined is kept beside (the network cannot be
// removed while a container names it).
type EndpointSettings struct {
	NetworkID   string        `json:"NetworkID"`
	Aliases     []string      `json:"Aliases"`
	IPAMConfig  *EndpointIPAM `json:"IPAMConfig"`
	IPAddress   string        `json:"IPAddress"`
	IPPrefixLen int           `json:"IPPrefixLen"`
	Gateway     string        `json:"Gateway"`
	MacAddress  string        `json:"MacAddress"`
	// Index orders the networks: eth0 is the first.
	Index   int                   `json:"HullIndex"`
	Network netspec.NetworkConfig `json:"HullNetwork"`
}

// EndpointIPAM is the address asked for with --ip.
type EndpointIPAM struct {
	IPv4Address string `json:"IPv4Address,omitempty"`
}

// setNamed records the named networks; published ports need a way out,
// which an internal network has not.
func (c *Container) setNamed(named []NamedNetwork) error {
	for _, n := range named {
		if err := c.AddNetwork(n); err != nil {
			return err
		}
	}
	return nil
}

// AddNetwork records one more named network (run, network connect).
func (c *Container) AddNetwork(n NamedNetwork) error {
	if c.NetworkSettings.Networks == nil {
		c.NetworkSettings.Networks = map[string]*EndpointSettings{}
	}
	name := n.Config.Name
	if _, ok := c.NetworkSettings.Networks[name]; ok {
		return fmt.Errorf("container %s is already connected to network %s", ShortID(c.ID), name)
	}
	for _, a := range n.Aliases {
		if a == "" || strings.ContainsAny(a, " \t\n/") || len(a) > 253 {
			return fmt.Errorf("invalid --network-alias %q", a)
		}
	}
	index := 0
	for _, e := range c.NetworkSettings.Networks {
		index = max(index, e.Index+1)
	}
	ep := &EndpointSettings{NetworkID: n.Config.ID, Aliases: n.Aliases, Network: n.Config, Index: index}
	if n.IP != "" {
		ip := net.ParseIP(n.IP).To4()
		_, subnet, err := net.ParseCIDR(n.Config.Subnet)
		if ip == nil || err != nil || !subnet.Contains(ip) {
			return fmt.Errorf("invalid --ip %q: not an IPv4 address of network %s (%s)", n.IP, name, n.Config.Subnet)
		}
		ep.IPAMConfig = &EndpointIPAM{IPv4Address: ip.String()}
	}
	c.NetworkSettings.Networks[name] = ep
	return nil
}

// RemoveNetwork forgets a named network (network disconnect).
func (c *Container) RemoveNetwork(name string) error {
	if c.NetworkSettings.Networks[name] == nil {
		return fmt.Errorf("container %s is not connected to network %s", ShortID(c.ID), name)
	}
	delete(c.NetworkSettings.Networks, name)
	return nil
}

// NamedNetworks are the container's named networks, eth0's first.
func (c *Container) NamedNetworks() []*EndpointSettings {
	out := make([]*EndpointSettings, 0, len(c.NetworkSettings.Networks))
	for _, ep := range c.NetworkSettings.Networks {
		out = append(out, ep)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out
}

// DNSNames are the names the container answers to on a named network:
// its name, its aliases there, its short id.
func (c *Container) DNSNames(network string) []string {
	names := []string{}
	if c.Name != "" {
		names = append(names, c.Name)
	}
	if ep := c.NetworkSettings.Networks[network]; ep != nil {
		names = append(names, ep.Aliases...)
	}
	return append(names, ShortID(c.ID))
}

// NetworkNames is the NETWORKS column of ps: the named networks, else the
// network mode.
func (c *Container) NetworkNames() string {
	named := c.NamedNetworks()
	if len(named) == 0 {
		return c.HostConfig.NetworkMode
	}
	names := make([]string, len(named))
	for i, ep := range named {
		names[i] = ep.Network.Name
	}
	return strings.Join(names, ",")
}

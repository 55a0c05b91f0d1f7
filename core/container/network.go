package container

import (
	"fmt"
	"net"
	"strings"

	"github.com/hull-project/hull/plugins/sdk/netsdk/netspec"
)

// NetworkSettings is the network a start got, as Docker's inspect shows it.
type NetworkSettings struct {
	IPAddress   string `json:"IPAddress"`
	IPPrefixLen int    `json:"IPPrefixLen"`
	Gateway     string `json:"Gateway"`
	Ports       Ports  `json:"Ports"`
	// Networks are the named networks the container joins, by name.
	Networks map[string]*EndpointSettings `json:"Networks,omitempty"`
	// DNS are the name servers of the start's own network, which a
	// container of --network container:ID is given too (not shown by
	// inspect, as Docker).
	DNS []string `json:"DNS,omitempty"`
}

// SetNetwork records what a start's network looks like.
func (c *Container) SetNetwork(res netspec.Result) {
	ns := NetworkSettings{Gateway: res.Gateway, Ports: NewPorts(res.Ports), Networks: c.NetworkSettings.Networks, DNS: res.DNS}
	if ip, ipnet, err := net.ParseCIDR(res.Address); err == nil {
		ns.IPAddress = ip.String()
		ns.IPPrefixLen, _ = ipnet.Mask.Size()
	}
	c.NetworkSettings = ns
}

// setPorts checks -p, -P, --add-host, --dns and --dns-search and records
// them. -P publishes every port the image EXPOSEs on a free host port.
func (c *Container) setPorts(o Options, exposed map[string]struct{}) error {
	var ports []netspec.PortMapping
	for _, s := range o.Publish {
		p, err := ParsePublish(s)
		if err != nil {
			return err
		}
		ports = append(ports, p)
	}
	if o.PublishAll {
		for key := range exposed {
			p, err := ParseExposed(key)
			if err != nil {
				return err
			}
			ports = append(ports, p)
		}
	}
	if len(ports) > 0 && (c.HostConfig.NetworkMode == NetworkNone || c.HostConfig.NetworkMode == NetworkHost) {
		return fmt.Errorf("published ports need a user-mode network, not --network %s", c.HostConfig.NetworkMode)
	}
	c.HostConfig.PortBindings = NewPorts(ports)
	for _, h := range o.AddHosts {
		if _, _, err := ParseAddHost(h); err != nil {
			return err
		}
	}
	for _, d := range o.DNS {
		if net.ParseIP(d) == nil {
			return fmt.Errorf("invalid --dns %q: not an IP address", d)
		}
	}
	for _, d := range o.DNSSearch {
		if d == "" || strings.ContainsAny(d, " \t\n") {
			return fmt.Errorf("invalid --dns-search %q", d)
		}
	}
	c.HostConfig.ExtraHosts, c.HostConfig.DNS, c.HostConfig.DNSSearch = o.AddHosts, o.DNS, o.DNSSearch
	return nil
}

// ParseAddHost parses --add-host NAME:IP (or NAME=IP); IP may be
// "host-gateway", the container's gateway, as in Docker.
func ParseAddHost(s string) (name, ip string, err error) {
	name, ip, ok := strings.Cut(s, "=")
	if !ok {
		name, ip, ok = strings.Cut(s, ":")
	}
	if !ok || name == "" || strings.ContainsAny(name, " \t\n#") {
		return "", "", fmt.Errorf("invalid --add-host %q: want NAME:IP", s)
	}
	ip = strings.TrimSuffix(strings.TrimPrefix(ip, "["), "]")
	if ip != "host-gateway" && net.ParseIP(ip) == nil {
		return "", "", fmt.Errorf("invalid --add-host %q: %q is not an IP address", s, ip)
	}
	return name, ip, nil
}

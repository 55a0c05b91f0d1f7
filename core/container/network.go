package container

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/hull-project/hull/plugins/network"
)

// PortBinding is one host side of a published port (Docker's shape).
type PortBinding struct {
	HostIP   string `json:"HostIp"`
	HostPort string `json:"HostPort"`
}

// PortMap maps "PORT/PROTO" to its host sides.
type PortMap map[string][]PortBinding

// NetworkSettings is the network a start got, as Docker's inspect shows it.
type NetworkSettings struct {
	IPAddress   string  `json:"IPAddress"`
	IPPrefixLen int     `json:"IPPrefixLen"`
	Gateway     string  `json:"Gateway"`
	Ports       PortMap `json:"Ports"`
}

// Mappings flattens a PortMap into the mappings a network driver gets,
// sorted by container port.
func (m PortMap) Mappings() []network.PortMapping {
	var out []network.PortMapping
	for key, binds := range m {
		p, err := network.ParseExposed(key)
		if err != nil {
			continue
		}
		for _, b := range binds {
			hp, _ := strconv.Atoi(b.HostPort)
			out = append(out, network.PortMapping{HostIP: b.HostIP, HostPort: hp, ContainerPort: p.ContainerPort, Protocol: p.Protocol})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].ContainerPort != out[j].ContainerPort {
			return out[i].ContainerPort < out[j].ContainerPort
		}
		return out[i].Protocol < out[j].Protocol
	})
	return out
}

// PortMapOf is the PortMap of mappings.
func PortMapOf(ports []network.PortMapping) PortMap {
	if len(ports) == 0 {
		return nil
	}
	m := PortMap{}
	for _, p := range ports {
		m[p.Key()] = append(m[p.Key()], PortBinding{HostIP: p.HostIP, HostPort: strconv.Itoa(p.HostPort)})
	}
	return m
}

// SetNetwork records what a start's network looks like.
func (c *Container) SetNetwork(res network.Result) {
	ns := NetworkSettings{Gateway: res.Gateway, Ports: PortMapOf(res.Ports)}
	if ip, ipnet, err := net.ParseCIDR(res.Address); err == nil {
		ns.IPAddress = ip.String()
		ns.IPPrefixLen, _ = ipnet.Mask.Size()
	}
	c.NetworkSettings = ns
}

// setPorts checks -p, -P, --add-host, --dns and --dns-search and records
// them. -P publishes every port the image EXPOSEs on a free host port.
func (c *Container) setPorts(o Options, exposed map[string]struct{}) error {
	var ports []network.PortMapping
	for _, s := range o.Publish {
		p, err := network.ParsePublish(s)
		if err != nil {
			return err
		}
		ports = append(ports, p)
	}
	if o.PublishAll {
		for key := range exposed {
			p, err := network.ParseExposed(key)
			if err != nil {
				return err
			}
			ports = append(ports, p)
		}
	}
	if len(ports) > 0 && (c.HostConfig.NetworkMode == NetworkNone || c.HostConfig.NetworkMode == NetworkHost) {
		return fmt.Errorf("published ports need a user-mode network, not --network %s", c.HostConfig.NetworkMode)
	}
	c.HostConfig.PortBindings = PortMapOf(ports)
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

package netspec

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// PortMapping publishes a container port on the host.
type PortMapping struct {
	HostIP        string `json:"HostIp"` // "" = every address
	HostPort      int    `json:"HostPort"`
	ContainerPort int    `json:"ContainerPort"`
	Protocol      string `json:"Protocol"` // "tcp" or "udp"
}

// Key is the container side as Docker names it: "80/tcp".
func (p PortMapping) Key() string { return fmt.Sprintf("%d/%s", p.ContainerPort, p.Protocol) }

// String is the host side as `docker port` prints it.
func (p PortMapping) String() string {
	ip := p.HostIP
	if ip == "" {
		ip = "0.0.0.0"
	}
	return net.JoinHostPort(ip, strconv.Itoa(p.HostPort))
}

// Result is what the container's network looks like after Setup. hull
// writes /etc/hosts and /etc/resolv.conf from it, after checking every
// field (Validate).
type Result struct {
	Interface string   // "tap0", at most 15 characters
	Address   string   // the container's address in CIDR form, "10.0.2.100/24"
	Gateway   string   // "10.0.2.2"
	DNS       []string // name server IP addresses for /etc/resolv.conf
	MTU       int
	// Ports are the publications in effect, host ports filled in.
	Ports []PortMapping
}

// IP is the container's address without its prefix length, or "".
func (r Result) IP() string {
	ip, _, err := net.ParseCIDR(r.Address)
	if err != nil {
		return ""
	}
	return ip.String()
}

// The most DNS servers and published ports a Result may carry.
const (
	MaxDNS   = 64
	MaxPorts = 4096
)

// Validate refuses a Result that cannot be written into /etc files as it
// is: a plugin is not trusted to send well-formed text.
func (r Result) Validate() error {
	if r.Address != "" {
		// Not net's error: it repeats the text as it is.
		if _, _, err := net.ParseCIDR(r.Address); err != nil {
			return fmt.Errorf("address %q: not an IP address with a prefix length", r.Address)
		}
	}
	// Bounds well above any real network: a plugin's answer is written
	// into the container's /etc files and its record.
	if len(r.DNS) > MaxDNS {
		return fmt.Errorf("%d DNS servers: at most %d", len(r.DNS), MaxDNS)
	}
	if len(r.Ports) > MaxPorts {
		return fmt.Errorf("%d published ports: at most %d", len(r.Ports), MaxPorts)
	}
	for _, s := range append([]string{r.Gateway}, r.DNS...) {
		if s != "" && net.ParseIP(s) == nil {
			return fmt.Errorf("invalid IP address %q", s)
		}
	}
	if r.MTU < 0 || r.MTU > 65536 {
		return fmt.Errorf("invalid MTU %d", r.MTU)
	}
	if strings.ContainsAny(r.Interface, " \t\n/") || len(r.Interface) > 15 {
		return fmt.Errorf("invalid interface name %q", r.Interface)
	}
	return nil
}

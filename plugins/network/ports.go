package network

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// ErrPortBusy means a host port to publish is already in use.
var ErrPortBusy = errors.New("port is already allocated")

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

// ParsePublish parses one -p value: [IP:][HOSTPORT:]CONTAINERPORT[/tcp|/udp].
// A missing or empty HOSTPORT is 0: a free port is chosen at start.
func ParsePublish(s string) (PortMapping, error) {
	bad := func(why string) (PortMapping, error) {
		return PortMapping{}, fmt.Errorf("invalid publish %q: %s (want [IP:]HOSTPORT:CONTAINERPORT[/tcp|/udp])", s, why)
	}
	spec, proto, _ := strings.Cut(s, "/")
	switch proto {
	case "":
		proto = "tcp"
	case "tcp", "udp":
	default:
		return bad("protocol " + proto + " is not tcp or udp")
	}
	p := PortMapping{Protocol: proto}
	parts := strings.Split(spec, ":")
	if i := strings.LastIndex(spec, "]:"); strings.HasPrefix(spec, "[") && i > 0 {
		p.HostIP = spec[1:i]
		parts = strings.Split(spec[i+2:], ":")
		if len(parts) != 2 {
			return bad("an address needs a host port")
		}
	} else if len(parts) == 3 {
		p.HostIP, parts = parts[0], parts[1:]
	}
	if len(parts) > 2 {
		return bad("too many colons")
	}
	if p.HostIP != "" && net.ParseIP(p.HostIP) == nil {
		return bad("host address " + p.HostIP + " is not an IP address")
	}
	var err error
	if p.ContainerPort, err = parsePort(parts[len(parts)-1], false); err != nil {
		return bad("container port: " + err.Error())
	}
	if len(parts) == 2 {
		if p.HostPort, err = parsePort(parts[0], true); err != nil {
			return bad("host port: " + err.Error())
		}
	}
	return p, nil
}

func parsePort(s string, zeroOK bool) (int, error) {
	if s == "" && zeroOK {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 65535 || (n == 0 && !zeroOK) {
		return 0, fmt.Errorf("%q is not a port number (1-65535)", s)
	}
	return n, nil
}

// ParseExposed parses an image's EXPOSE key ("80/tcp", "53/udp", "8080").
func ParseExposed(s string) (PortMapping, error) {
	port, proto, _ := strings.Cut(s, "/")
	if proto == "" {
		proto = "tcp"
	}
	n, err := parsePort(port, false)
	if err != nil || (proto != "tcp" && proto != "udp") {
		return PortMapping{}, fmt.Errorf("invalid exposed port %q", s)
	}
	return PortMapping{ContainerPort: n, Protocol: proto}, nil
}

// ReserveHostPorts checks that every host port is free, before anything
// starts, and picks a free port for each HostPort 0. A port another
// process holds is ErrPortBusy, naming it. The check is a bind and close:
// between it and the driver's own bind another program could still take
// the port, which the driver then reports.
func ReserveHostPorts(ports []PortMapping) ([]PortMapping, error) {
	out := make([]PortMapping, len(ports))
	seen := map[string]bool{}
	for i, p := range ports {
		port, err := probePort(p)
		if err != nil {
			return nil, err
		}
		p.HostPort = port
		key := fmt.Sprintf("%s/%s", p.String(), p.Protocol)
		if seen[key] {
			return nil, fmt.Errorf("publish %s: host port %s given twice: %w", p.Key(), key, ErrPortBusy)
		}
		seen[key] = true
		out[i] = p
	}
	return out, nil
}

// probePort binds the mapping's host side once and returns the port bound.
func probePort(p PortMapping) (int, error) {
	addr := net.JoinHostPort(p.HostIP, strconv.Itoa(p.HostPort))
	var port int
	if p.Protocol == "udp" {
		c, err := net.ListenPacket("udp", addr)
		if err != nil {
			return 0, busy(p, err)
		}
		port = c.LocalAddr().(*net.UDPAddr).Port
		c.Close()
		return port, nil
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return 0, busy(p, err)
	}
	port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port, nil
}

func busy(p PortMapping, err error) error {
	if errors.Is(err, errAddrInUse) {
		return fmt.Errorf("publish %s on host %s/%s: %w", p.Key(), p.String(), p.Protocol, ErrPortBusy)
	}
	return fmt.Errorf("publish %s on host %s/%s: %w", p.Key(), p.String(), p.Protocol, err)
}

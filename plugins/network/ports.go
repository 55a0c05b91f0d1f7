package network

import (
	"errors"
	"fmt"
	"net"
	"strconv"
)

// ErrPortBusy means a host port to publish is already in use.
var ErrPortBusy = errors.New("port is already allocated")

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

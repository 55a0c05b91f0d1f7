package container

import (
	"encoding/json"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/hull-project/hull/plugins/sdk/netsdk/netspec"
)

// Ports are published ports, typed once: parsed from -p and EXPOSE when
// the container is created, stored and handed to the network driver as
// they are. On disk and in inspect they keep Docker's PortMap shape,
// {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}. They are sorted by
// container port, then protocol.
type Ports []netspec.PortMapping

// PortBinding is one host side of a published port (Docker's shape).
type PortBinding struct {
	HostIP   string `json:"HostIp"`
	HostPort string `json:"HostPort"`
}

// NewPorts sorts ps into Ports; nil when there are none.
func NewPorts(ps []netspec.PortMapping) Ports {
	if len(ps) == 0 {
		return nil
	}
	out := append(Ports(nil), ps...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].ContainerPort != out[j].ContainerPort {
			return out[i].ContainerPort < out[j].ContainerPort
		}
		return out[i].Protocol < out[j].Protocol
	})
	return out
}

// MarshalJSON writes Docker's PortMap; no ports is null.
func (ps Ports) MarshalJSON() ([]byte, error) {
	if len(ps) == 0 {
		return []byte("null"), nil
	}
	m := map[string][]PortBinding{}
	for _, p := range ps {
		m[p.Key()] = append(m[p.Key()], PortBinding{HostIP: p.HostIP, HostPort: strconv.Itoa(p.HostPort)})
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads Docker's PortMap. A key that is not PORT/PROTO is
// skipped, as it always was: hull writes none.
func (ps *Ports) UnmarshalJSON(b []byte) error {
	var m map[string][]PortBinding
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	var out []netspec.PortMapping
	for key, binds := range m {
		p, err := ParseExposed(key)
		if err != nil {
			continue
		}
		for _, b := range binds {
			p.HostIP = b.HostIP
			p.HostPort, _ = strconv.Atoi(b.HostPort)
			out = append(out, p)
		}
	}
	*ps = NewPorts(out)
	return nil
}

// ParsePublish parses one -p value: [IP:][HOSTPORT:]CONTAINERPORT[/tcp|/udp].
// A missing or empty HOSTPORT is 0: a free port is chosen at start.
func ParsePublish(s string) (netspec.PortMapping, error) {
	bad := func(why string) (netspec.PortMapping, error) {
		return netspec.PortMapping{}, fmt.Errorf("invalid publish %q: %s (want [IP:]HOSTPORT:CONTAINERPORT[/tcp|/udp])", s, why)
	}
	spec, proto, _ := strings.Cut(s, "/")
	switch proto {
	case "":
		proto = "tcp"
	case "tcp", "udp":
	default:
		return bad("protocol " + proto + " is not tcp or udp")
	}
	p := netspec.PortMapping{Protocol: proto}
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

// ParseExposed parses an image's EXPOSE key ("80/tcp", "53/udp", "8080").
func ParseExposed(s string) (netspec.PortMapping, error) {
	port, proto, _ := strings.Cut(s, "/")
	if proto == "" {
		proto = "tcp"
	}
	n, err := parsePort(port, false)
	if err != nil || (proto != "tcp" && proto != "udp") {
		return netspec.PortMapping{}, fmt.Errorf("invalid exposed port %q", s)
	}
	return netspec.PortMapping{ContainerPort: n, Protocol: proto}, nil
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

package network

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"sort"
	"strings"
)

// Built-in driver names. Bridge is an alias of the default user-mode
// driver, Default.
const (
	None        = "none"
	Host        = "host"
	Bridge      = "bridge"
	Slirp4netns = "slirp4netns"
	Pasta       = "pasta"
	// Default is the driver `bridge` means: slirp4netns starts in 5 ms and
	// configures the namespace by itself; pasta takes longer (it daemonizes)
	// and is slower on loopback-published ports (see bench/net.sh).
	Default = Slirp4netns
)

// ErrUnavailable means the driver's program is missing; the error names it.
var ErrUnavailable = errors.New("network driver unavailable")

// Driver is one network plugin. Setup is called once per container start,
// Teardown once after it, also after a failed start.
type Driver interface {
	Setup(ctx context.Context, req Request) (Result, error)
	Teardown(ctx context.Context, containerID string) error
}

// Request is what Setup gets.
type Request struct {
	ContainerID string
	// Pid is the container's init on the host; NetNS and UserNS are its
	// namespaces (/proc/PID/ns/net, /proc/PID/ns/user).
	Pid    int
	NetNS  string
	UserNS string
	// StateDir is a private directory for this start (sockets, pid files).
	StateDir string
	Ports    []PortMapping
	Options  map[string]string
}

// Result is what the container's network looks like.
type Result struct {
	Interface string   // "tap0"
	Address   string   // CIDR, "10.0.2.100/24"
	Gateway   string   // "10.0.2.2"
	DNS       []string // name servers for /etc/resolv.conf
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

// Validate refuses a Result that cannot be written into /etc files as it
// is: a plugin is not trusted to send well-formed text.
func (r Result) Validate() error {
	if r.Address != "" {
		if _, _, err := net.ParseCIDR(r.Address); err != nil {
			return fmt.Errorf("address %q: %w", r.Address, err)
		}
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

// Mode is a parsed --network value: NAME[:KEY=VALUE[,KEY=VALUE...]], as
// Podman spells driver options ("bridge:allow_host_loopback=true").
type Mode struct {
	Name    string
	Options map[string]string
}

// ParseMode parses --network; "" is Bridge.
func ParseMode(s string) (Mode, error) {
	name, opts, _ := strings.Cut(s, ":")
	if name == "" || name == "default" {
		name = Bridge
	}
	if name != filepath.Base(name) || strings.HasPrefix(name, ".") {
		return Mode{}, fmt.Errorf("invalid network name %q", name)
	}
	m := Mode{Name: name, Options: map[string]string{}}
	if opts == "" {
		return m, nil
	}
	if name == None || name == Host {
		return Mode{}, fmt.Errorf("network %s takes no options", name)
	}
	for _, kv := range strings.Split(opts, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return Mode{}, fmt.Errorf("invalid network option %q in %q: want KEY=VALUE", kv, s)
		}
		m.Options[k] = v
	}
	return m, nil
}

// Driver names the driver that runs this mode: Bridge becomes Default.
func (m Mode) Driver() string {
	if m.Name == Bridge {
		return Default
	}
	return m.Name
}

// UserMode reports whether the mode is one of the built-in user-mode
// networks.
func (m Mode) UserMode() bool {
	d := m.Driver()
	return d == Slirp4netns || d == Pasta
}

// String is the mode as --network spells it.
func (m Mode) String() string {
	if len(m.Options) == 0 {
		return m.Name
	}
	keys := make([]string, 0, len(m.Options))
	for k := range m.Options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		keys[i] = k + "=" + m.Options[k]
	}
	return m.Name + ":" + strings.Join(keys, ",")
}

// boolOption reads a true/false option, refusing anything else.
func boolOption(opts map[string]string, key string) (bool, error) {
	v, ok := opts[key]
	if !ok {
		return false, nil
	}
	switch v {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("network option %s=%q: want true or false", key, v)
}

// checkOptions refuses options a driver does not know.
func checkOptions(driver string, opts map[string]string, known ...string) error {
	for k := range opts {
		ok := false
		for _, kk := range known {
			ok = ok || k == kk
		}
		if !ok {
			return fmt.Errorf("network %s: unknown option %q (known: %s)", driver, k, strings.Join(known, ", "))
		}
	}
	return nil
}

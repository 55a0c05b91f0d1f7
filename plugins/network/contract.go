package network

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hull-project/hull/plugins/network/netspec"
)

// The contract's plain data is netspec's; these names keep the drivers'
// callers reading network.Mode, network.Result and network.PortMapping.
type (
	Mode        = netspec.Mode
	PortMapping = netspec.PortMapping
	Result      = netspec.Result
)

// Built-in driver names (netspec's).
const (
	None        = netspec.None
	Host        = netspec.Host
	Bridge      = netspec.Bridge
	Slirp4netns = netspec.Slirp4netns
	Pasta       = netspec.Pasta
	Default     = netspec.Default
)

// ParseMode is netspec.ParseMode, the one --network parser.
func ParseMode(s string) (Mode, error) { return netspec.ParseMode(s) }

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

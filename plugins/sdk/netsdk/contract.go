package netsdk

import (
	"context"

	"github.com/hull-project/hull/plugins/sdk"
)

// ProtocolVersion is the network-plugin protocol this SDK speaks, sent in
// the go-plugin handshake; hull launches only plugins built for a version
// it knows. It changes only when a field changes meaning; added fields keep
// it.
const ProtocolVersion = 1

// The magic cookie is the one of instruction plugins: it says "launched by
// hull", not which kind of plugin is wanted. PluginKind says that.
const (
	MagicCookieKey   = sdk.MagicCookieKey
	MagicCookieValue = sdk.MagicCookieValue
)

// PluginKind is the go-plugin name network drivers are dispensed under.
const PluginKind = "network"

// Driver is what a network plugin implements. One process serves one
// container start: Setup is called once, Teardown once after it.
type Driver interface {
	// Setup attaches a network to the container's namespaces. They exist
	// and the container's id maps are written; its command has not
	// started. Whatever Setup starts must keep running until Teardown and
	// must end when the plugin process ends (hull kills the plugin after
	// Teardown, or when hull itself dies).
	Setup(ctx context.Context, req Request) (Result, error)
	// Teardown releases what Setup set up; the namespaces may be gone
	// already. It is called after a failed Setup too.
	Teardown(ctx context.Context, containerID string) error
}

// Request is what Setup gets.
type Request struct {
	ContainerID string
	// Pid is the container's init on the host; NetNS and UserNS are its
	// namespaces (/proc/PID/ns/net, /proc/PID/ns/user). Entering NetNS
	// needs entering UserNS first, which a multithreaded program (any Go
	// program) cannot do: start a helper (slirp4netns --userns-path, a
	// small C program) for that.
	Pid    int
	NetNS  string
	UserNS string
	// StateDir is a private directory for this start (sockets, pid files);
	// hull removes it when the container ends.
	StateDir string
	// Ports are the -p publications, host ports already checked free.
	// A driver that cannot publish ports must refuse them.
	Ports []PortMapping
	// Options are the KEY=VALUE pairs after --network NAME:.
	Options map[string]string
}

// Result is what the container's network looks like. hull writes
// /etc/hosts and /etc/resolv.conf from it, after checking every field.
type Result struct {
	Interface string   // "tap0", at most 15 characters
	Address   string   // the container's address in CIDR form, "10.0.2.100/24"
	Gateway   string   // "10.0.2.2"
	DNS       []string // name server IP addresses for /etc/resolv.conf
	MTU       int
	// Ports are the publications in effect.
	Ports []PortMapping
}

// PortMapping publishes a container port on the host.
type PortMapping struct {
	HostIP        string // "" = every address
	HostPort      int
	ContainerPort int
	Protocol      string // "tcp" or "udp"
}

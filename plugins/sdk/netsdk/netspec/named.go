package netspec

import "context"

// NetworkConfig is a named network, as `hull network create` records it
// and a NetworkDriver keeps it.
type NetworkConfig struct {
	Name       string            `json:"Name"`
	ID         string            `json:"Id"`
	Driver     string            `json:"Driver"`
	Subnet     string            `json:"Subnet"`  // CIDR, "10.89.1.0/24"
	Gateway    string            `json:"Gateway"` // the network's own address: its DNS
	Internal   bool              `json:"Internal"`
	DisableDNS bool              `json:"DisableDNS"`
	Created    string            `json:"Created"` // RFC 3339
	Options    map[string]string `json:"Options,omitempty"`
	// Labels are network create --label (compose marks its networks so).
	Labels map[string]string `json:"Labels,omitempty"`
	// StateDir is a directory private to the network, for an external
	// driver to keep what it needs between calls (each call is a process
	// of its own): hull fills it in for every call, keeps it until
	// Remove and never records it.
	StateDir string `json:"-"`
}

// Endpoint asks for one container's attachment to a named network.
type Endpoint struct {
	ContainerID string
	// Names resolve to the container on the network: its name, its
	// --network-alias values, its short id.
	Names []string
	// IP is the address asked for (--ip), "" for the next free one.
	IP string
	// Interface is the device's name in the container, "eth0" if empty.
	Interface string
	// Pid is the container's init on the host, its namespaces
	// /proc/PID/ns/net and /proc/PID/ns/user (see Request).
	Pid int
}

// EndpointInfo is one attached container as the network reports it.
type EndpointInfo struct {
	ContainerID string   `json:"ContainerID"`
	Names       []string `json:"Names"`
	IPAddress   string   `json:"IPv4Address"` // CIDR
	MacAddress  string   `json:"MacAddress"`
	Interface   string   `json:"Interface"`
}

// NetworkDriver provides named networks that several containers share:
// the contract grown from Driver (one container, one start) to networks
// that outlive any one start. Create and Remove act on the definition;
// Attach and Detach on a container of it, running or starting.
type NetworkDriver interface {
	// Create checks cfg and fills in what it leaves out (subnet,
	// gateway); nothing runs yet.
	Create(ctx context.Context, cfg NetworkConfig) (NetworkConfig, error)
	// Remove releases what the network holds; hull calls it only when no
	// container is attached.
	Remove(ctx context.Context, cfg NetworkConfig) error
	// Attach connects the container to the network and reports its
	// interface; whatever must outlive the caller (a switch, a DNS
	// server) is the driver's to keep running while a container is
	// attached and to end with the last one.
	Attach(ctx context.Context, cfg NetworkConfig, ep Endpoint) (Result, error)
	// Detach disconnects the container; the container may be gone.
	Detach(ctx context.Context, cfg NetworkConfig, containerID string) error
	// Endpoints lists the attached containers.
	Endpoints(ctx context.Context, cfg NetworkConfig) ([]EndpointInfo, error)
}

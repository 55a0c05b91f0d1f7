package pod

import (
	"errors"
	"time"

	"github.com/hull-project/hull/plugins/sdk/netsdk/netspec"
)

// Sentinel errors of the store, wrapped with the pod named.
var (
	ErrNotFound  = errors.New("no such pod")
	ErrNameInUse = errors.New("pod name in use")
	ErrRunning   = errors.New("pod is running")
)

// Status values, as Podman names them (Degraded: some members stopped).
const (
	StatusCreated  = "Created"
	StatusRunning  = "Running"
	StatusDegraded = "Degraded"
	StatusExited   = "Exited"
)

// Pod is one pod record.
type Pod struct {
	ID       string            `json:"Id"`
	Name     string            `json:"Name"`
	Created  time.Time         `json:"Created"`
	Hostname string            `json:"Hostname"`
	Labels   map[string]string `json:"Labels,omitempty"`
	// Network is the infra's --network mode; Ports its -p publications.
	Network string                `json:"Network"`
	Ports   []netspec.PortMapping `json:"Ports,omitempty"`
	// Named are the named networks the infra joins (pod create --network
	// NAME), their definitions as they were then, as a container's record
	// keeps them; Network is then the way out (the default user-mode
	// network, or none when every one is internal).
	Named []NamedNetwork `json:"NamedNetworks,omitempty"`
	Infra Infra          `json:"Infra"`
}

// NamedNetwork is one named network of a pod and its --network-alias
// values.
type NamedNetwork struct {
	Config  netspec.NetworkConfig `json:"Network"`
	Aliases []string              `json:"Aliases,omitempty"`
}

// Infra is the state of the pod's infra process.
type Infra struct {
	// Pid is the host pid of the infra (the members' namespaces are its
	// own); 0 when it does not run.
	Pid       int       `json:"Pid"`
	StartedAt time.Time `json:"StartedAt"`
	// IP, Gateway and DNS are what the network driver gave the infra;
	// Ports the host ports it bound.
	IP      string                `json:"IP,omitempty"`
	Gateway string                `json:"Gateway,omitempty"`
	DNS     []string              `json:"DNS,omitempty"`
	Ports   []netspec.PortMapping `json:"Ports,omitempty"`
}

// Namespaces are the namespaces a member shares with its pod's infra
// (besides the user namespace it must share to join them).
var Namespaces = []string{"pid", "net", "ipc", "uts"}

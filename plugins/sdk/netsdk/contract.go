package netsdk

import (
	"github.com/hull-project/hull/plugins/sdk"
	"github.com/hull-project/hull/plugins/sdk/netsdk/netspec"
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

// The contract is package netspec's, re-exported here: a plugin's Driver
// is the very interface hull's built-in drivers implement.
type (
	// Driver is what a network plugin implements. One process serves one
	// container start: Setup is called once, Teardown once after it.
	Driver = netspec.Driver
	// Request is what Setup gets.
	Request = netspec.Request
	// Result is what the container's network looks like; hull checks
	// every field before it writes /etc files from it.
	Result = netspec.Result
	// PortMapping publishes a container port on the host.
	PortMapping = netspec.PortMapping
)

// The named-network contract (hull network create --driver NAME), also
// netspec's: hull's own named networks implement the same NetworkDriver.
type (
	// NetworkDriver provides named networks; see ServeNetworks.
	NetworkDriver = netspec.NetworkDriver
	// NetworkConfig is a named network as hull records it.
	NetworkConfig = netspec.NetworkConfig
	// Endpoint asks for one container's attachment.
	Endpoint = netspec.Endpoint
	// EndpointInfo is one attached container as the driver reports it.
	EndpointInfo = netspec.EndpointInfo
)

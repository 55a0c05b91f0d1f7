// Package proto is the generated gRPC code for instruction.proto and
// network.proto, the wire forms of the plugins/sdk and plugins/sdk/netsdk
// contracts. Nothing but generated code lives here; regenerate with `make
// proto`. Plugin authors never import it: the SDKs adapt it on the plugin
// side, plugins and plugins/network on the core side.
package proto

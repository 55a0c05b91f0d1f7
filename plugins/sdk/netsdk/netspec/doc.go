// Package netspec is the network-plugin contract as plain data and one
// interface, with nothing but the standard library behind it: Driver, its
// Request and Result, a published PortMapping, and the --network Mode
// they are chosen by. Package netsdk re-exports the contract for plugin
// authors; hull's built-in drivers (plugins/network) implement the same
// Driver, and hull's container record (core/container) stores these
// values without linking go-plugin or gRPC (hull's dependency test checks
// that).
//
// Not here: Serve and the gRPC adapters (netsdk, plugins/network), and
// the -p and EXPOSE parsers, which are the container record's.
package netspec

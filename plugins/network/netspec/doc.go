// Package netspec is the plain data a container's network is described
// by, shared by the container record (core/container), the build engine
// and the network drivers (plugins/network): the parsed --network mode,
// a published port, and what a driver reports back.
//
// It imports nothing but the standard library, so the record package can
// hold these values without linking go-plugin or gRPC (the dependency
// test in the root package checks that). Not here: the -p and EXPOSE
// parsers, which are the container record's (core/container), and the
// drivers and plugin client, which are plugins/network's.
package netspec

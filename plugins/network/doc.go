// Package network gives containers and RUN steps their network. Its
// contract, Driver, is what every network plugin implements: Setup attaches
// a network to a container's network namespace once the namespace exists
// and before the container's command starts; Teardown releases it.
//
// Two modes need no driver at all (Open returns no Attachment):
//   - none: the new network namespace keeps only its loopback (the
//     isolation child brings lo up).
//   - host: the container shares the user's network namespace.
//
// Built-in drivers, served by hull itself, in-process (no plugin process):
//   - slirp4netns (also "bridge", Docker's name for the default): a
//     user-mode TCP/IP stack. Setup starts slirp4netns with --configure, so
//     tap0 gets 10.0.2.100/24, gateway 10.0.2.2 and DNS 10.0.2.3 without
//     any program running inside the container. Published ports go through
//     rootlesskit's slirp4netns port driver (the API socket's add_hostfwd),
//     which needs no process inside the namespace either.
//   - pasta (passt): another user-mode stack; hull sets the same addresses
//     as slirp4netns's (eth0 10.0.2.100/24, gateway 10.0.2.2, DNS 10.0.2.3)
//     and pasta forwards published ports itself.
//
// Lifetime without leaks: a slirp4netns is started with --exit-fd; hull
// keeps the only write end, so slirp4netns exits by itself when hull
// closes it (Teardown) or dies, even by kill -9. Nothing is killed on the
// exit path. pasta has no exit fd: it runs in the foreground as hull's
// child with a parent-death signal (kill -9 of hull takes it along) and is
// signalled, not waited for, on Teardown.
//
// External plugins are executables named NAME in the network/ folder of a
// plugin directory (FindExternal, over plugins.SearchPath), selected by
// `--network NAME`. They speak the Network service of
// plugins/proto/network.proto over go-plugin (gRPC on a unix socket), with
// the instruction plugins' magic cookie, netsdk.ProtocolVersion and the
// plugin kind netsdk.PluginKind; their side is package plugins/sdk/netsdk.
// Open launches one process per container start; Close calls Teardown and
// kills its process group. The process gets Pdeathsig and netsdk.Serve
// exits when its parent is gone, so it does not outlive hull. A plugin is
// not trusted with the host: the Result it returns is validated
// (Result.Validate, and the ports it reports) before it is recorded or
// written to the container's /etc files.
//
// Not here: the contract (Driver, Request, Result, PortMapping, Mode) is
// the SDK's, package plugins/sdk/netsdk/netspec;
// the -p and EXPOSE parsers are core/container's; /etc files
// and the wiring into `hull run` and builds are core's.
package network

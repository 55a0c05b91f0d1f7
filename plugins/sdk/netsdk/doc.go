// Package netsdk is everything the author of a hull network plugin
// imports: the contract (Driver and its plain Request and Result structs,
// package netspec's, re-exported) and Serve, which a plugin's main calls.
//
// A network plugin is an executable at DIR/network/NAME in a plugin
// directory, selected by `hull run --network NAME[:KEY=VALUE,...]`. hull
// launches it with go-plugin over gRPC (the Network service of
// plugins/sdk/proto/network.proto) when a container starts, calls Setup once
// the container's user and network namespaces exist and before its command
// runs, Teardown when the container has ended (also after a failed start),
// and then kills the plugin. One plugin process serves one container start;
// whatever it starts must not outlive it.
//
// Protocol rules (see docs/plugins.md): the handshake uses the magic cookie
// of instruction plugins (sdk.MagicCookieKey) with this package's
// ProtocolVersion and the plugin kind "network"; a plugin must not write to
// stdout before Serve (it breaks the handshake) and logs to stderr.
//
// The plugin runs as the user running hull, on the host. It gets the
// namespaces' paths, not the container's files; the Result it returns is
// validated by hull before it reaches the container's /etc files.
//
// The gRPC adapter of the plugin side lives here, unexported; the core side
// is package plugins/network. Nothing in this package is needed to
// implement a Driver except the types.
package netsdk

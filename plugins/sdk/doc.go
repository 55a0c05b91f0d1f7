// Package sdk is everything the author of a hull instruction plugin imports:
// the contract (Handler, the Host callbacks, plain request/response structs)
// and Serve, which a plugin's main calls.
//
// A plugin is an executable that hull launches with go-plugin over gRPC. It
// handles one or more Dockerfile keywords; for each instruction the core calls
// CacheInputs (what besides the instruction text decides the cache key) and,
// on a cache miss, Execute. Execute never touches the image's root
// filesystem itself: it asks the core through Host (run a command in the
// build container, copy files, read or write one file, log a line), and the
// core validates every such request, so a plugin is not trusted with the
// host. It returns the stage's new image config and the history text.
//
// Protocol rules (see docs/plugins.md): the handshake carries
// ProtocolVersion; hull refuses a plugin built for another version. A plugin
// must not write to stdout before Serve (it breaks the handshake); it logs to
// stderr or, better, through Host.Log so the line shows in the build output.
//
// The gRPC adapter of the plugin side lives here, unexported; the core side
// is package plugins. Nothing in this package is needed to implement a
// Handler except the types.
package sdk

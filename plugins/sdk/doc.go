// Package sdk is everything the author of a hull instruction plugin imports:
// the contract (Handler, the Host callbacks, plain request/response structs)
// and Serve, which a plugin's main calls.
//
// A plugin is an executable that hull launches with go-plugin over gRPC. It
// handles one or more Dockerfile keywords; for each instruction the core calls
// CacheInputs (what besides the instruction text decides the cache key) and,
// on a cache miss, Execute. Execute never touches the image's root
// filesystem itself: it asks the core through Host (run a command in the
// build container, copy files, read, write, stat, list, remove files, make
// directories and symlinks, run a built-in instruction, log a line), and
// the core validates every such request and resolves its paths inside the
// root, so a plugin is not trusted with the host. Host errors are typed
// (ErrNotFound, ErrExist... with errors.Is). It returns the stage's new
// image config and the history text.
//
// Arguments arrive raw; Request.ArgWords, Expand and Words expand and split
// them with the code hull's own instructions use (package shellword).
//
// Protocol rules (see docs/plugins.md): the handshake carries
// ProtocolVersion; hull refuses a plugin built for another version. A plugin
// must not write to stdout before Serve (it breaks the handshake). It logs
// to stderr (os.Stderr, or Logger) from any method, for diagnostics hull
// shows with HULL_PLUGIN_LOG=debug and quotes when the plugin crashes, and
// through Host.Log for lines the build output should show. A panic in any
// call becomes that call's error.
//
// The contract's types, errors and word expansion are package spec's,
// re-exported here under the same names (type aliases): they are the
// very types hull's build engine uses, and spec links no gRPC.
//
// The gRPC adapter of the plugin side lives here, unexported; the core side
// is package plugins. Nothing in this package is needed to implement a
// Handler except the types.
//
// The SDK is a Go module of its own, depending only on go-plugin, gRPC and
// protobuf, so a plugin's go.mod carries nothing else of hull. Until it is
// published, `hull plugin sdk DIR` writes out the copy a hull was built with
// (WriteSource), for a plugin's replace directive (docs/plugins.md).
package sdk

// Package plugins is the core side of hull's plugin system: it launches
// plugin processes with go-plugin over gRPC, serves them the Host callbacks,
// finds external plugins on disk and maps Dockerfile keywords to the plugin
// that handles them. The contract itself is package plugins/sdk/spec
// (re-exported by plugins/sdk for plugin authors).
//
// Every instruction, built-in or not, runs in a plugin process. Built-in
// handlers are served by the hull binary re-executed as
// `/proc/self/exe __hull-plugin NAME` (BuiltinCommand, ServeBuiltin);
// external plugins are executables found by Discover. External plugins
// override built-ins keyword by keyword.
//
// The cross-process protocol:
//   - go-plugin's handshake: the core sets HULL_PLUGIN=<sdk.MagicCookieValue>
//     and PLUGIN_PROTOCOL_VERSIONS in the child's environment; the child
//     answers one line on stdout ("1|<sdk.ProtocolVersion>|unix|<socket>|grpc")
//     and never writes to stdout again. Anything else first on stdout is
//     reported as ErrStdout.
//   - gRPC on that unix socket (in a 0700 temporary directory, hence no
//     mTLS): the Handler service of plugins/sdk/proto/instruction.proto.
//   - For Host callbacks the core accepts one go-plugin broker connection per
//     plugin process and passes its id in every ExecuteRequest with a fresh
//     call id; the plugin tags each Host call with that call id and the core
//     refuses calls whose Execute is not running.
//   - Logs: the plugin's stderr (plain lines, or JSON lines from go-plugin's
//     logger) is read by the core: its last lines go into crash and hang
//     errors (Stderr.Summary), and with HULL_PLUGIN_LOG=debug or hull --debug
//     every line is shown live as "plugin NAME: LINE". go-plugin's own log
//     lines go to slog at debug level (GoPluginLogger).
//
// The plugin process runs as the user running hull, in its own process
// group, killed with the group when the client is killed. It is trusted no
// more than that: it never gets the root filesystem, only the Host
// callbacks, and this package checks each request's shape (absolute clean
// paths, sane modes, known call) before the caller's Host sees it; the Host
// implementation resolves paths inside the root.
//
// Build tag appsbin (the default hull of `make build`) leaves out
// everything that starts or serves a plugin process: the go-plugin client
// (client.go, wire.go, host.go, convert.go), ServeBuiltin and Inspect.
// Discovery, pins, the registry and the search path stay: they are plain
// files and JSON. There Start, and Discover for a file it would have to
// launch, answer ErrNeedsFullBinary (CanStart is false), and the CLI runs
// the command in the full hull it embeds (core/appbin), which links all
// of this; so the default hull links no gRPC, protobuf or go-plugin,
// whose package init every `hull run` and `hull ps` would pay
// (docs/speed.md).
//
// Not here: the built-in handlers (builders/instructions), the build engine
// that calls them (builders), the CLI (`hull plugin ls`).
package plugins

// Package spec is the instruction-plugin contract as plain Go, with
// nothing but the standard library (and the SDK's shellword) behind it:
// Handler and the Host callbacks, the request and response structs, the
// typed Host errors, word expansion, and the handshake's constants.
// Package sdk re-exports all of it for plugin authors; hull's build engine
// (builders), its built-in handlers and its core use it directly, so the
// hull that starts containers links no gRPC, protobuf or go-plugin
// (hull's dependency test checks it; docs/speed.md says why).
//
// Not here: Serve, the gRPC adapters and their conversions (package sdk
// on the plugin side, package plugins on hull's).
package spec

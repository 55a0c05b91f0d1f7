// Package reference holds the SDK's shell-word lexer (package shellword)
// to BuildKit's (github.com/moby/buildkit/frontend/dockerfile/shell, the
// lexer Docker uses) with a differential test and fuzz target, so that the
// two cannot drift.
//
// It is a module of its own: the SDK may depend only on go-plugin, gRPC
// and protobuf (plugin authors carry its dependencies), and hull's module
// would have to raise gRPC, x/net, runtime-spec and its go directive to
// link BuildKit. Nothing imports this package; only its tests run
// (make unit, make fuzz).
package reference

// Package reference holds hull's Dockerfile reading to BuildKit's, the
// code Docker uses (github.com/moby/buildkit/frontend/dockerfile), so that
// the two cannot drift:
//
//   - the SDK's shell-word lexer (plugins/sdk/shellword, which hull's own
//     instructions use too) against BuildKit's shell.Lex, with a
//     differential test and fuzz target;
//   - hull's line layer (builders/dockerfile) against BuildKit's
//     parser.Parse on every golden case and in a differential fuzz target:
//     the same instructions on the same lines with the same heredocs.
//
// It is a module of its own: the SDK may depend only on go-plugin, gRPC
// and protobuf (plugin authors carry its dependencies), and hull's module
// would have to raise its go directive, gRPC, x/net and runtime-spec to
// link BuildKit. Nothing imports this package; only its tests run (make
// unit, make fuzz, make tidy-check).
package reference

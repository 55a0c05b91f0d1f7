// Package dockerfile parses Dockerfiles into typed instructions and build
// stages with Docker's (BuildKit's) syntax rules.
//
// It handles everything that can be decided from the text alone: parser
// directives (# syntax=, # escape=, # check=), line continuations with the
// escape character, comments and blank lines, case-insensitive keywords,
// --flags before the arguments (validated per instruction), JSON ("exec") form
// detection, here-documents for RUN/COPY/ADD, ONBUILD triggers, the split into
// stages (FROM ... AS name) and the structural errors Docker reports with a
// line number. It also provides Docker's word expansion (Expand, ExpandWords)
// and helpers for arguments that have structure (ENV/LABEL key=value pairs,
// ARG, RUN --mount).
//
// It deliberately leaves to the build engine everything that needs build
// state: arguments are kept unexpanded (the engine expands them with the
// ARG/ENV values in scope, only for the instructions Docker expands), base
// images and stage references are not resolved, EXPOSE ports, --chmod modes,
// signal names and platforms are not validated, and unknown keywords are kept
// so that an instruction plugin can handle them. The package does no I/O
// beyond reading the given reader and depends on nothing else in hull.
//
// Why not BuildKit's parser (frontend/dockerfile/parser, measured at
// v0.34.2 for issue 14): on the golden cases its line layer agrees with
// this one (33 of 35 cases give the same keywords, line ranges and
// heredocs; the 2 others differ only in chomping, which it leaves to its
// caller), but it cannot do what the instruction plugins need: the
// keywords that take heredocs are fixed (RUN, COPY, ADD), so a plugin
// keyword's body is parsed as instructions (a body line "FROM x" becomes a
// stage); a built-in keyword a plugin overrides is still checked by the
// built-in's line rules ("ENV must have two arguments"); and a line may
// not exceed 64 KiB (a long heredoc line is then reported as an
// unterminated heredoc). Linking it would also raise hull's go directive
// and gRPC (1.61 to 1.84), x/net, runtime-spec and docker/cli, +455 KB of
// binary. The word expansion is the SDK's (plugins/sdk/shellword), held to
// BuildKit's lexer by the differential test in ./reference.
package dockerfile

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
package dockerfile

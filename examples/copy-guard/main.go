// Command hull-copy-guard is an example of a plugin that wraps a built-in
// instruction. It claims COPY and ADD, so hull hands it every COPY and ADD
// of a Dockerfile, and refuses a source that looks like a secret (.env,
// *.pem, *.key, id_rsa*, .git, .ssh) unless the instruction says
// --allow-secrets; everything else it hands to hull's own COPY or ADD with
// Host.Builtin, so the copy keeps every built-in feature (--from, --chown,
// --link, heredocs, globs, URLs, the .dockerignore).
//
// What a wrapper must do, and this one shows:
//   - Read its arguments as the built-in would: sdk.Request.ArgWords
//     expands variables and splits words exactly as hull does.
//   - Remove its own flags before delegating: the built-in refuses flags
//     it does not know.
//   - Set CacheInputs.Builtin, so that the step's cache key also covers
//     what the built-in reads (the COPY sources' content).
//   - Return the built-in's response (or its error) as its own.
//
// It imports only plugins/sdk. See docs/plugins.md, "Wrapping a built-in
// instruction".
package main

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/hull-project/hull/plugins/sdk"
)

func main() { sdk.Serve(guard{}) }

type guard struct{}

func (guard) Info() sdk.Info {
	return sdk.Info{
		Name:        "copy-guard",
		Version:     "1.0.0",
		Keywords:    []string{"COPY", "ADD"},
		Description: "COPY and ADD that refuse secret-looking sources (wraps the built-ins)",
	}
}

// CacheInputs names nothing of its own: the decision depends only on the
// instruction text, which is in every key. Builtin adds what the built-in
// COPY or ADD names (its sources' content, a --from stage, a URL).
func (guard) CacheInputs(_ context.Context, req sdk.Request) (sdk.CacheInputs, error) {
	if _, _, err := check(req); err != nil {
		return sdk.CacheInputs{}, err
	}
	return sdk.CacheInputs{Builtin: true}, nil
}

func (guard) Execute(ctx context.Context, req sdk.Request, host sdk.Host) (sdk.Response, error) {
	inner, allowed, err := check(req)
	if err != nil {
		return sdk.Response{}, err
	}
	if allowed {
		_ = host.Log(ctx, "copy-guard: --allow-secrets: sources not checked")
	}
	return host.Builtin(ctx, inner)
}

// check returns the request to hand to the built-in (without
// --allow-secrets) and refuses a secret-looking source.
func check(req sdk.Request) (inner sdk.Request, allowed bool, err error) {
	inner = req
	inner.Instruction.Flags = nil
	for _, f := range req.Instruction.Flags {
		if f.Name == "allow-secrets" {
			allowed = true
			continue
		}
		inner.Instruction.Flags = append(inner.Instruction.Flags, f)
	}
	if allowed {
		return inner, true, nil
	}
	words, err := req.ArgWords()
	if err != nil {
		return inner, false, err
	}
	if len(words) < 2 {
		// A heredoc-only COPY (COPY <<EOF /dest) has no file sources; the
		// built-in reports real usage errors itself.
		return inner, false, nil
	}
	for _, src := range words[:len(words)-1] {
		if secret(src) {
			return inner, false, fmt.Errorf("%s %s: looks like a secret; add --allow-secrets if it is meant to be in the image",
				req.Instruction.Keyword, src)
		}
	}
	return inner, false, nil
}

func secret(src string) bool {
	for _, part := range strings.Split(path.Clean(src), "/") {
		switch {
		case part == ".env", part == ".git", part == ".ssh", strings.HasPrefix(part, "id_rsa"),
			strings.HasSuffix(part, ".pem"), strings.HasSuffix(part, ".key"):
			return true
		}
	}
	return false
}

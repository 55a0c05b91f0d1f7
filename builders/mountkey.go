package builders

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/hull-project/hull/builders/copier"
	"github.com/hull-project/hull/builders/dockerfile"
	sdk "github.com/hull-project/hull/plugins/sdk/spec"
)

// A RUN --mount=type=bind shows the step files that are not in its rootfs:
// a path of the context, or of a stage or image (from=). What the step
// produces depends on them, so, as in BuildKit, their content is part of
// the step's cache key: two projects with the same Dockerfile must not
// share a step that read different files, and an edit of a bound file must
// re-run the step. Cache mounts and secrets are not part of the key (as in
// BuildKit).
//
// The engine reads the bind mounts from the instruction's --mount flags
// before the step runs; a plugin's run that binds something the key did
// not cover is still run, but its result is not cached (bindKeys.covers).

// bindKeys are the bind mounts a step's key covers, by bindID.
type bindKeys map[string]bool

// bindID names a bind mount by what it shows: its from= and source.
func bindID(from, source string) string {
	return from + "\x00" + path.Clean("/"+source)
}

// covers reports whether every bind mount of a run was keyed.
func (k bindKeys) covers(mounts []sdk.RunMount) bool {
	for _, m := range mounts {
		if m.Type == "bind" && !k[bindID(m.From, m.Source)] {
			return false
		}
	}
	return true
}

// bindInputs returns the cache key parts of the instruction's bind mounts
// (sorted) and the mounts they cover. Each --mount value is split, then
// each field expanded in the stage's scope, as the RUN handler does; a
// value that does not parse is left to the handler to report.
func (b *build) bindInputs(ctx context.Context, st *stageState, ins sdk.Instruction) ([]string, bindKeys, error) {
	var parts []string
	keys := bindKeys{}
	for _, f := range ins.Flags {
		if f.Name != "mount" {
			continue
		}
		m, ok := b.expandMount(st, f.Value)
		if !ok || m["type"] != "bind" {
			continue
		}
		from, source := m["from"], m["source"]
		id := bindID(from, source)
		if keys[id] {
			continue
		}
		sum, err := b.bindSum(ctx, st, from, source)
		if err != nil {
			return nil, nil, fmt.Errorf("--mount=%s: %w", f.Value, err)
		}
		keys[id] = true
		parts = append(parts, fmt.Sprintf("bind %q %q %s", from, path.Clean("/"+source), sum))
	}
	sort.Strings(parts)
	return parts, keys, nil
}

// expandMount parses one --mount value with every field expanded.
func (b *build) expandMount(st *stageState, value string) (map[string]string, bool) {
	raw, err := dockerfile.ParseMount(value)
	if err != nil {
		return nil, false
	}
	for k, v := range raw {
		raw[k] = b.flagValue(st, v)
	}
	raw["type"] = strings.ToLower(raw["type"])
	return raw, true
}

// bindSum identifies what a bind mount shows: for from=, the stage's last
// cache key or the image's id (which identify their whole content); for
// the context, the content hash of the source tree. The context hash does
// not apply .dockerignore: the mount shows the whole tree, ignored files
// included, and the key must cover everything the step can read.
func (b *build) bindSum(ctx context.Context, st *stageState, from, source string) (string, error) {
	if from != "" {
		return b.fromKey(ctx, st, from)
	}
	b.statOnce.Do(func() { b.stats = loadStatCache(b.env.CacheDir, b.opts.ContextDir) })
	rel := path.Clean("/" + source)[1:]
	if rel == "" {
		rel = "."
	}
	return copier.HashCached(b.opts.ContextDir, copier.Op{Sources: []string{rel}}, b.stats)
}

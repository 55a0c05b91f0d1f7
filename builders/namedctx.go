package builders

import (
	"fmt"
	"strings"

	"github.com/hull-project/hull/builders/copier"
)

// Named contexts are `hull build --build-context NAME=VALUE`: VALUE is
// docker-image://REF, which FROM NAME, COPY --from=NAME and RUN --mount
// from=NAME use instead of an image NAME, or a directory (absolute, the
// user's), which COPY --from=NAME and RUN --mount from=NAME read as they
// read the build context: inside it, where its symlinks cannot reach out.
// A stage of the Dockerfile named NAME wins over the flag.

// namedImagePrefix marks a named context that is an image.
const namedImagePrefix = "docker-image://"

// namedContext returns the image ref or the directory of the named
// context name ("", "", false when there is none).
func (b *build) namedContext(name string) (ref, dir string, ok bool) {
	v, ok := b.opts.NamedContexts[strings.ToLower(name)]
	if !ok {
		return "", "", false
	}
	if r, isImage := strings.CutPrefix(v, namedImagePrefix); isImage {
		return r, "", true
	}
	return "", v, true
}

// namedDir returns the directory of the named context from, when from
// names one that is a directory and no stage of that name precedes st.
func (b *build) namedDir(st *stageState, from string) (string, bool) {
	from = b.expandMeta(from)
	if b.stageByRef(from, st.stage.Index) != nil {
		return "", false
	}
	_, dir, ok := b.namedContext(from)
	return dir, ok && dir != ""
}

// namedDirKey identifies a directory context's content (the whole tree:
// a COPY --from or a bind mount may read any of it).
func (b *build) namedDirKey(dir string) (string, error) {
	sum, err := copier.HashCached(dir, copier.Op{Sources: []string{"."}}, nil)
	if err != nil {
		return "", fmt.Errorf("build context %s: %w", dir, err)
	}
	return "dir " + sum, nil
}

// namedImage maps a name to the image of its named context, if any.
func (b *build) namedImage(name string) string {
	if ref, _, ok := b.namedContext(name); ok && ref != "" {
		return ref
	}
	return name
}

package builders

import (
	"context"
	"io"
	"time"

	sdk "github.com/hull-project/hull/plugins/sdk/spec"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// The engine's view of the rest of hull. Core implements these (on its
// image store and container package); the engine's tests implement them
// in memory. They speak the engine's own types: an image is its OCI
// config, its container config as the plugin protocol has it, and its
// layers' unpacked directories.

// Images is the image store as a build uses it.
type Images interface {
	// Image returns the image named ref (a name or an id), its layers
	// unpacked, pulling it first when it is not stored. The error of a
	// name that is nowhere is the store's (or the registry's) as it is.
	Image(ctx context.Context, ref string) (*Image, error)
	// Layer returns the unpacked directory of a stored layer, unpacking it
	// when needed; ok is false when the store no longer has the layer (a
	// cached step's layer that was pruned).
	Layer(diffID string) (dir string, ok bool)
	// CommitLayer stores the layer whose tar diff writes as a build-cache
	// layer (kept by sweeps until the cache is pruned) and makes upper,
	// the tree diff reads, that layer's unpacked directory: upper is
	// moved (or removed when the layer is unpacked already). diff may be
	// called more than once. When diff fails, its error comes back as it
	// is and upper is left as it is.
	CommitLayer(diff func(io.Writer) error, upper string) (Layer, error)
}

// Containers are the rules of hull's containers that a build applies to
// its steps, as `hull run` applies them.
type Containers interface {
	// ResolveUser resolves USER or --chown's user[:group] against
	// /etc/passwd and /etc/group of the tree whose layer directories are
	// dirs (topmost first).
	ResolveUser(spec string, dirs []string) (User, error)
	// Accounts returns the user and group names of the tree in dirs
	// (topmost first) with their ids.
	Accounts(dirs []string) (users, groups map[string]int, err error)
	// ProcessEnv is the environment a process with the configured env
	// starts with (PATH and HOSTNAME defaults, HOME from the user's home
	// when unset).
	ProcessEnv(config []string, hostname, home string) []string
}

// User is a resolved USER: the ids a step runs as, and its home.
type User struct {
	UID, GID       int
	AdditionalGIDs []int
	Home           string
}

// Layer is one layer of an image or a stage.
type Layer struct {
	DiffID string // sha256 of its uncompressed tar
	Dir    string // its unpacked directory, shared read-only
}

// Image is a stored image: a FROM base or a --from source.
type Image struct {
	ID string // its config's digest: its content, in cache keys
	// Config is the image's OCI config (platform, author, history); its
	// Config field, the container config, is RunConfig's to say.
	Config ocispec.Image
	// RunConfig is the container config, Docker's SHELL, ONBUILD and
	// HEALTHCHECK included.
	RunConfig sdk.Config
	Created   time.Time
	Layers    []Layer // bottom first
}

// Result is a built image, for the caller to store: Build commits no
// image (only the layers its steps made, as the cache does), so a failed
// build leaves none.
type Result struct {
	// Config is the image's OCI config; its Config field is left for
	// the caller to fill from RunConfig, and RootFS from Layers.
	Config    ocispec.Image
	RunConfig sdk.Config
	Layers    []string // diff_ids, bottom first; all in the store
	// Lost are the owners root emulation gave to root (also in the
	// lostOwnersLabel label).
	Lost []string
	// Cache are the steps for --cache-to (Options.ExportCache), sorted
	// by key.
	Cache []CacheStep

	out *progress
}

// Committed prints the end of the build's output once the caller stored
// the result as image id under names (normalised).
func (r *Result) Committed(id string, names []string) {
	r.out.line("writing image %s done", id)
	if len(r.Lost) > 0 {
		r.out.line("root emulation: %d owner(s) given to root, no id for them without a subuid range: %s (label %s)",
			len(r.Lost), lostSummary(r.Lost), lostOwnersLabel)
	}
	for _, n := range names {
		r.out.line("naming to %s done", n)
	}
}

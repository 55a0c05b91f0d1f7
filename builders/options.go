package builders

import (
	"io"
	"os"

	"github.com/hull-project/hull/isolation"
	sdk "github.com/hull-project/hull/plugins/sdk/spec"
)

// Options are one `hull build`'s flags.
type Options struct {
	ContextDir     string            // the build context (a tar on stdin is unpacked here by the caller)
	Dockerfile     []byte            // the Dockerfile's content
	DockerfileName string            // for messages, e.g. "Dockerfile"
	DockerfileDir  string            // where Dockerfile.dockerignore may sit ("" = none)
	Tags           []string          // -t
	BuildArgs      map[string]string // --build-arg
	Target         string            // --target
	NoCache        bool              // --no-cache
	Network        string            // --network: default, none, host
	Allow          []string          // --allow: entitlements granted (network.host)
	Labels         map[string]string // --label
	Secrets        map[string]string // --secret id=ID,src=FILE
	Platform       string            // --platform ("" = the host's)
	Out            io.Writer         // progress output
	Progress       string            // auto, plain, quiet
	// SSH are `--ssh ID=SOCKET`: the agent sockets RUN --mount=type=ssh
	// binds (the socket is the user's own, given on the command line).
	SSH map[string]string
	// NamedContexts are --build-context NAME=VALUE (lower-case names):
	// docker-image://REF or an absolute directory (namedctx.go).
	NamedContexts map[string]string
	// RootEmulation is "seccomp", "off", or "" for seccomp with a single-id
	// mapping and off with a subordinate range.
	RootEmulation string
	// ExportCache collects the replayable steps in Result.Cache, for
	// --cache-to.
	ExportCache bool

	// DockerfileInContext is the Dockerfile's path inside the context
	// (the default "Dockerfile", or -f naming a file there). The engine
	// reads it, and its NAME.dockerignore, inside the context root as COPY
	// does, so a symlink in the context cannot name a host file; Dockerfile
	// and DockerfileDir are then unset.
	DockerfileInContext string
}

// Handler is how the engine reaches an instruction's plugin.
type Handler struct {
	sdk.Handler
	Plugin  string // plugin name, for cache keys and messages
	Version string // plugin version, part of cache keys
	// SHA256 is an external plugin's executable's checksum, part of cache
	// keys: a changed plugin must not replay results of the old one even
	// when it declares the same version ("" for built-ins, which are hull).
	SHA256 string
	// NoCache: never reuse a cached result of this plugin's steps (the
	// plugin development mode, HULL_PLUGIN_DEV=1). The steps after one
	// are keyed on what it produced, so they rerun when that changed.
	NoCache bool
}

// Env is what the engine needs from the rest of hull. The engine never
// imports the image store or the container package: it reaches them
// through the small interfaces of env.go, which core implements, and
// returns a Result that core commits.
type Env struct {
	// Images are the stored images and layers: FROM bases and --from
	// sources (pulled when missing), cached steps' layers, and the layers
	// steps commit.
	Images Images
	// Containers are hull's container rules the engine applies to its
	// steps (users and groups, a process's environment).
	Containers Containers
	Mapping    isolation.Mapping
	// WorkDir holds per-build scratch directories; it must be on the same
	// file system as the store's layers (a step's upper dir is renamed
	// into the store).
	WorkDir string
	// StateDir is the runtime directory for the build's containers.
	StateDir string
	// CacheDir holds the cache index, the context stat cache and RUN
	// --mount=type=cache directories.
	CacheDir string
	// Handler returns the plugin for a keyword, or ok=false.
	Handler func(keyword string) (Handler, bool, error)
	// Resolve says, without launching anything, whether a keyword has a
	// plugin (ok) and why that plugin may not run (err). Build resolves
	// every keyword of the Dockerfile with it before the first step; nil
	// leaves the check to Handler, step by step.
	Resolve func(keyword string) (ok bool, err error)
	// HeredocKeywords are the keywords, besides RUN, COPY and ADD, whose
	// plugins take here-documents (sdk.Info.Heredocs): the parser reads
	// the bodies that follow them.
	HeredocKeywords []string
	// PluginKeywords are the keywords external plugins handle: the parser
	// leaves the flags of those that are also built-in (an override) to
	// the plugin.
	PluginKeywords []string
	// Steps starts the build's containers (RUN steps and tasks) through
	// hull's one start path, confining RUN steps with the build's limits.
	Steps StepRunner
	// CacheFrom are the steps of --cache-from, replayed when the store's
	// cache has no step of a key (nil: none).
	CacheFrom ImportedCache
	// RemoveAll removes a scratch tree that may hold files owned by
	// subordinate ids (nil: os.RemoveAll).
	RemoveAll func(dir string) error
}

func (e Env) removeAll(dir string) error {
	if e.RemoveAll != nil {
		return e.RemoveAll(dir)
	}
	return os.RemoveAll(dir)
}

package spec

import (
	"context"
	"time"
)

// ProtocolVersion is the instruction-plugin protocol this SDK speaks. It is
// sent in the go-plugin handshake; hull launches only plugins built for a
// version it knows. It changes only when a field changes meaning; added
// fields keep it.
const ProtocolVersion = 1

// The magic cookie go-plugin checks before anything else: an executable that
// does not see it in its environment is not being launched by hull (and a
// go-plugin binary of another program does not know it). Plugins written in
// other languages check it themselves.
const (
	MagicCookieKey   = "HULL_PLUGIN"
	MagicCookieValue = "7f3c1e9a5b2d48e6a0c4f1b39d7e2a85"
)

// MaxMessage is the largest gRPC message either side accepts: it bounds
// Host.ReadFile and Host.WriteFile contents. Bigger files go through Copy.
const MaxMessage = 64 << 20

// PluginKind is the go-plugin name instruction handlers are dispensed under.
// Other kinds (network drivers) get their own name and contract.
const PluginKind = "instruction"

// Handler is what a plugin implements, once per process; it may handle
// several keywords. Calls may come concurrently for different stages.
type Handler interface {
	// Info names the plugin and the keywords it handles. It is called once
	// when the plugin is discovered; the answer is cached by file checksum.
	Info() Info
	// CacheInputs returns what the core must hash for this step besides the
	// parent layer, the instruction text and the plugin's name and version:
	// e.g. COPY's sources (the core hashes their content) or ADD's URL and
	// checksum. It must not have side effects.
	CacheInputs(ctx context.Context, req Request) (CacheInputs, error)
	// Execute performs the instruction through host and returns the new
	// config. host is only valid until Execute returns.
	Execute(ctx context.Context, req Request, host Host) (Response, error)
}

// Host is what a plugin may ask the core to do during Execute. Paths are
// absolute and clean, and resolved inside the stage's root filesystem (or
// build context): symlinks and ".." never lead out of it. A failure the
// request caused is an error that errors.Is matches to one of ErrNotFound,
// ErrPermission, ErrExist, ErrNotDir, ErrIsDir, ErrNotEmpty, ErrInvalid or
// ErrTooLarge (see HostError). Test doubles embed UnimplementedHost, or use
// plugintest.FakeHost, so that they keep compiling when Host grows.
type Host interface {
	// Run runs a command in the build container. A non-zero exit is a
	// RunResult, not an error; errors mean the command could not run.
	Run(ctx context.Context, r RunRequest) (RunResult, error)
	// Copy copies from the build context, another stage or an image into
	// the root filesystem.
	Copy(ctx context.Context, r CopyRequest) error
	// ReadFile reads one file from the stage's root filesystem.
	ReadFile(ctx context.Context, path string) ([]byte, error)
	// WriteFile writes one file into the stage's root filesystem
	// (e.g. COPY <<EOF heredocs), creating missing parent directories.
	WriteFile(ctx context.Context, r WriteFileRequest) error
	// Log writes one line to the build output.
	Log(ctx context.Context, msg string) error
	// Stat returns a file's metadata, following symlinks (inside the root).
	Stat(ctx context.Context, path string) (FileInfo, error)
	// Lstat is Stat without following a final symlink: LinkTarget is its text.
	Lstat(ctx context.Context, path string) (FileInfo, error)
	// ListDir lists a directory, sorted by name, each entry as Lstat
	// sees it.
	ListDir(ctx context.Context, path string) ([]FileInfo, error)
	// Remove removes a file, a symlink (never what it names) or an empty
	// directory; with Recursive, a directory and everything in it.
	Remove(ctx context.Context, r RemoveRequest) error
	// Mkdir creates a directory (with Parents, also the missing ones above
	// it, and no error when it exists).
	Mkdir(ctx context.Context, r MkdirRequest) error
	// Symlink creates a symbolic link; its target is stored as given.
	Symlink(ctx context.Context, r SymlinkRequest) error
	// Builtin runs hull's built-in handler for req.Instruction.Keyword
	// with this Host and returns its response: a plugin that overrides a
	// built-in keyword delegates to it (see CacheInputs.Builtin).
	Builtin(ctx context.Context, req Request) (Response, error)
}

// Info describes a plugin.
type Info struct {
	Name    string // short name, e.g. "template"; shown by `hull plugin ls`
	Version string // the plugin's own version; part of every cache key
	// Keywords are the upper-case instructions handled, e.g. ["TEMPLATE"].
	Keywords    []string
	Description string // one line for `hull plugin ls`
	// Heredocs: the keywords take here-documents (KEYWORD <<EOF, as COPY
	// does); their bodies arrive in Instruction.Heredocs. Without it the
	// lines after the instruction are read as instructions.
	Heredocs bool
}

// Flag is one --name=value flag of an instruction, in source order.
type Flag struct {
	Name  string // without the dashes
	Value string // "" for a bare --flag
}

// Heredoc is one here-document attached to an instruction.
type Heredoc struct {
	Name    string // the delimiter word, or a file name for COPY <<name
	Content string // the body, without the closing delimiter
	Expand  bool   // true unless the delimiter was quoted
}

// Instruction is one parsed Dockerfile instruction.
type Instruction struct {
	Keyword  string    // upper-case
	Flags    []Flag    // --flags before the arguments
	Args     []string  // the arguments, after the flags; one string in shell form
	JSON     bool      // Args came from the JSON (exec) form
	Heredocs []Heredoc // here-documents, in order
	Original string    // the source text, continuations joined
	File     string    // the Dockerfile's name, for messages
	Line     int       // first line, 1-based
	EndLine  int       // last line
}

// Config is the stage's image config, with Docker's field meanings.
type Config struct {
	User         string
	Env          []string // KEY=value, in order
	Entrypoint   []string
	Cmd          []string
	WorkingDir   string
	Labels       map[string]string
	ExposedPorts []string // "80/tcp"
	Volumes      []string
	StopSignal   string
	Shell        []string // the SHELL for shell-form RUN/CMD/ENTRYPOINT
	OnBuild      []string // ONBUILD triggers, as source text
	Healthcheck  *Healthcheck
	ArgsEscaped  bool
}

// Healthcheck is Docker's HEALTHCHECK config; Test ["NONE"] disables one
// inherited from the base image.
type Healthcheck struct {
	Test          []string
	Interval      time.Duration
	Timeout       time.Duration
	StartPeriod   time.Duration
	StartInterval time.Duration
	Retries       int
}

// Request is one instruction to handle, with the stage's state.
type Request struct {
	Instruction Instruction
	Config      Config            // the config before this instruction
	BuildArgs   map[string]string // ARGs in scope, with their values
	Stage       string            // the stage's name, or its index as text
	Platform    string            // target platform, e.g. "linux/amd64"
}

// Response is the result of Execute.
type Response struct {
	Config Config // the config after this instruction
	// History is the created_by text, Docker style, e.g.
	// "RUN /bin/sh -c echo hi # buildkit".
	History string
	// EmptyLayer is true when the instruction changed no files, so the
	// core commits no layer.
	EmptyLayer bool
}

// CacheInputs are the inputs of a step beyond its instruction text.
type CacheInputs struct {
	ContextPaths []string // build-context paths whose content matters (globs allowed)
	From         string   // a stage or image whose content matters, for --from
	Extra        []string // opaque strings hashed as they are (URLs, checksums)
	NoCache      bool     // never reuse a cached result for this step
	// Builtin adds the inputs the built-in handler of the same keyword
	// names for the request, for a plugin that delegates to it with
	// Host.Builtin (its COPY sources, for instance).
	Builtin bool
}

// RunRequest is a command to run in the build container.
type RunRequest struct {
	Args       []string   // argv; the plugin applies the SHELL itself
	Env        []string   // KEY=value; the whole environment
	User       string     // user[:group]; "" = root
	WorkingDir string     // "" = "/"
	Network    string     // "default", "none" or "host"
	Mounts     []RunMount // RUN --mount
	Stdin      []byte     // fed to the command's stdin; nil = empty
	// CaptureOutput returns stdout and stderr in the RunResult instead of
	// showing them in the build output, each cut at MaxOutput bytes
	// (0 = DefaultMaxOutput; at most MaxCaptureOutput).
	CaptureOutput bool
	MaxOutput     int
}

// Limits of RunRequest.CaptureOutput, per stream.
const (
	DefaultMaxOutput = 1 << 20
	MaxCaptureOutput = 16 << 20
)

// RunMount is one RUN --mount.
type RunMount struct {
	Type     string // cache, bind, tmpfs or secret
	Target   string // where in the container
	Source   string // path in From (bind) or the secret's file name
	From     string // stage or image for bind/cache; "" = build context
	ID       string // cache or secret id
	Sharing  string // cache: shared, private or locked
	Mode     string // octal, e.g. "0755"
	ReadOnly bool
	UID, GID int
	Size     int64 // tmpfs size in bytes; 0 = unlimited
	// Required (secret, ssh): the step fails when the build was given no
	// such secret or agent; without it the mount is left out.
	Required bool
}

// RunResult is how a command ended.
type RunResult struct {
	ExitCode int
	// With CaptureOutput: what the command wrote, and whether some of it
	// was dropped at MaxOutput.
	Stdout, Stderr []byte
	Truncated      bool
}

// CopyRequest copies files into the stage's root filesystem (COPY, ADD).
type CopyRequest struct {
	From string // "" = build context; else a stage name or index, or an image
	// Sources are paths (globs allowed) in From; with ExtractArchives (ADD)
	// they may also be http(s) or git URLs.
	Sources         []string
	Dest            string
	Chown           string // user[:group]
	Chmod           string // octal or symbolic
	Link            bool   // --link
	Parents         bool   // --parents
	Exclude         []string
	ExtractArchives bool   // ADD semantics: unpack local tar archives
	Checksum        string // ADD --checksum for a URL source, "sha256:<hex>"
	KeepGitDir      bool   // ADD --keep-git-dir for a git source
}

// WriteFileRequest writes one file into the stage's root filesystem.
type WriteFileRequest struct {
	Path    string // absolute, inside the root filesystem
	Content []byte
	Mode    uint32 // permission bits; 0 = 0644
	Chown   string // user[:group]; "" = root
}

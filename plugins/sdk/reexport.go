package sdk

import (
	"github.com/hull-project/hull/plugins/sdk/spec"
)

// The contract is package spec's, re-exported here, so that a plugin
// imports this package only: a Handler written against these names is the
// very interface hull's build engine calls.

// The handshake's constants and the message size limit.
const (
	ProtocolVersion  = spec.ProtocolVersion
	MagicCookieKey   = spec.MagicCookieKey
	MagicCookieValue = spec.MagicCookieValue
	PluginKind       = spec.PluginKind
	MaxMessage       = spec.MaxMessage
	DefaultMaxOutput = spec.DefaultMaxOutput
	MaxCaptureOutput = spec.MaxCaptureOutput
)

type (
	// Handler is what a plugin implements (spec.Handler).
	Handler = spec.Handler
	// Host is what a plugin may ask the core to do during Execute (spec.Host).
	Host = spec.Host
	// UnimplementedHost answers every Host call with an ErrUnsupported
	// error; test doubles embed it (spec.UnimplementedHost).
	UnimplementedHost = spec.UnimplementedHost
	// HostError is a failed Host call as a plugin sees it (spec.HostError).
	HostError = spec.HostError

	Info             = spec.Info
	Flag             = spec.Flag
	Heredoc          = spec.Heredoc
	Instruction      = spec.Instruction
	Config           = spec.Config
	Healthcheck      = spec.Healthcheck
	Request          = spec.Request
	Response         = spec.Response
	CacheInputs      = spec.CacheInputs
	RunRequest       = spec.RunRequest
	RunMount         = spec.RunMount
	RunResult        = spec.RunResult
	CopyRequest      = spec.CopyRequest
	WriteFileRequest = spec.WriteFileRequest
	FileInfo         = spec.FileInfo
	RemoveRequest    = spec.RemoveRequest
	MkdirRequest     = spec.MkdirRequest
	SymlinkRequest   = spec.SymlinkRequest
)

// The kinds of Host errors (spec's): errors.Is matches a Host call's
// error to at most one of them.
var (
	ErrNotFound   = spec.ErrNotFound
	ErrPermission = spec.ErrPermission
	ErrExist      = spec.ErrExist
	ErrNotDir     = spec.ErrNotDir
	ErrIsDir      = spec.ErrIsDir
	ErrNotEmpty   = spec.ErrNotEmpty
	ErrInvalid    = spec.ErrInvalid
	ErrTooLarge   = spec.ErrTooLarge
)

// ErrorKind returns the kind of err: one of the Err values, from an
// errors.Is match or a syscall errno in its chain; nil when none fits.
func ErrorKind(err error) error { return spec.ErrorKind(err) }

// Expand expands the variables in one word and removes its quotes,
// exactly as hull's own instructions do (spec.Expand).
func Expand(word string, lookup func(name string) (string, bool)) (string, error) {
	return spec.Expand(word, lookup)
}

// Words expands shell-form text like Expand and splits it into words
// (spec.Words).
func Words(text string, lookup func(name string) (string, bool)) ([]string, error) {
	return spec.Words(text, lookup)
}

// ExpandHeredoc returns a here-document's body with its variables
// expanded when its delimiter was unquoted (spec.ExpandHeredoc).
func ExpandHeredoc(h Heredoc, lookup func(name string) (string, bool)) (string, error) {
	return spec.ExpandHeredoc(h, lookup)
}

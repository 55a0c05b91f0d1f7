package plugins

import (
	"errors"
	"fmt"
	"strings"
)

// Errors returned (wrapped in *Error) when a plugin misbehaves; callers
// test them with errors.Is. After any of them the plugin process is gone.
var (
	// ErrCrashed: the process exited during a call.
	ErrCrashed = errors.New("crashed")
	// ErrHung: the process did not start or answer within its deadline.
	ErrHung = errors.New("hung")
	// ErrProtocolVersion: the plugin speaks another sdk.ProtocolVersion.
	ErrProtocolVersion = errors.New("wrong protocol version")
	// ErrStdout: the plugin wrote something else than the handshake to stdout.
	ErrStdout = errors.New("wrote to stdout before the handshake")
	// ErrNotExecutable: the file is not an executable regular file.
	ErrNotExecutable = errors.New("not executable")
	// ErrNotPlugin: the process exited without a handshake, which is what a
	// program that is not a hull plugin (no magic cookie) does.
	ErrNotPlugin = errors.New("not a hull plugin")
	// ErrChecksum: the file's sha256 is not the pinned one.
	ErrChecksum = errors.New("checksum mismatch")
	// ErrInvalidInfo: the plugin's Info has no name or a bad keyword.
	ErrInvalidInfo = errors.New("invalid info")
	// ErrNeedsFullBinary: this hull was built without the plugin client
	// (the default hull of `make build`, build tag appsbin, which links
	// no gRPC, protobuf or go-plugin: docs/speed.md); the full hull it
	// embeds starts plugins. Nothing was started. Callers hand the whole
	// command to the full hull (core/appbin.Exec) or fail.
	ErrNeedsFullBinary = errors.New("starting a plugin process needs the full hull")
)

// Error is a failure of one plugin call. Its text names the Dockerfile
// line (when known), the plugin and the call:
//
//	Dockerfile:3: plugin /home/u/.config/hull/plugins/tpl: execute: crashed (exit status 2); stderr: boom
type Error struct {
	Where  string // "Dockerfile:3", or "" outside an instruction
	Plugin string // the executable's path, or "builtin NAME"
	Op     string // start, info, cache inputs, execute
	Err    error
	// Handler is set when the plugin's handler answered with this error
	// (the plugin itself is fine): for a built-in, the error speaks for
	// itself and the plugin is not named.
	Handler bool
}

func (e *Error) Error() string {
	s := fmt.Sprintf("plugin %s: %s: %v", e.Plugin, e.Op, e.Err)
	if e.Handler && strings.HasPrefix(e.Plugin, "builtin ") {
		s = e.Err.Error()
	}
	if e.Where != "" {
		s = e.Where + ": " + s
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

//go:build !appsbin

package plugins

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/hull-project/hull/plugins/sdk"
	"github.com/hull-project/hull/plugins/sdk/proto"
)

// maxLogLine bounds one Host.Log message.
const maxLogLine = 64 << 10

// hostServer serves the Host callbacks of one plugin process. It checks
// each request's shape and that its Execute is running before the caller's
// Host sees it; the Host resolves paths inside the root filesystem.
type hostServer struct {
	proto.UnimplementedHostServer
	calls *handlerClient
}

func (s *hostServer) Run(ctx context.Context, r *proto.RunRequest) (*proto.RunResult, error) {
	host, err := s.calls.host(r.CallId)
	if err != nil {
		return nil, err
	}
	req := runRequestFromProto(r)
	if err := checkRun(req); err != nil {
		return nil, invalid("run", err)
	}
	res, err := host.Run(ctx, req)
	if err != nil {
		return nil, sdk.StatusError(err)
	}
	return &proto.RunResult{ExitCode: int64(res.ExitCode), Stdout: res.Stdout, Stderr: res.Stderr, Truncated: res.Truncated}, nil
}

func (s *hostServer) Copy(ctx context.Context, r *proto.CopyRequest) (*proto.Empty, error) {
	host, err := s.calls.host(r.CallId)
	if err != nil {
		return nil, err
	}
	req := sdk.CopyRequest{
		From: r.From, Sources: r.Sources, Dest: r.Dest, Chown: r.Chown, Chmod: r.Chmod,
		Link: r.Link, Parents: r.Parents, Exclude: r.Exclude, ExtractArchives: r.ExtractArchives,
		Checksum: r.Checksum, KeepGitDir: r.KeepGitDir,
	}
	if err := checkCopy(req); err != nil {
		return nil, invalid("copy", err)
	}
	return &proto.Empty{}, sdk.StatusError(host.Copy(ctx, req))
}

func (s *hostServer) ReadFile(ctx context.Context, r *proto.ReadFileRequest) (*proto.ReadFileResponse, error) {
	host, err := s.calls.host(r.CallId)
	if err != nil {
		return nil, err
	}
	if err := checkPath(r.Path); err != nil {
		return nil, invalid("read file", err)
	}
	b, err := host.ReadFile(ctx, r.Path)
	if err != nil {
		return nil, sdk.StatusError(err)
	}
	if len(b) > sdk.MaxMessage-1024 {
		return nil, sdk.StatusError(fmt.Errorf("read file %s: %d bytes, more than ReadFile carries: %w", r.Path, len(b), sdk.ErrTooLarge))
	}
	return &proto.ReadFileResponse{Content: b}, nil
}

func (s *hostServer) WriteFile(ctx context.Context, r *proto.WriteFileRequest) (*proto.Empty, error) {
	host, err := s.calls.host(r.CallId)
	if err != nil {
		return nil, err
	}
	req := sdk.WriteFileRequest{Path: r.Path, Content: r.Content, Mode: r.Mode, Chown: r.Chown}
	if err := checkWrite(req); err != nil {
		return nil, invalid("write file", err)
	}
	return &proto.Empty{}, sdk.StatusError(host.WriteFile(ctx, req))
}

func (s *hostServer) Log(ctx context.Context, r *proto.LogRequest) (*proto.Empty, error) {
	host, err := s.calls.host(r.CallId)
	if err != nil {
		return nil, err
	}
	if len(r.Message) > maxLogLine {
		return nil, fmt.Errorf("log: message of %d bytes, more than %d", len(r.Message), maxLogLine)
	}
	return &proto.Empty{}, host.Log(ctx, r.Message)
}

// checkPath accepts absolute, clean paths without NUL: a plugin names a
// file plainly, and anything odd is more likely an attack than a need.
func checkPath(p string) error {
	switch {
	case !path.IsAbs(p):
		return fmt.Errorf("path %q is not absolute", p)
	case strings.ContainsRune(p, 0):
		return fmt.Errorf("path %q contains NUL", p)
	case path.Clean(p) != p && path.Clean(p)+"/" != p:
		return fmt.Errorf("path %q is not clean", p)
	}
	return nil
}

func checkWrite(r sdk.WriteFileRequest) error {
	if err := checkPath(r.Path); err != nil {
		return err
	}
	if r.Path == "/" || strings.HasSuffix(r.Path, "/") {
		return fmt.Errorf("path %q names a directory", r.Path)
	}
	if r.Mode&^0o7777 != 0 {
		return fmt.Errorf("mode %#o has bits beyond 07777", r.Mode)
	}
	return nil
}

// invalid is a request that failed its checks: for the plugin, an error
// that matches sdk.ErrInvalid.
func invalid(op string, err error) error {
	return sdk.StatusError(invalidError{fmt.Errorf("%s: %w", op, err)})
}

type invalidError struct{ error }

func (e invalidError) Unwrap() []error { return []error{e.error, sdk.ErrInvalid} }

func checkRun(r sdk.RunRequest) error {
	if len(r.Args) == 0 || r.Args[0] == "" {
		return fmt.Errorf("no command")
	}
	if r.MaxOutput < 0 || r.MaxOutput > sdk.MaxCaptureOutput {
		return fmt.Errorf("max output %d is not between 0 and %d", r.MaxOutput, sdk.MaxCaptureOutput)
	}
	if r.WorkingDir != "" {
		if err := checkPath(r.WorkingDir); err != nil {
			return fmt.Errorf("working dir: %w", err)
		}
	}
	switch r.Network {
	case "", "default", "none", "host":
	default:
		return fmt.Errorf("network %q is not default, none or host", r.Network)
	}
	for _, m := range r.Mounts {
		if err := checkMount(m); err != nil {
			return err
		}
	}
	return nil
}

func checkMount(m sdk.RunMount) error {
	switch m.Type {
	case "bind", "cache", "tmpfs", "secret", "ssh":
	default:
		return fmt.Errorf("mount type %q", m.Type)
	}
	if m.Target == "" && m.Type != "secret" && m.Type != "ssh" {
		return fmt.Errorf("%s mount without a target", m.Type)
	}
	if m.Target != "" {
		if err := checkPath(m.Target); err != nil {
			return fmt.Errorf("mount target: %w", err)
		}
	}
	return nil
}

func checkCopy(r sdk.CopyRequest) error {
	if len(r.Sources) == 0 {
		return fmt.Errorf("no sources")
	}
	if r.Dest == "" || strings.ContainsRune(r.Dest, 0) {
		return fmt.Errorf("destination %q", r.Dest)
	}
	for _, s := range r.Sources {
		if s == "" || strings.ContainsRune(s, 0) {
			return fmt.Errorf("source %q", s)
		}
	}
	return nil
}

func (s *hostServer) Stat(ctx context.Context, r *proto.StatRequest) (*proto.FileInfo, error) {
	host, err := s.calls.host(r.CallId)
	if err != nil {
		return nil, err
	}
	op := map[bool]string{false: "stat", true: "lstat"}[r.NoFollow]
	if err := checkPath(r.Path); err != nil {
		return nil, invalid(op, err)
	}
	var fi sdk.FileInfo
	if r.NoFollow {
		fi, err = host.Lstat(ctx, r.Path)
	} else {
		fi, err = host.Stat(ctx, r.Path)
	}
	if err != nil {
		return nil, sdk.StatusError(err)
	}
	return sdk.FileInfoToProto(fi), nil
}

// maxDirEntries bounds a ListDir answer: with the longest names it stays
// well under sdk.MaxMessage.
const maxDirEntries = 100000

func (s *hostServer) ListDir(ctx context.Context, r *proto.ListDirRequest) (*proto.ListDirResponse, error) {
	host, err := s.calls.host(r.CallId)
	if err != nil {
		return nil, err
	}
	if err := checkPath(r.Path); err != nil {
		return nil, invalid("list dir", err)
	}
	entries, err := host.ListDir(ctx, r.Path)
	if err != nil {
		return nil, sdk.StatusError(err)
	}
	if len(entries) > maxDirEntries {
		return nil, sdk.StatusError(fmt.Errorf("list dir %s: more than %d entries: %w", r.Path, maxDirEntries, sdk.ErrTooLarge))
	}
	out := &proto.ListDirResponse{Entries: make([]*proto.FileInfo, 0, len(entries))}
	for _, e := range entries {
		out.Entries = append(out.Entries, sdk.FileInfoToProto(e))
	}
	return out, nil
}

func (s *hostServer) Remove(ctx context.Context, r *proto.RemoveRequest) (*proto.Empty, error) {
	host, err := s.calls.host(r.CallId)
	if err != nil {
		return nil, err
	}
	if err := checkPath(r.Path); err != nil {
		return nil, invalid("remove", err)
	}
	if r.Path == "/" {
		return nil, invalid("remove", fmt.Errorf("path %q is the root", r.Path))
	}
	return &proto.Empty{}, sdk.StatusError(host.Remove(ctx, sdk.RemoveRequest{Path: r.Path, Recursive: r.Recursive}))
}

func (s *hostServer) Mkdir(ctx context.Context, r *proto.MkdirRequest) (*proto.Empty, error) {
	host, err := s.calls.host(r.CallId)
	if err != nil {
		return nil, err
	}
	if err := checkPath(r.Path); err != nil {
		return nil, invalid("mkdir", err)
	}
	if r.Mode&^0o7777 != 0 {
		return nil, invalid("mkdir", fmt.Errorf("mode %#o has bits beyond 07777", r.Mode))
	}
	req := sdk.MkdirRequest{Path: r.Path, Mode: r.Mode, Parents: r.Parents, Chown: r.Chown}
	return &proto.Empty{}, sdk.StatusError(host.Mkdir(ctx, req))
}

func (s *hostServer) Symlink(ctx context.Context, r *proto.SymlinkRequest) (*proto.Empty, error) {
	host, err := s.calls.host(r.CallId)
	if err != nil {
		return nil, err
	}
	if err := checkPath(r.Path); err != nil {
		return nil, invalid("symlink", err)
	}
	if r.Path == "/" || strings.HasSuffix(r.Path, "/") {
		return nil, invalid("symlink", fmt.Errorf("path %q names a directory", r.Path))
	}
	// The target is text stored in the image; whatever it says, the core
	// resolves it inside the root. It only has to be a valid link.
	if r.Target == "" || strings.ContainsRune(r.Target, 0) || len(r.Target) >= 4096 {
		return nil, invalid("symlink", fmt.Errorf("target %q", r.Target))
	}
	req := sdk.SymlinkRequest{Path: r.Path, Target: r.Target, Chown: r.Chown}
	return &proto.Empty{}, sdk.StatusError(host.Symlink(ctx, req))
}

func (s *hostServer) Builtin(ctx context.Context, r *proto.BuiltinRequest) (*proto.Response, error) {
	host, err := s.calls.host(r.CallId)
	if err != nil {
		return nil, err
	}
	if r.Request == nil || r.Request.Instruction == nil || r.Request.Instruction.Keyword == "" {
		return nil, invalid("builtin", fmt.Errorf("no instruction"))
	}
	resp, err := host.Builtin(ctx, requestFromProto(r.Request))
	if err != nil {
		return nil, sdk.StatusError(err)
	}
	return &proto.Response{Config: configToProto(resp.Config), History: resp.History, EmptyLayer: resp.EmptyLayer}, nil
}

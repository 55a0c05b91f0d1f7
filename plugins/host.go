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
		return nil, fmt.Errorf("run: %w", err)
	}
	res, err := host.Run(ctx, req)
	if err != nil {
		return nil, err
	}
	return &proto.RunResult{ExitCode: int64(res.ExitCode)}, nil
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
		return nil, fmt.Errorf("copy: %w", err)
	}
	return &proto.Empty{}, host.Copy(ctx, req)
}

func (s *hostServer) ReadFile(ctx context.Context, r *proto.ReadFileRequest) (*proto.ReadFileResponse, error) {
	host, err := s.calls.host(r.CallId)
	if err != nil {
		return nil, err
	}
	if err := checkPath(r.Path); err != nil {
		return nil, fmt.Errorf("read file: %w", err)
	}
	b, err := host.ReadFile(ctx, r.Path)
	if err != nil {
		return nil, err
	}
	if len(b) > sdk.MaxMessage-1024 {
		return nil, fmt.Errorf("read file %s: %d bytes, more than ReadFile carries", r.Path, len(b))
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
		return nil, fmt.Errorf("write file: %w", err)
	}
	return &proto.Empty{}, host.WriteFile(ctx, req)
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

func checkRun(r sdk.RunRequest) error {
	if len(r.Args) == 0 || r.Args[0] == "" {
		return fmt.Errorf("no command")
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

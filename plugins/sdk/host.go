package sdk

import (
	"context"
	"io/fs"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/hull-project/hull/plugins/sdk/proto"
)

// kinds names each kind on the wire (proto.HostError.kind) with its gRPC
// code.
var kinds = []struct {
	err  error
	name string
	code codes.Code
}{
	{ErrNotFound, "not-found", codes.NotFound},
	{ErrPermission, "permission", codes.PermissionDenied},
	{ErrNotEmpty, "not-empty", codes.FailedPrecondition},
	{ErrExist, "exists", codes.AlreadyExists},
	{ErrNotDir, "not-a-directory", codes.FailedPrecondition},
	{ErrIsDir, "is-a-directory", codes.FailedPrecondition},
	{ErrInvalid, "invalid", codes.InvalidArgument},
	{ErrTooLarge, "too-large", codes.ResourceExhausted},
}

// StatusError turns an error of a Host implementation into the gRPC
// status that carries its kind (ErrorKind) to the plugin. hull's core
// calls it; a plugin never needs to.
func StatusError(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	kind := ErrorKind(err)
	for _, k := range kinds {
		if k.err == kind {
			st, derr := status.New(k.code, err.Error()).WithDetails(&proto.HostError{Kind: k.name})
			if derr != nil {
				return status.Error(k.code, err.Error())
			}
			return st.Err()
		}
	}
	return status.Error(codes.Unknown, err.Error())
}

// hostError turns a failed Host call's status into a *HostError whose
// Kind errors.Is can test, without gRPC's "rpc error: code = ... desc ="
// wrapping: the core's message already says what went wrong. The kind comes from the status details, or
// from the code alone when a core sent none.
func hostError(op string, err error) error {
	if err == nil {
		return nil
	}
	st := status.Convert(err)
	he := &HostError{Op: op, Msg: st.Message()}
	for _, d := range st.Details() {
		if d, ok := d.(*proto.HostError); ok {
			for _, k := range kinds {
				if k.name == d.Kind {
					he.Kind = k.err
				}
			}
			return he
		}
	}
	switch st.Code() {
	case codes.NotFound:
		he.Kind = ErrNotFound
	case codes.PermissionDenied:
		he.Kind = ErrPermission
	case codes.AlreadyExists:
		he.Kind = ErrExist
	case codes.InvalidArgument:
		he.Kind = ErrInvalid
	case codes.ResourceExhausted:
		he.Kind = ErrTooLarge
	}
	return he
}

// FileInfoToProto and FileInfoFromProto convert file metadata for the
// wire; hull's core uses them.
func FileInfoToProto(fi FileInfo) *proto.FileInfo {
	return &proto.FileInfo{Name: fi.Name, Size: fi.Size, Mode: uint32(fi.Mode), ModTimeNs: fi.ModTime.UnixNano(),
		Uid: int64(fi.UID), Gid: int64(fi.GID), LinkTarget: fi.LinkTarget}
}

// FileInfoFromProto is FileInfoToProto's inverse.
func FileInfoFromProto(p *proto.FileInfo) FileInfo {
	if p == nil {
		return FileInfo{}
	}
	return FileInfo{Name: p.Name, Size: p.Size, Mode: fs.FileMode(p.Mode), ModTime: time.Unix(0, p.ModTimeNs),
		UID: int(p.Uid), GID: int(p.Gid), LinkTarget: p.LinkTarget}
}

// The plugin side of the new Host calls; the first ones are in server.go.

func (h *hostClient) Stat(ctx context.Context, path string) (FileInfo, error) {
	return h.stat(ctx, "stat", path, false)
}

func (h *hostClient) Lstat(ctx context.Context, path string) (FileInfo, error) {
	return h.stat(ctx, "lstat", path, true)
}

func (h *hostClient) stat(ctx context.Context, op, path string, noFollow bool) (FileInfo, error) {
	c, err := h.dial()
	if err != nil {
		return FileInfo{}, err
	}
	res, err := c.Stat(ctx, &proto.StatRequest{CallId: h.call, Path: path, NoFollow: noFollow})
	if err != nil {
		return FileInfo{}, hostError(op, err)
	}
	return FileInfoFromProto(res), nil
}

func (h *hostClient) ListDir(ctx context.Context, path string) ([]FileInfo, error) {
	c, err := h.dial()
	if err != nil {
		return nil, err
	}
	res, err := c.ListDir(ctx, &proto.ListDirRequest{CallId: h.call, Path: path})
	if err != nil {
		return nil, hostError("list dir", err)
	}
	out := make([]FileInfo, 0, len(res.Entries))
	for _, e := range res.Entries {
		out = append(out, FileInfoFromProto(e))
	}
	return out, nil
}

func (h *hostClient) Remove(ctx context.Context, r RemoveRequest) error {
	c, err := h.dial()
	if err != nil {
		return err
	}
	_, err = c.Remove(ctx, &proto.RemoveRequest{CallId: h.call, Path: r.Path, Recursive: r.Recursive})
	return hostError("remove", err)
}

func (h *hostClient) Mkdir(ctx context.Context, r MkdirRequest) error {
	c, err := h.dial()
	if err != nil {
		return err
	}
	_, err = c.Mkdir(ctx, &proto.MkdirRequest{CallId: h.call, Path: r.Path, Mode: r.Mode, Parents: r.Parents, Chown: r.Chown})
	return hostError("mkdir", err)
}

func (h *hostClient) Symlink(ctx context.Context, r SymlinkRequest) error {
	c, err := h.dial()
	if err != nil {
		return err
	}
	_, err = c.Symlink(ctx, &proto.SymlinkRequest{CallId: h.call, Path: r.Path, Target: r.Target, Chown: r.Chown})
	return hostError("symlink", err)
}

func (h *hostClient) Builtin(ctx context.Context, req Request) (Response, error) {
	c, err := h.dial()
	if err != nil {
		return Response{}, err
	}
	res, err := c.Builtin(ctx, &proto.BuiltinRequest{CallId: h.call, Request: requestToProto(req)})
	if err != nil {
		return Response{}, hostError("builtin", err)
	}
	return Response{Config: configFromProto(res.Config), History: res.History, EmptyLayer: res.EmptyLayer}, nil
}

// requestToProto is the plugin side's copy of the core's, for Builtin.
func requestToProto(r Request) *proto.Request {
	i := r.Instruction
	in := &proto.Instruction{Keyword: i.Keyword, Args: i.Args, Json: i.JSON, Original: i.Original,
		File: i.File, Line: int64(i.Line), EndLine: int64(i.EndLine)}
	for _, f := range i.Flags {
		in.Flags = append(in.Flags, &proto.Flag{Name: f.Name, Value: f.Value})
	}
	for _, h := range i.Heredocs {
		in.Heredocs = append(in.Heredocs, &proto.Heredoc{Name: h.Name, Content: h.Content, Expand: h.Expand})
	}
	return &proto.Request{Instruction: in, Config: configToProto(r.Config), BuildArgs: r.BuildArgs,
		Stage: r.Stage, Platform: r.Platform}
}

package sdk

import (
	"context"
	"fmt"
	"sync"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/hull-project/hull/plugins/sdk/proto"
)

// handlerServer adapts a Handler to the gRPC Handler service.
type handlerServer struct {
	proto.UnimplementedHandlerServer
	impl   Handler
	broker *plugin.GRPCBroker

	mu    sync.Mutex
	hosts map[uint32]*grpc.ClientConn // one connection per broker id
}

func registerHandler(s *grpc.Server, h Handler, broker *plugin.GRPCBroker) {
	proto.RegisterHandlerServer(s, &handlerServer{impl: h, broker: broker, hosts: map[uint32]*grpc.ClientConn{}})
}

func (s *handlerServer) Info(context.Context, *proto.Empty) (*proto.InfoResponse, error) {
	i := s.impl.Info()
	return &proto.InfoResponse{Name: i.Name, Version: i.Version, Keywords: i.Keywords, Description: i.Description, Heredocs: i.Heredocs}, nil
}

func (s *handlerServer) CacheInputs(ctx context.Context, req *proto.Request) (resp *proto.CacheInputsResponse, err error) {
	c, err := s.impl.CacheInputs(ctx, requestFromProto(req))
	if err != nil {
		return nil, err
	}
	return &proto.CacheInputsResponse{ContextPaths: c.ContextPaths, From: c.From, Extra: c.Extra, NoCache: c.NoCache, Builtin: c.Builtin}, nil
}

func (s *handlerServer) Execute(ctx context.Context, req *proto.ExecuteRequest) (resp *proto.Response, err error) {
	host := &hostClient{call: req.CallId, dial: func() (proto.HostClient, error) { return s.host(req.HostBrokerId) }}
	r, err := s.impl.Execute(ctx, requestFromProto(req.Request), host)
	if err != nil {
		return nil, err
	}
	return &proto.Response{Config: configToProto(r.Config), History: r.History, EmptyLayer: r.EmptyLayer}, nil
}

// host dials the core's Host service once per broker id, on first use, so
// handlers that never call back cost no connection.
func (s *handlerServer) host(id uint32) (proto.HostClient, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.hosts[id]; ok {
		return proto.NewHostClient(c), nil
	}
	c, err := s.broker.DialWithOptions(id, grpc.WithDefaultCallOptions(
		grpc.MaxCallRecvMsgSize(MaxMessage), grpc.MaxCallSendMsgSize(MaxMessage)))
	if err != nil {
		return nil, fmt.Errorf("dial host: %w", err)
	}
	s.hosts[id] = c
	return proto.NewHostClient(c), nil
}

// hostClient is the Host a handler sees: each call goes back to the core,
// tagged with the Execute it belongs to.
type hostClient struct {
	call uint64
	dial func() (proto.HostClient, error)
}

var _ Host = (*hostClient)(nil)

func (h *hostClient) Run(ctx context.Context, r RunRequest) (RunResult, error) {
	c, err := h.dial()
	if err != nil {
		return RunResult{}, err
	}
	res, err := c.Run(ctx, runRequestToProto(h.call, r))
	if err != nil {
		return RunResult{}, hostError("run", err)
	}
	return RunResult{ExitCode: int(res.ExitCode), Stdout: res.Stdout, Stderr: res.Stderr, Truncated: res.Truncated}, nil
}

func (h *hostClient) Copy(ctx context.Context, r CopyRequest) error {
	c, err := h.dial()
	if err != nil {
		return err
	}
	_, err = c.Copy(ctx, &proto.CopyRequest{
		CallId: h.call, From: r.From, Sources: r.Sources, Dest: r.Dest, Chown: r.Chown, Chmod: r.Chmod,
		Link: r.Link, Parents: r.Parents, Exclude: r.Exclude, ExtractArchives: r.ExtractArchives,
		Checksum: r.Checksum, KeepGitDir: r.KeepGitDir,
	})
	return hostError("copy", err)
}

func (h *hostClient) ReadFile(ctx context.Context, path string) ([]byte, error) {
	c, err := h.dial()
	if err != nil {
		return nil, err
	}
	res, err := c.ReadFile(ctx, &proto.ReadFileRequest{CallId: h.call, Path: path})
	if err != nil {
		return nil, hostError("read file", err)
	}
	return res.Content, nil
}

func (h *hostClient) WriteFile(ctx context.Context, r WriteFileRequest) error {
	c, err := h.dial()
	if err != nil {
		return err
	}
	_, err = c.WriteFile(ctx, &proto.WriteFileRequest{CallId: h.call, Path: r.Path, Content: r.Content, Mode: r.Mode, Chown: r.Chown})
	return hostError("write file", err)
}

func (h *hostClient) Log(ctx context.Context, msg string) error {
	c, err := h.dial()
	if err != nil {
		return err
	}
	_, err = c.Log(ctx, &proto.LogRequest{CallId: h.call, Message: msg})
	return hostError("log", err)
}

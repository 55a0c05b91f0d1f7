//go:build !appsbin

package plugins

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/hull-project/hull/plugins/sdk"
	"github.com/hull-project/hull/plugins/sdk/proto"
)

// grpcPlugin is the core side of go-plugin's GRPCPlugin; the plugin side
// is in package sdk.
type grpcPlugin struct {
	plugin.NetRPCUnsupportedPlugin
}

func (p *grpcPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return errors.New("plugins: the server side is sdk.Serve")
}

func (p *grpcPlugin) GRPCClient(_ context.Context, broker *plugin.GRPCBroker, conn *grpc.ClientConn) (interface{}, error) {
	return &handlerClient{rpc: proto.NewHandlerClient(conn), broker: broker,
		server: make(chan *grpc.Server, 1), calls: map[uint64]sdk.Host{}}, nil
}

// handlerClient calls the plugin's Handler service and serves Host back to
// it on one broker connection for the life of the process.
type handlerClient struct {
	rpc    proto.HandlerClient
	broker *plugin.GRPCBroker

	serveOnce sync.Once
	brokerID  uint32
	serveErr  error
	server    chan *grpc.Server // the Host server, once it exists

	next  atomic.Uint64
	mu    sync.Mutex
	calls map[uint64]sdk.Host // Executes in flight
}

func (h *handlerClient) info(ctx context.Context) (sdk.Info, error) {
	r, err := h.rpc.Info(ctx, &proto.Empty{})
	if err != nil {
		return sdk.Info{}, err
	}
	return sdk.Info{Name: r.Name, Version: r.Version, Keywords: r.Keywords, Description: r.Description, Heredocs: r.Heredocs}, nil
}

func (h *handlerClient) cacheInputs(ctx context.Context, req sdk.Request) (sdk.CacheInputs, error) {
	r, err := h.rpc.CacheInputs(ctx, requestToProto(req))
	if err != nil {
		return sdk.CacheInputs{}, err
	}
	return sdk.CacheInputs{ContextPaths: r.ContextPaths, From: r.From, Extra: r.Extra, NoCache: r.NoCache, Builtin: r.Builtin}, nil
}

func (h *handlerClient) execute(ctx context.Context, req sdk.Request, host sdk.Host) (sdk.Response, error) {
	if err := h.serveHost(); err != nil {
		return sdk.Response{}, err
	}
	call := h.next.Add(1)
	h.mu.Lock()
	h.calls[call] = host
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.calls, call)
		h.mu.Unlock()
	}()
	r, err := h.rpc.Execute(ctx, &proto.ExecuteRequest{Request: requestToProto(req), HostBrokerId: h.brokerID, CallId: call})
	if err != nil {
		return sdk.Response{}, err
	}
	return sdk.Response{Config: configFromProto(r.Config), History: r.History, EmptyLayer: r.EmptyLayer}, nil
}

// serveHost starts the Host service on a broker id, once per process.
// The connection info reaches the plugin before the first Execute; the
// plugin dials when a handler first calls back.
func (h *handlerClient) serveHost() error {
	h.serveOnce.Do(func() {
		h.brokerID = h.broker.NextId()
		ln, err := h.broker.Accept(h.brokerID)
		if err != nil {
			h.serveErr = fmt.Errorf("serve host callbacks: %w", err)
			return
		}
		s := grpc.NewServer(grpc.MaxRecvMsgSize(sdk.MaxMessage), grpc.MaxSendMsgSize(sdk.MaxMessage))
		proto.RegisterHostServer(s, &hostServer{calls: h})
		h.server <- s
		go func() { _ = s.Serve(ln) }()
	})
	return h.serveErr
}

func (h *handlerClient) close() {
	select {
	case s := <-h.server:
		s.Stop()
	default:
	}
}

// host returns the Host of a running Execute.
func (h *handlerClient) host(call uint64) (sdk.Host, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	host, ok := h.calls[call]
	if !ok {
		return nil, fmt.Errorf("call %d is not running", call)
	}
	return host, nil
}

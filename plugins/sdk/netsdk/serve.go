package netsdk

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"golang.org/x/sys/unix"
	"google.golang.org/grpc"

	"github.com/hull-project/hull/plugins/sdk/proto"
)

// Serve runs d as a hull network plugin and never returns: it answers
// go-plugin's handshake on stdout, serves gRPC on a unix socket and exits
// when hull kills it or hull itself exits. It exits 1 with a message on
// stderr when the process was not started by hull. Call it first in main;
// nothing may be written to stdout before it.
func Serve(d Driver) {
	go exitWithParent(os.Getppid(), func() { os.Exit(1) })
	plugin.Serve(serveConfig(d))
	os.Exit(0)
}

func serveConfig(d Driver) *plugin.ServeConfig {
	return &plugin.ServeConfig{
		HandshakeConfig: plugin.HandshakeConfig{
			ProtocolVersion:  ProtocolVersion,
			MagicCookieKey:   MagicCookieKey,
			MagicCookieValue: MagicCookieValue,
		},
		Plugins:    plugin.PluginSet{PluginKind: &grpcPlugin{impl: d}},
		GRPCServer: plugin.DefaultGRPCServer,
		// JSON on the real stderr: the core parses the level of each line.
		Logger: hclog.New(&hclog.LoggerOptions{
			Name:       "plugin",
			Level:      hclog.Info,
			Output:     os.Stderr,
			JSONFormat: true,
		}),
	}
}

// exitWithParent calls exit once the process ppid (hull) is gone. hull
// also kills the plugin by Pdeathsig, but that signal follows the thread
// that started the plugin, not the process, and a Go program's threads
// come and go: this is the belt to those braces. A pidfd says it at once;
// without one, the parent is polled.
func exitWithParent(ppid int, exit func()) {
	if ppid <= 1 {
		return
	}
	if fd, err := unix.PidfdOpen(ppid, 0); err == nil {
		defer unix.Close(fd)
		if os.Getppid() == ppid { // still ours, not a reused pid
			fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
			for {
				if _, err := unix.Poll(fds, -1); err != unix.EINTR {
					break
				}
			}
		}
		exit()
		return
	}
	for os.Getppid() == ppid {
		time.Sleep(time.Second)
	}
	exit()
}

// grpcPlugin is the plugin side of go-plugin's GRPCPlugin; the core side
// is package plugins/network.
type grpcPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	impl Driver
}

func (p *grpcPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	proto.RegisterNetworkServer(s, &networkServer{impl: p.impl})
	return nil
}

func (p *grpcPlugin) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (interface{}, error) {
	return nil, fmt.Errorf("netsdk: the client side of %q is package plugins/network", PluginKind)
}

// networkServer adapts a Driver to the gRPC Network service.
type networkServer struct {
	proto.UnimplementedNetworkServer
	impl Driver
}

func (s *networkServer) Setup(ctx context.Context, req *proto.NetworkSetupRequest) (resp *proto.NetworkSetupResponse, err error) {
	defer recoverError(&err)
	r, err := s.impl.Setup(ctx, requestFromProto(req))
	if err != nil {
		return nil, err
	}
	return &proto.NetworkSetupResponse{Interface: r.Interface, Address: r.Address, Gateway: r.Gateway,
		Dns: r.DNS, Mtu: int32(r.MTU), Ports: portsToProto(r.Ports)}, nil
}

func (s *networkServer) Teardown(ctx context.Context, req *proto.NetworkTeardownRequest) (resp *proto.NetworkTeardownResponse, err error) {
	defer recoverError(&err)
	if err := s.impl.Teardown(ctx, req.ContainerId); err != nil {
		return nil, err
	}
	return &proto.NetworkTeardownResponse{}, nil
}

// recoverError turns a panic in the driver into the call's error, so hull
// reports it and still gets to call Teardown.
func recoverError(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
	}
}

func requestFromProto(r *proto.NetworkSetupRequest) Request {
	opts := r.Options
	if opts == nil {
		opts = map[string]string{}
	}
	return Request{ContainerID: r.ContainerId, Pid: int(r.Pid), NetNS: r.NetnsPath, UserNS: r.UsernsPath,
		StateDir: r.StateDir, Ports: portsFromProto(r.Ports), Options: opts}
}

func portsFromProto(ps []*proto.PortMapping) []PortMapping {
	var out []PortMapping
	for _, p := range ps {
		out = append(out, PortMapping{HostIP: p.HostIp, HostPort: int(p.HostPort), ContainerPort: int(p.ContainerPort), Protocol: p.Protocol})
	}
	return out
}

func portsToProto(ps []PortMapping) []*proto.PortMapping {
	var out []*proto.PortMapping
	for _, p := range ps {
		out = append(out, &proto.PortMapping{HostIp: p.HostIP, HostPort: int32(p.HostPort), ContainerPort: int32(p.ContainerPort), Protocol: p.Protocol})
	}
	return out
}

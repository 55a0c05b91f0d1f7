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
//
// A d that also implements NetworkDriver serves named networks too.
func Serve(d Driver) {
	nd, _ := d.(NetworkDriver)
	serve(d, nd)
}

// ServeNetworks runs nd as a plugin that provides named networks only:
// `hull network create --driver NAME` and `run --network` on such a
// network call it; `run --network NAME` alone (a per-container network)
// is refused. It never returns, as Serve.
func ServeNetworks(nd NetworkDriver) { serve(nil, nd) }

func serve(d Driver, nd NetworkDriver) {
	go exitWithParent(os.Getppid(), func() { os.Exit(1) })
	plugin.Serve(serveConfig(d, nd))
	os.Exit(0)
}

func serveConfig(d Driver, nd NetworkDriver) *plugin.ServeConfig {
	return &plugin.ServeConfig{
		HandshakeConfig: plugin.HandshakeConfig{
			ProtocolVersion:  ProtocolVersion,
			MagicCookieKey:   MagicCookieKey,
			MagicCookieValue: MagicCookieValue,
		},
		Plugins:    plugin.PluginSet{PluginKind: &grpcPlugin{impl: d, named: nd}},
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
	impl  Driver        // nil: no per-container networks
	named NetworkDriver // nil: no named networks
}

// GRPCServer registers the services the plugin has: hull's calls to one
// it has not get Unimplemented, and hull says what the plugin lacks.
func (p *grpcPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	if p.impl != nil {
		proto.RegisterNetworkServer(s, &networkServer{impl: p.impl})
	}
	if p.named != nil {
		proto.RegisterNetworkDriverServer(s, &driverServer{impl: p.named})
	}
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

// driverServer adapts a NetworkDriver to the gRPC NetworkDriver service.
type driverServer struct {
	proto.UnimplementedNetworkDriverServer
	impl NetworkDriver
}

func (s *driverServer) CreateNetwork(ctx context.Context, req *proto.CreateNetworkRequest) (resp *proto.CreateNetworkResponse, err error) {
	defer recoverError(&err)
	cfg, err := s.impl.Create(ctx, ConfigFromProto(req.Config, req.StateDir))
	if err != nil {
		return nil, err
	}
	return &proto.CreateNetworkResponse{Config: ConfigToProto(cfg)}, nil
}

func (s *driverServer) RemoveNetwork(ctx context.Context, req *proto.RemoveNetworkRequest) (resp *proto.RemoveNetworkResponse, err error) {
	defer recoverError(&err)
	if err := s.impl.Remove(ctx, ConfigFromProto(req.Config, req.StateDir)); err != nil {
		return nil, err
	}
	return &proto.RemoveNetworkResponse{}, nil
}

func (s *driverServer) Attach(ctx context.Context, req *proto.AttachRequest) (resp *proto.NetworkSetupResponse, err error) {
	defer recoverError(&err)
	ep := Endpoint{ContainerID: req.ContainerId, Names: req.Names, IP: req.Ip, Interface: req.Interface, Pid: int(req.Pid)}
	r, err := s.impl.Attach(ctx, ConfigFromProto(req.Config, req.StateDir), ep)
	if err != nil {
		return nil, err
	}
	return &proto.NetworkSetupResponse{Interface: r.Interface, Address: r.Address, Gateway: r.Gateway,
		Dns: r.DNS, Mtu: int32(r.MTU), Ports: portsToProto(r.Ports)}, nil
}

func (s *driverServer) Detach(ctx context.Context, req *proto.DetachRequest) (resp *proto.DetachResponse, err error) {
	defer recoverError(&err)
	if err := s.impl.Detach(ctx, ConfigFromProto(req.Config, req.StateDir), req.ContainerId); err != nil {
		return nil, err
	}
	return &proto.DetachResponse{}, nil
}

func (s *driverServer) Endpoints(ctx context.Context, req *proto.EndpointsRequest) (resp *proto.EndpointsResponse, err error) {
	defer recoverError(&err)
	eps, err := s.impl.Endpoints(ctx, ConfigFromProto(req.Config, req.StateDir))
	if err != nil {
		return nil, err
	}
	out := &proto.EndpointsResponse{}
	for _, e := range eps {
		out.Endpoints = append(out.Endpoints, &proto.EndpointInfo{ContainerId: e.ContainerID, Names: e.Names,
			Ipv4Address: e.IPAddress, MacAddress: e.MacAddress, Interface: e.Interface})
	}
	return out, nil
}

// ConfigToProto and ConfigFromProto convert a named network to and from
// the wire; hull's client uses the same pair.
func ConfigToProto(c NetworkConfig) *proto.NetworkConfig {
	return &proto.NetworkConfig{Name: c.Name, Id: c.ID, Driver: c.Driver, Subnet: c.Subnet, Gateway: c.Gateway,
		Internal: c.Internal, DisableDns: c.DisableDNS, Created: c.Created, Options: c.Options}
}

func ConfigFromProto(c *proto.NetworkConfig, stateDir string) NetworkConfig {
	if c == nil {
		return NetworkConfig{StateDir: stateDir}
	}
	return NetworkConfig{Name: c.Name, ID: c.Id, Driver: c.Driver, Subnet: c.Subnet, Gateway: c.Gateway,
		Internal: c.Internal, DisableDNS: c.DisableDns, Created: c.Created, Options: c.Options, StateDir: stateDir}
}

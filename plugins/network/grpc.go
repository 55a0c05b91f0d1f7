//go:build !appsbin

package network

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/hull-project/hull/plugins"
	"github.com/hull-project/hull/plugins/sdk/proto"
)

// grpcNetwork is the core side of go-plugin's GRPCPlugin for network
// plugins; the plugin side is package plugins/sdk/netsdk.
type grpcNetwork struct {
	plugin.NetRPCUnsupportedPlugin
}

func (grpcNetwork) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return errors.New("network: the server side is netsdk.Serve")
}

func (grpcNetwork) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (interface{}, error) {
	return &networkClient{rpc: proto.NewNetworkClient(conn), drv: proto.NewNetworkDriverClient(conn)}, nil
}

// networkClient converts between the contract's structs and the wire:
// rpc is the per-container Network service, drv the named networks'
// NetworkDriver (a plugin serves either or both).
type networkClient struct {
	rpc proto.NetworkClient
	drv proto.NetworkDriverClient
}

func (c *networkClient) setup(ctx context.Context, req Request) (Result, error) {
	r, err := c.rpc.Setup(ctx, &proto.NetworkSetupRequest{ContainerId: req.ContainerID, Pid: int32(req.Pid),
		NetnsPath: req.NetNS, UsernsPath: req.UserNS, StateDir: req.StateDir, Ports: portsToProto(req.Ports), Options: req.Options})
	if err != nil {
		return Result{}, err
	}
	ports, err := portsFromProto(r.Ports)
	if err != nil {
		return Result{}, fmt.Errorf("result: %w", err)
	}
	return Result{Interface: r.Interface, Address: r.Address, Gateway: r.Gateway, DNS: r.Dns, MTU: int(r.Mtu), Ports: ports}, nil
}

func (c *networkClient) teardown(ctx context.Context, id string) error {
	_, err := c.rpc.Teardown(ctx, &proto.NetworkTeardownRequest{ContainerId: id})
	return err
}

func portsToProto(ps []PortMapping) []*proto.PortMapping {
	var out []*proto.PortMapping
	for _, p := range ps {
		out = append(out, &proto.PortMapping{HostIp: p.HostIP, HostPort: int32(p.HostPort), ContainerPort: int32(p.ContainerPort), Protocol: p.Protocol})
	}
	return out
}

// portsFromProto checks each publication a plugin reports: they end up in
// the container's record and in `hull port`.
func portsFromProto(ps []*proto.PortMapping) ([]PortMapping, error) {
	var out []PortMapping
	for _, p := range ps {
		m := PortMapping{HostIP: p.HostIp, HostPort: int(p.HostPort), ContainerPort: int(p.ContainerPort), Protocol: p.Protocol}
		if (m.HostIP != "" && net.ParseIP(m.HostIP) == nil) || m.HostPort < 1 || m.HostPort > 65535 ||
			m.ContainerPort < 1 || m.ContainerPort > 65535 || (m.Protocol != "tcp" && m.Protocol != "udp") {
			return nil, fmt.Errorf("invalid port publication %+v", m)
		}
		out = append(out, m)
	}
	return out, nil
}

// Setup asks the plugin to attach the network.
func (p *externalPlugin) Setup(ctx context.Context, req Request) (Result, error) {
	cctx, cancel := context.WithTimeout(ctx, SetupTimeout)
	defer cancel()
	res, err := p.rpc.setup(cctx, req)
	if err != nil {
		return Result{}, p.callError(ctx, cctx, "setup", "Network", err)
	}
	return res, nil
}

// Teardown asks the plugin to release the network. A plugin that is gone
// has nothing left to release: what it started ended with it.
func (p *externalPlugin) Teardown(ctx context.Context, containerID string) error {
	if p.gp.Exited() {
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, TeardownTimeout)
	defer cancel()
	if err := p.rpc.teardown(cctx, containerID); err != nil {
		return p.callError(ctx, cctx, "teardown", "Network", err)
	}
	return nil
}

// callError names the plugin and says what went wrong: the driver's own
// error, a crash (with the end of its stderr) or a missed deadline. A
// crashed or hung plugin is killed at once.
// service names the gRPC service called, for a plugin that lacks it.
func (p *externalPlugin) callError(parent, cctx context.Context, op, service string, err error) error {
	e := &plugins.Error{Plugin: p.path, Op: op}
	st, isStatus := status.FromError(err)
	switch {
	case !isStatus:
		e.Err = err
	case parent.Err() != nil:
		e.Err = parent.Err()
	case errors.Is(cctx.Err(), context.DeadlineExceeded):
		p.kill()
		e.Err = fmt.Errorf("%w: no answer within its deadline; killed%s", plugins.ErrHung, p.stderrNote())
	case st.Code() == codes.Unknown:
		e.Err, e.Handler = errors.New(plugins.OneLine(st.Message())), true
	case st.Code() == codes.Unimplemented:
		p.kill()
		e.Err = fmt.Errorf("%w: it does not serve the %s service (%s)", plugins.ErrNotPlugin, service, serviceHint[service])
	case st.Code() == codes.Unavailable || p.waitExited(200*time.Millisecond):
		p.waitExited(time.Second) // its exit status and full stderr
		state := "connection lost"
		if p.cmd.ProcessState != nil {
			state = p.cmd.ProcessState.String()
		}
		p.kill()
		e.Err = fmt.Errorf("%w (%s)%s", plugins.ErrCrashed, state, p.stderrNote())
	default:
		e.Err = errors.New(plugins.OneLine(st.Message()))
	}
	return e
}

var serviceHint = map[string]string{
	"Network":       "a named-network driver only, for hull network create --driver, or an instruction plugin?",
	"NetworkDriver": "a per-container network only, for run --network NAME, or an instruction plugin?",
}

// waitExited reports whether the process exits within d: a call that
// failed because the process died may return before the exit is seen.
func (p *externalPlugin) waitExited(d time.Duration) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if p.gp.Exited() {
			return true
		}
	}
	return false
}

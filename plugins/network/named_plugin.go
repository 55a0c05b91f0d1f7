//go:build !appsbin

package network

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/hull-project/hull/plugins"
	"github.com/hull-project/hull/plugins/sdk/netsdk"
	"github.com/hull-project/hull/plugins/sdk/netsdk/netspec"
	"github.com/hull-project/hull/plugins/sdk/proto"
)

// call starts the plugin, runs f with a deadline and ends the plugin.
func (d *ExternalDriver) call(ctx context.Context, op string, timeout time.Duration, f func(ctx context.Context, c proto.NetworkDriverClient) error) error {
	log := d.Log
	if log == nil {
		log = os.Stderr
	}
	p, err := startPinned(d.Name, d.PluginDirs, log)
	if err != nil {
		return err
	}
	defer p.kill()
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := f(cctx, p.rpc.drv); err != nil {
		return p.callError(ctx, cctx, op, "NetworkDriver", err)
	}
	return nil
}

// Create makes the network's state directory and asks the plugin to
// check and complete cfg. The driver's name is recorded whatever the
// plugin says: it is what later calls start.
func (d *ExternalDriver) Create(ctx context.Context, cfg netspec.NetworkConfig) (netspec.NetworkConfig, error) {
	cfg.StateDir = d.stateDir(cfg)
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return cfg, fmt.Errorf("network %s: %w", cfg.Name, err)
	}
	var out netspec.NetworkConfig
	err := d.call(ctx, "create", TeardownTimeout, func(ctx context.Context, c proto.NetworkDriverClient) error {
		r, err := c.CreateNetwork(ctx, &proto.CreateNetworkRequest{Config: netsdk.ConfigToProto(cfg), StateDir: cfg.StateDir})
		if err != nil {
			return err
		}
		out = netsdk.ConfigFromProto(r.Config, cfg.StateDir)
		return nil
	})
	if err != nil {
		_ = os.RemoveAll(cfg.StateDir)
		return cfg, err
	}
	// What the plugin may not change: what hull names and finds it by.
	out.Name, out.ID, out.Created, out.Driver = cfg.Name, cfg.ID, cfg.Created, d.Name
	if err := checkConfig(out); err != nil {
		_ = os.RemoveAll(cfg.StateDir)
		return cfg, &plugins.Error{Plugin: d.Name, Op: "create", Err: err}
	}
	return out, nil
}

// Remove asks the plugin to release the network, then removes its state
// directory.
func (d *ExternalDriver) Remove(ctx context.Context, cfg netspec.NetworkConfig) error {
	cfg.StateDir = d.stateDir(cfg)
	err := d.call(ctx, "remove", TeardownTimeout, func(ctx context.Context, c proto.NetworkDriverClient) error {
		_, err := c.RemoveNetwork(ctx, &proto.RemoveNetworkRequest{Config: netsdk.ConfigToProto(cfg), StateDir: cfg.StateDir})
		return err
	})
	if err != nil {
		return err
	}
	return os.RemoveAll(cfg.StateDir)
}

// Attach asks the plugin to connect the container; its result is checked
// as a per-container plugin's is.
func (d *ExternalDriver) Attach(ctx context.Context, cfg netspec.NetworkConfig, ep netspec.Endpoint) (netspec.Result, error) {
	cfg.StateDir = d.stateDir(cfg)
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return netspec.Result{}, fmt.Errorf("network %s: %w", cfg.Name, err)
	}
	if ep.Interface == "" {
		ep.Interface = "eth0"
	}
	ns := "/proc/" + strconv.Itoa(ep.Pid) + "/ns/"
	var res netspec.Result
	err := d.call(ctx, "attach", SetupTimeout, func(ctx context.Context, c proto.NetworkDriverClient) error {
		r, err := c.Attach(ctx, &proto.AttachRequest{Config: netsdk.ConfigToProto(cfg), StateDir: cfg.StateDir,
			ContainerId: ep.ContainerID, Names: ep.Names, Ip: ep.IP, Interface: ep.Interface,
			Pid: int32(ep.Pid), NetnsPath: ns + "net", UsernsPath: ns + "user"})
		if err != nil {
			return err
		}
		ports, err := portsFromProto(r.Ports)
		if err != nil {
			return fmt.Errorf("result: %w", err)
		}
		res = netspec.Result{Interface: r.Interface, Address: r.Address, Gateway: r.Gateway, DNS: r.Dns, MTU: int(r.Mtu), Ports: ports}
		return nil
	})
	if err != nil {
		return netspec.Result{}, err
	}
	if err := res.Validate(); err != nil {
		return netspec.Result{}, &plugins.Error{Plugin: d.Name, Op: "attach", Err: fmt.Errorf("result: %w", err)}
	}
	return res, nil
}

// Detach asks the plugin to disconnect the container.
func (d *ExternalDriver) Detach(ctx context.Context, cfg netspec.NetworkConfig, containerID string) error {
	cfg.StateDir = d.stateDir(cfg)
	return d.call(ctx, "detach", TeardownTimeout, func(ctx context.Context, c proto.NetworkDriverClient) error {
		_, err := c.Detach(ctx, &proto.DetachRequest{Config: netsdk.ConfigToProto(cfg), StateDir: cfg.StateDir, ContainerId: containerID})
		return err
	})
}

// Endpoints asks the plugin which containers are attached.
func (d *ExternalDriver) Endpoints(ctx context.Context, cfg netspec.NetworkConfig) ([]netspec.EndpointInfo, error) {
	cfg.StateDir = d.stateDir(cfg)
	var out []netspec.EndpointInfo
	err := d.call(ctx, "endpoints", TeardownTimeout, func(ctx context.Context, c proto.NetworkDriverClient) error {
		r, err := c.Endpoints(ctx, &proto.EndpointsRequest{Config: netsdk.ConfigToProto(cfg), StateDir: cfg.StateDir})
		if err != nil {
			return err
		}
		for _, e := range r.Endpoints {
			out = append(out, netspec.EndpointInfo{ContainerID: e.ContainerId, Names: e.Names,
				IPAddress: e.Ipv4Address, MacAddress: e.MacAddress, Interface: e.Interface})
		}
		return nil
	})
	return out, err
}

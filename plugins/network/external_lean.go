//go:build appsbin

package network

import (
	"context"
	"fmt"

	"github.com/hull-project/hull/plugins/sdk/netsdk/netspec"
)

// The default hull of `make build` (tag appsbin) links no gRPC or
// go-plugin (docs/speed.md): it talks to external network plugins through
// the full hull's proxy (proxy.go), with what external_plugin.go and
// named_plugin.go do in process elsewhere.

// launchExternal starts the plugin for --network name behind a proxy.
func launchExternal(name string, opts OpenOptions) (Driver, func(), error) {
	return launchProxied(name, opts)
}

// Create asks the plugin, through a proxy, to check and complete cfg.
func (d *ExternalDriver) Create(ctx context.Context, cfg netspec.NetworkConfig) (netspec.NetworkConfig, error) {
	r, err := driverCall(ctx, d, proxyCall{Op: "create", Config: wireConfig(cfg)})
	if err != nil {
		return cfg, err
	}
	if r.Config == nil {
		return cfg, fmt.Errorf("network proxy: create %s: no config in the answer", cfg.Name)
	}
	return r.Config.config(), nil
}

// Remove asks the plugin, through a proxy, to release the network.
func (d *ExternalDriver) Remove(ctx context.Context, cfg netspec.NetworkConfig) error {
	_, err := driverCall(ctx, d, proxyCall{Op: "remove", Config: wireConfig(cfg)})
	return err
}

// Attach asks the plugin, through a proxy, to connect the container.
func (d *ExternalDriver) Attach(ctx context.Context, cfg netspec.NetworkConfig, ep netspec.Endpoint) (netspec.Result, error) {
	r, err := driverCall(ctx, d, proxyCall{Op: "attach", Config: wireConfig(cfg), Endpoint: &ep})
	if err != nil {
		return netspec.Result{}, err
	}
	if r.Result == nil {
		return netspec.Result{}, fmt.Errorf("network proxy: attach to %s: no result in the answer", cfg.Name)
	}
	return *r.Result, nil
}

// Detach asks the plugin, through a proxy, to disconnect the container.
func (d *ExternalDriver) Detach(ctx context.Context, cfg netspec.NetworkConfig, containerID string) error {
	_, err := driverCall(ctx, d, proxyCall{Op: "detach", Config: wireConfig(cfg), ID: containerID})
	return err
}

// Endpoints asks the plugin, through a proxy, which containers are attached.
func (d *ExternalDriver) Endpoints(ctx context.Context, cfg netspec.NetworkConfig) ([]netspec.EndpointInfo, error) {
	r, err := driverCall(ctx, d, proxyCall{Op: "endpoints", Config: wireConfig(cfg)})
	return r.Endpoints, err
}

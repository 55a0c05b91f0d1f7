//go:build appsbin

package network

import (
	"context"
	"errors"
	"fmt"

	"github.com/hull-project/hull/plugins"
	"github.com/hull-project/hull/plugins/sdk/netsdk/netspec"
)

// ErrNeedsFullHull is what starting an external network plugin answers in
// the default hull of `make build` (tag appsbin), which links no gRPC or
// go-plugin (docs/speed.md).
var ErrNeedsFullHull = errors.New("external network plugins need the full hull")

// launchExternal is the seam where the default hull starts the external
// network plugin for --network name (external_plugin.go in the other
// builds): it has no plugin client, so it refuses for now.
func launchExternal(name string, opts OpenOptions) (Driver, func(), error) {
	if _, err := FindExternal(name, dirsOf(opts.PluginDirs)); err != nil {
		return nil, nil, err
	}
	return nil, nil, fmt.Errorf("network %s: %w", name, ErrNeedsFullHull)
}

func (d *ExternalDriver) refuse(op string) error {
	return fmt.Errorf("network driver %s: %s: %w", d.Name, op, ErrNeedsFullHull)
}

// The named-network calls of an external driver, refused in this build.

func (d *ExternalDriver) Create(ctx context.Context, cfg netspec.NetworkConfig) (netspec.NetworkConfig, error) {
	return cfg, d.refuse("create")
}
func (d *ExternalDriver) Remove(context.Context, netspec.NetworkConfig) error {
	return d.refuse("remove")
}
func (d *ExternalDriver) Attach(context.Context, netspec.NetworkConfig, netspec.Endpoint) (netspec.Result, error) {
	return netspec.Result{}, d.refuse("attach")
}
func (d *ExternalDriver) Detach(context.Context, netspec.NetworkConfig, string) error {
	return d.refuse("detach")
}
func (d *ExternalDriver) Endpoints(context.Context, netspec.NetworkConfig) ([]netspec.EndpointInfo, error) {
	return nil, d.refuse("endpoints")
}

// dirsOf is dirs, or the search path when nil (as startPinned).
func dirsOf(dirs []string) []string {
	if dirs == nil {
		return plugins.SearchPath(nil)
	}
	return dirs
}

package network

import (
	"context"
	"fmt"
)

// NoneDriver is --network none: nothing to set up, loopback only.
type NoneDriver struct{}

// HostDriver is --network host: the container shares the user's network
// namespace, so there is nothing to set up either.
type HostDriver struct{}

var (
	_ Driver = NoneDriver{}
	_ Driver = HostDriver{}
)

// Setup returns the loopback. Published ports make no sense without a
// network and are refused.
func (NoneDriver) Setup(_ context.Context, req Request) (Result, error) {
	if len(req.Ports) > 0 {
		return Result{}, fmt.Errorf("published ports need a network: --network none has none")
	}
	return Result{Interface: "lo"}, nil
}

// Teardown does nothing.
func (NoneDriver) Teardown(context.Context, string) error { return nil }

// Setup returns nothing: the host's own interfaces are the container's,
// and its ports are already the host's (publishing is refused, as in
// Docker, which ignores it with a warning).
func (HostDriver) Setup(_ context.Context, req Request) (Result, error) {
	if len(req.Ports) > 0 {
		return Result{}, fmt.Errorf("published ports are discarded when using host network mode: drop -p")
	}
	return Result{}, nil
}

// Teardown does nothing.
func (HostDriver) Teardown(context.Context, string) error { return nil }

// Builtin returns the built-in driver for a driver name (Mode.Driver), or
// false when the name is not built in.
func Builtin(name string) (Driver, bool) {
	switch name {
	case None:
		return NoneDriver{}, true
	case Host:
		return HostDriver{}, true
	case Slirp4netns:
		return NewSlirp4netns(), true
	}
	return nil, false
}

//go:build appsbin

package main

import (
	"github.com/hull-project/hull/core/appbin"
	"github.com/hull-project/hull/plugins/network"
)

// withPluginRole adds no role in the default hull of `make build`: it
// links no plugin server (gRPC, go-plugin), and never starts a plugin
// process itself. Its builds that must start one run in the full hull
// (core/appbin); its external network plugins run behind the full hull's
// proxy, which it starts with appbin.Command (network.FullHull).
func withPluginRole(roles map[string]func([]string) error) map[string]func([]string) error {
	network.FullHull = appbin.Command
	return roles
}

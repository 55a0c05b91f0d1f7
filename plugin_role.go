//go:build !appsbin

package main

import (
	"github.com/hull-project/hull/core"
	"github.com/hull-project/hull/isolation/role"
	"github.com/hull-project/hull/plugins"
	"github.com/hull-project/hull/plugins/network"
)

// withPluginRole adds the roles that serve plugin machinery: the
// built-in instruction plugin (this hull serves its handlers when a build
// re-executes it, plugins.BuiltinCommand) and the network plugin proxy
// the default hull starts (network.ServeProxy).
func withPluginRole(roles map[string]func([]string) error) map[string]func([]string) error {
	roles[role.Plugin] = func(args []string) error { return plugins.ServeBuiltin(args, core.BuiltinHandlers()) }
	roles[role.NetProxy] = network.ServeProxy
	return roles
}

//go:build appsbin

package main

// withPluginRole adds nothing in the default hull of `make build`: it
// links no plugin server (gRPC, go-plugin), and never starts a plugin
// process itself (nor serves the network proxy, which it starts from the
// full hull). A build that must start one runs in the full hull
// (core/appbin), which re-executes itself as the plugin.
func withPluginRole(roles map[string]func([]string) error) map[string]func([]string) error {
	return roles
}

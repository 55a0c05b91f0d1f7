package network

import (
	"fmt"
	"io"
	"net"
	"path/filepath"

	"github.com/hull-project/hull/plugins/sdk/netsdk/netspec"
)

// ExternalDriver is a named-network driver served by a plugin
// (DIR/network/NAME, the same files as per-container network plugins):
// `hull network create --driver NAME`. Each call starts the plugin, pin
// checked, and ends it with its process group after the answer: hull is
// daemonless, so nothing of hull's stays to hold a plugin between
// commands, and what a network must keep running is the plugin's to
// start in a session of its own.
type ExternalDriver struct {
	Name string
	// PluginDirs are searched for the plugin; nil is the search path.
	PluginDirs []string
	// StateRoot holds one directory per network (NetworkConfig.StateDir),
	// kept between calls until Remove.
	StateRoot string
	// Log gets the plugin's stderr (default os.Stderr).
	Log io.Writer
}

var _ netspec.NetworkDriver = (*ExternalDriver)(nil)

// stateDir is the network's directory, named by its id as usernet's run
// directories are (two networks of one name in turn get two).
func (d *ExternalDriver) stateDir(cfg netspec.NetworkConfig) string {
	id := cfg.ID
	if len(id) > 16 {
		id = id[:16]
	}
	if id == "" || id != filepath.Base(id) || id[0] == '.' {
		id = cfg.Name
	}
	return filepath.Join(d.StateRoot, id)
}

// checkConfig refuses a network a plugin completed into something hull
// cannot record or show.
func checkConfig(c netspec.NetworkConfig) error {
	if c.Subnet != "" {
		if _, _, err := net.ParseCIDR(c.Subnet); err != nil {
			return fmt.Errorf("invalid subnet %q", c.Subnet)
		}
	}
	if c.Gateway != "" && net.ParseIP(c.Gateway) == nil {
		return fmt.Errorf("invalid gateway %q", c.Gateway)
	}
	return nil
}

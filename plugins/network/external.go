package network

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/hull-project/hull/plugins"
)

// ErrNotFound means --network names neither a built-in driver nor an
// external plugin in the search path; the error lists where it looked.
var ErrNotFound = errors.New("not found")

// Deadlines of an external plugin. Setup gets longer than the other calls:
// it may start a helper and wait for it to be ready.
const (
	SetupTimeout    = 30 * time.Second
	TeardownTimeout = plugins.DefaultCallTimeout
)

// PluginSubdir is the folder of a plugin directory that holds network
// plugins: --network NAME runs DIR/network/NAME. A folder of its own keeps
// network plugins out of instruction-plugin discovery and makes the name
// the user types the file name, with nothing to launch to learn it.
const PluginSubdir = "network"

// FindExternal returns the path of network plugin name: the first
// DIR/network/NAME in dirs (the plugin search path, plugins.SearchPath)
// that exists. A file there that is not executable is an error, not
// skipped: the user put it there for this name.
func FindExternal(name string, dirs []string) (string, error) {
	var looked, others []string
	seen := map[string]bool{}
	for _, dir := range dirs {
		sub := filepath.Join(dir, PluginSubdir)
		p := filepath.Join(sub, name)
		looked = append(looked, sub)
		fi, err := os.Stat(p)
		if errors.Is(err, os.ErrNotExist) {
			// The error lists the plugins there are instead.
			entries, _ := os.ReadDir(sub)
			for _, e := range entries {
				if n := e.Name(); !strings.HasPrefix(n, ".") && !e.IsDir() && !seen[n] {
					seen[n] = true
					others = append(others, n)
				}
			}
			continue
		}
		if err != nil {
			return "", fmt.Errorf("network plugin %s: %w", p, err)
		}
		if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			return "", &plugins.Error{Plugin: p, Op: "start", Err: fmt.Errorf("%w (mode %s)", plugins.ErrNotExecutable, fi.Mode())}
		}
		return p, nil
	}
	plugs := "no network plugins"
	if len(others) > 0 {
		sort.Strings(others)
		plugs = "network plugins: " + strings.Join(others, ", ")
	}
	return "", fmt.Errorf("network %s %w: not built in (%s, %s, %s, %s, %s) and no plugin directory has network/%s (%s; looked in %s)",
		name, ErrNotFound, Bridge, Slirp4netns, Pasta, None, Host, name, plugs, strings.Join(looked, ", "))
}

package netspec

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
)

// Built-in driver names. Bridge is an alias of the default user-mode
// driver, Default.
const (
	None        = "none"
	Host        = "host"
	Bridge      = "bridge"
	Slirp4netns = "slirp4netns"
	Pasta       = "pasta"
	// Default is the driver `bridge` means: slirp4netns starts in 5 ms and
	// configures the namespace by itself; pasta takes longer (it daemonizes)
	// and is slower on loopback-published ports (see bench/net.sh).
	Default = Slirp4netns
)

// Mode is a parsed --network value: NAME[:KEY=VALUE[,KEY=VALUE...]], as
// Podman spells driver options ("bridge:allow_host_loopback=true").
type Mode struct {
	Name    string
	Options map[string]string
}

// ParseMode parses --network (and a build's RUN --network); "" and
// "default" are Bridge. It is the only parser of that flag.
func ParseMode(s string) (Mode, error) {
	name, opts, _ := strings.Cut(s, ":")
	if name == "" || name == "default" {
		name = Bridge
	}
	if name != filepath.Base(name) || strings.HasPrefix(name, ".") {
		return Mode{}, fmt.Errorf("invalid network name %q", name)
	}
	m := Mode{Name: name, Options: map[string]string{}}
	if opts == "" {
		return m, nil
	}
	if name == None || name == Host {
		return Mode{}, fmt.Errorf("network %s takes no options", name)
	}
	for _, kv := range strings.Split(opts, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return Mode{}, fmt.Errorf("invalid network option %q in %q: want KEY=VALUE", kv, s)
		}
		m.Options[k] = v
	}
	return m, nil
}

// Driver names the driver that runs this mode: Bridge becomes Default.
func (m Mode) Driver() string {
	if m.Name == Bridge {
		return Default
	}
	return m.Name
}

// UserMode reports whether the mode is one of the built-in user-mode
// networks.
func (m Mode) UserMode() bool {
	d := m.Driver()
	return d == Slirp4netns || d == Pasta
}

// String is the mode as --network spells it, options sorted.
func (m Mode) String() string {
	if len(m.Options) == 0 {
		return m.Name
	}
	keys := make([]string, 0, len(m.Options))
	for k := range m.Options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		keys[i] = k + "=" + m.Options[k]
	}
	return m.Name + ":" + strings.Join(keys, ",")
}

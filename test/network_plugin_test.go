package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// netPlugin installs the test plugin built for the suite (src:
// hull-net-subnet or netplugin) as network plugin name in a fresh plugin
// directory: DIR/network/NAME.
func netPlugin(t *testing.T, src, name string) (dir, path string) {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(pluginBuildDir(t), src))
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "network"), 0o755); err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(dir, "network", name)
	if err := os.WriteFile(path, body, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir, path
}

// The example plugin's network is what the container sees: its address,
// route and name server, and nothing of it is left once the container is
// gone.
func TestNetworkPluginExample(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	dir, path := netPlugin(t, "hull-net-subnet", "subnet")
	out := s.mustHull(t, "run", "--rm", "--plugin-dir", dir, "--network", "subnet:cidr=10.99.7.0/24,dns=192.0.2.53",
		"busybox", "sh", "-c", "ip -4 addr show tap0; ip route; cat /etc/resolv.conf /etc/hosts")
	for _, want := range []string{"inet 10.99.7.100/24", "default via 10.99.7.2 dev tap0", "nameserver 192.0.2.53", "10.99.7.100\t"} {
		if !strings.Contains(out, want) {
			t.Errorf("container output lacks %q:\n%s", want, out)
		}
	}
	noPluginLeft(t, path)
	noPluginLeft(t, "--cidr=10.99.7.0/24") // its slirp4netns
	if ps := s.mustHull(t, "ps", "-aq"); ps != "" {
		t.Errorf("run --rm left containers: %q", ps)
	}
}

// A detached container keeps its plugin running; a monitor killed with
// SIGKILL takes the plugin and what it started along.
func TestNetworkPluginDetachedMonitorKilled(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	dir, path := netPlugin(t, "hull-net-subnet", "subnet")
	s.runD(t, "--name", "netpl", "--plugin-dir", dir, "--network", "subnet:cidr=10.99.8.0/24", "busybox", "sleep", "1000")
	if len(pluginProcesses(path)) != 1 || len(pluginProcesses("--cidr=10.99.8.0/24")) != 1 {
		t.Fatalf("want the plugin and its slirp4netns running, have %v and %v", pluginProcesses(path), pluginProcesses("--cidr=10.99.8.0/24"))
	}
	out := s.mustHull(t, "exec", "netpl", "ip", "-4", "addr", "show", "tap0")
	if !strings.Contains(out, "10.99.8.100/24") {
		t.Errorf("exec sees %q", out)
	}
	m := s.monitors()
	if len(m) != 1 {
		t.Fatalf("monitors: %v", m)
	}
	killed(t, m[0])
	noPluginLeft(t, path)
	noPluginLeft(t, "--cidr=10.99.8.0/24")
	s.hull(t, "rm", "-f", "netpl")
}

func TestNetworkPluginErrors(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	crashDir, crash := netPlugin(t, "netplugin", "crash")
	badDir, _ := netPlugin(t, "netplugin", "badresult")
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--plugin-dir", crashDir, "--network", "nosuch"},
			[]string{"network nosuch not found: not built in", filepath.Join(crashDir, "network")}},
		{[]string{"--plugin-dir", crashDir, "--network", "crash"},
			[]string{"network crash: plugin " + crash + ": setup: crashed (exit status 2)", "panic: boom"}},
		{[]string{"--plugin-dir", badDir, "--network", "badresult"},
			[]string{"network badresult: plugin result: invalid IP address"}},
	} {
		_, stderr, code := s.hull(t, append(append([]string{"run", "--rm"}, c.args...), "busybox", "true")...)
		if code != 125 {
			t.Errorf("%v: exit %d, want 125", c.args, code)
		}
		for _, w := range c.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%v: stderr lacks %q:\n%s", c.args, w, stderr)
			}
		}
	}
	noPluginLeft(t, crashDir)
	noPluginLeft(t, badDir)
	if ps := s.mustHull(t, "ps", "-aq"); ps != "" {
		t.Errorf("failed starts left containers: %q", ps)
	}
}

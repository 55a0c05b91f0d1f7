package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A named network whose driver is an external plugin (netdriver, served
// with netsdk.ServeNetworks): network create, run --network, inspect and
// rm each go through the plugin's NetworkDriver service, the container
// gets the interface and address the plugin made, and plugins.pin
// applies as it does to every other plugin.
func TestNetworkDriverPlugin(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	dir, path := netPlugin(t, "netdriver", "testdrv")
	cfgHome := t.TempDir()
	s.env = append(s.env, "HULL_PLUGIN_PATH="+dir, "XDG_CONFIG_HOME="+cfgHome)
	calls := filepath.Join(t.TempDir(), "calls")
	readCalls := func() string {
		b, err := os.ReadFile(calls)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		return string(b)
	}

	s.mustHull(t, "network", "create", "--driver", "testdrv", "--subnet", "10.91.3.0/24", "-o", "log="+calls, "plug")
	if c := readCalls(); !strings.Contains(c, "create plug 10.91.3.0/24 testdrv") {
		t.Fatalf("network create did not reach the plugin; its calls:\n%s", c)
	}
	if ls := s.mustHull(t, "network", "ls", "--format", "{{.Name}} {{.Driver}}"); !hasRow(ls, "plug", "testdrv") {
		t.Errorf("network ls does not show the plugin's network:\n%s", ls)
	}
	if gw := s.mustHull(t, "network", "inspect", "-f", "{{(index .IPAM.Config 0).Gateway}}", "plug"); strings.TrimSpace(gw) != "10.91.3.1" {
		t.Errorf("gateway %q, want the plugin's 10.91.3.1", gw)
	}

	out := s.mustHull(t, "run", "--name", "c1", "--network", "plug", "busybox", "sh", "-c", "ip -4 addr show eth0; cat /etc/hosts")
	for _, want := range []string{"inet 10.91.3.2/24", "10.91.3.2\t"} {
		if !strings.Contains(out, want) {
			t.Errorf("container output lacks %q:\n%s", want, out)
		}
	}
	id := strings.TrimSpace(s.mustHull(t, "inspect", "-f", "{{.Id}}", "c1"))
	c := readCalls()
	if !strings.Contains(c, "attach plug "+id+" 10.91.3.2/24 c1") || !strings.Contains(c, "detach plug "+id) {
		t.Errorf("the run did not attach and detach through the plugin; its calls:\n%s", c)
	}

	// A running container is one of the plugin's endpoints.
	s.mustHull(t, "run", "-d", "--name", "c2", "--network", "plug", "busybox", "sleep", "300")
	if v := s.mustHull(t, "network", "inspect", "-f", "{{range .Containers}}{{.Name}} {{.IPv4Address}}{{end}}", "plug"); strings.TrimSpace(v) != "c2 10.91.3.2/24" {
		t.Errorf("network inspect endpoints %q, want c2 10.91.3.2/24", v)
	}
	c2 := strings.TrimSpace(s.mustHull(t, "inspect", "-f", "{{.Id}}", "c2"))
	if _, errs, code := s.hull(t, "network", "rm", "plug"); code != 125 || !strings.Contains(errs, c2[:12]) {
		t.Errorf("network rm of a network in use: exit %d, %q", code, errs)
	}
	s.mustHull(t, "rm", "-f", "c1", "c2")

	// A pin the plugin does not match: refused before it runs, for a new
	// network and for a run on the existing one.
	before := readCalls()
	pin := "testdrv=" + strings.Repeat("0", 64) + "\n"
	if err := os.MkdirAll(filepath.Join(cfgHome, "hull"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfgHome, "hull", "plugins.pin"), []byte(pin), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errs, code := s.hull(t, "network", "create", "--driver", "testdrv", "-o", "log="+calls, "plug2")
	if code != 125 || !strings.Contains(errs, "plugins.pin") {
		t.Errorf("network create with a mismatched pin: exit %d, %q", code, errs)
	}
	oneLineError(t, errs)
	if _, errs, code := s.hull(t, "run", "--rm", "--network", "plug", "busybox", "true"); code != 125 || !strings.Contains(errs, "plugins.pin") {
		t.Errorf("run on the network with a mismatched pin: exit %d, %q", code, errs)
	}
	if c := readCalls(); c != before {
		t.Errorf("a plugin that does not match its pin was called:\n%s", strings.TrimPrefix(c, before))
	}
	if ls := s.mustHull(t, "network", "ls", "-q"); strings.Contains(ls, "plug2") {
		t.Errorf("a refused network create left a record:\n%s", ls)
	}
	if err := os.WriteFile(filepath.Join(cfgHome, "hull", "plugins.pin"), []byte("testdrv="+sha256File(t, path)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.mustHull(t, "network", "rm", "plug")
	if c := readCalls(); !strings.Contains(c, "remove plug") {
		t.Errorf("network rm did not reach the plugin; its calls:\n%s", c)
	}
	if left, _ := filepath.Glob(filepath.Join(s.root, "netdrivers", "*")); len(left) > 0 {
		t.Errorf("network rm left the plugin's state: %v", left)
	}
	noPluginLeft(t, path)
}

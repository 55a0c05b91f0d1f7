//go:build !appsbin

package network

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/hull-project/hull/plugins"
	"github.com/hull-project/hull/plugins/sdk/netsdk/netspec"
)

// viaProxy makes this test's plugin calls go through a proxy process (the
// test binary playing the full hull's ServeProxy), as the default hull's do.
func viaProxy(t *testing.T) {
	t.Helper()
	old := FullHull
	FullHull = func(args []string) (*exec.Cmd, func(), error) {
		cmd := exec.Command(os.Args[0], args[2:]...)
		cmd.Env = append(os.Environ(), modeEnv+"=proxy")
		return cmd, func() {}, nil
	}
	t.Cleanup(func() { FullHull = old })
}

func openProxied(t *testing.T, mode, options string) (Driver, func(), string) {
	t.Helper()
	viaProxy(t)
	state := t.TempDir()
	d, stop, err := launchProxied("fake"+options, OpenOptions{ContainerID: "c1", StateDir: state,
		PluginDirs: []string{t.TempDir(), pluginDir(t, "fake"+options, mode, state)}})
	if err != nil {
		t.Fatal(err)
	}
	return d, stop, state
}

// A per-container plugin through the proxy: the request arrives whole,
// the result comes back whole, teardown reaches the plugin, and stop
// ends the proxy.
func TestProxiedPluginLifecycle(t *testing.T) {
	d, stop, state := openProxied(t, "ok", "")
	req := Request{ContainerID: "c1", Pid: os.Getpid(), NetNS: "/proc/self/ns/net", UserNS: "/proc/self/ns/user",
		StateDir: state, Options: map[string]string{"dns": "192.0.2.53"},
		Ports: []PortMapping{{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}}}
	res, err := d.Setup(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if res.IP() != "192.0.2.10" || res.Gateway != "192.0.2.1" || len(res.DNS) != 1 || res.DNS[0] != "192.0.2.53" ||
		res.MTU != 1400 || len(res.Ports) != 1 || res.Ports[0].HostPort != 8080 {
		t.Errorf("result %+v", res)
	}
	if err := d.Teardown(context.Background(), "c1"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(state, "teardown")); string(b) != "c1" {
		t.Errorf("teardown saw container %q", b)
	}
	p := d.(proxied).p
	stop()
	if err := syscall.Kill(p.cmd.Process.Pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("proxy %d still there after stop: %v", p.cmd.Process.Pid, err)
	}
	if _, err := d.Setup(context.Background(), req); err == nil {
		t.Error("setup after stop succeeded")
	}
}

// Errors cross with their text and their sentinel: what a caller sees is
// what it would see in process.
func TestProxiedPluginErrors(t *testing.T) {
	d, stop, _ := openProxied(t, "crash", "")
	defer stop()
	_, err := d.Setup(context.Background(), Request{ContainerID: "c1"})
	if err == nil || !errors.Is(err, plugins.ErrCrashed) || !strings.Contains(err.Error(), "/network/fake: setup: crashed (exit status 2); stderr: panic: boom") {
		t.Errorf("crash: %v", err)
	}
	var pe *plugins.Error
	if !errors.As(err, &pe) || pe.Op != "setup" || !strings.HasSuffix(pe.Plugin, "/network/fake") {
		t.Errorf("crash: %#v is not the plugin's *plugins.Error", err)
	}

	viaProxy(t)
	_, _, err = launchProxied("nosuch", OpenOptions{PluginDirs: []string{t.TempDir()}})
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "network nosuch not found") {
		t.Errorf("missing plugin: %v", err)
	}
}

// A canceled call kills the proxy (and so the plugin) rather than
// waiting for it.
func TestProxiedCallCanceled(t *testing.T) {
	d, stop, _ := openProxied(t, "ok", "")
	defer stop()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := d.Setup(ctx, Request{ContainerID: "c1"}); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled setup: %v", err)
	}
}

// A named-network driver's calls through one proxy each.
func TestProxiedDriver(t *testing.T) {
	viaProxy(t)
	dir := pluginDir(t, "fakenamed", "named", t.TempDir())
	d := &ExternalDriver{Name: "fakenamed", PluginDirs: []string{dir}, StateRoot: t.TempDir()}
	cfg, err := driverCall(context.Background(), d, proxyCall{Op: "create",
		Config: wireConfig(netspec.NetworkConfig{Name: "n1", ID: "0123456789abcdef0123", Driver: "fakenamed"})})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Config == nil || cfg.Config.Name != "n1" {
		t.Fatalf("create: %+v", cfg)
	}
	if _, err := driverCall(context.Background(), d, proxyCall{Op: "bogus", Config: cfg.Config}); err == nil || !strings.Contains(err.Error(), `unknown call "bogus"`) {
		t.Errorf("bogus call: %v", err)
	}
}

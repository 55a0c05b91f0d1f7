//go:build !appsbin

package network

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hull-project/hull/plugins/sdk/netsdk"
	"github.com/hull-project/hull/plugins/sdk/netsdk/netspec"
)

// fakeNamed is a named-network driver that keeps its endpoints as files
// in the network's state directory, as a real one must: each call is a
// process of its own.
type fakeNamed struct{}

func (fakeNamed) Create(_ context.Context, cfg netsdk.NetworkConfig) (netsdk.NetworkConfig, error) {
	if cfg.Options["refuse"] != "" {
		return cfg, errors.New("unknown option refuse")
	}
	cfg.Gateway, cfg.Driver, cfg.Name = "192.0.2.1", "ignored", "renamed"
	return cfg, nil
}

func (fakeNamed) Remove(context.Context, netsdk.NetworkConfig) error { return nil }

func (fakeNamed) Attach(_ context.Context, cfg netsdk.NetworkConfig, ep netsdk.Endpoint) (netsdk.Result, error) {
	if ep.ContainerID == "inject" {
		return netsdk.Result{Address: "192.0.2.9/24", DNS: []string{"1.2.3.4\nnameserver 6.6.6.6"}}, nil
	}
	if err := os.WriteFile(filepath.Join(cfg.StateDir, ep.ContainerID), []byte(strings.Join(ep.Names, ",")), 0o600); err != nil {
		return netsdk.Result{}, err
	}
	return netsdk.Result{Interface: ep.Interface, Address: "192.0.2.2/24", Gateway: cfg.Gateway, DNS: []string{cfg.Gateway}}, nil
}

func (fakeNamed) Detach(_ context.Context, cfg netsdk.NetworkConfig, id string) error {
	return os.Remove(filepath.Join(cfg.StateDir, id))
}

func (fakeNamed) Endpoints(_ context.Context, cfg netsdk.NetworkConfig) ([]netsdk.EndpointInfo, error) {
	ents, err := os.ReadDir(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	var out []netsdk.EndpointInfo
	for _, e := range ents {
		b, _ := os.ReadFile(filepath.Join(cfg.StateDir, e.Name()))
		out = append(out, netsdk.EndpointInfo{ContainerID: e.Name(), Names: strings.Split(string(b), ","), IPAddress: "192.0.2.2/24"})
	}
	return out, nil
}

// The whole contract through a plugin process per call: what Create may
// and may not change, Attach's result checked, state kept between calls
// in the network's directory and removed with the network.
func TestExternalDriverContract(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	d := &ExternalDriver{Name: "fake", PluginDirs: []string{pluginDir(t, "fake", "named", t.TempDir())}, StateRoot: root}
	cfg, err := d.Create(ctx, netspec.NetworkConfig{Name: "n1", ID: "0123456789abcdef0123", Subnet: "192.0.2.0/24"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Name != "n1" || cfg.Driver != "fake" || cfg.Gateway != "192.0.2.1" {
		t.Errorf("created %+v: want hull's name and driver, the plugin's gateway", cfg)
	}
	state := filepath.Join(root, "0123456789abcdef")
	if fi, err := os.Stat(state); err != nil || !fi.IsDir() {
		t.Fatalf("state directory: %v", err)
	}
	res, err := d.Attach(ctx, cfg, netspec.Endpoint{ContainerID: "c1", Names: []string{"web", "www"}, Pid: os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Interface != "eth0" || res.IP() != "192.0.2.2" || res.Gateway != "192.0.2.1" {
		t.Errorf("attach result %+v", res)
	}
	eps, err := d.Endpoints(ctx, cfg)
	if err != nil || len(eps) != 1 || eps[0].ContainerID != "c1" || strings.Join(eps[0].Names, ",") != "web,www" {
		t.Errorf("endpoints %+v, %v", eps, err)
	}
	if _, err := d.Attach(ctx, cfg, netspec.Endpoint{ContainerID: "inject", Pid: os.Getpid()}); err == nil || !strings.Contains(err.Error(), "result") {
		t.Errorf("a result with a newline in a name server: %v", err)
	}
	if err := d.Detach(ctx, cfg, "c1"); err != nil {
		t.Fatal(err)
	}
	if eps, _ := d.Endpoints(ctx, cfg); len(eps) != 0 {
		t.Errorf("endpoints after detach: %+v", eps)
	}
	if err := d.Remove(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Errorf("state directory after Remove: %v", err)
	}

	// A refusal is the plugin's error; nothing is left.
	if _, err := d.Create(ctx, netspec.NetworkConfig{Name: "n2", ID: "fedcba9876543210", Subnet: "192.0.2.0/24",
		Options: map[string]string{"refuse": "1"}}); err == nil || !strings.Contains(err.Error(), "unknown option refuse") {
		t.Errorf("refused create: %v", err)
	}
	if left, _ := os.ReadDir(root); len(left) != 0 {
		t.Errorf("a refused create left %v", left)
	}

	// A per-container plugin is no named-network driver, and says so.
	d2 := &ExternalDriver{Name: "fake", PluginDirs: []string{pluginDir(t, "fake", "ok", t.TempDir())}, StateRoot: t.TempDir()}
	if _, err := d2.Create(ctx, netspec.NetworkConfig{Name: "n3", ID: "abc", Subnet: "192.0.2.0/24"}); err == nil ||
		!strings.Contains(err.Error(), "does not serve the NetworkDriver service") {
		t.Errorf("create with a per-container plugin: %v", err)
	}
}

// Command netdriver is the integration suite's named-network driver
// plugin (hull network create --driver NAME), served with
// netsdk.ServeNetworks. Attach gives the container a veth device named as
// hull asks (eth0), with the next address of the network's subnet, from
// inside the container's namespaces (nsenter and ip, as a network plugin
// must: a Go program cannot join a user namespace). Its endpoints live in
// the network's state directory, as each call is a process of its own.
// Every call is appended to the file the network's log= option names, so
// the suite sees that hull went through the plugin.
//
// It is built by `make test-plugins` and never installed anywhere else.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hull-project/hull/plugins/sdk/netsdk"
)

func main() { netsdk.ServeNetworks(driver{}) }

type driver struct{}

// trace appends one line to the network's log= file.
func trace(cfg netsdk.NetworkConfig, format string, args ...any) {
	path := cfg.Options["log"]
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, format+"\n", args...)
}

func (driver) Create(_ context.Context, cfg netsdk.NetworkConfig) (netsdk.NetworkConfig, error) {
	for k := range cfg.Options {
		if k != "log" {
			return cfg, fmt.Errorf("unknown option %q (known: log)", k)
		}
	}
	p, err := netip.ParsePrefix(cfg.Subnet)
	if err != nil || !p.Addr().Is4() {
		return cfg, fmt.Errorf("subnet %q: want an IPv4 CIDR", cfg.Subnet)
	}
	cfg.Gateway = p.Masked().Addr().Next().String()
	if cfg.StateDir == "" {
		return cfg, errors.New("no state directory")
	}
	trace(cfg, "create %s %s %s", cfg.Name, cfg.Subnet, cfg.Driver)
	return cfg, nil
}

func (driver) Remove(_ context.Context, cfg netsdk.NetworkConfig) error {
	trace(cfg, "remove %s", cfg.Name)
	return nil
}

func endpointsFile(cfg netsdk.NetworkConfig) string {
	return filepath.Join(cfg.StateDir, "endpoints.json")
}

func load(cfg netsdk.NetworkConfig) ([]netsdk.EndpointInfo, error) {
	var eps []netsdk.EndpointInfo
	b, err := os.ReadFile(endpointsFile(cfg))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return eps, json.Unmarshal(b, &eps)
}

func save(cfg netsdk.NetworkConfig, eps []netsdk.EndpointInfo) error {
	b, err := json.Marshal(eps)
	if err != nil {
		return err
	}
	return os.WriteFile(endpointsFile(cfg), b, 0o600)
}

func (driver) Attach(_ context.Context, cfg netsdk.NetworkConfig, ep netsdk.Endpoint) (netsdk.Result, error) {
	eps, err := load(cfg)
	if err != nil {
		return netsdk.Result{}, err
	}
	p, err := netip.ParsePrefix(cfg.Subnet)
	if err != nil {
		return netsdk.Result{}, err
	}
	// .1 is the gateway; containers get .2, .3... past those in use.
	used := map[string]bool{}
	for _, e := range eps {
		used[e.IPAddress] = true
	}
	addr := p.Masked().Addr().Next()
	var cidr string
	for {
		addr = addr.Next()
		cidr = netip.PrefixFrom(addr, p.Bits()).String()
		if !used[cidr] {
			break
		}
	}
	ns := strconv.Itoa(ep.Pid)
	script := fmt.Sprintf("ip link add %s type veth peer name %sp && ip addr add %s dev %s && ip link set %s up && ip link set %sp up",
		ep.Interface, ep.Interface, cidr, ep.Interface, ep.Interface, ep.Interface)
	out, err := exec.Command("nsenter", "--target", ns, "--user", "--net", "--preserve-credentials", "sh", "-c", script).CombinedOutput()
	if err != nil {
		return netsdk.Result{}, fmt.Errorf("configure %s in container %s: %v: %s", ep.Interface, ep.ContainerID, err, strings.TrimSpace(string(out)))
	}
	eps = append(eps, netsdk.EndpointInfo{ContainerID: ep.ContainerID, Names: ep.Names, IPAddress: cidr, Interface: ep.Interface})
	if err := save(cfg, eps); err != nil {
		return netsdk.Result{}, err
	}
	trace(cfg, "attach %s %s %s %s", cfg.Name, ep.ContainerID, cidr, strings.Join(ep.Names, ","))
	return netsdk.Result{Interface: ep.Interface, Address: cidr, Gateway: cfg.Gateway}, nil
}

func (driver) Detach(_ context.Context, cfg netsdk.NetworkConfig, id string) error {
	eps, err := load(cfg)
	if err != nil {
		return err
	}
	out := eps[:0]
	for _, e := range eps {
		if e.ContainerID != id {
			out = append(out, e)
		}
	}
	trace(cfg, "detach %s %s", cfg.Name, id)
	return save(cfg, out)
}

func (driver) Endpoints(_ context.Context, cfg netsdk.NetworkConfig) ([]netsdk.EndpointInfo, error) {
	return load(cfg)
}

package core

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/core/lockfile"
	"github.com/hull-project/hull/core/pod"
	"github.com/hull-project/hull/plugins"
	"github.com/hull-project/hull/plugins/network"
	"github.com/hull-project/hull/plugins/network/usernet"
	"github.com/hull-project/hull/plugins/sdk/netsdk/netspec"
)

// ErrNetworkNotFound is a name no network has.
var ErrNetworkNotFound = errors.New("network not found")

// Named networks live in $ROOT/networks/NAME.json, written under
// $ROOT/networks.lock; what runs for them in $RUNROOT/networks/NAME/.

func (h *Hull) networksDir() string { return filepath.Join(h.Root, "networks") }

// networkDriver is hull's own driver of named networks.
func (h *Hull) networkDriver() *usernet.Driver {
	return &usernet.Driver{RunDir: filepath.Join(h.RunRoot, "networks")}
}

// builtinDriver reports whether name is hull's own named-network driver.
func builtinDriver(name string) bool {
	return name == "" || name == usernet.Name || name == netspec.Bridge
}

// driverOf is the driver that serves cfg: hull's own, or the network
// plugin its Driver names (DIR/network/NAME on the plugin search path),
// started for each call. Both go through the same contract.
func (h *Hull) driverOf(cfg netspec.NetworkConfig) netspec.NetworkDriver {
	if builtinDriver(cfg.Driver) {
		return h.networkDriver()
	}
	return &network.ExternalDriver{Name: cfg.Driver, StateRoot: filepath.Join(h.Root, "netdrivers")}
}

func (h *Hull) lockNetworks() (func(), error) {
	if err := os.MkdirAll(h.networksDir(), 0o700); err != nil {
		return nil, err
	}
	return lockfile.Lock(filepath.Join(h.Root, "networks.lock"), "networks")
}

// reservedNetworks are --network values with a meaning of their own.
var reservedNetworks = map[string]bool{netspec.None: true, netspec.Host: true, netspec.Bridge: true,
	netspec.Slirp4netns: true, netspec.Pasta: true, "default": true, "container": true}

func validNetworkName(name string) error {
	if name == "" || len(name) > 64 || reservedNetworks[name] || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "-") {
		return fmt.Errorf("invalid network name %q", name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return fmt.Errorf("invalid network name %q: use letters, digits, '-', '_' and '.'", name)
		}
	}
	return nil
}

// NetworkCreateOptions are network create's flags.
type NetworkCreateOptions struct {
	Name, Subnet, Gateway string
	Internal, DisableDNS  bool
	Driver                string
	Options               map[string]string
	Labels                map[string]string
}

// NetworkCreate records a new named network. Without --subnet it gets the
// first free 10.89.N.0/24 (N from 1), as Podman numbers its networks.
func (h *Hull) NetworkCreate(o NetworkCreateOptions) (netspec.NetworkConfig, error) {
	if err := validNetworkName(o.Name); err != nil {
		return netspec.NetworkConfig{}, err
	}
	if !builtinDriver(o.Driver) {
		// Any other driver is a network plugin; finding it first gives
		// the one clear line (where hull looked, what there is) before
		// anything is recorded.
		if reservedNetworks[o.Driver] {
			return netspec.NetworkConfig{}, fmt.Errorf("network driver %q: --network %s is a per-container mode, not a driver of named networks (%s is)", o.Driver, o.Driver, usernet.Name)
		}
		if _, err := network.FindExternal(o.Driver, plugins.SearchPath(nil)); err != nil {
			return netspec.NetworkConfig{}, fmt.Errorf("network driver %s: %w", o.Driver, err)
		}
	}
	unlock, err := h.lockNetworks()
	if err != nil {
		return netspec.NetworkConfig{}, err
	}
	defer unlock()
	all, err := h.networks()
	if err != nil {
		return netspec.NetworkConfig{}, err
	}
	for _, n := range all {
		if n.Name == o.Name {
			return netspec.NetworkConfig{}, fmt.Errorf("network with name %s already exists", o.Name)
		}
	}
	cfg := netspec.NetworkConfig{Name: o.Name, ID: randomID(), Subnet: o.Subnet, Gateway: o.Gateway,
		Internal: o.Internal, DisableDNS: o.DisableDNS, Created: time.Now().UTC().Format(time.RFC3339Nano), Options: o.Options,
		Labels: o.Labels}
	if !builtinDriver(o.Driver) {
		cfg.Driver = o.Driver
	}
	if cfg.Subnet == "" {
		if o.Gateway != "" {
			return netspec.NetworkConfig{}, errors.New("--gateway needs --subnet")
		}
		if cfg.Subnet, err = freeSubnet(all); err != nil {
			return netspec.NetworkConfig{}, err
		}
	}
	if cfg, err = h.driverOf(cfg).Create(context.Background(), cfg); err != nil {
		return netspec.NetworkConfig{}, err
	}
	_, mine, _ := net.ParseCIDR(cfg.Subnet)
	for _, n := range all {
		if _, other, err := net.ParseCIDR(n.Subnet); err == nil && (other.Contains(mine.IP) || mine.Contains(other.IP)) {
			return netspec.NetworkConfig{}, fmt.Errorf("subnet %s overlaps network %s (%s)", cfg.Subnet, n.Name, n.Subnet)
		}
	}
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return netspec.NetworkConfig{}, err
	}
	tmp := filepath.Join(h.networksDir(), fmt.Sprintf(".tmp-%d-%s", os.Getpid(), cfg.Name))
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return netspec.NetworkConfig{}, fmt.Errorf("create network %s: %w", cfg.Name, err)
	}
	if err := os.Rename(tmp, filepath.Join(h.networksDir(), cfg.Name+".json")); err != nil {
		os.Remove(tmp)
		return netspec.NetworkConfig{}, fmt.Errorf("create network %s: %w", cfg.Name, err)
	}
	h.networkEvent("create", cfg)
	return cfg, nil
}

// networkEvent logs Docker's network event about cfg; kv adds attributes
// (container).
func (h *Hull) networkEvent(action string, cfg netspec.NetworkConfig, kv ...string) {
	typ := cfg.Driver
	if builtinDriver(typ) {
		typ = netspec.Bridge
	}
	h.event("network", action, cfg.ID, append([]string{"name", cfg.Name, "type", typ}, kv...)...)
}

func randomID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// freeSubnet is the first 10.89.N.0/24 no network uses; 10.0.2.0/24 is
// slirp4netns's own and never chosen.
func freeSubnet(all []netspec.NetworkConfig) (string, error) {
	used := map[string]bool{}
	for _, n := range all {
		used[n.Subnet] = true
	}
	for i := 1; i < 256; i++ {
		s := fmt.Sprintf("10.89.%d.0/24", i)
		if !used[s] {
			return s, nil
		}
	}
	return "", errors.New("no free subnet in 10.89.0.0/16: give --subnet")
}

// networks reads every network record.
func (h *Hull) networks() ([]netspec.NetworkConfig, error) {
	ents, err := os.ReadDir(h.networksDir())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []netspec.NetworkConfig
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		n, err := h.readNetwork(strings.TrimSuffix(e.Name(), ".json"))
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (h *Hull) readNetwork(name string) (netspec.NetworkConfig, error) {
	var cfg netspec.NetworkConfig
	if validNetworkName(name) != nil {
		return cfg, fmt.Errorf("%w: %s", ErrNetworkNotFound, name)
	}
	data, err := os.ReadFile(filepath.Join(h.networksDir(), name+".json"))
	if errors.Is(err, os.ErrNotExist) {
		return cfg, fmt.Errorf("%w: %s", ErrNetworkNotFound, name)
	}
	if err != nil {
		return cfg, err
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return cfg, fmt.Errorf("network %s: %w", name, err)
	}
	return cfg, nil
}

// Network finds a network by name or id (prefix).
func (h *Hull) Network(ref string) (netspec.NetworkConfig, error) {
	if n, err := h.readNetwork(ref); err == nil {
		return n, nil
	}
	all, err := h.networks()
	if err != nil {
		return netspec.NetworkConfig{}, err
	}
	var found []netspec.NetworkConfig
	for _, n := range all {
		if len(ref) >= 3 && strings.HasPrefix(n.ID, ref) {
			found = append(found, n)
		}
	}
	if len(found) == 1 {
		return found[0], nil
	}
	return netspec.NetworkConfig{}, fmt.Errorf("%w: %s", ErrNetworkNotFound, ref)
}

// Networks lists the named networks.
func (h *Hull) Networks() ([]netspec.NetworkConfig, error) { return h.networks() }

// NetworkView is network inspect's output, Docker's fields first.
type NetworkView struct {
	Name       string                       `json:"Name"`
	ID         string                       `json:"Id"`
	Created    string                       `json:"Created"`
	Driver     string                       `json:"Driver"`
	Internal   bool                         `json:"Internal"`
	DNSEnabled bool                         `json:"DNSEnabled"`
	IPAM       NetworkIPAM                  `json:"IPAM"`
	Containers map[string]NetworkEndpoint   `json:"Containers"`
	Options    map[string]string            `json:"Options"`
	Labels     map[string]string            `json:"Labels"`
	Running    bool                         `json:"HullProcessRunning"`
	endpoints  []netspec.EndpointInfo       `json:"-"`
	_          map[string]map[string]string `json:"-"`
}

// NetworkIPAM is the address plan.
type NetworkIPAM struct {
	Config []NetworkIPAMConfig `json:"Config"`
}

// NetworkIPAMConfig is one subnet.
type NetworkIPAMConfig struct {
	Subnet  string `json:"Subnet"`
	Gateway string `json:"Gateway"`
}

// NetworkEndpoint is one container on the network.
type NetworkEndpoint struct {
	Name        string   `json:"Name"`
	Aliases     []string `json:"Aliases"`
	IPv4Address string   `json:"IPv4Address"`
	MacAddress  string   `json:"MacAddress"`
	Interface   string   `json:"Interface"`
}

// NetworkInspect is the network and the containers attached now.
func (h *Hull) NetworkInspect(ref string) (NetworkView, error) {
	cfg, err := h.Network(ref)
	if err != nil {
		return NetworkView{}, err
	}
	drv := h.driverOf(cfg)
	v := NetworkView{Name: cfg.Name, ID: cfg.ID, Created: cfg.Created, Driver: cfg.Driver, Internal: cfg.Internal,
		DNSEnabled: !cfg.DisableDNS, IPAM: NetworkIPAM{Config: []NetworkIPAMConfig{{Subnet: cfg.Subnet, Gateway: cfg.Gateway}}},
		Containers: map[string]NetworkEndpoint{}, Options: cfg.Options}
	if v.Options == nil {
		v.Options = map[string]string{}
	}
	if v.Labels = cfg.Labels; v.Labels == nil {
		v.Labels = map[string]string{}
	}
	eps, err := drv.Endpoints(context.Background(), cfg)
	if err != nil {
		return NetworkView{}, err
	}
	if u, ok := drv.(*usernet.Driver); ok {
		v.Running = u.Running(cfg)
	} else {
		// A plugin's network runs what it runs; hull knows only whether
		// it has containers.
		v.Running = len(eps) > 0
	}
	for _, ep := range eps {
		ne := NetworkEndpoint{IPv4Address: ep.IPAddress, MacAddress: ep.MacAddress, Interface: ep.Interface}
		if c, err := h.Containers.Get(ep.ContainerID); err == nil {
			ne.Name = c.Name
			if e := c.NetworkSettings.Networks[cfg.Name]; e != nil {
				ne.Aliases = e.Aliases
			}
		}
		v.Containers[ep.ContainerID] = ne
	}
	return v, nil
}

// users are the containers whose records name network name.
func (h *Hull) networkUsers(name string) ([]*container.Container, error) {
	all, err := h.Containers.List()
	if err != nil {
		return nil, err
	}
	var out []*container.Container
	for _, c := range all {
		if c.NetworkSettings.Networks[name] != nil {
			out = append(out, c)
		}
	}
	return out, nil
}

// networkPods are the pods whose infra joins network name.
func (h *Hull) networkPods(name string) ([]*pod.Pod, error) {
	store, err := h.pods()
	if err != nil {
		return nil, err
	}
	all, err := store.List()
	if err != nil {
		return nil, err
	}
	var out []*pod.Pod
	for _, p := range all {
		for _, n := range p.Named {
			if n.Config.Name == name {
				out = append(out, p)
				break
			}
		}
	}
	return out, nil
}

// NetworkRemove removes networks no container names (force removes
// those containers first, as Podman's rm -f does).
func (h *Hull) NetworkRemove(ref string, force bool) (string, error) {
	cfg, err := h.Network(ref)
	if err != nil {
		return "", err
	}
	users, err := h.networkUsers(cfg.Name)
	if err != nil {
		return "", err
	}
	if len(users) > 0 && !force {
		return "", fmt.Errorf("network %s is used by container %s: remove it, disconnect it, or use --force", cfg.Name, container.ShortID(users[0].ID))
	}
	pods, err := h.networkPods(cfg.Name)
	if err != nil {
		return "", err
	}
	if len(pods) > 0 && !force {
		return "", fmt.Errorf("network %s is used by pod %s: remove it, or use --force", cfg.Name, pods[0].Name)
	}
	for _, c := range users {
		if err := h.Containers.Remove(c.ID, true); err != nil {
			return "", err
		}
	}
	for _, p := range pods {
		if _, err := h.RemovePod(p.ID, true); err != nil {
			return "", err
		}
	}
	unlock, err := h.lockNetworks()
	if err != nil {
		return "", err
	}
	defer unlock()
	if err := h.driverOf(cfg).Remove(context.Background(), cfg); err != nil {
		// A plugin that is gone or broken must not keep a record that
		// nothing else can remove: --force drops it anyway.
		if builtinDriver(cfg.Driver) || !force {
			return "", fmt.Errorf("remove network %s: %w", cfg.Name, err)
		}
	}
	if err := os.Remove(filepath.Join(h.networksDir(), cfg.Name+".json")); err != nil {
		return "", fmt.Errorf("remove network %s: %w", cfg.Name, err)
	}
	h.networkEvent("destroy", cfg)
	return cfg.Name, nil
}

// NetworkPrune removes every network no container names.
func (h *Hull) NetworkPrune() ([]string, error) {
	all, err := h.networks()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range all {
		users, err := h.networkUsers(n.Name)
		if err != nil {
			return out, err
		}
		if len(users) > 0 {
			continue
		}
		if pods, err := h.networkPods(n.Name); err != nil || len(pods) > 0 {
			continue
		}
		name, err := h.NetworkRemove(n.Name, false)
		if err != nil {
			return out, err
		}
		out = append(out, name)
	}
	h.event("network", "prune", "")
	return out, nil
}

// ResolveNetworks turns --network values that name networks of the store
// into o.Named: the record keeps the networks' definitions, and the
// container's own mode stays the default user-mode network (its way out
// and -p), or none when every network is internal. Named networks cannot
// be mixed with other modes. aliases apply to the first named network.
func (h *Hull) ResolveNetworks(o *container.Options, networks, aliases []string, ip string) error {
	var named []container.NamedNetwork
	var others []string
	for _, s := range networks {
		if strings.HasPrefix(s, container.ModeContainer) {
			others = append(others, s) // another container's (joins.go)
			continue
		}
		m, err := netspec.ParseMode(s)
		if err != nil {
			return err
		}
		if reservedNetworks[m.Name] || validNetworkName(m.Name) != nil {
			others = append(others, s)
			continue
		}
		cfg, err := h.readNetwork(m.Name)
		if errors.Is(err, ErrNetworkNotFound) {
			others = append(others, s)
			continue
		}
		if err != nil {
			return err
		}
		if len(m.Options) > 0 {
			return fmt.Errorf("network %s takes no options", m.Name)
		}
		named = append(named, container.NamedNetwork{Config: cfg})
	}
	if len(named) == 0 {
		if len(others) > 1 {
			return fmt.Errorf("--network %s: only named networks (hull network create) can be joined several at once", others[1])
		}
		if len(aliases) > 0 || ip != "" {
			return errors.New("--network-alias and --ip need a named network (hull network create)")
		}
		if len(others) == 1 {
			o.Network = others[0]
		}
		return nil
	}
	if len(others) > 0 {
		return fmt.Errorf("--network %s: named networks cannot be mixed with other network modes", others[0])
	}
	if o.Pod != "" {
		return errors.New("invalid config provided: --network cannot be set when joining a pod: the pod's network is shared")
	}
	named[0].Aliases, named[0].IP = aliases, ip
	internal := true
	for _, n := range named {
		internal = internal && n.Config.Internal
	}
	if internal && (len(o.Publish) > 0 || o.PublishAll) {
		return errors.New("published ports need a way out, which an internal network has not")
	}
	o.Network, o.Named = "", named
	return nil
}

// NetworkConnect joins a container to a named network: recorded for its
// next starts and, when it runs, attached now (eth1, eth2...).
func (h *Hull) NetworkConnect(network, ref string, aliases []string, ip string) error {
	cfg, err := h.Network(network)
	if err != nil {
		return err
	}
	c, err := h.Containers.Lookup(ref)
	if err != nil {
		return err
	}
	if c.HostConfig.NetworkMode == netspec.Host || c.HostConfig.NetworkMode == netspec.None {
		return fmt.Errorf("container %s has --network %s: it cannot join a named network", c.Name, c.HostConfig.NetworkMode)
	}
	c, err = h.Containers.Modify(c.ID, func(c *container.Container) error {
		return c.AddNetwork(container.NamedNetwork{Config: cfg, Aliases: aliases, IP: ip})
	})
	if err != nil {
		return err
	}
	// A stopped container connects when it starts (the container store
	// logs it then), as Docker's.
	if !c.State.Running || !h.Containers.MonitorAlive(c.ID) {
		return nil
	}
	ep := c.NetworkSettings.Networks[cfg.Name]
	e := netspec.Endpoint{ContainerID: c.ID, Names: c.DNSNames(cfg.Name), Interface: fmt.Sprintf("eth%d", ep.Index), Pid: c.State.Pid}
	if ep.IPAMConfig != nil {
		e.IP = ep.IPAMConfig.IPv4Address
	}
	if _, err := h.driverOf(cfg).Attach(context.Background(), cfg, e); err != nil {
		_, _ = h.Containers.Modify(c.ID, func(c *container.Container) error { return c.RemoveNetwork(cfg.Name) })
		return err
	}
	h.networkEvent("connect", cfg, "container", c.ID)
	return nil
}

// NetworkDisconnect takes a container off a named network, now if it
// runs, and for its next starts.
func (h *Hull) NetworkDisconnect(network, ref string) error {
	cfg, err := h.Network(network)
	if err != nil {
		return err
	}
	c, err := h.Containers.Lookup(ref)
	if err != nil {
		return err
	}
	if c.NetworkSettings.Networks[cfg.Name] == nil {
		return fmt.Errorf("container %s is not connected to network %s", c.Name, cfg.Name)
	}
	running := c.State.Running && h.Containers.MonitorAlive(c.ID)
	if running {
		if err := h.driverOf(cfg).Detach(context.Background(), cfg, c.ID); err != nil {
			return err
		}
	}
	if _, err = h.Containers.Modify(c.ID, func(c *container.Container) error { return c.RemoveNetwork(cfg.Name) }); err != nil {
		return err
	}
	if running { // a stopped one was connected to nothing
		h.networkEvent("disconnect", cfg, "container", c.ID)
	}
	return nil
}

// liveEndpoints fills in the addresses a running container has on its
// named networks, as their processes report them (ns is a copy of the
// record's, its map replaced).
func (h *Hull) liveEndpoints(c *container.Container, ns *container.NetworkSettings) {
	if len(ns.Networks) == 0 {
		return
	}
	out := make(map[string]*container.EndpointSettings, len(ns.Networks))
	for name, ep := range ns.Networks {
		e := *ep
		out[name] = &e
		if !c.State.Running {
			continue
		}
		eps, err := h.driverOf(ep.Network).Endpoints(context.Background(), ep.Network)
		if err != nil {
			continue
		}
		for _, info := range eps {
			if info.ContainerID != c.ID {
				continue
			}
			if ip, ipnet, err := net.ParseCIDR(info.IPAddress); err == nil {
				e.IPAddress = ip.String()
				e.IPPrefixLen, _ = ipnet.Mask.Size()
			}
			e.MacAddress, e.Gateway = info.MacAddress, ep.Network.Gateway
		}
	}
	ns.Networks = out
}

package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"strings"
	"time"

	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/core/launch"
	"github.com/hull-project/hull/core/pod"
	"github.com/hull-project/hull/isolation"
	"github.com/hull-project/hull/plugins"
	"github.com/hull-project/hull/plugins/network"
	"github.com/hull-project/hull/plugins/network/usernet"
	"golang.org/x/sys/unix"
)

// PodCreateOptions are the options of `hull pod create`.
type PodCreateOptions struct {
	Name     string
	Hostname string
	Labels   []string // KEY=VALUE
	Publish  []string // -p, as run takes it
	Network  []string // modes, or named networks (hull network create)
	Aliases  []string // --network-alias, on the first named network
}

// PodView is a pod with what its record does not hold: its status and
// members.
type PodView struct {
	*pod.Pod
	Status     string
	Containers []*container.Container
}

func (h *Hull) pods() (*pod.Store, error) { return pod.Open(h.Root) }

// CreatePod stores a new pod; its infra starts with `pod start` or its
// first member, as in Podman.
func (h *Hull) CreatePod(opts PodCreateOptions) (*pod.Pod, error) {
	p := &pod.Pod{ID: container.NewID(), Name: opts.Name, Created: time.Now().UTC(), Hostname: opts.Hostname}
	if p.Name == "" {
		p.Name = container.GenerateName(0)
	}
	if err := container.ValidateName(p.Name); err != nil {
		return nil, err
	}
	if p.Hostname == "" {
		p.Hostname = p.Name
	} else if err := container.CheckHostname(p.Hostname); err != nil {
		return nil, err
	}
	for _, l := range opts.Labels {
		k, v, _ := strings.Cut(l, "=")
		if p.Labels == nil {
			p.Labels = map[string]string{}
		}
		p.Labels[k] = v
	}
	for _, s := range opts.Publish {
		m, err := container.ParsePublish(s)
		if err != nil {
			return nil, err
		}
		p.Ports = append(p.Ports, m)
	}
	named, netMode, err := h.podNetworks(opts.Network, opts.Aliases)
	if err != nil {
		return nil, err
	}
	p.Named = named
	mode, err := container.ParseNetwork(netMode)
	if err != nil {
		return nil, err
	}
	if mode == container.NetworkHost {
		// Its members could not join it: the host's network namespace
		// belongs to no user namespace of ours.
		return nil, errors.New("a pod cannot use --network host")
	}
	if len(p.Ports) > 0 && mode == container.NetworkNone {
		return nil, fmt.Errorf("published ports need a user-mode network, not --network %s", mode)
	}
	if err := network.Check(mode, plugins.SearchPath(nil)); err != nil {
		return nil, err
	}
	p.Network = mode
	store, err := h.pods()
	if err != nil {
		return nil, err
	}
	return p, store.Create(p)
}

// podNetworks splits pod create's --network values as run's are split
// (ResolveNetworks): named networks of the store, which the infra joins,
// and the infra's own mode, the way out: the default user-mode network,
// or none when every named network is internal.
func (h *Hull) podNetworks(networks, aliases []string) ([]pod.NamedNetwork, string, error) {
	var o container.Options
	if err := h.ResolveNetworks(&o, networks, aliases, ""); err != nil {
		return nil, "", err
	}
	if len(o.Named) == 0 {
		return nil, o.Network, nil
	}
	var named []pod.NamedNetwork
	internal := true
	for _, n := range o.Named {
		named = append(named, pod.NamedNetwork{Config: n.Config, Aliases: n.Aliases})
		internal = internal && n.Config.Internal
	}
	if internal {
		return named, container.NetworkNone, nil
	}
	return named, "", nil
}

// podNames are the names a pod's infra answers to on a named network's
// DNS: the pod's name, its aliases there, its short id, and the names of
// its member containers (Podman resolves both).
func (h *Hull) podNames(p *pod.Pod, n pod.NamedNetwork) []string {
	names := []string{p.Name}
	names = append(names, n.Aliases...)
	names = append(names, container.ShortID(p.ID))
	all, _ := h.Containers.List()
	for _, c := range all {
		if c.HostConfig.Pod == p.ID && c.Name != "" {
			names = append(names, c.Name)
		}
	}
	return names
}

// podOptions makes o a member of its --pod, refusing what a member
// cannot have of its own, with Podman's words.
func (h *Hull) podOptions(o *container.Options) error {
	if o.Pod == "" {
		return nil
	}
	switch {
	case len(o.Publish) > 0 || o.PublishAll:
		return errors.New("invalid config provided: published or exposed ports must be defined when the pod is created: network cannot be configured when it is shared with a pod")
	case o.Network != "" && o.Network != container.NetworkBridge:
		return errors.New("invalid config provided: --network cannot be set when joining a pod: the pod's network is shared")
	case o.Hostname != "":
		return errors.New("invalid config provided: cannot set hostname when joining the pod UTS namespace")
	case o.Userns != "":
		return errors.New("invalid config provided: --userns cannot be set when joining a pod: its members share the pod's user namespace")
	}
	store, err := h.pods()
	if err != nil {
		return err
	}
	p, err := store.Lookup(o.Pod)
	if err != nil {
		return err
	}
	o.Pod, o.Hostname = p.ID, p.Hostname
	return nil
}

// networkFor is the network of one start of c with its spec: a pod
// member gets none of its own but joins its pod's infra (started when
// it does not run); a container that joins another's namespaces
// (joins.go) gets none either when it joins its network.
func (h *Hull) networkFor(c *container.Container, spec *isolation.Spec, stateDir string) (*launch.Network, error) {
	if c.HostConfig.Pod != "" {
		return nil, h.joinPod(c, spec)
	}
	if err := h.joinContainer(c, spec); err != nil {
		return nil, err
	}
	if spec.Join.Joins("net") {
		return nil, nil // the joined container's
	}
	return h.networkOf(c, stateDir)
}

// joinPod points spec at the namespaces of c's pod's infra, and gives it
// the pod's /etc files.
func (h *Hull) joinPod(c *container.Container, spec *isolation.Spec) error {
	p, err := h.ensureInfra(c.HostConfig.Pod)
	if err != nil {
		return err
	}
	// A member's name resolves on the pod's named networks from its start
	// on: the built-in driver takes the infra's new names at once (a
	// plugin's endpoint keeps those it was attached with).
	for _, n := range p.Named {
		if u, ok := h.driverOf(n.Config).(*usernet.Driver); ok {
			if err := u.SetNames(context.Background(), n.Config, p.ID, h.podNames(p, n)); err != nil {
				slog.Warn("pod member name", "network", n.Config.Name, "err", err)
			}
		}
	}
	spec.Join = &isolation.Join{Pid: p.Infra.Pid, Namespaces: pod.Namespaces}
	spec.Hostname, spec.HostNetwork = p.Hostname, false
	in := c.EtcInput()
	in.Hostname, in.Network = p.Hostname, p.Network
	in.IP, in.Gateway, in.DNS = p.Infra.IP, p.Infra.Gateway, p.Infra.DNS
	return addEtcFiles(spec, in)
}

// Pod returns the pod named by ref with its status and members.
func (h *Hull) Pod(ref string) (*PodView, error) {
	store, err := h.pods()
	if err != nil {
		return nil, err
	}
	p, err := store.Lookup(ref)
	if err != nil {
		return nil, err
	}
	all, err := h.Containers.List()
	if err != nil {
		return nil, err
	}
	return h.podView(store, p, all), nil
}

// Pods lists every pod with its status and members.
func (h *Hull) Pods() ([]*PodView, error) {
	store, err := h.pods()
	if err != nil {
		return nil, err
	}
	ps, err := store.List()
	if err != nil {
		return nil, err
	}
	all, err := h.Containers.List()
	if err != nil {
		return nil, err
	}
	var out []*PodView
	for _, p := range ps {
		out = append(out, h.podView(store, p, all))
	}
	return out, nil
}

func (h *Hull) podView(store *pod.Store, p *pod.Pod, all []*container.Container) *PodView {
	v := &PodView{Pod: p}
	running := 0
	for _, c := range all {
		if c.HostConfig.Pod == p.ID {
			v.Containers = append(v.Containers, c)
			if c.State.Running {
				running++
			}
		}
	}
	alive := store.InfraAlive(p.ID)
	if !alive {
		p.Infra.Pid = 0
	}
	switch {
	case alive && running == len(v.Containers):
		v.Status = pod.StatusRunning
	case alive:
		v.Status = pod.StatusDegraded
	case p.Infra.StartedAt.IsZero():
		v.Status = pod.StatusCreated
	default:
		v.Status = pod.StatusExited
	}
	return v
}

// StartPod starts the pod's infra and every member that does not run.
func (h *Hull) StartPod(ref string) (string, error) {
	v, err := h.Pod(ref)
	if err != nil {
		return "", err
	}
	if _, err := h.ensureInfra(v.ID); err != nil {
		return v.ID, err
	}
	for _, c := range v.Containers {
		if !c.State.Running {
			if _, err := h.startMonitor(c.ID, nil); err != nil {
				return v.ID, fmt.Errorf("start container %s of pod %s: %w", c.Name, v.Name, err)
			}
		}
	}
	return v.ID, nil
}

// StopPod stops every member, then the infra.
func (h *Hull) StopPod(ref string, timeout time.Duration) (string, error) {
	v, err := h.Pod(ref)
	if err != nil {
		return "", err
	}
	for _, c := range v.Containers {
		if err := h.Stop(c.ID, timeout); err != nil {
			return v.ID, err
		}
	}
	return v.ID, h.stopInfra(v.Pod)
}

// RemovePod removes the pod, its members (running ones only with force)
// and its infra.
func (h *Hull) RemovePod(ref string, force bool) (string, error) {
	v, err := h.Pod(ref)
	if err != nil {
		return "", err
	}
	for _, c := range v.Containers {
		if c.State.Running && !force {
			return v.ID, fmt.Errorf("pod %s has running containers (%s): stop them first or use --force", v.Name, c.Name)
		}
	}
	for _, c := range v.Containers {
		if _, err := h.RemoveContainer(c.ID, true); err != nil && !errors.Is(err, container.ErrNotFound) {
			return v.ID, err
		}
	}
	if err := h.stopInfra(v.Pod); err != nil {
		return v.ID, err
	}
	store, err := h.pods()
	if err != nil {
		return v.ID, err
	}
	if err := store.Remove(v.ID); err != nil {
		return v.ID, err
	}
	if err := os.RemoveAll(h.podStateDir(v.ID)); err != nil {
		return v.ID, fmt.Errorf("remove runtime state of pod %s: %w", v.Name, err)
	}
	return v.ID, nil
}

// PrunePods removes every pod whose infra and members are stopped.
func (h *Hull) PrunePods() ([]string, error) {
	all, err := h.Pods()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, v := range all {
		if v.Status == pod.StatusCreated || v.Status == pod.StatusExited {
			id, err := h.RemovePod(v.ID, false)
			if err != nil {
				return out, err
			}
			out = append(out, id)
		}
	}
	return out, nil
}

// stopInfra ends the infra with SIGKILL (it heeds no other signal, so
// that a member cannot stop the pod: see podInfra) and waits for its
// monitor to record it.
func (h *Hull) stopInfra(p *pod.Pod) error {
	store, err := h.pods()
	if err != nil {
		return err
	}
	for _, sig := range []unix.Signal{unix.SIGKILL} {
		// The infra by a pidfd, checked to be the start the record names
		// while its monitor still holds the lock: a pid freed by an infra
		// that ended meanwhile may be another process of the user's.
		cur, err := store.Lookup(p.ID)
		if err != nil {
			return err
		}
		proc, err := container.OpenProcess(cur.Infra.Pid, cur.Infra.StartedAt)
		if err != nil {
			return err
		}
		if proc == nil || !store.InfraAlive(p.ID) {
			if proc != nil {
				proc.Close()
			}
			return nil
		}
		err = proc.Signal(sig)
		proc.Close()
		if err != nil {
			return err
		}
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if !store.InfraAlive(p.ID) {
				return nil
			}
		}
		slog.Debug("pod infra did not stop", "pod", p.Name, "signal", sig)
	}
	return fmt.Errorf("stop pod %s: its infra did not exit after SIGKILL", p.Name)
}

// addEtcFiles gives spec the /etc files (hosts, hostname, resolv.conf) of
// a network namespace it joins: a pod's infra's, or another container's.
func addEtcFiles(spec *isolation.Spec, in container.EtcInput) error {
	files, err := container.NetworkEtcFiles(in)
	if err != nil {
		return err
	}
	if spec.Files == nil {
		spec.Files = map[string]string{}
	}
	maps.Copy(spec.Files, files)
	return nil
}

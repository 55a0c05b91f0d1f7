package compose

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/hull-project/hull/core"
	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/core/image"
	"github.com/hull-project/hull/core/registry"
	"github.com/hull-project/hull/core/volume"
)

// Project is a loaded compose project bound to a hull store.
type Project struct {
	H *core.Hull
	P *types.Project
	// Out gets command output (ps, images, config); Err progress lines
	// ("Container p-web-1  Started") and warnings, as docker compose.
	Out, Err io.Writer
}

// Check reports the keys hull does not map: warnings are written to Err,
// errors fail the command (before anything is created).
func (x *Project) Check() error {
	warnings, errs := Unsupported(x.P)
	for _, w := range warnings {
		fmt.Fprintf(x.Err, "WARN: %s: not supported by hull, ignored\n", w)
	}
	if len(errs) > 0 {
		return fmt.Errorf("compose: not supported by hull: %s", strings.Join(errs, "; "))
	}
	return nil
}

func (x *Project) progress(kind, name, what string) {
	fmt.Fprintf(x.Err, " %s %s  %s\n", kind, name, what)
}

// Containers are the project's containers (oneoff ones too when oneoff),
// of the named services (all when none), by service and number.
func (x *Project) Containers(services []string, oneoff bool) ([]*container.Container, error) {
	all, err := x.H.ListContainers()
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, s := range services {
		want[s] = true
	}
	var out []*container.Container
	for _, c := range all {
		l := c.Config.Labels
		if l[LabelProject] != x.P.Name || (!oneoff && l[LabelOneoff] == "True") {
			continue
		}
		if len(want) > 0 && !want[l[LabelService]] {
			continue
		}
		out = append(out, c)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Config.Labels, out[j].Config.Labels
		if a[LabelService] != b[LabelService] {
			return a[LabelService] < b[LabelService]
		}
		na, _ := strconv.Atoi(a[LabelNumber])
		nb, _ := strconv.Atoi(b[LabelNumber])
		return na < nb
	})
	return out, nil
}

// checkServices fails on a name that is not a service of the project.
func (x *Project) checkServices(names []string) error {
	for _, n := range names {
		if _, ok := x.P.Services[n]; !ok {
			return fmt.Errorf("no such service: %s", n)
		}
	}
	return nil
}

// namedOrAll is names, checked, or every service of the project, sorted,
// when none is named.
func (x *Project) namedOrAll(names []string) ([]string, error) {
	if err := x.checkServices(names); err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return sortedKeys(x.P.Services), nil
	}
	return names, nil
}

// withDependencies is names and every service they depend on.
func (x *Project) withDependencies(names []string) ([]string, error) {
	if len(names) == 0 {
		return serviceOrder(x.P, x.P.ServiceNames())
	}
	if err := x.checkServices(names); err != nil {
		return nil, err
	}
	return serviceOrder(x.P, names)
}

// ensureNetworks makes the project's networks that services in names use
// (PROJECT_NAME, labelled as compose labels them); external ones must exist.
func (x *Project) ensureNetworks(names []string) error {
	used := map[string]bool{}
	for _, n := range names {
		for key := range x.P.Services[n].Networks {
			used[key] = true
		}
	}
	for _, key := range sortedKeys(used) {
		cfg, ok := x.P.Networks[key]
		if !ok {
			return fmt.Errorf("service network %s is not declared", key)
		}
		if _, err := x.H.Network(cfg.Name); err == nil {
			continue
		} else if !errors.Is(err, core.ErrNetworkNotFound) {
			return err
		}
		if cfg.External {
			return fmt.Errorf("network %s declared as external, but could not be found", cfg.Name)
		}
		labels := map[string]string{}
		for k, v := range cfg.Labels {
			labels[k] = v
		}
		labels[LabelProject], labels[LabelNetwork], labels[LabelVersion] = x.P.Name, key, Version
		o := core.NetworkCreateOptions{Name: cfg.Name, Internal: cfg.Internal, Labels: labels}
		if len(cfg.Ipam.Config) > 0 {
			o.Subnet, o.Gateway = cfg.Ipam.Config[0].Subnet, cfg.Ipam.Config[0].Gateway
		}
		if _, err := x.H.NetworkCreate(o); err != nil {
			return fmt.Errorf("create network %s: %w", cfg.Name, err)
		}
		x.progress("Network", cfg.Name, "Created")
	}
	return nil
}

// ensureVolumes makes the project's named volumes (PROJECT_NAME) that
// services in names mount; external ones must exist.
func (x *Project) ensureVolumes(names []string) error {
	used := map[string]bool{}
	for _, n := range names {
		for _, v := range x.P.Services[n].Volumes {
			if v.Type == types.VolumeTypeVolume && v.Source != "" {
				used[v.Source] = true
			}
		}
	}
	for _, key := range sortedKeys(used) {
		cfg, ok := x.P.Volumes[key]
		if !ok {
			return fmt.Errorf("service volume %s is not declared", key)
		}
		if _, err := x.H.Volume(cfg.Name); err == nil {
			continue
		}
		if cfg.External {
			return fmt.Errorf("external volume %q not found", cfg.Name)
		}
		labels := map[string]string{}
		for k, v := range cfg.Labels {
			labels[k] = v
		}
		labels[LabelProject], labels[LabelVolume], labels[LabelVersion] = x.P.Name, key, Version
		if _, err := x.H.CreateVolume(cfg.Name, volume.CreateOptions{Labels: labels}); err != nil {
			return fmt.Errorf("create volume %s: %w", cfg.Name, err)
		}
		x.progress("Volume", cfg.Name, "Created")
	}
	return nil
}

// image makes sure the service's image is there: built (when the service
// has build: and the image is missing, or build is set) or pulled.
func (x *Project) image(ctx context.Context, s types.ServiceConfig, build bool) (*image.Image, error) {
	ref := ImageName(x.P, s)
	if s.Build != nil {
		if !build {
			if img, err := x.H.LookupImage(ref); err == nil {
				return img, nil
			}
		}
		return x.build(ctx, s)
	}
	policy := core.PullMissing
	if s.PullPolicy == types.PullPolicyAlways {
		policy = core.PullAlways
	}
	img, err := x.H.ImageFor(ctx, ref, policy, registry.PullOptions{Platform: s.Platform})
	if err != nil {
		return nil, fmt.Errorf("service %s: image %s: %w", s.Name, ref, err)
	}
	return img, nil
}

// stopTimeout is the service's stop_grace_period, else Docker's 10s.
func stopTimeout(s types.ServiceConfig, ok bool) time.Duration {
	if ok && s.StopGracePeriod != nil {
		return time.Duration(*s.StopGracePeriod)
	}
	return core.DefaultStopTimeout
}

// stop stops one container within its service's grace period.
func (x *Project) stop(c *container.Container, timeout *time.Duration) error {
	s, ok := x.P.Services[c.Config.Labels[LabelService]]
	t := stopTimeout(s, ok)
	if timeout != nil {
		t = *timeout
	}
	if !c.State.Running && !c.State.Restarting {
		return nil
	}
	x.progress("Container", c.Name, "Stopping")
	if err := x.H.StopWith(c.ID, core.StopOptions{Timeout: &t}); err != nil {
		return fmt.Errorf("stop %s: %w", c.Name, err)
	}
	x.progress("Container", c.Name, "Stopped")
	return nil
}

// remove stops and removes one container (its anonymous volumes too when
// volumes is set).
func (x *Project) remove(c *container.Container, volumes bool) error {
	if err := x.stop(c, nil); err != nil {
		return err
	}
	x.progress("Container", c.Name, "Removing")
	var err error
	if volumes {
		_, err = x.H.RemoveContainerVolumes(c.ID, true)
	} else {
		_, err = x.H.RemoveContainer(c.ID, true)
	}
	if err != nil {
		return fmt.Errorf("remove %s: %w", c.Name, err)
	}
	x.progress("Container", c.Name, "Removed")
	return nil
}

// create makes service s's container n.
func (x *Project) create(s types.ServiceConfig, n int, hash, imageID string, oneoff bool, name string) (string, error) {
	o, err := runOptions(x.P, s, n, hash, oneoff)
	if err != nil {
		return "", err
	}
	if name != "" {
		o.Name = name
	}
	o.Labels = append(o.Labels, LabelImage+"="+imageID)
	if err := x.networks(s, &o); err != nil {
		return "", fmt.Errorf("service %s: %w", s.Name, err)
	}
	id, err := x.H.Create(o)
	if err != nil {
		return "", fmt.Errorf("create container %s: %w", o.Name, err)
	}
	return id, nil
}

// networks puts the container on the service's networks, with the
// service's name (and aliases) resolving to it on each, as compose does.
func (x *Project) networks(s types.ServiceConfig, o *core.RunOptions) error {
	if s.NetworkMode != "" {
		return nil
	}
	keys := s.NetworksByPriority()
	names := make([]string, len(keys))
	for i, k := range keys {
		cfg, ok := x.P.Networks[k]
		if !ok {
			return fmt.Errorf("network %s is not declared", k)
		}
		names[i] = cfg.Name
	}
	if len(names) == 0 {
		return nil
	}
	if err := x.H.ResolveNetworks(&o.Options, names, nil, ""); err != nil {
		return err
	}
	for i, k := range keys {
		sn := s.Networks[k]
		var aliases []string
		if sn.ServiceNameAliasEnabled() {
			aliases = append(aliases, s.Name)
		}
		if sn != nil {
			aliases = append(aliases, sn.Aliases...)
			o.Named[i].IP = sn.Ipv4Address
		}
		o.Named[i].Aliases = aliases
	}
	return nil
}

func (x *Project) start(ctx context.Context, c *container.Container) error {
	x.progress("Container", c.Name, "Starting")
	if _, err := x.H.Start(ctx, c.ID, core.StartOptions{}, core.Stdio{}); err != nil {
		return fmt.Errorf("start %s: %w", c.Name, err)
	}
	x.progress("Container", c.Name, "Started")
	return nil
}

// waitDependencies blocks until the dependencies of s meet their
// conditions: started, healthy, or exited with 0.
func (x *Project) waitDependencies(ctx context.Context, s types.ServiceConfig) error {
	for _, d := range sortedKeys(s.DependsOn) {
		dep := s.DependsOn[d]
		if _, ok := x.P.Services[d]; !ok {
			continue
		}
		if dep.Condition == "" || dep.Condition == types.ServiceConditionStarted {
			continue
		}
		if err := x.waitCondition(ctx, d, dep.Condition); err != nil {
			return err
		}
	}
	return nil
}

func (x *Project) waitCondition(ctx context.Context, service, condition string) error {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		cs, err := x.Containers([]string{service}, false)
		if err != nil {
			return err
		}
		if len(cs) == 0 {
			return fmt.Errorf("dependency %s has no container", service)
		}
		done := true
		for _, c := range cs {
			ok, err := conditionMet(c, condition)
			if err != nil {
				return fmt.Errorf("dependency failed to start: %w", err)
			}
			done = done && ok
		}
		if done {
			if condition == types.ServiceConditionHealthy {
				for _, c := range cs {
					x.progress("Container", c.Name, "Healthy")
				}
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

func conditionMet(c *container.Container, condition string) (bool, error) {
	switch condition {
	case types.ServiceConditionHealthy:
		if c.Config.Healthcheck == nil || (len(c.Config.Healthcheck.Test) > 0 && c.Config.Healthcheck.Test[0] == "NONE") {
			return false, fmt.Errorf("container %s has no healthcheck configured", c.Name)
		}
		if !c.State.Running && !c.State.Restarting {
			return false, fmt.Errorf("container %s exited (%d)", c.Name, c.State.ExitCode)
		}
		if c.State.Health == nil {
			return false, nil
		}
		switch c.State.Health.Status {
		case "healthy":
			return true, nil
		case "unhealthy":
			return false, fmt.Errorf("container %s is unhealthy", c.Name)
		}
		return false, nil
	case types.ServiceConditionCompletedSuccessfully:
		if c.State.Running || c.State.Restarting || c.State.Status == container.StatusCreated {
			return false, nil
		}
		if c.State.ExitCode != 0 {
			return false, fmt.Errorf("service %s didn't complete successfully: exit %d", c.Config.Labels[LabelService], c.State.ExitCode)
		}
		return true, nil
	}
	return false, fmt.Errorf("unknown depends_on condition %q", condition)
}

// Orphans are the project's containers whose service the files no longer
// have (services left out by profiles are not orphans).
func (x *Project) Orphans() ([]*container.Container, error) {
	cs, err := x.Containers(nil, true)
	if err != nil {
		return nil, err
	}
	var out []*container.Container
	for _, c := range cs {
		svc := c.Config.Labels[LabelService]
		if _, ok := x.P.Services[svc]; ok {
			continue
		}
		if _, ok := x.P.DisabledServices[svc]; ok {
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

func serviceNumber(c *container.Container) int {
	n, _ := strconv.Atoi(c.Config.Labels[LabelNumber])
	return n
}

func stdio() core.Stdio { return core.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr} }

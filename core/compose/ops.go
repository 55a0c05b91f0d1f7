package compose

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/hull-project/hull/core"
	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/core/registry"
	"github.com/hull-project/hull/plugins/sdk/netsdk/netspec"
)

// Stop stops the services' containers (all when none named), dependents
// first, each within its stop_grace_period (or timeout when given).
func (x *Project) Stop(services []string, timeout *time.Duration) error {
	if err := x.checkServices(services); err != nil {
		return err
	}
	cs, err := x.Containers(services, false)
	if err != nil {
		return err
	}
	order, err := serviceOrder(x.P, x.P.ServiceNames())
	if err != nil {
		return err
	}
	var errs []error
	for i := len(order) - 1; i >= 0; i-- {
		for _, c := range cs {
			if c.Config.Labels[LabelService] == order[i] {
				if err := x.stop(c, timeout); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// Start starts the services' existing containers, dependencies first.
func (x *Project) Start(ctx context.Context, services []string) error {
	if err := x.checkServices(services); err != nil {
		return err
	}
	order, err := x.withDependencies(services)
	if err != nil {
		return err
	}
	for _, n := range order {
		if err := x.waitDependencies(ctx, x.P.Services[n]); err != nil {
			return err
		}
		cs, err := x.Containers([]string{n}, false)
		if err != nil {
			return err
		}
		for _, c := range cs {
			if c.State.Running {
				continue
			}
			if err := x.start(ctx, c); err != nil {
				return err
			}
		}
	}
	return nil
}

// Restart stops and starts the services' containers.
func (x *Project) Restart(ctx context.Context, services []string, timeout *time.Duration) error {
	if err := x.Stop(services, timeout); err != nil {
		return err
	}
	if err := x.checkServices(services); err != nil {
		return err
	}
	cs, err := x.Containers(services, false)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if err := x.start(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

// Remove removes the services' stopped containers (running ones too with
// stop).
func (x *Project) Remove(services []string, stop, volumes bool) error {
	if err := x.checkServices(services); err != nil {
		return err
	}
	cs, err := x.Containers(services, false)
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range cs {
		if (c.State.Running || c.State.Restarting) && !stop {
			continue
		}
		if err := x.remove(c, volumes); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Logs writes the services' logs, each line prefixed with its container's
// name; with follow until the containers stop.
func (x *Project) Logs(services []string, follow bool, w io.Writer) error {
	if err := x.checkServices(services); err != nil {
		return err
	}
	cs, err := x.Containers(services, false)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	errs := make([]error, len(cs))
	for i, c := range cs {
		if !follow {
			errs[i] = x.prefixedLogs(c, false, width(cs), w)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = x.prefixedLogs(c, true, width(cs), w)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// PsRow is one line of compose ps.
type PsRow struct {
	Name, Image, Command, Service, Status, Ports string
	Created                                      time.Time
	Container                                    *container.Container
}

// Ps lists the services' containers (stopped ones with all).
func (x *Project) Ps(services []string, all bool) ([]PsRow, error) {
	if err := x.checkServices(services); err != nil {
		return nil, err
	}
	cs, err := x.Containers(services, false)
	if err != nil {
		return nil, err
	}
	var rows []PsRow
	for _, c := range cs {
		if !all && !c.State.Running && !c.State.Restarting {
			continue
		}
		cmd := strings.Join(append([]string{c.Path}, c.Args...), " ")
		rows = append(rows, PsRow{Name: c.Name, Image: c.Image, Command: cmd, Service: c.Config.Labels[LabelService],
			Status: status(c), Ports: x.ports(c), Created: c.Created, Container: c})
	}
	return rows, nil
}

func status(c *container.Container) string {
	switch {
	case c.State.Restarting:
		return "restarting"
	case c.State.Running:
		s := "running"
		if c.State.Health != nil && c.State.Health.Status != "" {
			s += " (" + c.State.Health.Status + ")"
		}
		return s
	case c.State.Status == container.StatusExited:
		return fmt.Sprintf("exited (%d)", c.State.ExitCode)
	}
	return c.State.Status
}

func (x *Project) ports(c *container.Container) string {
	var out []string
	pms := c.HostConfig.PortBindings
	if c.State.Running {
		// HostPort 0 in the record is a port chosen at start.
		if live, err := x.H.Ports(c.ID, ""); err == nil {
			pms = nil
			for _, p := range live {
				pms = append(pms, netspec.PortMapping(p))
			}
		}
	}
	for _, p := range pms {
		ip := p.HostIP
		if ip == "" {
			ip = "0.0.0.0"
		}
		out = append(out, fmt.Sprintf("%s:%d->%s", ip, p.HostPort, p.Key()))
	}
	return strings.Join(out, ", ")
}

// ImageRow is one line of compose images.
type ImageRow struct {
	Container, Repository, Tag, ID string
	Size                           int64
}

// Images lists the images the services' containers use.
func (x *Project) Images(services []string) ([]ImageRow, error) {
	if err := x.checkServices(services); err != nil {
		return nil, err
	}
	cs, err := x.Containers(services, false)
	if err != nil {
		return nil, err
	}
	var rows []ImageRow
	for _, c := range cs {
		repo, tag := c.Image, "latest"
		if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
			repo, tag = repo[:i], repo[i+1:]
		}
		row := ImageRow{Container: c.Name, Repository: repo, Tag: tag, ID: container.ShortID(c.ImageID)}
		if img, err := x.H.LookupImage(c.ImageID); err == nil {
			row.Size = img.Size
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// Top is each running container's processes.
func (x *Project) Top(services []string, w io.Writer) error {
	if err := x.checkServices(services); err != nil {
		return err
	}
	cs, err := x.Containers(services, false)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if !c.State.Running {
			continue
		}
		out, err := x.H.Top(c.ID, nil)
		if err != nil {
			return fmt.Errorf("top %s: %w", c.Name, err)
		}
		fmt.Fprintf(w, "%s\n%s\n", c.Name, out)
	}
	return nil
}

// Exec runs a command in the service's container index (1 by default).
func (x *Project) Exec(ctx context.Context, service string, index int, o core.ExecOptions, stdio core.Stdio) (int, error) {
	if err := x.checkServices([]string{service}); err != nil {
		return core.ExitHullError, err
	}
	cs, err := x.Containers([]string{service}, false)
	if err != nil {
		return core.ExitHullError, err
	}
	if index < 1 {
		index = 1
	}
	for _, c := range cs {
		if serviceNumber(c) == index {
			return x.H.Exec(ctx, c.ID, o, stdio)
		}
	}
	return core.ExitHullError, fmt.Errorf("service %q is not running container #%d", service, index)
}

// RunOptions are compose run's flags.
type RunOptions struct {
	Service    string
	Cmd        []string
	Remove     bool // --rm
	Detach     bool
	Name       string
	NoDeps     bool
	Entrypoint *string
	Env        []string
	User       string
	Workdir    string
	Tty        bool
}

// Run runs a one-off container of a service: its dependencies are
// started first (unless NoDeps), the service's ports are not published
// (as docker compose run without --service-ports).
func (x *Project) Run(ctx context.Context, o RunOptions, stdio core.Stdio) (int, error) {
	if err := x.Check(); err != nil {
		return core.ExitHullError, err
	}
	s, ok := x.P.Services[o.Service]
	if !ok {
		return core.ExitHullError, fmt.Errorf("no such service: %s", o.Service)
	}
	if !o.NoDeps && len(s.DependsOn) > 0 {
		deps, err := serviceOrder(x.P, sortedKeys(s.DependsOn))
		if err != nil {
			return core.ExitHullError, err
		}
		if err := x.Up(ctx, UpOptions{Services: deps, Detach: true}); err != nil {
			return core.ExitHullError, err
		}
	}
	if err := x.ensureNetworks([]string{s.Name}); err != nil {
		return core.ExitHullError, err
	}
	if err := x.ensureVolumes([]string{s.Name}); err != nil {
		return core.ExitHullError, err
	}
	img, err := x.image(ctx, s, false)
	if err != nil {
		return core.ExitHullError, err
	}
	if len(o.Cmd) > 0 {
		s.Command = types.ShellCommand(o.Cmd)
	}
	s.Ports = nil
	if o.Entrypoint != nil {
		s.Entrypoint = types.ShellCommand{*o.Entrypoint}
		if *o.Entrypoint == "" {
			s.Entrypoint = types.ShellCommand{}
		}
	}
	for _, e := range o.Env {
		k, v, ok := strings.Cut(e, "=")
		if s.Environment == nil {
			s.Environment = types.MappingWithEquals{}
		}
		if ok {
			s.Environment[k] = &v
		}
	}
	if o.User != "" {
		s.User = o.User
	}
	if o.Workdir != "" {
		s.WorkingDir = o.Workdir
	}
	s.Tty, s.StdinOpen = o.Tty, o.Tty || s.StdinOpen
	s.ContainerName, s.Restart = "", ""
	hash, err := ConfigHash(s)
	if err != nil {
		return core.ExitHullError, err
	}
	n := 1
	if existing, err := x.Containers([]string{s.Name}, true); err == nil {
		for _, c := range existing {
			n = max(n, serviceNumber(c)+1)
		}
	}
	name := o.Name
	if name == "" {
		name = fmt.Sprintf("%s-%s-run-%s", x.P.Name, s.Name, container.NewID()[:12])
	}
	ro, err := runOptions(x.P, s, n, hash, true)
	if err != nil {
		return core.ExitHullError, err
	}
	ro.Name, ro.AutoRemove, ro.Detach = name, o.Remove, o.Detach
	ro.Labels = append(ro.Labels, LabelImage+"="+img.ID)
	ro.Interactive = true
	if err := x.networks(s, &ro); err != nil {
		return core.ExitHullError, err
	}
	if o.Detach {
		id, code, err := x.H.RunDetached(ro)
		if err == nil {
			fmt.Fprintln(x.Out, id)
		}
		return code, err
	}
	return x.H.Run(ctx, ro, stdio)
}

// Pull pulls the images of the services that name one (services that only
// build are skipped, as docker compose pull skips them).
func (x *Project) Pull(ctx context.Context, services []string, progress registry.Progress) error {
	names, err := x.namedOrAll(services)
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range names {
		s := x.P.Services[n]
		if s.Image == "" {
			continue
		}
		x.progress("Image", s.Image, "Pulling")
		if _, err := x.H.Pull(ctx, s.Image, registry.PullOptions{Platform: s.Platform, Progress: progress}); err != nil {
			errs = append(errs, fmt.Errorf("service %s: pull %s: %w", n, s.Image, err))
			continue
		}
		x.progress("Image", s.Image, "Pulled")
	}
	return errors.Join(errs...)
}

// Push pushes the images of the services that build one and name it.
func (x *Project) Push(ctx context.Context, services []string, progress registry.Progress) error {
	names, err := x.namedOrAll(services)
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range names {
		s := x.P.Services[n]
		if s.Build == nil || s.Image == "" {
			continue
		}
		x.progress("Image", s.Image, "Pushing")
		if _, err := x.H.Push(ctx, s.Image, registry.PushOptions{Progress: progress}); err != nil {
			errs = append(errs, fmt.Errorf("service %s: push %s: %w", n, s.Image, err))
			continue
		}
		x.progress("Image", s.Image, "Pushed")
	}
	return errors.Join(errs...)
}

// Config is the resolved model, as docker compose config prints it.
func (x *Project) Config(format string) ([]byte, error) {
	if format == "json" {
		return x.P.MarshalJSON()
	}
	return x.P.MarshalYAML()
}

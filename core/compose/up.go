package compose

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/hull-project/hull/builders"
	"github.com/hull-project/hull/core"
	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/core/image"
	"github.com/hull-project/hull/core/logfile"
)

// UpOptions are up's flags.
type UpOptions struct {
	Services      []string
	Detach        bool
	Build         bool // --build: build images before starting
	ForceRecreate bool
	NoStart       bool
	RemoveOrphans bool
}

// Up creates and starts the services (and what they depend on), in
// dependency order, waiting for each dependency's condition. It converges:
// a container whose configuration (config-hash) and image are unchanged is
// kept as it is (started if stopped), a changed one is recreated.
func (x *Project) Up(ctx context.Context, o UpOptions) error {
	if err := x.Check(); err != nil {
		return err
	}
	var interrupted <-chan os.Signal
	if !o.Detach {
		// Foreground up owns Ctrl-C from the start: an interrupt while
		// creating or waiting stops what was started, as while attached.
		sigs := make(chan os.Signal, 2)
		signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
		defer signal.Stop(sigs)
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		got := make(chan os.Signal, 1)
		go func() {
			if sig, ok := <-sigs; ok {
				got <- sig
				cancel()
				sig := <-sigs
				fmt.Fprintln(x.Err, "forced stop")
				// A second interrupt ends hull at once: die of the
				// signal itself (the shell sees 128+n), as a Unix
				// tool does, rather than exiting from a library.
				signal.Reset(sig)
				_ = syscall.Kill(os.Getpid(), sig.(syscall.Signal))
			}
		}()
		interrupted = got
	}
	order, err := x.withDependencies(o.Services)
	if err != nil {
		return err
	}
	if err := x.orphans(o.RemoveOrphans); err != nil {
		return err
	}
	if err := x.ensureNetworks(order); err != nil {
		return err
	}
	if err := x.ensureVolumes(order); err != nil {
		return err
	}
	images := map[string]*image.Image{}
	for _, n := range order {
		img, err := x.image(ctx, x.P.Services[n], o.Build)
		if err != nil {
			return err
		}
		images[n] = img
	}
	for _, n := range order {
		s := x.P.Services[n]
		if !o.NoStart {
			if err := x.waitDependencies(ctx, s); err != nil {
				return err
			}
		}
		if err := x.converge(ctx, s, images[n].ID, o); err != nil {
			if ctx.Err() != nil {
				return x.gracefulStop(order)
			}
			return err
		}
	}
	if o.Detach || o.NoStart {
		return nil
	}
	return x.attach(ctx, order, interrupted)
}

func (x *Project) gracefulStop(services []string) error {
	fmt.Fprintln(x.Err, "Gracefully stopping... (press Ctrl+C again to force)")
	return x.Stop(services, nil)
}

// converge brings service s to its scale with current containers.
func (x *Project) converge(ctx context.Context, s types.ServiceConfig, imageID string, o UpOptions) error {
	hash, err := ConfigHash(s)
	if err != nil {
		return err
	}
	existing, err := x.Containers([]string{s.Name}, false)
	if err != nil {
		return err
	}
	scale := s.GetScale()
	byNumber := map[int]*container.Container{}
	for _, c := range existing {
		n := serviceNumber(c)
		if n < 1 || n > scale || byNumber[n] != nil {
			if err := x.remove(c, false); err != nil {
				return err
			}
			continue
		}
		byNumber[n] = c
	}
	for n := 1; n <= scale; n++ {
		c := byNumber[n]
		if c != nil && (o.ForceRecreate || c.Config.Labels[LabelConfigHash] != hash || c.Config.Labels[LabelImage] != imageID) {
			x.progress("Container", c.Name, "Recreate")
			if err := x.remove(c, false); err != nil {
				return err
			}
			c = nil
		}
		if c == nil {
			id, err := x.create(s, n, hash, imageID, false, "")
			if err != nil {
				return err
			}
			if c, err = x.H.Containers.Get(id); err != nil {
				return err
			}
			x.progress("Container", c.Name, "Created")
		} else if c.State.Running || c.State.Restarting {
			x.progress("Container", c.Name, "Running")
			continue
		}
		if o.NoStart {
			continue
		}
		if err := x.start(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

// orphans reports containers of services the files no longer have, or
// removes them (--remove-orphans).
func (x *Project) orphans(remove bool) error {
	orphans, err := x.Orphans()
	if err != nil || len(orphans) == 0 {
		return err
	}
	if !remove {
		var names []string
		for _, c := range orphans {
			names = append(names, c.Name)
		}
		fmt.Fprintf(x.Err, "WARN: Found orphan containers (%s) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.\n", strings.Join(names, ", "))
		return nil
	}
	for _, c := range orphans {
		if err := x.remove(c, false); err != nil {
			return err
		}
	}
	return nil
}

// DownOptions are down's flags.
type DownOptions struct {
	Volumes       bool   // -v: named volumes of the project and anonymous ones of its containers
	RemoveImages  string // --rmi: "", "local" (images compose built without an image: name) or "all"
	RemoveOrphans bool
}

// Down stops and removes the project's containers, then its networks
// (not external ones); with Volumes its volumes, with RemoveImages images.
func (x *Project) Down(o DownOptions) error {
	cs, err := x.Containers(nil, true)
	if err != nil {
		return err
	}
	var errs []error
	for i := len(cs) - 1; i >= 0; i-- {
		c := cs[i]
		svc := c.Config.Labels[LabelService]
		_, inProject := x.P.Services[svc]
		_, disabled := x.P.DisabledServices[svc]
		if !inProject && !disabled && !o.RemoveOrphans {
			continue
		}
		if err := x.remove(c, o.Volumes); err != nil {
			errs = append(errs, err)
		}
	}
	if orphans, err := x.Orphans(); err == nil && len(orphans) > 0 {
		var names []string
		for _, c := range orphans {
			names = append(names, c.Name)
		}
		fmt.Fprintf(x.Err, "WARN: Found orphan containers (%s) for this project: --remove-orphans removes them.\n", strings.Join(names, ", "))
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	nets, err := x.H.NetworksFiltered([]string{"label=" + LabelProject + "=" + x.P.Name})
	if err != nil {
		return err
	}
	for _, n := range nets {
		if cfg, ok := x.P.Networks[n.Labels[LabelNetwork]]; ok && bool(cfg.External) {
			continue
		}
		x.progress("Network", n.Name, "Removing")
		if _, err := x.H.NetworkRemove(n.Name, false); err != nil {
			errs = append(errs, fmt.Errorf("remove network %s: %w", n.Name, err))
			continue
		}
		x.progress("Network", n.Name, "Removed")
	}
	if o.Volumes {
		for _, key := range sortedKeys(x.P.Volumes) {
			v := x.P.Volumes[key]
			if v.External {
				continue
			}
			vol, err := x.H.Volume(v.Name)
			if err != nil {
				continue
			}
			// A volume of that name that compose did not make for this
			// project (the file names someone's existing volume without
			// external: true) is not the project's to remove.
			if vol.Labels[LabelProject] != x.P.Name {
				fmt.Fprintf(x.Err, "WARN: volume %q was not created by this project: left alone\n", v.Name)
				continue
			}
			if err := x.H.RemoveVolume(v.Name, false); err != nil {
				errs = append(errs, fmt.Errorf("remove volume %s: %w", v.Name, err))
				continue
			}
			x.progress("Volume", v.Name, "Removed")
		}
	}
	if o.RemoveImages != "" {
		if err := x.removeImages(o.RemoveImages); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (x *Project) removeImages(mode string) error {
	if mode != "local" && mode != "all" {
		return fmt.Errorf("invalid --rmi %q: local or all", mode)
	}
	seen := map[string]bool{}
	var errs []error
	for _, n := range sortedKeys(x.P.Services) {
		s := x.P.Services[n]
		if mode == "local" && s.Image != "" {
			continue
		}
		ref := ImageName(x.P, s)
		if seen[ref] {
			continue
		}
		seen[ref] = true
		if _, err := x.H.LookupImage(ref); err != nil {
			continue
		}
		if _, err := x.H.RemoveImage(ref, false); err != nil {
			errs = append(errs, fmt.Errorf("remove image %s: %w", ref, err))
			continue
		}
		x.progress("Image", ref, "Removed")
	}
	return errors.Join(errs...)
}

// Build builds the images of the services with build: (all, or those
// named).
func (x *Project) Build(ctx context.Context, services []string) error {
	if err := x.Check(); err != nil {
		return err
	}
	names, err := x.namedOrAll(services)
	if err != nil {
		return err
	}
	for _, n := range names {
		if s := x.P.Services[n]; s.Build != nil {
			if _, err := x.build(ctx, s); err != nil {
				return err
			}
		}
	}
	return nil
}

// build runs the service's build: context, dockerfile (read inside the
// context by the build engine, so a compose file cannot point it at a
// host file through the context), args, target, labels, secrets.
func (x *Project) build(ctx context.Context, s types.ServiceConfig) (*image.Image, error) {
	b := s.Build
	ref := ImageName(x.P, s)
	opts := core.BuildOptions{Options: builders.Options{ContextDir: b.Context, Tags: []string{ref}, Target: b.Target,
		NoCache: b.NoCache, Network: b.Network, Out: x.Err, Progress: "plain", BuildArgs: map[string]string{},
		Labels: map[string]string(b.Labels)}}
	if st, err := os.Stat(b.Context); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("service %s: build context %s is not a directory", s.Name, b.Context)
	}
	for k, v := range b.Args {
		if v != nil {
			opts.BuildArgs[k] = *v
		} else if val, ok := x.P.Environment[k]; ok {
			opts.BuildArgs[k] = val
		}
	}
	if b.DockerfileInline != "" {
		opts.Dockerfile, opts.DockerfileName = []byte(b.DockerfileInline), "Dockerfile"
	} else {
		df := b.Dockerfile
		if df == "" {
			df = "Dockerfile"
		}
		if filepath.IsAbs(df) {
			rel, err := filepath.Rel(b.Context, df)
			if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
				return nil, fmt.Errorf("service %s: dockerfile %s lies outside the build context %s", s.Name, df, b.Context)
			}
			df = rel
		}
		clean := filepath.Clean(df)
		if clean == ".." || strings.HasPrefix(clean, "../") {
			return nil, fmt.Errorf("service %s: dockerfile %s lies outside the build context %s", s.Name, df, b.Context)
		}
		opts.DockerfileInContext, opts.DockerfileName = clean, filepath.Base(clean)
	}
	if len(b.Secrets) > 0 {
		opts.Secrets = map[string]string{}
		for _, sec := range b.Secrets {
			def, ok := x.P.Secrets[sec.Source]
			if !ok || def.File == "" {
				return nil, fmt.Errorf("service %s: build secret %s: only file secrets are supported", s.Name, sec.Source)
			}
			id := sec.Target
			if id == "" {
				id = sec.Source
			}
			opts.Secrets[id] = def.File
		}
	}
	x.progress("Image", ref, "Building")
	img, err := x.H.Build(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("service %s: build: %w", s.Name, err)
	}
	x.progress("Image", ref, "Built")
	return img, nil
}

// attach is foreground up: the services' logs, each line prefixed with its
// container's name, until every container stops; Ctrl-C (or SIGTERM)
// stops the project's containers, as docker compose does.
func (x *Project) attach(ctx context.Context, services []string, interrupted <-chan os.Signal) error {
	cs, err := x.Containers(services, false)
	if err != nil {
		return err
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := x.prefixedLogs(c, true, width(cs), x.Out); err != nil {
				fmt.Fprintf(x.Err, "logs of %s: %v\n", c.Name, err)
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-interrupted:
		// The logs keep flowing while the containers stop (what they
		// print on SIGTERM is shown), as docker compose shows them.
		err := x.gracefulStop(services)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
		return err
	}
}

func width(cs []*container.Container) int {
	w := 0
	for _, c := range cs {
		w = max(w, len(c.Name))
	}
	return w
}

// prefixedLogs copies one container's log to w, each line after
// "NAME  | " as docker compose writes them.
func (x *Project) prefixedLogs(c *container.Container, follow bool, pad int, w io.Writer) error {
	r, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() {
		errc <- x.H.Logs(c.ID, logfile.ReadOptions{Follow: follow, Tail: -1}, pw, pw)
		pw.Close()
	}()
	prefix := fmt.Sprintf("%-*s | ", pad, c.Name)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		logMu.Lock()
		fmt.Fprintf(w, "%s%s\n", prefix, sc.Text())
		logMu.Unlock()
	}
	r.Close()
	return <-errc
}

// logMu keeps lines of different containers whole.
var logMu sync.Mutex

package builders

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hull-project/hull/isolation"
	"github.com/hull-project/hull/plugins/network"
	sdk "github.com/hull-project/hull/plugins/sdk/spec"
)

// buildHostname is the hostname of build containers.
const buildHostname = "buildkitsandbox"

// network is a RUN's network: the step's --network, else the build's,
// else the default user-mode network (as `hull run`). Names and options
// are those of `hull run --network`.
func (b *build) network(step string) (network.Mode, error) {
	if step == "host" && !b.allowed(EntitlementNetworkHost) {
		// The Dockerfile or a plugin asks; only the user can grant it.
		return network.Mode{}, notEntitled("network host", EntitlementNetworkHost)
	}
	n := step
	if n == "" || n == "default" {
		n = b.opts.Network
	}
	return network.ParseMode(n)
}

// startRun starts a RUN's container with its network (the step's
// --network) attached, through the environment's step runner, and returns
// a function that waits for it.
func (b *build) startRun(ctx context.Context, spec *isolation.Spec, stdio isolation.Stdio, step string) (func() (isolation.ExitStatus, error), error) {
	mode, err := b.network(step)
	if err != nil {
		return nil, err
	}
	proc, err := b.env.Steps.StartStep(ctx, StepSpec{Spec: spec, Stdio: stdio, Network: mode, Hostname: buildHostname})
	if err != nil {
		return nil, err
	}
	return func() (isolation.ExitStatus, error) {
		// An interrupted build (SIGINT, SIGTERM, a closed output) ends its
		// step: the runner kills its PID 1 at the end of ctx.
		status, err := proc.Wait()
		if err == nil && ctx.Err() != nil {
			err = context.Cause(ctx)
		}
		if err == nil {
			// What hull mounted over is not what the step made.
			err = isolation.RemoveStubs(spec)
		}
		return status, err
	}, nil
}

// runSpec builds the isolation spec of a RUN: the same isolation as `hull
// run`, on an overlay of the stage's layers and the step's upper dir. Its
// /etc/hostname, /etc/hosts and /etc/resolv.conf are the step runner's to
// add (StepSpec.Hostname and Network).
func (b *build) runSpec(ctx context.Context, st *stageState, ws *workspace, r sdk.RunRequest) (*isolation.Spec, error) {
	if !ws.bound.covers(r.Mounts) {
		ws.unkeyed = true
	}
	layers := st.dirs()
	user, err := b.env.Containers.ResolveUser(r.User, append([]string{ws.upper()}, layers...))
	if err != nil {
		return nil, err
	}
	mode, err := b.network(r.Network)
	if err != nil {
		return nil, err
	}
	mounts, err := b.runMounts(ctx, st, ws, r.Mounts)
	if err != nil {
		return nil, err
	}
	cwd := r.WorkingDir
	if cwd == "" {
		cwd = "/"
	}
	spec := &isolation.Spec{
		ID:             b.id,
		Rootfs:         isolation.Rootfs{Layers: layers, UpperDir: ws.upper(), WorkDir: ws.work(), MountDir: ws.rootfs(), Volatile: true},
		Mapping:        b.env.Mapping,
		Args:           r.Args,
		Env:            b.env.Containers.ProcessEnv(r.Env, buildHostname, user.Home),
		Cwd:            cwd,
		CreateCwd:      true,
		UID:            user.UID,
		GID:            user.GID,
		AdditionalGIDs: user.AdditionalGIDs,
		Hostname:       buildHostname,
		Mounts:         mounts,
		HostNetwork:    mode.Name == network.Host,
		Capabilities:   isolation.DefaultCapabilities(),
		Seccomp:        true,
		RootEmulation:  b.rootEmulation(),
		MaskedPaths:    isolation.DefaultMaskedPaths,
		ReadonlyPaths:  isolation.DefaultReadonlyPaths,
		RecordStubs:    true,
		StateDir:       ws.stateDir(b, "run"),
	}
	sshAuthSock(spec, r.Mounts, b.opts.SSH)
	emulateRun(spec, ws, r.User)
	return spec, nil
}

// sshAuthSock points SSH_AUTH_SOCK at the first ssh agent the step
// mounts, as BuildKit does, unless the step sets it itself.
func sshAuthSock(spec *isolation.Spec, mounts []sdk.RunMount, agents map[string]string) {
	for _, kv := range spec.Env {
		if strings.HasPrefix(kv, "SSH_AUTH_SOCK=") {
			return
		}
	}
	for _, m := range mounts {
		if _, ok := agents[m.ID]; ok && m.Type == "ssh" {
			spec.Env = append(spec.Env, "SSH_AUTH_SOCK="+m.Target)
			return
		}
	}
}

// rootEmulation reports whether RUN steps get the root-emulation filter.
func (b *build) rootEmulation() bool {
	switch b.opts.RootEmulation {
	case "seccomp":
		return true
	case "off":
		return false
	}
	return !b.env.Mapping.IsFull()
}

// runMounts turns RUN --mount requests into mounts, checking each.
func (b *build) runMounts(ctx context.Context, st *stageState, ws *workspace, reqs []sdk.RunMount) ([]isolation.Mount, error) {
	var out []isolation.Mount
	for i, m := range reqs {
		if !filepath.IsAbs(m.Target) {
			return nil, fmt.Errorf("--mount target %q must be absolute", m.Target)
		}
		switch m.Type {
		case "cache":
			dir, err := b.cacheMountDir(m)
			if err != nil {
				return nil, err
			}
			out = append(out, isolation.Mount{Type: "bind", Source: dir, Destination: m.Target, Options: roOpt(m.ReadOnly)})
		case "tmpfs":
			opts := []string{"mode=1777"}
			if m.Size > 0 {
				opts = append(opts, fmt.Sprintf("size=%d", m.Size))
			}
			out = append(out, isolation.Mount{Type: "tmpfs", Destination: m.Target, Options: opts})
		case "bind":
			mnt, err := b.bindMount(ctx, st, m)
			if err != nil {
				return nil, err
			}
			if !m.ReadOnly {
				if mnt.Scratch, err = ws.scratch(i); err != nil {
					return nil, err
				}
				mnt.Options = nil
			}
			out = append(out, mnt)
		case "ssh":
			sock, ok := b.opts.SSH[m.ID]
			if !ok && m.Required {
				return nil, fmt.Errorf("--mount=type=ssh,id=%s,required=true: no ssh agent %q was given (hull build --ssh %s[=SOCKET])", m.ID, m.ID, m.ID)
			}
			if !ok {
				// As BuildKit without the agent: nothing is mounted.
				continue
			}
			out = append(out, isolation.Mount{Type: "bind", Source: sock, Destination: m.Target})
		case "secret":
			mnt, ok, err := b.secretMount(m)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, mnt)
			}
		default:
			return nil, fmt.Errorf("--mount type %q is not supported", m.Type)
		}
	}
	return out, nil
}

func roOpt(ro bool) []string {
	if ro {
		return []string{"ro"}
	}
	return nil
}

// cacheMountDir is a persistent directory per cache id (default: the
// target), shared by builds.
func (b *build) cacheMountDir(m sdk.RunMount) (string, error) {
	id := m.ID
	if id == "" {
		id = m.Target
	}
	sum := shortHash(id)
	dir := filepath.Join(b.env.CacheDir, "mounts", sum)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("cache mount %s: %w", id, err)
	}
	// The dir's time is its last use: `builder prune --filter until=`
	// keeps those used since.
	t := time.Now()
	_ = os.Chtimes(dir, t, t)
	return dir, nil
}

// bindMount binds a context path (read-only, as BuildKit's default) or a
// stage's or image's tree. With rw the caller gives it a scratch dir:
// writable, the writes discarded with the step, as BuildKit's; the
// context (the user's directory) and the stage are never written.
func (b *build) bindMount(ctx context.Context, st *stageState, m sdk.RunMount) (isolation.Mount, error) {
	if dir, ok := b.namedDir(st, m.From); ok && m.From != "" {
		src, err := resolveInContext(dir, m.Source)
		if err != nil {
			return isolation.Mount{}, err
		}
		return isolation.Mount{Type: "bind", Source: src, Destination: m.Target, Options: []string{"ro"}}, nil
	}
	if m.From != "" {
		src, err := b.fromSource(ctx, st, m.From)
		if err != nil {
			return isolation.Mount{}, err
		}
		return isolation.Mount{Type: "layers", Layers: src.dirs(), Source: m.Source, Destination: m.Target}, nil
	}
	src, err := resolveInContext(b.opts.ContextDir, m.Source)
	if err != nil {
		return isolation.Mount{}, err
	}
	return isolation.Mount{Type: "bind", Source: src, Destination: m.Target, Options: []string{"ro"}}, nil
}

// secretMount binds the file given by --secret id=ID,src=FILE.
func (b *build) secretMount(m sdk.RunMount) (isolation.Mount, bool, error) {
	id := m.ID
	if id == "" {
		id = filepath.Base(m.Target)
	}
	src, ok := b.opts.Secrets[id]
	if !ok && m.Required {
		return isolation.Mount{}, false, fmt.Errorf("--mount=type=secret,id=%s,required=true: secret %q was not given (hull build --secret id=%s,src=FILE)", id, id, id)
	}
	if !ok {
		// As in BuildKit, a secret that was not given is simply absent.
		return isolation.Mount{}, false, nil
	}
	target := m.Target
	if target == "" || target == "/" {
		target = "/run/secrets/" + id
	}
	return isolation.Mount{Type: "bind", Source: src, Destination: target, Options: []string{"ro"}}, true, nil
}

// runTask runs a hull task (copy, read, mkdir, diff) inside the step's
// namespaces, with the step's overlay mounted.
func (b *build) runTask(ctx context.Context, st *stageState, ws *workspace, name string, args any, sources []isolation.TaskSource, stdout io.Writer) error {
	data, err := json.Marshal(args)
	if err != nil {
		return err
	}
	spec := &isolation.Spec{
		ID:       b.id,
		Rootfs:   isolation.Rootfs{Layers: st.dirs(), UpperDir: ws.upper(), WorkDir: ws.work(), MountDir: ws.rootfs(), Volatile: true},
		Mapping:  b.env.Mapping,
		Task:     &isolation.Task{Name: name, Args: data, Sources: sources},
		StateDir: ws.stateDir(b, name),
	}
	return b.startTask(ctx, spec, stdout)
}

func (b *build) startTask(ctx context.Context, spec *isolation.Spec, stdout io.Writer) error {
	var stderr bytes.Buffer
	proc, err := b.env.Steps.StartStep(ctx, StepSpec{Spec: spec, Stdio: isolation.Stdio{Stdout: stdout, Stderr: &stderr}})
	if err != nil {
		return err
	}
	status, err := proc.Wait()
	if err != nil {
		return err
	}
	if status.Code != 0 {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = fmt.Sprintf("exit code %d", status.Code)
		}
		return fmt.Errorf("%s: %s", spec.Task.Name, msg)
	}
	return nil
}

// diffTask writes the tar of an upper dir from inside the user namespace,
// where files of every mapped owner are readable.
func (b *build) diffTask(ctx context.Context, ws *workspace, w io.Writer) error {
	data, _ := json.Marshal(diffArgs{Dir: ws.upper()})
	spec := &isolation.Spec{ID: b.id, Mapping: b.env.Mapping,
		Task:     &isolation.Task{Name: "diff", Args: data},
		StateDir: ws.stateDir(b, "diff")}
	return b.startTask(ctx, spec, w)
}

// mkdir creates a WORKDIR in the step's upper dir.
func (b *build) mkdir(ctx context.Context, st *stageState, ws *workspace, dir string) error {
	if err := ws.ensure(); err != nil {
		return err
	}
	return b.runTask(ctx, st, ws, "mkdir", mkdirArgs{Path: dir}, nil, nil)
}

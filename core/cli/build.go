package cli

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	units "github.com/docker/go-units"
	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core"
	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/core/image"
	"github.com/hull-project/hull/core/remotecache"
	"github.com/hull-project/hull/plugins"
)

func buildCommand() *cli.Command {
	return &cli.Command{
		Name:      "build",
		Usage:     "Build an image from a Dockerfile",
		ArgsUsage: "PATH|-",
		Flags: []cli.Flag{
			sliceFlag("tag", "t", "name and optionally a tag in the 'name:tag' format"),
			&cli.StringFlag{Name: "file", Aliases: []string{"f"}, Usage: "name of the Dockerfile (default: 'PATH/Dockerfile'; '-' reads it from stdin)"},
			// Docker's `-f-`, which the flag parser would read as a flag
			// named "f-".
			&cli.BoolFlag{Name: "f-", Hidden: true},
			sliceFlag("build-arg", "", "set build-time variables"),
			&cli.StringFlag{Name: "target", Usage: "set the target build stage to build"},
			&cli.BoolFlag{Name: "no-cache", Usage: "do not use cache when building the image"},
			&cli.StringFlag{Name: "network", Usage: "networking mode for the RUN instructions: default (bridge, user-mode), none, host, slirp4netns or a network plugin, with options as in run"},
			sliceFlag("allow", "", "grant an entitlement to the Dockerfile: network.host (RUN --network=host, ADD from the host's own addresses), device (--device)"),
			sliceFlag("device", "", "give every RUN step a device (as run --device; needs --allow device)"),
			sliceFlag("cdi-spec-dir", "", "read CDI specs from DIR instead of the default directories"),
			sliceFlag("label", "", "set metadata for an image"),
			&cli.StringFlag{Name: "progress", Value: "auto", Usage: "type of progress output: auto (tty on a terminal, else plain), plain, tty or quiet"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "suppress the build output and print the image ID on success"},
			&cli.StringFlag{Name: "iidfile", Usage: "write the image ID to the file"},
			sliceFlag("secret", "", "secret to expose to the build: id=ID,src=FILE"),
			sliceFlag("plugin-dir", "", "also look for instruction plugins in this directory"),
			sliceFlag("plugin-checksum", "", "refuse plugin NAME unless its sha256 is SUM: NAME=SUM"),
			&cli.StringFlag{Name: "platform", Usage: "target platform (accepted when it is this host's)"},
			&cli.StringFlag{Name: "root-emulation", Usage: "fake chown/setuid/mknod success in RUN: off or seccomp (default: seccomp without a subordinate id range)"},
			// The limits of `hull run`, applied to every RUN step.
			&cli.StringFlag{Name: "memory", Aliases: []string{"m"}, Usage: "memory limit of each RUN step (e.g. 512m, 2g)"},
			&cli.StringFlag{Name: "memory-swap", Usage: "memory plus swap limit of each RUN step; -1 for unlimited swap"},
			&cli.StringFlag{Name: "cpus", Usage: "number of CPUs for each RUN step (e.g. 1.5)"},
			&cli.Int64Flag{Name: "cpu-shares", Usage: "CPU shares (relative weight) of RUN steps"},
			&cli.Int64Flag{Name: "pids-limit", Usage: "maximum number of processes in each RUN step"},
			sliceFlag("ulimit", "", "ulimit options for RUN steps: NAME=SOFT[:HARD]"),
			&cli.BoolFlag{Name: "strict-limits", Usage: "fail rather than warn when a limit cannot be enforced on this host"},
			&cli.StringFlag{Name: "shm-size", Usage: "size of /dev/shm of the RUN steps (default 64m)"},
			sliceFlag("cache-from", "", "replay steps from a cache: type=local,src=DIR, type=registry,ref=REF or REF"),
			sliceFlag("cache-to", "", "export the build's steps: type=local,dest=DIR or type=registry,ref=REF, with mode=min (the final image's steps) or max (every stage's)"),
			sliceFlag("ssh", "", "SSH agent socket for RUN --mount=type=ssh: default (the $SSH_AUTH_SOCK agent), ID=SOCKET or default=SOCKET"),
			sliceFlag("build-context", "", "additional build context: NAME=DIR or NAME=docker-image://REF (for FROM NAME, COPY --from=NAME, RUN --mount from=NAME)"),
			&cli.BoolFlag{Name: "pull", Usage: "always pull the images the Dockerfile names, even when stored"},
			sliceFlag("add-host", "", "add a custom host-to-IP mapping to the RUN steps' /etc/hosts (NAME:IP, IP may be host-gateway)"),
			sliceFlag("output", "o", "export the result: type=local,dest=DIR | type=tar|oci|docker,dest=FILE (- is stdout) | DIR"),
			// hull never keeps a step's container: it runs in the step's
			// own namespaces and is gone when the step ends, successful or
			// not. The flags are accepted for scripts written for Docker.
			&cli.BoolFlag{Name: "rm", Value: true, Usage: "accepted: hull never keeps intermediate containers"},
			&cli.BoolFlag{Name: "force-rm", Usage: "accepted: hull never keeps intermediate containers"},
		},
		Action: buildImage,
	}
}

func buildImage(c *cli.Context) error {
	if err := needArgs(c, 1, 1); err != nil {
		return err
	}
	if full, err := handOverBuild(c); full {
		return err
	}
	opts, err := buildOptions(c)
	if err != nil {
		return err
	}
	h, err := openHull(c)
	if err != nil {
		return err
	}
	img, err := runBuild(c, h, opts)
	if err != nil {
		return err
	}
	if f := c.String("iidfile"); f != "" {
		if err := os.WriteFile(f, []byte(img.ID), 0o644); err != nil {
			return fmt.Errorf("write iidfile: %w", err)
		}
	}
	if c.Bool("quiet") {
		fmt.Fprintln(c.App.Writer, img.ID)
	}
	return nil
}

// buildOptions turns the flags into the core's options.
func buildOptions(c *cli.Context) (core.BuildOptions, error) {
	var opts core.BuildOptions
	ctxArg := c.Args().First()
	progress := c.String("progress")
	switch progress {
	case "auto", "plain", "tty", "quiet", "rawjson":
	default:
		return opts, fmt.Errorf("invalid --progress %q: auto, plain, tty or quiet", progress)
	}
	if c.Bool("quiet") {
		progress = "quiet"
	}
	opts.Progress, opts.Out = progress, c.App.ErrWriter
	opts.Tags = c.StringSlice("tag")
	for _, t := range opts.Tags {
		// Before any step runs, as Docker: a bad name must not cost a whole build.
		if _, err := image.NormalizeRef(t); err != nil {
			return opts, fmt.Errorf("invalid argument %q for \"-t, --tag\" flag: %w", t, err)
		}
	}
	opts.Target = c.String("target")
	opts.NoCache = c.Bool("no-cache")
	opts.Network = c.String("network")
	opts.Allow = c.StringSlice("allow")
	opts.Devices, opts.CDISpecDirs = c.StringSlice("device"), c.StringSlice("cdi-spec-dir")
	opts.Platform = c.String("platform")
	opts.RootEmulation = c.String("root-emulation")
	opts.Pull = c.Bool("pull")
	named, err := namedContexts(c.StringSlice("build-context"))
	if err != nil {
		return opts, err
	}
	opts.NamedContexts = named
	if v := c.String("shm-size"); v != "" {
		n, err := units.RAMInBytes(v)
		if err != nil || n <= 0 {
			return opts, fmt.Errorf("invalid --shm-size %q: a size such as 64m or 1g", v)
		}
		opts.ShmSize = n
	}
	if opts.SSH, err = sshAgents(c.StringSlice("ssh")); err != nil {
		return opts, err
	}
	for _, v := range c.StringSlice("cache-from") {
		spec, err := remotecache.ParseFrom(v)
		if err != nil {
			return opts, err
		}
		opts.CacheFrom = append(opts.CacheFrom, spec)
	}
	for _, v := range c.StringSlice("cache-to") {
		spec, err := remotecache.ParseTo(v)
		if err != nil {
			return opts, err
		}
		opts.CacheTo = append(opts.CacheTo, spec)
	}
	opts.ExtraHosts = c.StringSlice("add-host")
	for _, h := range opts.ExtraHosts {
		if _, _, err := container.ParseAddHost(h); err != nil {
			return opts, err
		}
	}
	if outs := c.StringSlice("output"); len(outs) > 0 {
		if len(outs) > 1 {
			return opts, fmt.Errorf("only one --output is supported")
		}
		o, err := core.ParseBuildOutput(outs[0])
		if err != nil {
			return opts, err
		}
		opts.Output, opts.Stdout = &o, c.App.Writer
		if o.Dest == "-" && c.Bool("quiet") {
			return opts, fmt.Errorf("--output with dest=- writes to stdout: it cannot go with --quiet")
		}
	}
	if opts.Limits, err = container.ParseLimits(container.LimitOptions{Memory: c.String("memory"),
		MemorySwap: c.String("memory-swap"), CPUs: c.String("cpus"), CPUShares: c.Int64("cpu-shares"),
		PidsLimit: c.Int64("pids-limit"), Ulimits: c.StringSlice("ulimit"), StrictLimits: c.Bool("strict-limits")}); err != nil {
		return opts, err
	}
	if opts.BuildArgs, err = buildArgs(c.StringSlice("build-arg")); err != nil {
		return opts, err
	}
	if opts.Labels, err = keyValues("label", c.StringSlice("label")); err != nil {
		return opts, err
	}
	if opts.Secrets, err = secrets(c.StringSlice("secret")); err != nil {
		return opts, err
	}
	opts.Plugins = core.PluginOptions{Dirs: c.StringSlice("plugin-dir"), Pins: plugins.Pins{}, Log: c.App.ErrWriter}
	for _, p := range c.StringSlice("plugin-checksum") {
		name, sum, err := plugins.ParsePin(p)
		if err != nil {
			return opts, err
		}
		opts.Plugins.Pins[name] = plugins.Pin{SHA256: sum, Source: plugins.FlagPinSource}
	}
	if err := dockerfileAndContext(c, ctxArg, &opts); err != nil {
		return opts, err
	}
	return opts, nil
}

// dockerfileAndContext reads the Dockerfile (-f, -f -, or PATH/Dockerfile)
// and sets the context (a directory, or a tar on stdin for "-").
func dockerfileAndContext(c *cli.Context, ctxArg string, opts *core.BuildOptions) error {
	file := c.String("file")
	if c.Bool("f-") {
		file = "-"
	}
	if ctxArg == "-" {
		return stdinContext(file, opts)
	}
	abs, err := filepath.Abs(ctxArg)
	if err != nil {
		return err
	}
	if st, err := os.Stat(abs); err != nil || !st.IsDir() {
		return fmt.Errorf("unable to prepare context: path %q not found", ctxArg)
	}
	opts.ContextDir = abs
	var data []byte
	switch {
	case file == "-":
		data, err = io.ReadAll(os.Stdin)
		opts.DockerfileName = "Dockerfile"
	default:
		// The context is the Dockerfile's author's: a Dockerfile found
		// there (the default, or -f naming a path in it) is read by the
		// engine inside the context, where its symlinks cannot reach the
		// host. A -f outside the context is the user's own choice.
		if file == "" {
			file = filepath.Join(opts.ContextDir, "Dockerfile")
		}
		opts.DockerfileName = filepath.Base(file)
		if rel, ok := inContext(opts.ContextDir, file); ok {
			opts.DockerfileInContext = rel
			return nil
		}
		data, err = os.ReadFile(file)
		opts.DockerfileDir = filepath.Dir(file)
	}
	if err != nil {
		return fmt.Errorf("read Dockerfile: %w", err)
	}
	opts.Dockerfile = data
	return nil
}

// stdinContext reads `build -`'s stdin, as Docker: a context archive
// whose Dockerfile is at -f's path in it (default Dockerfile at its
// root), read inside the unpacked context and never from the host; or
// else a Dockerfile alone, with an empty context.
func stdinContext(file string, opts *core.BuildOptions) error {
	if file == "-" {
		return fmt.Errorf("cannot read both the Dockerfile and the context from stdin")
	}
	in := bufio.NewReaderSize(os.Stdin, 1<<16)
	if isArchive(in) {
		opts.ContextTar = in
		if file == "" {
			file = "Dockerfile"
		}
		opts.DockerfileInContext = strings.TrimPrefix(path.Clean("/"+filepath.ToSlash(file)), "/")
		opts.DockerfileName = path.Base(opts.DockerfileInContext)
		return nil
	}
	data, err := io.ReadAll(in)
	if err != nil {
		return fmt.Errorf("read Dockerfile from stdin: %w", err)
	}
	if file != "" {
		return fmt.Errorf("stdin is not a context archive: -f %s cannot be read from it", file)
	}
	opts.ContextTar = emptyTar()
	opts.Dockerfile, opts.DockerfileName = data, "Dockerfile"
	return nil
}

// sshAgents parses --ssh default | ID=SOCKET: each must be a socket.
func sshAgents(vals []string) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range vals {
		id, sock, ok := strings.Cut(v, "=")
		if !ok {
			sock = os.Getenv("SSH_AUTH_SOCK")
			if sock == "" {
				return nil, fmt.Errorf("invalid --ssh %q: SSH_AUTH_SOCK is not set; give ID=SOCKET", v)
			}
		}
		if id == "" || strings.Contains(sock, ",") {
			return nil, fmt.Errorf("invalid --ssh %q: want default or ID=SOCKET (one socket)", v)
		}
		abs, err := filepath.Abs(sock)
		if err != nil {
			return nil, err
		}
		if st, err := os.Stat(abs); err != nil || st.Mode().Type() != os.ModeSocket {
			return nil, fmt.Errorf("invalid --ssh %q: %s is not a socket", v, sock)
		}
		out[id] = abs
	}
	return out, nil
}

// namedContexts parses --build-context NAME=DIR|docker-image://REF.
func namedContexts(vals []string) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range vals {
		name, val, ok := strings.Cut(v, "=")
		if !ok || name == "" || val == "" {
			return nil, fmt.Errorf("invalid --build-context %q: want NAME=DIR or NAME=docker-image://REF", v)
		}
		name = strings.ToLower(name)
		switch {
		case strings.HasPrefix(val, "docker-image://"):
			if _, err := image.NormalizeRef(strings.TrimPrefix(val, "docker-image://")); err != nil {
				return nil, fmt.Errorf("invalid --build-context %q: %w", v, err)
			}
		case strings.Contains(val, "://") || strings.HasPrefix(val, "target:"):
			return nil, fmt.Errorf("invalid --build-context %q: only a directory or docker-image://REF is supported", v)
		default:
			abs, err := filepath.Abs(val)
			if err != nil {
				return nil, err
			}
			if st, err := os.Stat(abs); err != nil || !st.IsDir() {
				return nil, fmt.Errorf("invalid --build-context %q: %s is not a directory", v, val)
			}
			val = abs
		}
		out[name] = val
	}
	return out, nil
}

// isArchive reports whether r starts with a tar archive, plain or
// compressed (gzip, bzip2, xz, zstd), as Docker tells a context from a
// Dockerfile on stdin.
func isArchive(r *bufio.Reader) bool {
	head, _ := r.Peek(512)
	for _, magic := range [][]byte{{0x1f, 0x8b}, []byte("BZh"), {0xfd, '7', 'z', 'X', 'Z', 0}, {0x28, 0xb5, 0x2f, 0xfd}} {
		if bytes.HasPrefix(head, magic) {
			return true
		}
	}
	return len(head) >= 262 && bytes.Equal(head[257:262], []byte("ustar"))
}

// emptyTar is an empty context: a tar of two zero blocks.
func emptyTar() io.Reader { return bytes.NewReader(make([]byte, 1024)) }

// inContext returns file's path relative to the context dir when it lies
// inside it (lexically, as the user named it).
func inContext(ctxDir, file string) (string, bool) {
	if ctxDir == "" {
		return "", false
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return "", false
	}
	rel, err := filepath.Rel(ctxDir, abs)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", false
	}
	return rel, true
}

// buildArgs parses --build-arg NAME=VALUE; NAME alone takes the host's
// environment value, as Docker does.
func buildArgs(vals []string) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range vals {
		name, val, ok := strings.Cut(v, "=")
		if name == "" {
			return nil, fmt.Errorf("invalid --build-arg %q", v)
		}
		if !ok {
			env, set := os.LookupEnv(name)
			if !set {
				continue
			}
			val = env
		}
		out[name] = val
	}
	return out, nil
}

func keyValues(flag string, vals []string) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range vals {
		k, val, _ := strings.Cut(v, "=")
		if k == "" {
			return nil, fmt.Errorf("invalid --%s %q", flag, v)
		}
		out[k] = val
	}
	return out, nil
}

// secrets parses --secret id=ID,src=FILE (also source=, and type=file).
func secrets(vals []string) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range vals {
		var id, src string
		for _, kv := range strings.Split(v, ",") {
			k, val, _ := strings.Cut(kv, "=")
			switch k {
			case "id":
				id = val
			case "src", "source":
				src = val
			case "type":
				if val != "file" {
					return nil, fmt.Errorf("invalid --secret %q: only type=file is supported", v)
				}
			default:
				return nil, fmt.Errorf("invalid --secret %q: unknown key %q", v, k)
			}
		}
		if id == "" || src == "" {
			return nil, fmt.Errorf("invalid --secret %q: want id=ID,src=FILE", v)
		}
		abs, err := filepath.Abs(src)
		if err != nil {
			return nil, err
		}
		if _, err := os.Stat(abs); err != nil {
			return nil, fmt.Errorf("secret %s: %w", id, err)
		}
		out[id] = abs
	}
	return out, nil
}

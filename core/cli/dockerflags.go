package cli

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core"
)

// What hull does with a flag of `docker run`/`docker create` or
// `docker build` (docs/docker-flags.md is written from this table; the
// test beside it checks both against hull's commands).
type flagStatus string

const (
	// flagSupported: hull's command defines the flag and does what
	// Docker's does (with the rootless meaning where the note says).
	flagSupported flagStatus = "supported"
	// flagIgnored: hull's command accepts the flag and does nothing with
	// it; the note says why that is right.
	flagIgnored flagStatus = "accepted, ignored"
	// flagRefused: hull's command knows the flag only to refuse it with
	// the note as the message (exit 125), instead of urfave's "flag
	// provided but not defined".
	flagRefused flagStatus = "refused"
	// flagHullOnly: a flag of hull's that Docker does not have.
	flagHullOnly flagStatus = "hull only"
)

// dockerFlag is one row. Short is Docker's one-letter form, Bool that the
// flag takes no value.
type dockerFlag struct {
	Name, Short string
	Bool        bool
	Status      flagStatus
	Note        string
}

// dockerRunFlags are `docker run --help` and `docker create --help`
// (docker/cli 28: cli/command/container/opts.go and run.go; create has
// all but -d, --sig-proxy, --detach-keys).
var dockerRunFlags = []dockerFlag{
	{Name: "add-host", Status: flagSupported},
	{Name: "annotation", Status: flagRefused, Note: "OCI annotations are not supported: hull's runtime reads none"},
	{Name: "attach", Short: "a", Status: flagSupported, Note: "streams not named are not connected"},
	{Name: "blkio-weight", Status: flagRefused, Note: "block I/O limits are not supported (no io controller is delegated to rootless users by default)"},
	{Name: "blkio-weight-device", Status: flagRefused, Note: "block I/O limits are not supported"},
	{Name: "cap-add", Status: flagSupported},
	{Name: "cap-drop", Status: flagSupported},
	{Name: "cgroup-parent", Status: flagRefused, Note: "hull places containers under its own delegated cgroup"},
	{Name: "cgroupns", Status: flagRefused, Note: "every container has a private cgroup namespace"},
	{Name: "cidfile", Status: flagSupported},
	{Name: "cpu-count", Status: flagRefused, Note: "Windows only"},
	{Name: "cpu-percent", Status: flagRefused, Note: "Windows only"},
	{Name: "cpu-period", Status: flagRefused, Note: "use --cpus"},
	{Name: "cpu-quota", Status: flagRefused, Note: "use --cpus"},
	{Name: "cpu-rt-period", Status: flagRefused, Note: "real-time scheduling is not available rootless"},
	{Name: "cpu-rt-runtime", Status: flagRefused, Note: "real-time scheduling is not available rootless"},
	{Name: "cpu-shares", Short: "c", Status: flagSupported},
	{Name: "cpus", Status: flagSupported},
	{Name: "cpuset-cpus", Status: flagRefused, Note: "cpuset limits are not supported"},
	{Name: "cpuset-mems", Status: flagRefused, Note: "cpuset limits are not supported"},
	{Name: "detach", Short: "d", Bool: true, Status: flagSupported},
	{Name: "detach-keys", Status: flagSupported, Note: "on a foreground run -it (default ctrl-p,ctrl-q)"},
	{Name: "device", Status: flagSupported},
	{Name: "device-cgroup-rule", Status: flagRefused, Note: "device cgroup rules need root: rootless containers get only the devices bound with --device"},
	{Name: "device-read-bps", Status: flagRefused, Note: "block I/O limits are not supported"},
	{Name: "device-read-iops", Status: flagRefused, Note: "block I/O limits are not supported"},
	{Name: "device-write-bps", Status: flagRefused, Note: "block I/O limits are not supported"},
	{Name: "device-write-iops", Status: flagRefused, Note: "block I/O limits are not supported"},
	{Name: "disable-content-trust", Bool: true, Status: flagIgnored, Note: "hull has no content trust (Notary) to disable; pulled content is verified by digest"},
	{Name: "dns", Status: flagSupported},
	{Name: "dns-option", Status: flagRefused, Note: "resolver options are not supported"},
	{Name: "dns-opt", Status: flagRefused, Note: "resolver options are not supported"},
	{Name: "dns-search", Status: flagSupported},
	{Name: "domainname", Status: flagRefused, Note: "a NIS domain name is not supported"},
	{Name: "entrypoint", Status: flagSupported},
	{Name: "env", Short: "e", Status: flagSupported},
	{Name: "env-file", Status: flagSupported},
	{Name: "expose", Status: flagSupported},
	{Name: "gpus", Status: flagSupported},
	{Name: "group-add", Status: flagSupported},
	{Name: "health-cmd", Status: flagSupported},
	{Name: "health-interval", Status: flagSupported},
	{Name: "health-retries", Status: flagSupported},
	{Name: "health-start-interval", Status: flagRefused, Note: "not supported: the check runs every --health-interval from the start"},
	{Name: "health-start-period", Status: flagSupported},
	{Name: "health-timeout", Status: flagSupported},
	{Name: "help", Bool: true, Status: flagSupported},
	{Name: "hostname", Short: "h", Status: flagSupported},
	{Name: "init", Bool: true, Status: flagSupported},
	{Name: "interactive", Short: "i", Bool: true, Status: flagSupported},
	{Name: "io-maxbandwidth", Status: flagRefused, Note: "Windows only"},
	{Name: "io-maxiops", Status: flagRefused, Note: "Windows only"},
	{Name: "ip", Status: flagSupported, Note: "on the first named network"},
	{Name: "ip6", Status: flagRefused, Note: "IPv6 on named networks is not supported yet"},
	{Name: "ipc", Status: flagSupported, Note: "private (default, also shareable), host (the user's own IPC namespace and /dev/shm, as rootless Podman) or container:NAME (its IPC namespace and /dev/shm, in its user namespace)"},
	{Name: "isolation", Status: flagIgnored, Note: "Windows only; Linux has the default isolation"},
	{Name: "kernel-memory", Status: flagRefused, Note: "deprecated by Docker and the kernel"},
	{Name: "label", Short: "l", Status: flagSupported},
	{Name: "label-file", Status: flagSupported},
	{Name: "link", Status: flagRefused, Note: "legacy links: use a named network (hull network create), whose DNS answers container names"},
	{Name: "link-local-ip", Status: flagRefused, Note: "not supported"},
	{Name: "log-driver", Status: flagSupported, Note: "json-file (the default) or none"},
	{Name: "log-opt", Status: flagSupported, Note: "max-size, max-file"},
	{Name: "mac-address", Status: flagRefused, Note: "not supported: named networks derive the MAC from the address"},
	{Name: "memory", Short: "m", Status: flagSupported},
	{Name: "memory-reservation", Status: flagRefused, Note: "soft memory limits are not supported"},
	{Name: "memory-swap", Status: flagSupported},
	{Name: "memory-swappiness", Status: flagRefused, Note: "not supported"},
	{Name: "mount", Status: flagSupported},
	{Name: "name", Status: flagSupported},
	{Name: "network", Status: flagSupported, Note: "also container:NAME (its network namespace, in its user namespace)"},
	{Name: "net", Status: flagSupported, Note: "Docker's hidden alias of --network"},
	{Name: "network-alias", Status: flagSupported},
	{Name: "net-alias", Status: flagSupported, Note: "Docker's hidden alias of --network-alias"},
	{Name: "no-healthcheck", Bool: true, Status: flagSupported},
	{Name: "oom-kill-disable", Bool: true, Status: flagRefused, Note: "not supported"},
	{Name: "oom-score-adj", Status: flagRefused, Note: "not supported yet"},
	{Name: "pid", Status: flagSupported, Note: "private (default), host (the host's PID namespace and /proc, as rootless Podman) or container:NAME (in its user namespace)"},
	{Name: "pids-limit", Status: flagSupported},
	{Name: "platform", Status: flagSupported},
	{Name: "privileged", Bool: true, Status: flagSupported, Note: "rootless meaning, as Podman's (docs/security.md)"},
	{Name: "publish", Short: "p", Status: flagSupported},
	{Name: "publish-all", Short: "P", Bool: true, Status: flagSupported},
	{Name: "pull", Status: flagSupported},
	{Name: "quiet", Short: "q", Bool: true, Status: flagSupported},
	{Name: "read-only", Bool: true, Status: flagSupported},
	{Name: "restart", Status: flagSupported},
	{Name: "rm", Bool: true, Status: flagSupported},
	{Name: "runtime", Status: flagRefused, Note: "hull is its own runtime"},
	{Name: "security-opt", Status: flagSupported},
	{Name: "shm-size", Status: flagSupported},
	{Name: "sig-proxy", Bool: true, Status: flagSupported, Note: "false: the container runs under its monitor and a signal to hull detaches (exit 128+signal), as Docker's client"},
	{Name: "stop-signal", Status: flagSupported},
	{Name: "stop-timeout", Status: flagSupported},
	{Name: "storage-opt", Status: flagRefused, Note: "storage options are not supported"},
	{Name: "sysctl", Status: flagSupported, Note: "namespaced ones only, as Docker"},
	{Name: "tmpfs", Status: flagSupported},
	{Name: "tty", Short: "t", Bool: true, Status: flagSupported},
	{Name: "ulimit", Status: flagSupported},
	{Name: "use-api-socket", Bool: true, Status: flagRefused, Note: "hull has no API socket"},
	{Name: "user", Short: "u", Status: flagSupported},
	{Name: "userns", Status: flagSupported},
	{Name: "uts", Status: flagSupported, Note: "private (default), host (the host's UTS namespace and name) or container:NAME (in its user namespace)"},
	{Name: "volume", Short: "v", Status: flagSupported},
	{Name: "volume-driver", Status: flagRefused, Note: "only the local volume driver exists"},
	{Name: "volumes-from", Status: flagSupported},
	{Name: "workdir", Short: "w", Status: flagSupported},
	// hull's own.
	{Name: "pod", Status: flagHullOnly, Note: "join a pod (Podman's --pod)"},
	{Name: "strict-limits", Bool: true, Status: flagHullOnly, Note: "refuse limits no cgroup enforces"},
	{Name: "timeout", Status: flagHullOnly, Note: "kill the container after a time"},
	{Name: "cdi-spec-dir", Status: flagHullOnly, Note: "where CDI specs are looked up (Podman's)"},
	{Name: "plugin-dir", Status: flagHullOnly, Note: "run only: where network plugins are looked up"},
	{Name: "result", Status: flagHullOnly, Note: "run only: the outcome as JSON"},
}

// dockerBuildFlags are `docker build --help`: docker/cli 28's
// cli/command/image/build.go, and the buildx flags issue 17 names.
var dockerBuildFlags = []dockerFlag{
	{Name: "add-host", Status: flagSupported},
	{Name: "build-arg", Status: flagSupported},
	{Name: "cache-from", Status: flagSupported, Note: "type=local,src=DIR, type=registry,ref=REF or REF: hull's own cache format (BuildKit cannot read it, nor hull BuildKit's)"},
	{Name: "cgroup-parent", Status: flagRefused, Note: "hull places build steps under its own delegated cgroup"},
	{Name: "compress", Bool: true, Status: flagIgnored, Note: "the context is read in place, never sent"},
	{Name: "cpu-period", Status: flagRefused, Note: "use --cpus"},
	{Name: "cpu-quota", Status: flagRefused, Note: "use --cpus"},
	{Name: "cpu-shares", Status: flagSupported, Note: "without Docker's -c"},
	{Name: "cpuset-cpus", Status: flagRefused, Note: "cpuset limits are not supported"},
	{Name: "cpuset-mems", Status: flagRefused, Note: "cpuset limits are not supported"},
	{Name: "disable-content-trust", Bool: true, Status: flagIgnored, Note: "hull has no content trust (Notary) to disable"},
	{Name: "file", Short: "f", Status: flagSupported},
	{Name: "force-rm", Bool: true, Status: flagSupported, Note: "accepted: hull keeps no intermediate containers"},
	{Name: "help", Bool: true, Status: flagSupported},
	{Name: "iidfile", Status: flagSupported},
	{Name: "isolation", Status: flagIgnored, Note: "Windows only"},
	{Name: "label", Status: flagSupported},
	{Name: "memory", Short: "m", Status: flagSupported},
	{Name: "memory-swap", Status: flagSupported},
	{Name: "network", Status: flagSupported},
	{Name: "no-cache", Bool: true, Status: flagSupported},
	{Name: "platform", Status: flagSupported},
	{Name: "pull", Bool: true, Status: flagSupported},
	{Name: "quiet", Short: "q", Bool: true, Status: flagSupported},
	{Name: "rm", Bool: true, Status: flagSupported, Note: "accepted: hull keeps no intermediate containers"},
	{Name: "security-opt", Status: flagRefused, Note: "build steps run with the default profile"},
	{Name: "shm-size", Status: flagSupported, Note: "of RUN steps"},
	{Name: "squash", Bool: true, Status: flagRefused, Note: "experimental in Docker; not supported"},
	{Name: "tag", Short: "t", Status: flagSupported},
	{Name: "target", Status: flagSupported},
	{Name: "ulimit", Status: flagSupported},
	// buildx's (the builder of docker build since Docker 23).
	{Name: "allow", Status: flagSupported, Note: "buildx's entitlements"},
	{Name: "build-context", Status: flagSupported, Note: "buildx's: NAME=DIR|docker-image://REF"},
	{Name: "cache-to", Status: flagSupported, Note: "type=local,dest=DIR or type=registry,ref=REF, mode=min|max, ignore-error=true; uncompressed layers, hull's own format"},
	{Name: "output", Short: "o", Status: flagSupported, Note: "buildx's: type=local|tar|oci|docker"},
	{Name: "progress", Status: flagSupported, Note: "buildx's"},
	{Name: "secret", Status: flagSupported, Note: "buildx's"},
	{Name: "ssh", Status: flagSupported, Note: "buildx's: default or ID=SOCKET; RUN --mount=type=ssh,required=true fails without it"},
	// hull's own.
	{Name: "cpus", Status: flagHullOnly, Note: "CPU limit of RUN steps"},
	{Name: "pids-limit", Status: flagHullOnly, Note: "process limit of RUN steps"},
	{Name: "strict-limits", Bool: true, Status: flagHullOnly, Note: "refuse limits no cgroup enforces"},
	{Name: "device", Status: flagHullOnly, Note: "devices for RUN steps (Podman's build --device)"},
	{Name: "cdi-spec-dir", Status: flagHullOnly, Note: "where CDI specs are looked up"},
	{Name: "plugin-dir", Status: flagHullOnly, Note: "where instruction plugins are looked up"},
	{Name: "plugin-checksum", Status: flagHullOnly, Note: "pin an instruction plugin"},
	{Name: "root-emulation", Status: flagHullOnly, Note: "see docs/root-emulation.md"},
	{Name: "f-", Bool: true, Status: flagHullOnly, Note: "-f- is Docker's -f -: the Dockerfile on stdin"},
}

// dockerFlagTable is the table of a hull command: run and create share
// run's (see dockerRunOnly).
func dockerFlagTable(cmd string) []dockerFlag {
	switch cmd {
	case "run", "create":
		return dockerRunFlags
	case "build":
		return dockerBuildFlags
	}
	return nil
}

// dockerRunOnly are the rows of run that create has not (Docker's create
// has no -d, --sig-proxy, --detach-keys; hull's no --plugin-dir, --result).
var dockerRunOnly = map[string]bool{"detach": true, "sig-proxy": true, "detach-keys": true, "plugin-dir": true, "result": true}

// addRefusedFlags gives run, create and build a hidden flag for each
// refused or ignored Docker flag that the command does not define, and
// makes the command refuse the former with the table's message.
func addRefusedFlags(c *cli.Command) {
	table := dockerFlagTable(c.Name)
	if table == nil || c.Action == nil {
		return
	}
	defined := map[string]bool{}
	for _, f := range c.Flags {
		for _, n := range flagNames(f) {
			defined[n] = true
		}
	}
	var refused []dockerFlag
	for _, r := range table {
		if defined[r.Name] || (r.Status != flagRefused && r.Status != flagIgnored) {
			continue
		}
		if c.Name == "create" && dockerRunOnly[r.Name] {
			continue
		}
		usage := "accepted and ignored: " + r.Note
		if r.Status == flagRefused {
			usage = "refused: " + r.Note
			refused = append(refused, r)
		}
		if r.Bool {
			c.Flags = append(c.Flags, &cli.BoolFlag{Name: r.Name, Usage: usage, Hidden: r.Status == flagRefused})
		} else {
			c.Flags = append(c.Flags, &cli.StringSliceFlag{Name: r.Name, Usage: usage, Hidden: r.Status == flagRefused})
		}
	}
	if len(refused) == 0 {
		return
	}
	act := c.Action
	c.Action = func(ctx *cli.Context) error {
		for _, r := range refused {
			if ctx.IsSet(r.Name) {
				return exitCode(core.ExitHullError, fmt.Errorf("%s --%s is not supported: %s", ctx.Command.Name, r.Name, r.Note))
			}
		}
		return act(ctx)
	}
}

// flagNames are every name of f, the aliases of a repeatable flag too.
func flagNames(f cli.Flag) []string {
	if r, ok := f.(repeatable); ok {
		return append([]string{r.Name}, r.Aliases...)
	}
	return f.Names()
}

// dockerFlagsMarkdown renders docs/docker-flags.md from the tables.
func dockerFlagsMarkdown() string {
	var b strings.Builder
	b.WriteString("# Docker's run and build flags in hull\n\n")
	b.WriteString("Generated from `core/cli/dockerflags.go` (`HULL_UPDATE_FLAGS=1 go test ./core/cli -run TestDockerFlagsDoc`);\n")
	b.WriteString("`TestDockerFlagTable` checks it against hull's commands. Sources: docker/cli 28's\n")
	b.WriteString("`cli/command/container/opts.go` and `run.go` (`docker run`, `docker create`), `cli/command/image/build.go`\n")
	b.WriteString("(`docker build`) and the buildx flags issue 17 names.\n\n")
	b.WriteString("- **supported**: does what Docker's does (the rootless meaning where noted).\n")
	b.WriteString("- **accepted, ignored**: taken and ignored, for the reason given.\n")
	b.WriteString("- **refused**: exits 125 with `run --X is not supported: <note>`.\n")
	b.WriteString("- **hull only**: hull's own flag; Docker has none.\n")
	for _, t := range []struct {
		title string
		rows  []dockerFlag
	}{{"docker run / docker create", dockerRunFlags}, {"docker build", dockerBuildFlags}} {
		fmt.Fprintf(&b, "\n## %s\n\n| flag | hull | note |\n|---|---|---|\n", t.title)
		for _, r := range t.rows {
			name := "--" + r.Name
			if r.Short != "" {
				name = "-" + r.Short + ", " + name
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", name, r.Status, r.Note)
		}
	}
	return b.String()
}

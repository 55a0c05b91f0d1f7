package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core"
	"github.com/hull-project/hull/core/container"
)

// runExtraFlags are run's and create's flags of issue 17 (see
// docs/docker-flags.md for every docker run flag and what hull does).
func runExtraFlags() []cli.Flag {
	return []cli.Flag{
		sliceFlag("expose", "", "expose a port or a range of ports (PORT[/PROTO], START-END[/PROTO]); -P publishes them"),
		&cli.StringFlag{Name: "stop-signal", Usage: "signal to stop the container"},
		&cli.IntFlag{Name: "stop-timeout", Usage: "seconds stop waits before killing the container"},
		&cli.StringFlag{Name: "shm-size", Usage: "size of /dev/shm (default 64m)"},
		sliceFlag("sysctl", "", "namespaced kernel parameter: KEY=VALUE (net.*, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*)"),
		&cli.StringFlag{Name: "cidfile", Usage: "write the container ID to the file (refused if it exists)"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "suppress the pull output"},
		sliceFlag("attach", "a", "attach to STDIN, STDOUT or STDERR (foreground run)"),
		&cli.BoolFlag{Name: "sig-proxy", Value: true, Usage: "proxy received signals to the process (false: a signal ends hull, not the container)"},
		&cli.StringFlag{Name: "detach-keys", Usage: "key sequence that detaches a run -it, leaving the container running (default \"" + core.DefaultDetachKeys + "\")"},
		sliceFlag("volumes-from", "", "mount the volumes and bind mounts of a container: NAME[:ro|rw]"),
		&cli.StringFlag{Name: "log-driver", Usage: "logging driver: json-file (default) or none"},
		sliceFlag("log-opt", "", "log driver option: max-size=SIZE, max-file=N"),
		&cli.StringFlag{Name: "ipc", Usage: "IPC namespace: private (default), host (the user's own) or container:NAME (its IPC namespace and /dev/shm)"},
		&cli.StringFlag{Name: "uts", Usage: "UTS namespace: private (default), host (the host's name) or container:NAME"},
		&cli.StringFlag{Name: "pid", Usage: "PID namespace: private (default), host (the host's, with its /proc) or container:NAME"},
		&cli.BoolFlag{Name: "privileged", Usage: "give the container the user's every right (rootless meaning: all capabilities, no seccomp, nothing masked, writable /sys, the host devices you can open; see docs/security.md)"},
	}
}

// runExtraOptions reads runExtraFlags into opts; it resolves
// --volumes-from against h.
func runExtraOptions(c *cli.Context, h *core.Hull, opts *core.RunOptions) error {
	f := container.RunFlags{Expose: c.StringSlice("expose"), StopSignal: c.String("stop-signal"),
		ShmSize: c.String("shm-size"), Sysctls: c.StringSlice("sysctl"), Privileged: c.Bool("privileged"),
		LogDriver: c.String("log-driver"), LogOpts: c.StringSlice("log-opt"), VolumesFrom: c.StringSlice("volumes-from"),
		IPC: c.String("ipc"), UTS: c.String("uts"), PID: c.String("pid")}
	if c.IsSet("stop-timeout") {
		t := c.Int("stop-timeout")
		f.StopTimeout = &t
	}
	opts.RunFlags = f
	if !c.Bool("sig-proxy") && !c.Bool("detach") {
		if c.String("result") != "" {
			return exitCode(core.ExitHullError, errors.New("--sig-proxy=false cannot be used with --result: the result is written by a foreground run that passes signals on"))
		}
		opts.NoSigProxy = true
	}
	if c.Bool("quiet") {
		opts.Puller.Progress = newProgress(c.App.ErrWriter, true)
	}
	opts.DetachKeys = c.String("detach-keys")
	if p := c.String("cidfile"); p != "" {
		// Checked before anything is created, as Docker.
		if _, err := os.Lstat(p); err == nil {
			return exitCode(core.ExitHullError, fmt.Errorf("container ID file found, make sure the other container isn't running or delete %s", p))
		}
		opts.CIDFile = p
	}
	if err := h.VolumesFrom(&opts.Options, f.VolumesFrom); err != nil {
		return exitCode(core.ExitHullError, err)
	}
	return nil
}

// attachStdio is -a/--attach: the streams not named are not connected
// (read from and written to /dev/null), as Docker's run -a.
func attachStdio(c *cli.Context, s core.Stdio) (core.Stdio, error) {
	names := c.StringSlice("attach")
	if len(names) == 0 {
		return s, nil
	}
	if c.Bool("detach") {
		return s, exitCode(core.ExitHullError, errors.New("conflicting options: cannot specify both --attach and --detach"))
	}
	want := map[string]bool{}
	for _, n := range names {
		n = strings.ToLower(n)
		if n != "stdin" && n != "stdout" && n != "stderr" {
			return s, exitCode(core.ExitHullError, fmt.Errorf("invalid argument %q for \"-a, --attach\" flag: valid streams are STDIN, STDOUT and STDERR", n))
		}
		want[n] = true
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return s, exitCode(core.ExitHullError, err)
	}
	if !want["stdin"] {
		s.In = null
	}
	if !want["stdout"] {
		s.Out = null
	}
	if !want["stderr"] {
		s.Err = null
	}
	return s, nil
}

// stopWithSignal adds stop's -s/--signal to cmd, and makes -t, when not
// given, the container's --stop-timeout.
func stopWithSignal(cmd *cli.Command) *cli.Command {
	cmd.Flags = append(cmd.Flags, &cli.StringFlag{Name: "signal", Aliases: []string{"s"}, Usage: "signal to send to the container (default: its stop signal, else SIGTERM)"})
	cmd.Action = hullAction(1, -1, func(c *cli.Context, h *core.Hull) error {
		var opts core.StopOptions
		if s := c.String("signal"); s != "" {
			if _, err := core.ParseSignal(s); err != nil {
				return err
			}
			opts.Signal = s
		}
		if c.IsSet("time") {
			t := time.Duration(c.Int("time")) * time.Second
			opts.Timeout = &t
		}
		return eachContainer(c, func(ref string) error { return h.StopWith(ref, opts) })
	})
	return cmd
}

package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core"
	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/core/transfer"
)

func runFlags() []cli.Flag {
	return append([]cli.Flag{
		&cli.BoolFlag{Name: "rm", Usage: "automatically remove the container when it exits"},
		&cli.BoolFlag{Name: "interactive", Aliases: []string{"i"}, Usage: "keep STDIN open"},
		&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Usage: "allocate a pseudo-TTY"},
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "run container in background and print container ID"},
		sliceFlag("env", "e", "set environment variables"),
		sliceFlag("env-file", "", "read in a file of environment variables"),
		sliceFlag("label", "l", "set metadata on a container: KEY=VALUE (repeatable)"),
		sliceFlag("label-file", "", "read in a line delimited file of labels"),
		&cli.StringFlag{Name: "workdir", Aliases: []string{"w"}, Usage: "working directory inside the container"},
		&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "username or UID (format: <name|uid>[:<group|gid>])"},
		&cli.StringFlag{Name: "name", Usage: "assign a name to the container"},
		&cli.StringFlag{Name: "hostname", Aliases: []string{"h"}, Usage: "container host name"},
		sliceFlag("volume", "v", "bind mount a host path or mount a volume: SRC:DST[:ro|rw|nocopy] (SRC a path or a volume name), or DST alone for an anonymous volume"),
		sliceFlag("mount", "", "attach a filesystem mount: type=bind|volume|tmpfs,..."),
		sliceFlag("tmpfs", "", "mount a tmpfs directory: DST[:OPTIONS]"),
		&cli.BoolFlag{Name: "read-only", Usage: "mount the container's root filesystem as read only"},
		&cli.StringFlag{Name: "entrypoint", Usage: "overwrite the default ENTRYPOINT of the image"},
		&cli.BoolFlag{Name: "init", Usage: "run an init inside the container that forwards signals and reaps processes"},
		sliceFlag("security-opt", "", "security options: no-new-privileges, seccomp=unconfined|PROFILE.json, mask=PATH, unmask=PATH|ALL"),
		sliceFlag("cap-add", "", "add Linux capabilities"),
		sliceFlag("cap-drop", "", "drop Linux capabilities"),
		&cli.StringSliceFlag{Name: "network", Aliases: []string{"net"}, KeepSpace: true, Usage: "connect a container to a network: bridge (user-mode, the default), slirp4netns, none, host, a network plugin (options after a colon: bridge:allow_host_loopback=true), or named networks (hull network create; repeatable)"},
		&cli.StringSliceFlag{Name: "network-alias", Aliases: []string{"net-alias"}, KeepSpace: true, Usage: "another name of the container on its (first) named network"},
		&cli.StringFlag{Name: "ip", Usage: "the container's IPv4 address on its (first) named network"},
		sliceFlag("publish", "p", "publish a container's port to the host: [IP:]HOSTPORT:CONTAINERPORT[/tcp|/udp]"),
		&cli.StringFlag{Name: "pod", Usage: "run the container in a pod (hull pod create): it shares the pod's network, IPC and UTS namespaces"},
		&cli.BoolFlag{Name: "publish-all", Aliases: []string{"P"}, Usage: "publish all exposed ports to free host ports"},
		sliceFlag("add-host", "", "add a custom host-to-IP mapping (host:ip; ip may be host-gateway)"),
		sliceFlag("dns", "", "set custom DNS servers"),
		sliceFlag("dns-search", "", "set custom DNS search domains"),
		&cli.StringFlag{Name: "pull", Value: core.PullMissing, Usage: "pull image before running: always, missing or never"},
		&cli.StringFlag{Name: "platform", Usage: "platform to pull when the image is missing: os/arch[/variant]"},
	}, append(append(append(sandboxFlags(), healthFlags()...), runExtraFlags()...), deviceFlags()...)...)
}

func runCommand() *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "Create and run a new container from an image",
		ArgsUsage: "IMAGE [COMMAND] [ARG...]",
		Flags: append(runFlags(), sliceFlag("plugin-dir", "", "also look for network plugins in DIR/network (--network NAME)"),
			&cli.StringFlag{Name: "result", Usage: "write the run's outcome (exit code, signal, duration, peak memory, OOM, time-out, image digest) to FILE as JSON"}),
		Action: runContainer,
	}
}

func runContainer(c *cli.Context) error {
	if full, err := handOverDevices(c); full {
		return err
	}
	if err := needArgs(c, 1, -1); err != nil {
		return err
	}
	if err := addPluginDirs(c.StringSlice("plugin-dir")); err != nil {
		return err
	}
	opts := runOptions(c)
	opts.Pull, opts.Puller = c.String("pull"), transfer.PullOptions{Platform: c.String("platform"), Progress: newProgress(c.App.ErrWriter, false)}
	if opts.Result, opts.Warnings = c.String("result"), c.App.ErrWriter; opts.Result != "" && opts.Detach {
		return exitCode(core.ExitHullError, errors.New("--result needs a foreground run (without -d)"))
	}
	if err := foregroundRestart(opts); err != nil {
		return err
	}
	h, err := openHull(c)
	if err != nil {
		return err
	}
	if err := runExtraOptions(c, h, &opts); err != nil {
		return err
	}
	if err := namedNetworks(c, h, &opts); err != nil {
		return err
	}
	stdio, err := attachStdio(c, core.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	if err != nil {
		return err
	}
	if opts.Detach {
		return runDetached(c, h, opts)
	}
	code, err := h.Run(c.Context, opts, stdio)
	if code == 0 && err == nil {
		return nil
	}
	// A pull in the default hull: nothing is created yet, and the full
	// hull runs the whole command (core.ImageFor).
	return exitCode(code, inFullHull(err))
}

// runOptions maps the flags of run onto core.RunOptions. Everything after
// the image is the container's command, flags included: flag parsing
// stops at the first positional argument.
func runOptions(c *cli.Context) core.RunOptions {
	o := core.RunOptions{Image: c.Args().First(), Detach: c.Bool("detach"), Options: container.Options{
		Name: c.String("name"), Hostname: c.String("hostname"), User: c.String("user"),
		Workdir: c.String("workdir"), Network: firstOr(c.StringSlice("network"), "bridge"), Cmd: c.Args().Tail(),
		Env: c.StringSlice("env"), EnvFiles: c.StringSlice("env-file"), Volumes: c.StringSlice("volume"),
		Mounts: c.StringSlice("mount"), Tmpfs: c.StringSlice("tmpfs"), ReadOnly: c.Bool("read-only"),
		Init: c.Bool("init"), Tty: c.Bool("tty"), Interactive: c.Bool("interactive"), AutoRemove: c.Bool("rm"),
		SecurityOpt: c.StringSlice("security-opt"), CapAdd: c.StringSlice("cap-add"), CapDrop: c.StringSlice("cap-drop"),
		Publish: c.StringSlice("publish"), PublishAll: c.Bool("publish-all"), AddHosts: c.StringSlice("add-host"),
		DNS: c.StringSlice("dns"), DNSSearch: c.StringSlice("dns-search"), LimitOptions: limitOptions(c),
		Pod: c.String("pod"), Labels: c.StringSlice("label"), LabelFiles: c.StringSlice("label-file"),
	}}
	if c.IsSet("entrypoint") {
		ep := c.String("entrypoint")
		o.Entrypoint = &ep
	}
	healthOptions(c, &o.Options)
	o.DeviceOptions = deviceOptions(c)
	return o
}

// addPluginDirs puts --plugin-dir in front of HULL_PLUGIN_PATH, where the
// network plugin is looked up: in this process, and in the monitor of a
// detached container, which inherits the environment.
func addPluginDirs(dirs []string) error {
	if len(dirs) == 0 {
		return nil
	}
	path := make([]string, 0, len(dirs)+1)
	for _, d := range dirs {
		abs, err := filepath.Abs(d)
		if err != nil {
			return err
		}
		path = append(path, abs)
	}
	if old := os.Getenv("HULL_PLUGIN_PATH"); old != "" {
		path = append(path, old)
	}
	return os.Setenv("HULL_PLUGIN_PATH", strings.Join(path, string(filepath.ListSeparator)))
}

func firstOr(list []string, def string) string {
	if len(list) == 0 {
		return def
	}
	return list[0]
}

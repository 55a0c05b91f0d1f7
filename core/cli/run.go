package cli

import (
	"os"

	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core"
	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/core/registry"
)

func runFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "rm", Usage: "automatically remove the container when it exits"},
		&cli.BoolFlag{Name: "interactive", Aliases: []string{"i"}, Usage: "keep STDIN open"},
		&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Usage: "allocate a pseudo-TTY"},
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "run container in background (not supported yet)"},
		sliceFlag("env", "e", "set environment variables"),
		sliceFlag("env-file", "", "read in a file of environment variables"),
		&cli.StringFlag{Name: "workdir", Aliases: []string{"w"}, Usage: "working directory inside the container"},
		&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "username or UID (format: <name|uid>[:<group|gid>])"},
		&cli.StringFlag{Name: "name", Usage: "assign a name to the container"},
		&cli.StringFlag{Name: "hostname", Aliases: []string{"h"}, Usage: "container host name"},
		sliceFlag("volume", "v", "bind mount a host path: SRC:DST[:ro|rw]"),
		sliceFlag("mount", "", "attach a filesystem mount: type=bind|tmpfs,..."),
		sliceFlag("tmpfs", "", "mount a tmpfs directory: DST[:OPTIONS]"),
		&cli.BoolFlag{Name: "read-only", Usage: "mount the container's root filesystem as read only"},
		&cli.StringFlag{Name: "entrypoint", Usage: "overwrite the default ENTRYPOINT of the image"},
		&cli.BoolFlag{Name: "init", Usage: "run an init inside the container that forwards signals and reaps processes"},
		sliceFlag("security-opt", "", "security options: no-new-privileges, seccomp=unconfined"),
		sliceFlag("cap-add", "", "add Linux capabilities"),
		sliceFlag("cap-drop", "", "drop Linux capabilities"),
		&cli.StringFlag{Name: "network", Aliases: []string{"net"}, Value: "none", Usage: "connect a container to a network: none or host"},
		&cli.StringFlag{Name: "pull", Value: core.PullMissing, Usage: "pull image before running: always, missing or never"},
		&cli.StringFlag{Name: "platform", Usage: "platform to pull when the image is missing: os/arch[/variant]"},
	}
}

func runCommand() *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "Create and run a new container from an image",
		ArgsUsage: "IMAGE [COMMAND] [ARG...]",
		Flags:     runFlags(),
		Action:    runContainer,
	}
}

func runContainer(c *cli.Context) error {
	if err := needArgs(c, 1, -1); err != nil {
		return err
	}
	opts := runOptions(c)
	opts.Pull, opts.Puller = c.String("pull"), registry.PullOptions{Platform: c.String("platform"), Progress: newProgress(c.App.ErrWriter, false)}
	h, err := openHull(c)
	if err != nil {
		return err
	}
	code, err := h.Run(c.Context, opts, core.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	if code == 0 && err == nil {
		return nil
	}
	return exitCode(code, err)
}

// runOptions maps the flags of run onto core.RunOptions. Everything after
// the image is the container's command, flags included: flag parsing
// stops at the first positional argument.
func runOptions(c *cli.Context) core.RunOptions {
	o := core.RunOptions{Image: c.Args().First(), Detach: c.Bool("detach"), Options: container.Options{
		Name: c.String("name"), Hostname: c.String("hostname"), User: c.String("user"),
		Workdir: c.String("workdir"), Network: c.String("network"), Cmd: c.Args().Tail(),
		Env: c.StringSlice("env"), EnvFiles: c.StringSlice("env-file"), Volumes: c.StringSlice("volume"),
		Mounts: c.StringSlice("mount"), Tmpfs: c.StringSlice("tmpfs"), ReadOnly: c.Bool("read-only"),
		Init: c.Bool("init"), Tty: c.Bool("tty"), Interactive: c.Bool("interactive"), AutoRemove: c.Bool("rm"),
		SecurityOpt: c.StringSlice("security-opt"), CapAdd: c.StringSlice("cap-add"), CapDrop: c.StringSlice("cap-drop"),
	}}
	if c.IsSet("entrypoint") {
		ep := c.String("entrypoint")
		o.Entrypoint = &ep
	}
	return o
}

//go:build apps

package cli

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/moby/term"
	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core"
	"github.com/hull-project/hull/core/compose"
)

// composeCommand is `hull compose`: Docker Compose's everyday commands
// over core/compose. Global flags go before the subcommand, as with
// docker compose.
func composeCommand() *cli.Command {
	svc := "[SERVICE...]"
	return &cli.Command{
		Name:  "compose",
		Usage: composeUsage,
		Flags: []cli.Flag{
			sliceFlag("file", "f", "compose configuration files (repeatable, merged in order)"),
			&cli.StringFlag{Name: "project-name", Aliases: []string{"p"}, Usage: "project name (default: the project directory's name)"},
			sliceFlag("profile", "", "enable services of a profile (repeatable)"),
			sliceFlag("env-file", "", "environment files for interpolation (default: .env in the project directory)"),
			&cli.StringFlag{Name: "project-directory", Usage: "the project's directory (default: the first file's)"},
		},
		Subcommands: []*cli.Command{
			{Name: "up", Usage: "Create and start containers", ArgsUsage: svc, Flags: []cli.Flag{
				&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "run in the background"},
				&cli.BoolFlag{Name: "build", Usage: "build images before starting"},
				&cli.BoolFlag{Name: "force-recreate", Usage: "recreate containers even if nothing changed"},
				&cli.BoolFlag{Name: "no-start", Usage: "create, do not start"},
				&cli.BoolFlag{Name: "remove-orphans", Usage: "remove containers of services not in the files"},
			}, Action: composeAction(func(c *cli.Context, p *compose.Project) error {
				return p.Up(c.Context, compose.UpOptions{Services: c.Args().Slice(), Detach: c.Bool("detach"),
					Build: c.Bool("build"), ForceRecreate: c.Bool("force-recreate"), NoStart: c.Bool("no-start"),
					RemoveOrphans: c.Bool("remove-orphans")})
			})},
			{Name: "down", Usage: "Stop and remove containers and networks", Flags: []cli.Flag{
				&cli.BoolFlag{Name: "volumes", Aliases: []string{"v"}, Usage: "remove named volumes of the project and anonymous ones"},
				&cli.StringFlag{Name: "rmi", Usage: "remove images: local (built without an image: name) or all"},
				&cli.BoolFlag{Name: "remove-orphans", Usage: "remove containers of services not in the files"},
			}, Action: composeAction(func(c *cli.Context, p *compose.Project) error {
				if err := needArgs(c, 0, 0); err != nil {
					return err
				}
				return p.Down(compose.DownOptions{Volumes: c.Bool("volumes"), RemoveImages: c.String("rmi"),
					RemoveOrphans: c.Bool("remove-orphans")})
			})},
			{Name: "ps", Usage: "List containers", ArgsUsage: svc, Flags: []cli.Flag{
				&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "stopped containers too"},
				&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "only ids"},
				&cli.StringFlag{Name: "format", Usage: "table (default), json, or a Go template"},
			}, Action: composeAction(composePs)},
			{Name: "logs", Usage: "View output from containers", ArgsUsage: svc, Flags: []cli.Flag{
				&cli.BoolFlag{Name: "follow", Aliases: []string{"f"}, Usage: "follow log output"},
			}, Action: composeAction(func(c *cli.Context, p *compose.Project) error {
				return p.Logs(c.Args().Slice(), c.Bool("follow"), c.App.Writer)
			})},
			{Name: "build", Usage: "Build service images", ArgsUsage: svc, Action: composeAction(func(c *cli.Context, p *compose.Project) error {
				return p.Build(c.Context, c.Args().Slice())
			})},
			{Name: "pull", Usage: "Pull service images", ArgsUsage: svc, Action: composeAction(func(c *cli.Context, p *compose.Project) error {
				return p.Pull(c.Context, c.Args().Slice(), newProgress(c.App.ErrWriter, false))
			})},
			{Name: "push", Usage: "Push service images", ArgsUsage: svc, Action: composeAction(func(c *cli.Context, p *compose.Project) error {
				return p.Push(c.Context, c.Args().Slice(), newProgress(c.App.ErrWriter, false))
			})},
			{Name: "config", Usage: "Print the resolved model", Flags: []cli.Flag{
				&cli.StringFlag{Name: "format", Usage: "yaml (default) or json"},
				&cli.BoolFlag{Name: "services", Usage: "print the service names"},
			}, Action: composeConfig},
			{Name: "exec", Usage: "Run a command in a running service container", ArgsUsage: "SERVICE COMMAND [ARG...]", Flags: []cli.Flag{
				&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "run in the background"},
				sliceFlag("env", "e", "set environment variables"),
				&cli.IntFlag{Name: "index", Value: 1, Usage: "the container of the service, if it has several"},
				&cli.BoolFlag{Name: "no-TTY", Aliases: []string{"T"}, Usage: "no pseudo-TTY (the default when stdin is not a terminal)"},
				&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "run as this user"},
				&cli.StringFlag{Name: "workdir", Aliases: []string{"w"}, Usage: "working directory"},
			}, Action: composeAction(composeExec)},
			{Name: "run", Usage: "Run a one-off command on a service", ArgsUsage: "SERVICE [COMMAND] [ARG...]", Flags: []cli.Flag{
				&cli.BoolFlag{Name: "rm", Usage: "remove the container when it exits"},
				&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "run in the background"},
				&cli.StringFlag{Name: "name", Usage: "container name"},
				&cli.BoolFlag{Name: "no-deps", Usage: "do not start the services it depends on"},
				&cli.StringFlag{Name: "entrypoint", Usage: "override the entrypoint"},
				sliceFlag("env", "e", "set environment variables"),
				&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "run as this user"},
				&cli.StringFlag{Name: "workdir", Aliases: []string{"w"}, Usage: "working directory"},
				&cli.BoolFlag{Name: "no-TTY", Aliases: []string{"T"}, Usage: "no pseudo-TTY (the default when stdin is not a terminal)"},
			}, Action: composeAction(composeRun)},
			{Name: "start", Usage: "Start services", ArgsUsage: svc, Action: composeAction(func(c *cli.Context, p *compose.Project) error {
				return p.Start(c.Context, c.Args().Slice())
			})},
			{Name: "stop", Usage: "Stop services", ArgsUsage: svc, Flags: []cli.Flag{composeTimeout()},
				Action: composeAction(func(c *cli.Context, p *compose.Project) error {
					return p.Stop(c.Args().Slice(), composeTimeoutValue(c))
				})},
			{Name: "restart", Usage: "Restart services", ArgsUsage: svc, Flags: []cli.Flag{composeTimeout()},
				Action: composeAction(func(c *cli.Context, p *compose.Project) error {
					return p.Restart(c.Context, c.Args().Slice(), composeTimeoutValue(c))
				})},
			{Name: "rm", Usage: "Remove stopped service containers", ArgsUsage: svc, Flags: []cli.Flag{
				&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "do not ask (hull never asks)"},
				&cli.BoolFlag{Name: "stop", Aliases: []string{"s"}, Usage: "stop running containers first"},
				&cli.BoolFlag{Name: "volumes", Aliases: []string{"v"}, Usage: "remove anonymous volumes too"},
			}, Action: composeAction(func(c *cli.Context, p *compose.Project) error {
				return p.Remove(c.Args().Slice(), c.Bool("stop"), c.Bool("volumes"))
			})},
			{Name: "images", Usage: "List images used by the service containers", ArgsUsage: svc, Action: composeAction(composeImages)},
			{Name: "top", Usage: "Display the running processes", ArgsUsage: svc, Action: composeAction(func(c *cli.Context, p *compose.Project) error {
				return p.Top(c.Args().Slice(), c.App.Writer)
			})},
		},
	}
}

func composeTimeout() cli.Flag {
	return &cli.IntFlag{Name: "timeout", Aliases: []string{"t"}, Value: -1, Usage: "seconds to wait before killing (default: the service's stop_grace_period, else 10)"}
}

func composeTimeoutValue(c *cli.Context) *time.Duration {
	if t := c.Int("timeout"); t >= 0 {
		d := time.Duration(t) * time.Second
		return &d
	}
	return nil
}

// composeAction loads the project named by compose's global flags and
// runs fn on it; hull's own failures exit 125.
func composeAction(fn func(c *cli.Context, p *compose.Project) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		p, err := loadCompose(c)
		if err != nil {
			return exitCode(core.ExitHullError, err)
		}
		if err := fn(c, p); err != nil {
			var ee *exitError
			if errors.As(err, &ee) {
				return err
			}
			return exitCode(core.ExitHullError, err)
		}
		return nil
	}
}

func loadCompose(c *cli.Context) (*compose.Project, error) {
	p, err := compose.Load(c.Context, compose.LoadOptions{Files: c.StringSlice("file"), Name: c.String("project-name"),
		WorkDir: c.String("project-directory"), Profiles: c.StringSlice("profile"), EnvFiles: c.StringSlice("env-file"),
		OsEnv: os.Environ()})
	if err != nil {
		return nil, err
	}
	h, err := openHull(c)
	if err != nil {
		return nil, err
	}
	return &compose.Project{H: h, P: p, Out: c.App.Writer, Err: c.App.ErrWriter}, nil
}

type composePsRow struct {
	ID, Name, Image, Command, Service, Status, Ports, CreatedAt string
}

func composePs(c *cli.Context, p *compose.Project) error {
	rows, err := p.Ps(c.Args().Slice(), c.Bool("all"))
	if err != nil {
		return err
	}
	format := c.String("format")
	if c.Bool("quiet") {
		format = "{{.ID}}"
	}
	lf, err := newListFormat(format, "table {{.Name}}\t{{.Image}}\t{{.Command}}\t{{.Service}}\t{{.CreatedAt}}\t{{.Status}}\t{{.Ports}}",
		map[string]string{"ID": "CONTAINER ID", "Name": "NAME", "Image": "IMAGE", "Command": "COMMAND", "Service": "SERVICE",
			"CreatedAt": "CREATED", "Status": "STATUS", "Ports": "PORTS"})
	if err != nil {
		return err
	}
	out := []any{}
	for _, r := range rows {
		out = append(out, composePsRow{ID: r.Container.ID, Name: r.Name, Image: r.Image, Command: strconv.Quote(r.Command),
			Service: r.Service, Status: r.Status, Ports: r.Ports, CreatedAt: createdAt(r.Created)})
	}
	return lf.write(c.App.Writer, out)
}

func composeImages(c *cli.Context, p *compose.Project) error {
	rows, err := p.Images(c.Args().Slice())
	if err != nil {
		return err
	}
	lf, err := newListFormat("", "table {{.Container}}\t{{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Size}}",
		map[string]string{"Container": "CONTAINER", "Repository": "REPOSITORY", "Tag": "TAG", "ID": "IMAGE ID", "Size": "SIZE"})
	if err != nil {
		return err
	}
	out := []any{}
	for _, r := range rows {
		out = append(out, struct{ Container, Repository, Tag, ID, Size string }{r.Container, r.Repository, r.Tag, r.ID, humanSize(r.Size)})
	}
	return lf.write(c.App.Writer, out)
}

func composeConfig(c *cli.Context) error {
	p, err := loadCompose(c)
	if err != nil {
		return exitCode(core.ExitHullError, err)
	}
	if c.Bool("services") {
		for _, n := range p.P.ServiceNames() {
			fmt.Fprintln(c.App.Writer, n)
		}
		return nil
	}
	// config shows the model as it is: what up would refuse is a warning here.
	warnings, errs := compose.Unsupported(p.P)
	for _, w := range append(errs, warnings...) {
		fmt.Fprintf(c.App.ErrWriter, "WARN: %s: not supported by hull\n", w)
	}
	out, err := p.Config(c.String("format"))
	if err != nil {
		return exitCode(core.ExitHullError, err)
	}
	_, err = c.App.Writer.Write(out)
	return err
}

func composeExec(c *cli.Context, p *compose.Project) error {
	if err := needArgs(c, 2, -1); err != nil {
		return err
	}
	tty := !c.Bool("no-TTY") && term.IsTerminal(os.Stdin.Fd())
	code, err := p.Exec(c.Context, c.Args().First(), c.Int("index"), core.ExecOptions{Args: c.Args().Tail(),
		Env: c.StringSlice("env"), User: c.String("user"), Workdir: c.String("workdir"), Tty: tty,
		Interactive: !c.Bool("detach"), Detach: c.Bool("detach")}, stdio())
	if code == 0 && err == nil {
		return nil
	}
	return exitCode(code, err)
}

func composeRun(c *cli.Context, p *compose.Project) error {
	if err := needArgs(c, 1, -1); err != nil {
		return err
	}
	o := compose.RunOptions{Service: c.Args().First(), Cmd: c.Args().Tail(), Remove: c.Bool("rm"), Detach: c.Bool("detach"),
		Name: c.String("name"), NoDeps: c.Bool("no-deps"), Env: c.StringSlice("env"), User: c.String("user"),
		Workdir: c.String("workdir"), Tty: !c.Bool("no-TTY") && !c.Bool("detach") && term.IsTerminal(os.Stdin.Fd())}
	if c.IsSet("entrypoint") {
		ep := c.String("entrypoint")
		o.Entrypoint = &ep
	}
	code, err := p.Run(c.Context, o, stdio())
	if code == 0 && err == nil {
		return nil
	}
	return exitCode(code, err)
}

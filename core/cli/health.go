package cli

import (
	"errors"

	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core"
	"github.com/hull-project/hull/core/container"
)

// healthFlags are run's and create's health check and restart flags.
func healthFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "health-cmd", Usage: "command to run to check health (run by the container's monitor)"},
		&cli.DurationFlag{Name: "health-interval", Usage: "time between running the check (default 30s)"},
		&cli.IntFlag{Name: "health-retries", Usage: "consecutive failures needed to report unhealthy (default 3)"},
		&cli.DurationFlag{Name: "health-start-period", Usage: "start period for the container to initialize before failures count"},
		&cli.DurationFlag{Name: "health-timeout", Usage: "maximum time to allow one check to run (default 30s)"},
		&cli.BoolFlag{Name: "no-healthcheck", Usage: "disable any container-specified HEALTHCHECK"},
		&cli.StringFlag{Name: "restart", Usage: "restart policy of a detached container: no, on-failure[:N], always, unless-stopped"},
	}
}

// healthOptions maps the health flags onto the options.
func healthOptions(c *cli.Context, o *container.Options) {
	o.Health = container.HealthOptions{Cmd: c.String("health-cmd"), Interval: c.Duration("health-interval"),
		Retries: c.Int("health-retries"), StartPeriod: c.Duration("health-start-period"),
		Timeout: c.Duration("health-timeout"), None: c.Bool("no-healthcheck")}
	o.Restart = c.String("restart")
}

// foregroundRestart refuses --restart on a foreground run: the policy is
// carried out by the monitor of a detached container (run -d, or create
// and start).
func foregroundRestart(o core.RunOptions) error {
	if o.Detach {
		return nil
	}
	if p, err := container.ParseRestart(o.Restart); err == nil && !p.IsNone() {
		return exitCode(core.ExitHullError, errors.New("--restart needs a detached container (run -d, or create and start)"))
	}
	return nil
}

func healthcheckCommand() *cli.Command {
	return &cli.Command{
		Name:  "healthcheck",
		Usage: "Manage health checks of containers",
		Subcommands: []*cli.Command{{
			Name:      "run",
			Usage:     "Run a container's health check once (exit 0 healthy, 1 unhealthy)",
			ArgsUsage: "CONTAINER",
			Action: func(c *cli.Context) error {
				if err := needArgs(c, 1, 1); err != nil {
					return err
				}
				h, err := openHull(c)
				if err != nil {
					return err
				}
				passed, status, err := h.HealthcheckRun(c.Context, c.Args().First())
				if err != nil {
					return err
				}
				if !passed {
					return exitCode(1, errors.New("unhealthy"))
				}
				_, _ = c.App.Writer.Write([]byte(status + "\n"))
				return nil
			},
		}},
	}
}

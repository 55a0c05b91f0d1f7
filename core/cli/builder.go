package cli

import (
	"fmt"
	"os"
	"time"

	units "github.com/docker/go-units"
	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core"
)

// builderCommand is `hull builder`: the build cache's management, as
// Docker's `docker builder`.
func builderCommand() *cli.Command {
	return &cli.Command{
		Name:        "builder",
		Usage:       "Manage builds",
		Subcommands: []*cli.Command{buildCommand(), builderPruneCommand()},
	}
}

// buildxCommand is `hull buildx`: the buildx commands scripts use most,
// on hull's one builder.
func buildxCommand() *cli.Command {
	return &cli.Command{
		Name:        "buildx",
		Usage:       "Docker Buildx's build and prune, on hull's builder",
		Subcommands: []*cli.Command{buildCommand(), builderPruneCommand()},
	}
}

func builderPruneCommand() *cli.Command {
	return &cli.Command{
		Name:  "prune",
		Usage: "Remove build cache",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "remove all unused build cache, not just what no image needs"},
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "do not prompt for confirmation"},
			sliceFlag("filter", "", "provide filter values: until=DURATION|TIMESTAMP (keep what was used since)"),
			&cli.StringFlag{Name: "keep-storage", Usage: "not supported: hull prunes by age (--filter until=) or all"},
		},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 0, 0); err != nil {
				return err
			}
			if c.IsSet("keep-storage") {
				return fmt.Errorf("builder prune: --keep-storage is not supported; use --filter until=DURATION")
			}
			opts := core.BuildCachePruneOptions{All: c.Bool("all"), Wait: c.App.ErrWriter}
			f, err := parseFilters(c.StringSlice("filter"), "until")
			if err != nil {
				return err
			}
			for _, v := range f["until"] {
				if opts.Until, err = parseSince(v, time.Now()); err != nil {
					return fmt.Errorf("invalid filter 'until=%s'", v)
				}
			}
			warning := "WARNING! This will remove all dangling build cache."
			if opts.All {
				warning = "WARNING! This will remove all build cache."
			}
			if !c.Bool("force") && !confirm(c.App.Writer, os.Stdin, warning) {
				return nil
			}
			h, err := openHull(c)
			if err != nil {
				return err
			}
			res, err := h.PruneBuildCache(opts)
			printBuildCachePruned(c.App.Writer, res)
			fmt.Fprintln(c.App.Writer, "Total reclaimed space:", units.HumanSize(float64(res.Freed)))
			return err
		},
	}
}

package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	units "github.com/docker/go-units"
	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core"
)

// systemCommand is `hull system`: df, prune, and info under its Docker name.
func systemCommand() *cli.Command {
	info := infoCommand()
	return &cli.Command{
		Name:        "system",
		Usage:       "Manage hull",
		Subcommands: []*cli.Command{dfCommand(), systemPruneCommand(), systemCheckCommand(), info},
	}
}

func dfCommand() *cli.Command {
	return &cli.Command{
		Name:  "df",
		Usage: "Show hull disk usage",
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 0, 0); err != nil {
				return err
			}
			h, err := openHull(c)
			if err != nil {
				return err
			}
			du, err := h.DiskUsage()
			if err != nil {
				return err
			}
			printDiskUsage(c.App.Writer, du)
			return nil
		},
	}
}

func printDiskUsage(w io.Writer, du core.DiskUsage) {
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	fmt.Fprintln(tw, "TYPE\tTOTAL\tACTIVE\tSIZE\tRECLAIMABLE")
	fmt.Fprintf(tw, "Images\t%d\t%d\t%s\t%s\n", du.Images, du.ActiveImages,
		units.HumanSize(float64(du.ImagesSize)), reclaimable(du.ImagesReclaimable, du.ImagesSize))
	fmt.Fprintf(tw, "Containers\t%d\t%d\t%s\t%s\n", du.Containers, du.ActiveContainers,
		units.HumanSize(float64(du.ContainersSize)), reclaimable(du.ContainersReclaimable, du.ContainersSize))
	fmt.Fprintf(tw, "Local Volumes\t%d\t%d\t%s\t%s\n", du.Volumes, du.ActiveVolumes,
		units.HumanSize(float64(du.VolumesSize)), reclaimable(du.VolumesReclaimable, du.VolumesSize))
	// As Docker: the build cache's reclaimable figure has no percentage.
	fmt.Fprintf(tw, "Build Cache\t%d\t0\t%s\t%s\n", du.BuildCache,
		units.HumanSize(float64(du.BuildCacheSize)), units.HumanSize(float64(du.BuildCacheReclaimable)))
	tw.Flush()
}

func reclaimable(part, total int64) string {
	if total == 0 {
		return "0B"
	}
	return fmt.Sprintf("%s (%d%%)", units.HumanSize(float64(part)), part*100/total)
}

func systemPruneCommand() *cli.Command {
	return &cli.Command{
		Name:  "prune",
		Usage: "Remove stopped containers, unused images and unreferenced blobs",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "remove all unused images, not just dangling ones"},
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "do not prompt for confirmation"},
			&cli.BoolFlag{Name: "volumes", Usage: "prune anonymous volumes"},
		},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 0, 0); err != nil {
				return err
			}
			what := "dangling images"
			if c.Bool("all") {
				what = "all images without at least one container associated to them"
			}
			warning := "WARNING! This will remove:\n  - all stopped containers\n  - " + what
			if c.Bool("volumes") {
				warning += "\n  - all anonymous volumes not used by at least one container"
			}
			if c.Bool("all") {
				warning += "\n  - all build cache"
			} else {
				warning += "\n  - unused build cache"
			}
			if !c.Bool("force") && !confirm(c.App.Writer, os.Stdin, warning) {
				return nil
			}
			h, err := openHull(c)
			if err != nil {
				return err
			}
			res, err := h.SystemPrune(c.Bool("all"), c.Bool("volumes"))
			printPruned(c.App.Writer, res)
			return err
		},
	}
}

func printPruned(w io.Writer, res core.PruneResult) {
	if len(res.Containers) > 0 {
		fmt.Fprintln(w, "Deleted Containers:")
		for _, id := range res.Containers {
			fmt.Fprintln(w, id)
		}
		fmt.Fprintln(w)
	}
	if len(res.Images) > 0 {
		fmt.Fprintln(w, "Deleted Images:")
		printRemoved(w, res.Images, "untagged: ", "deleted: ")
		fmt.Fprintln(w)
	}
	if len(res.Volumes) > 0 {
		fmt.Fprintln(w, "Deleted Volumes:")
		for _, n := range res.Volumes {
			fmt.Fprintln(w, n)
		}
		fmt.Fprintln(w)
	}
	printBuildCachePruned(w, res.BuildCache)
	fmt.Fprintln(w, "Total reclaimed space:", units.HumanSize(float64(res.Freed)))
}

// printBuildCachePruned lists the build cache a prune removed, as
// Docker's "Deleted build cache objects:".
func printBuildCachePruned(w io.Writer, res core.BuildCachePruneResult) {
	if res.Skipped {
		fmt.Fprintln(w, "Build cache kept: a build is running")
		fmt.Fprintln(w)
	}
	if len(res.Layers) > 0 {
		fmt.Fprintln(w, "Deleted build cache objects:")
		for _, d := range res.Layers {
			fmt.Fprintln(w, strings.TrimPrefix(d, "sha256:"))
		}
		fmt.Fprintln(w)
	}
}

func systemCheckCommand() *cli.Command {
	return &cli.Command{
		Name: "check",
		Usage: "Verify every blob against its digest and every unpacked layer against its blob; " +
			"print one line per problem and exit 1 if any remains",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "repair", Usage: "unpack again the layers that differ from their blobs " +
			"(corrupt blobs cannot be repaired: they are reported with the images that use them)"}},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 0, 0); err != nil {
				return err
			}
			h, err := openHull(c)
			if err != nil {
				return err
			}
			problems, err := h.SystemCheck(c.Bool("repair"))
			if err != nil {
				return err
			}
			left := 0
			for _, p := range problems {
				fmt.Fprintln(c.App.Writer, p)
				if !p.Repaired {
					left++
				}
			}
			if left > 0 {
				return exitCode(1, fmt.Errorf("system check: %d problem(s) left", left))
			}
			if len(problems) == 0 {
				fmt.Fprintln(c.App.Writer, "OK")
			}
			return nil
		},
	}
}

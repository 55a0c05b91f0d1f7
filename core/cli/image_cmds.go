package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	units "github.com/docker/go-units"
	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core/image"
)

func imageCommand() *cli.Command {
	ls := imagesCommand()
	ls.Name, ls.Aliases = "ls", []string{"list"}
	rm := rmiCommand()
	rm.Name, rm.Aliases = "rm", []string{"remove"}
	inspect := inspectCommand()
	inspect.Flags = inspect.Flags[:1] // --format only: the type is implied
	inspect.Action = func(c *cli.Context) error { return inspectObjects(c, "image") }
	return &cli.Command{
		Name:  "image",
		Usage: "Manage images",
		Subcommands: []*cli.Command{
			ls, rm, pruneCommand(), inspect, historyCommand(), importCommand(), tagCommand(),
		},
	}
}

func tagCommand() *cli.Command {
	return &cli.Command{
		Name:      "tag",
		Usage:     "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
		ArgsUsage: "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 2, 2); err != nil {
				return err
			}
			h, err := openHull(c)
			if err != nil {
				return err
			}
			return h.Tag(c.Args().Get(0), c.Args().Get(1))
		},
	}
}

func rmiCommand() *cli.Command {
	return &cli.Command{
		Name:      "rmi",
		Usage:     "Remove one or more images",
		ArgsUsage: "IMAGE [IMAGE...]",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "force removal of the image"},
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "remove all images"},
			&cli.BoolFlag{Name: "no-prune", Usage: "accepted for compatibility"},
		},
		Action: removeImages,
	}
}

func removeImages(c *cli.Context) error {
	if !c.Bool("all") {
		if err := needArgs(c, 1, -1); err != nil {
			return err
		}
	}
	h, err := openHull(c)
	if err != nil {
		return err
	}
	refs := c.Args().Slice()
	if c.Bool("all") {
		imgs, err := h.ListImages()
		if err != nil {
			return err
		}
		for _, img := range imgs {
			refs = append(refs, img.ID)
		}
	}
	var last error
	for _, ref := range refs {
		res, err := h.RemoveImage(ref, c.Bool("force"))
		if err != nil {
			if last != nil {
				printErr(c.App.ErrWriter, last)
			}
			last = err
			continue
		}
		printRemoved(c.App.Writer, res, "Untagged: ", "Deleted: ")
	}
	return last
}

func printRemoved(w io.Writer, res []image.RemoveResult, untagged, deleted string) {
	for _, r := range res {
		if r.Untagged != "" {
			fmt.Fprintln(w, untagged+r.Untagged)
		} else {
			fmt.Fprintln(w, deleted+r.Deleted)
		}
	}
}

func pruneCommand() *cli.Command {
	return &cli.Command{
		Name:  "prune",
		Usage: "Remove unused images",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "remove all unused images, not just dangling ones"},
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "do not prompt for confirmation"},
		},
		Action: pruneImages,
	}
}

func pruneImages(c *cli.Context) error {
	if err := needArgs(c, 0, 0); err != nil {
		return err
	}
	warning := "WARNING! This will remove all dangling images."
	if c.Bool("all") {
		warning = "WARNING! This will remove all images without at least one container associated to them."
	}
	if !c.Bool("force") && !confirm(c.App.Writer, os.Stdin, warning) {
		return nil
	}
	h, err := openHull(c)
	if err != nil {
		return err
	}
	res, freed, err := h.PruneImages(c.Bool("all"))
	if err != nil {
		return err
	}
	if len(res) > 0 {
		fmt.Fprintln(c.App.Writer, "Deleted Images:")
		printRemoved(c.App.Writer, res, "untagged: ", "deleted: ")
		fmt.Fprintln(c.App.Writer)
	}
	fmt.Fprintln(c.App.Writer, "Total reclaimed space:", units.HumanSize(float64(freed)))
	return nil
}

// confirm asks Docker's question and reads a yes.
func confirm(w io.Writer, r io.Reader, warning string) bool {
	fmt.Fprintf(w, "%s\nAre you sure you want to continue? [y/N] ", warning)
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false
	}
	answer := strings.ToLower(strings.TrimSpace(line))
	return answer == "y" || answer == "yes"
}

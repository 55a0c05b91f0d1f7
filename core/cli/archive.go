//go:build !appsbin

package cli

import (
	"fmt"
	"os"

	"github.com/moby/term"
	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core/image"
	"github.com/hull-project/hull/core/transfer"
)

func saveCommand() *cli.Command {
	return &cli.Command{
		Name:      "save",
		Usage:     saveUsage,
		ArgsUsage: "IMAGE [IMAGE...]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write to a file (a directory for oci-dir)"},
			&cli.StringFlag{Name: "format", Value: transfer.DockerArchive, Usage: "docker-archive, oci-archive or oci-dir"},
		},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 1, -1); err != nil {
				return err
			}
			out := c.String("output")
			if out == "" && term.IsTerminal(os.Stdout.Fd()) {
				return fmt.Errorf("cowardly refusing to save to a terminal. Use the -o flag or redirect")
			}
			h, err := openHull(c)
			if err != nil {
				return err
			}
			return h.Save(c.Args().Slice(), transfer.SaveOptions{Format: c.String("format"), Output: out}, c.App.Writer)
		},
	}
}

func loadCommand() *cli.Command {
	return &cli.Command{
		Name:  "load",
		Usage: loadUsage,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "input", Aliases: []string{"i"}, Usage: "read from a file or an OCI layout directory"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "suppress the load output"},
		},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 0, 0); err != nil {
				return err
			}
			h, err := openHull(c)
			if err != nil {
				return err
			}
			p := newProgress(c.App.ErrWriter, true)
			loaded, err := h.Load(c.String("input"), os.Stdin, p)
			for _, l := range loaded {
				if len(l.Names) == 0 {
					fmt.Fprintf(c.App.Writer, "Loaded image ID: %s\n", l.ID)
				}
				for _, n := range l.Names {
					fmt.Fprintf(c.App.Writer, "Loaded image: %s\n", image.FamiliarString(n))
				}
			}
			return err
		},
	}
}

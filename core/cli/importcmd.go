//go:build !appsbin

package cli

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core/image"
)

func importCommand() *cli.Command {
	return &cli.Command{
		Name:      "import",
		Usage:     importUsage,
		ArgsUsage: "FILE|- [REPOSITORY[:TAG]]",
		Flags: []cli.Flag{
			sliceFlag("change", "c", "apply a Dockerfile instruction to the created image"),
			&cli.StringFlag{Name: "message", Aliases: []string{"m"}, Usage: "set a commit message for the imported image"},
			&cli.StringFlag{Name: "platform", Usage: "accepted for compatibility; must be this host's"},
		},
		Action: importImage,
	}
}

func importImage(c *cli.Context) error {
	if err := needArgs(c, 1, 2); err != nil {
		return err
	}
	src := c.Args().Get(0)
	if strings.Contains(src, "://") {
		return fmt.Errorf("importing from a URL is not supported: %s", src)
	}
	in := io.Reader(os.Stdin)
	if src != "-" {
		f, err := os.Open(src)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		defer f.Close()
		in = f
	}
	h, err := openHull(c)
	if err != nil {
		return err
	}
	img, err := h.Import(in, image.ImportOptions{Ref: c.Args().Get(1), Changes: c.StringSlice("change"),
		Message: c.String("message"), Source: src})
	if err != nil {
		return err
	}
	fmt.Fprintln(c.App.Writer, img.ID)
	return nil
}

package cli

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

func portCommand() *cli.Command {
	return &cli.Command{
		Name:      "port",
		Usage:     "List port mappings or a specific mapping for the container",
		ArgsUsage: "CONTAINER [PRIVATE_PORT[/PROTO]]",
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 1, 2); err != nil {
				return err
			}
			h, err := openHull(c)
			if err != nil {
				return err
			}
			filter := c.Args().Get(1)
			ports, err := h.Ports(c.Args().First(), filter)
			if err != nil {
				return err
			}
			for _, p := range ports {
				if filter != "" {
					fmt.Fprintln(c.App.Writer, p.String())
					continue
				}
				fmt.Fprintf(c.App.Writer, "%s -> %s\n", p.Key(), p.String())
			}
			return nil
		},
	}
}

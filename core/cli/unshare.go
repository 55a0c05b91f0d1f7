package cli

import (
	"github.com/urfave/cli/v2"
)

func unshareCommand() *cli.Command {
	return &cli.Command{
		Name:            "unshare",
		Usage:           "Run a command (default: a shell) in the store's user namespace, as root there",
		ArgsUsage:       "[COMMAND [ARG...]]",
		SkipFlagParsing: true,
		Action: func(c *cli.Context) error {
			if a := c.Args().First(); a == "--help" || a == "-h" {
				return cli.ShowCommandHelp(c, "unshare")
			}
			h, err := openHull(c)
			if err != nil {
				return err
			}
			return codeOrNil(h.Unshare(c.Args().Slice(), stdio()))
		},
	}
}

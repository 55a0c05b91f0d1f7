package cli

import (
	"github.com/urfave/cli/v2"
)

// pluginSDKCommand writes out the plugin SDK module hull was built with, for
// a plugin's go.mod to replace the (unpublished) module path with.
func pluginSDKCommand() *cli.Command {
	return &cli.Command{
		Name:      "sdk",
		Usage:     "Write the plugin SDK module (Go) into DIR, for a plugin's go.mod to use with a replace directive",
		ArgsUsage: "DIR",
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 1, 1); err != nil {
				return err
			}
			return writeSDK(c, c.Args().First())
		},
	}
}

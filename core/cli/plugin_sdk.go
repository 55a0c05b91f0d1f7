package cli

import (
	"fmt"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/plugins/sdk"
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
			dir := c.Args().First()
			if err := sdk.WriteSource(dir); err != nil {
				return err
			}
			abs, err := filepath.Abs(dir)
			if err != nil {
				abs = dir
			}
			fmt.Fprintf(c.App.Writer, "wrote the hull plugin SDK (protocol %d) to %s\nuse it in a plugin's module with:\n  go mod edit -replace %s=%s\n",
				sdk.ProtocolVersion, dir, sdk.ModulePath, abs)
			return nil
		},
	}
}

package cli

import (
	"github.com/urfave/cli/v2"
)

func pluginCommand() *cli.Command {
	return &cli.Command{
		Name:  "plugin",
		Usage: "Manage instruction plugins",
		Subcommands: []*cli.Command{{
			Name:    "ls",
			Aliases: []string{"list"},
			Usage:   "List the instruction and network plugins found: what they handle, their path, sha256 and pin",
			Flags: []cli.Flag{
				sliceFlag("plugin-dir", "", "also look in this directory"),
				&cli.StringFlag{Name: "format", Usage: "table (default), json, or a Go template: '{{.Keyword}} {{.Name}} {{.Pin}}'"},
				&cli.BoolFlag{Name: "no-trunc", Usage: "do not truncate the sha256"},
			},
			Action: listPlugins,
		}, pluginInspectCommand(), pluginSDKCommand()},
	}
}

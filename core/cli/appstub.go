//go:build !apps

package cli

import (
	"os"

	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core/appbin"
)

func composeCommand() *cli.Command  { return appCommand("compose", composeUsage) }
func kubeCommand() *cli.Command     { return appCommand("kube", kubeUsage) }
func generateCommand() *cli.Command { return appCommand("generate", generateUsage) }

// appCommand hands the whole command line, global flags (--root,
// --debug) included, to the full hull, which parses it itself: so no
// flag parsing and no help here. Listed among the management commands,
// where the full hull's (which have subcommands) are.
func appCommand(name, usage string) *cli.Command {
	return &cli.Command{
		Name:            name,
		Usage:           usage,
		Category:        managementCategory,
		SkipFlagParsing: true,
		HideHelp:        true,
		Action: func(*cli.Context) error {
			return appbin.ExecApps(os.Args, os.Environ())
		},
	}
}

// completeInFullHull runs `completion` in the full hull when this one
// embeds it (returning only on failure), so that the script names the app
// commands' subcommands and flags (compose up --detach) without linking
// their libraries here: one exec, and one extraction per version, at the
// first use. Without it (a plain go build) the script has the app
// commands' names only.
func completeInFullHull() error {
	if !appbin.Embedded() {
		return nil
	}
	return appbin.ExecApps(os.Args, os.Environ())
}

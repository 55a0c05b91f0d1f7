//go:build appsbin

package cli

import (
	"os"

	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core/appbin"
)

func pullCommand() *cli.Command   { return fullHullCommand("pull", pullUsage) }
func pushCommand() *cli.Command   { return fullHullCommand("push", pushUsage) }
func loginCommand() *cli.Command  { return fullHullCommand("login", loginUsage) }
func logoutCommand() *cli.Command { return fullHullCommand("logout", logoutUsage) }
func searchCommand() *cli.Command { return fullHullCommand("search", searchUsage) }
func saveCommand() *cli.Command   { return fullHullCommand("save", saveUsage) }
func loadCommand() *cli.Command   { return fullHullCommand("load", loadUsage) }
func importCommand() *cli.Command { return fullHullCommand("import", importUsage) }

// fullHullCommand hands the whole command line (global flags, and `image
// pull` as much as `pull`) to the full hull, which parses it itself: so
// no flag parsing and no help here. The exec keeps stdin, stdout and the
// exit code (save's archive on stdout, load's on stdin).
func fullHullCommand(name, usage string) *cli.Command {
	return &cli.Command{
		Name:            name,
		Usage:           usage,
		SkipFlagParsing: true,
		HideHelp:        true,
		Action: func(*cli.Context) error {
			return appbin.Exec(os.Args, os.Environ())
		},
	}
}

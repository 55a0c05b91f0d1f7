package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core"
)

func pluginCommand() *cli.Command {
	return &cli.Command{
		Name:  "plugin",
		Usage: "Manage instruction plugins",
		Subcommands: []*cli.Command{{
			Name:    "ls",
			Aliases: []string{"list"},
			Usage:   "List the instruction plugins found, what they handle, their path and sha256",
			Flags:   []cli.Flag{sliceFlag("plugin-dir", "", "also look in this directory")},
			Action:  listPlugins,
		}, pluginSDKCommand()},
	}
}

func listPlugins(c *cli.Context) error {
	reg, found, err := core.Plugins(core.PluginOptions{Dirs: c.StringSlice("plugin-dir"), Log: c.App.ErrWriter})
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(c.App.Writer, 0, 8, 3, ' ', 0)
	fmt.Fprintln(w, "KEYWORD\tPLUGIN\tVERSION\tPATH\tSHA256")
	for _, e := range reg.Entries() {
		path, sum := e.Path, e.SHA256
		if e.Builtin != "" {
			path, sum = "(built in)", "-"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", e.Keyword, e.Info.Name, e.Info.Version, path, sum)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	for _, f := range found {
		if f.Err != nil {
			fmt.Fprintf(c.App.ErrWriter, "WARNING: %s: %v\n", f.Path, f.Err)
		}
	}
	for _, warn := range reg.Warnings {
		fmt.Fprintf(c.App.ErrWriter, "WARNING: %s\n", strings.TrimSpace(warn))
	}
	return nil
}

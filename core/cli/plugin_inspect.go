package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core"
	"github.com/hull-project/hull/plugins"
)

func pluginInspectCommand() *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "Show a plugin executable's Info and sha256, and check that it speaks hull's plugin protocol",
		ArgsUsage: "PATH",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"},
				Usage: "json, or a Go template: '{{.Info.Name}} {{.Info.Version}} {{.SHA256}} {{.OK}}'"},
		},
		Action: inspectPlugin,
	}
}

// inspectPlugin prints the report, then exits 1 when a check failed.
func inspectPlugin(c *cli.Context) error {
	if err := needArgs(c, 1, 1); err != nil {
		return err
	}
	path := c.Args().First()
	r, err := core.InspectPlugin(c.Context, path)
	if err != nil {
		return inFullHull(err)
	}
	switch format := c.String("format"); format {
	case "":
		err = printPluginReport(c.App.Writer, r)
	case "json":
		err = printJSONArray(c, []any{r})
	default:
		err = printTemplated(c, format, []any{r})
	}
	if err != nil {
		return err
	}
	for _, ch := range r.Checks {
		if !ch.OK {
			return exitCode(1, fmt.Errorf("plugin %s fails the conformance check %q: %s", path, ch.Name, inspectDetail(ch.Detail)))
		}
	}
	if !r.OK {
		return exitCode(1, errors.New("plugin "+path+" fails the conformance check"))
	}
	return nil
}

func printPluginReport(w io.Writer, r *plugins.Report) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s:\t%s\n", k, v) }
	row("Path", r.Path)
	row("SHA256", r.SHA256)
	if r.Kind != "" {
		row("Kind", r.Kind)
		row("Name", r.Info.Name)
		row("Version", r.Info.Version)
		row("Instructions", strings.Join(r.Info.Keywords, " "))
		row("Description", r.Info.Description)
	}
	if r.Handshake != "" {
		row("Handshake", r.Handshake)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "Checks:")
	tw = tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, ch := range r.Checks {
		mark := "ok"
		if !ch.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", mark, ch.Name, inspectDetail(ch.Detail))
	}
	return tw.Flush()
}

// inspectDetail joins a multi-line detail (a plugin's stderr) into one line.
func inspectDetail(s string) string { return strings.Join(strings.Fields(s), " ") }

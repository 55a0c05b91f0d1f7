package cli

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core"
	"github.com/hull-project/hull/plugins/network"
)

// pluginRow is one line of `hull plugin ls`: a keyword's instruction
// plugin, or a network plugin. The field names are the template's.
type pluginRow struct {
	Keyword string // the instruction; "" for a network plugin
	Kind    string // instruction or network
	// Source is built-in, external, or override (an external plugin that
	// replaces a built-in instruction).
	Source      string
	Name        string
	Version     string
	Builtin     bool
	Overrides   bool
	Path        string
	SHA256      string
	Pin         string // PINNED, MISMATCH or unpinned; "" for built-ins
	Description string
}

const pluginTable = "table {{.KeywordCol}}\t{{.Kind}}\t{{.Source}}\t{{.Name}}\t{{.VersionCol}}\t{{.PinCol}}\t{{.SHA256Col}}\t{{.PathCol}}\t{{.Description}}"

// pluginTableRow adds the table's columns to a row.
type pluginTableRow struct {
	pluginRow
	KeywordCol, VersionCol, PinCol, SHA256Col, PathCol string
}

var pluginHeaders = map[string]string{"KeywordCol": "KEYWORD", "Kind": "KIND", "Source": "SOURCE", "Name": "NAME",
	"VersionCol": "VERSION", "PinCol": "PIN", "SHA256Col": "SHA256", "PathCol": "PATH", "Description": "DESCRIPTION"}

func listPlugins(c *cli.Context) error {
	if err := needArgs(c, 0, 0); err != nil {
		return err
	}
	format := c.String("format")
	lf, err := newListFormat(format, pluginTable, pluginHeaders)
	if err != nil {
		return err
	}
	dirs := c.StringSlice("plugin-dir")
	set, err := core.Plugins(core.PluginOptions{Dirs: dirs, Log: c.App.ErrWriter})
	if err != nil {
		return inFullHull(err)
	}
	var rows []pluginRow
	for _, e := range set.Entries() {
		r := pluginRow{Keyword: e.Keyword, Kind: "instruction", Source: "external", Name: e.Info.Name,
			Version: e.Info.Version, Builtin: e.Builtin != "", Overrides: e.Overrides, Path: e.Path,
			SHA256: e.SHA256, Pin: e.Pin, Description: e.Info.Description}
		switch {
		case r.Builtin:
			r.Source = "built-in"
		case r.Overrides:
			r.Source = "override"
		}
		rows = append(rows, r)
	}
	for _, n := range []string{network.Bridge, network.Slirp4netns, network.Pasta, network.None, network.Host} {
		rows = append(rows, pluginRow{Kind: "network", Source: "built-in", Name: n, Builtin: true,
			Description: networkDescriptions[n]})
	}
	nets, err := core.NetworkPlugins(dirs, "")
	if err != nil {
		return err
	}
	for _, n := range nets {
		if n.Shadowed {
			fmt.Fprintf(c.App.ErrWriter, "WARNING: network plugin %s is not used: an earlier plugin directory has network/%s\n", n.Path, n.Name)
			continue
		}
		rows = append(rows, pluginRow{Kind: "network", Source: "external", Name: n.Name, Path: n.Path,
			SHA256: n.SHA256, Pin: n.Pin})
	}
	out := make([]any, len(rows))
	for i, r := range rows {
		if !lf.table {
			out[i] = r
			continue
		}
		t := pluginTableRow{pluginRow: r, KeywordCol: dash(r.Keyword), VersionCol: dash(r.Version),
			PinCol: dash(r.Pin), SHA256Col: dash(shortID(r.SHA256, c.Bool("no-trunc"))), PathCol: r.Path}
		if r.Builtin {
			t.PathCol = "(built in)"
		}
		out[i] = t
	}
	if err := lf.write(c.App.Writer, out); err != nil {
		return err
	}
	for _, f := range set.Found {
		switch {
		case f.Err != nil:
			fmt.Fprintf(c.App.ErrWriter, "WARNING: %s\n", core.DiscoveryWarning(f))
		case f.PinErr != nil:
			fmt.Fprintf(c.App.ErrWriter, "WARNING: %v\n", f.PinErr)
		}
	}
	for _, w := range append(set.Warnings, set.Ignored...) {
		fmt.Fprintf(c.App.ErrWriter, "WARNING: %s\n", strings.TrimSpace(w))
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

var networkDescriptions = map[string]string{
	network.Bridge:      "the default: user-mode networking (slirp4netns or pasta)",
	network.Slirp4netns: "user-mode networking through slirp4netns",
	network.Pasta:       "user-mode networking through pasta (passt)",
	network.None:        "loopback only",
	network.Host:        "the host's network namespace",
}

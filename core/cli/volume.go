package cli

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	units "github.com/docker/go-units"
	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core/volume"
)

// volumeCommand is `hull volume`: create, ls, inspect, rm and prune, with
// Docker's flags.
func volumeCommand() *cli.Command {
	return &cli.Command{
		Name:  "volume",
		Usage: "Manage volumes",
		Subcommands: []*cli.Command{volumeCreateCommand(), volumeLsCommand(), volumeInspectCommand(),
			volumeRmCommand(), volumePruneCommand()},
	}
}

func volumeCreateCommand() *cli.Command {
	return &cli.Command{
		Name:      "create",
		Usage:     "Create a volume",
		ArgsUsage: "[VOLUME]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "driver", Aliases: []string{"d"}, Value: "local", Usage: "volume driver name (only local)"},
			sliceFlag("label", "", "set metadata for a volume"),
			sliceFlag("opt", "o", "set driver specific options (none for local)"),
			&cli.StringFlag{Name: "name", Usage: "volume name", Hidden: true},
		},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 0, 1); err != nil {
				return err
			}
			name := c.String("name")
			if c.NArg() == 1 {
				if name != "" && name != c.Args().First() {
					return fmt.Errorf("conflicting options: either specify --name or provide positional arg, not both")
				}
				name = c.Args().First()
			}
			h, err := openHull(c)
			if err != nil {
				return err
			}
			v, err := h.CreateVolume(name, volume.CreateOptions{Driver: c.String("driver"),
				Labels: labelMap(c.StringSlice("label")), Options: labelMap(c.StringSlice("opt"))})
			if err != nil {
				return err
			}
			fmt.Fprintln(c.App.Writer, v.Name)
			return nil
		},
	}
}

// labelMap turns KEY=VALUE words into a map (a bare KEY has value "").
func labelMap(words []string) map[string]string {
	if len(words) == 0 {
		return nil
	}
	m := make(map[string]string, len(words))
	for _, w := range words {
		k, v, _ := strings.Cut(w, "=")
		m[k] = v
	}
	return m
}

// volumeRow is what `volume ls --format` sees: Docker's field names.
type volumeRow struct {
	Name, Driver, Scope, Mountpoint, Labels string
	Links, Size, Availability, Group        string
	Status, CreatedAt                       string
	labels                                  map[string]string
}

// Label is {{.Label "key"}}.
func (r volumeRow) Label(key string) string { return r.labels[key] }

func newVolumeRow(v *volume.Volume) volumeRow {
	keys := make([]string, 0, len(v.Labels))
	for k := range v.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pairs := make([]string, len(keys))
	for i, k := range keys {
		pairs[i] = k + "=" + v.Labels[k]
	}
	return volumeRow{Name: v.Name, Driver: v.Driver, Scope: v.Scope, Mountpoint: v.Mountpoint,
		Labels: strings.Join(pairs, ","), Links: "N/A", Size: "N/A", Availability: "N/A", Group: "N/A",
		Status: "N/A", CreatedAt: createdAt(v.CreatedAt), labels: v.Labels}
}

func volumeLsCommand() *cli.Command {
	return &cli.Command{
		Name:    "ls",
		Aliases: []string{"list"},
		Usage:   "List volumes",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "only display volume names"},
			sliceFlag("filter", "f", "provide filter values (dangling=, driver=, label=, name=)"),
			&cli.StringFlag{Name: "format", Usage: "format output using a Go template, or json"},
		},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 0, 0); err != nil {
				return err
			}
			h, err := openHull(c)
			if err != nil {
				return err
			}
			vols, err := h.Volumes(c.StringSlice("filter"))
			if err != nil {
				return err
			}
			format := c.String("format")
			if c.Bool("quiet") {
				format = "{{.Name}}"
			}
			lf, err := newListFormat(format, "table {{.Driver}}\t{{.Name}}",
				map[string]string{"Driver": "DRIVER", "Name": "VOLUME NAME", "Scope": "SCOPE",
					"Mountpoint": "MOUNTPOINT", "Labels": "LABELS", "Links": "LINKS", "Size": "SIZE", "CreatedAt": "CREATED AT"})
			if err != nil {
				return err
			}
			rows := make([]any, len(vols))
			for i, v := range vols {
				rows[i] = newVolumeRow(v)
			}
			return lf.write(c.App.Writer, rows)
		},
	}
}

// volumeView is `volume inspect`'s JSON, Docker's field order and its
// RFC 3339 CreatedAt.
type volumeView struct {
	CreatedAt  string            `json:"CreatedAt"`
	Driver     string            `json:"Driver"`
	Labels     map[string]string `json:"Labels"`
	Mountpoint string            `json:"Mountpoint"`
	Name       string            `json:"Name"`
	Options    map[string]string `json:"Options"`
	Scope      string            `json:"Scope"`
}

func newVolumeView(v *volume.Volume) volumeView {
	return volumeView{CreatedAt: v.CreatedAt.Local().Format(time.RFC3339), Driver: v.Driver, Labels: v.Labels,
		Mountpoint: v.Mountpoint, Name: v.Name, Options: v.Options, Scope: v.Scope}
}

func volumeInspectCommand() *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "Display detailed information on one or more volumes",
		ArgsUsage: "VOLUME [VOLUME...]",
		Flags:     []cli.Flag{&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "format output using a Go template, or json"}},
		Action:    inspectVolumes,
	}
}

// inspectVolumes is `volume inspect` and `inspect --type volume`: a JSON
// array (or one template line each) of the volumes found; the last name
// that matched nothing decides the exit.
func inspectVolumes(c *cli.Context) error {
	if err := needArgs(c, 1, -1); err != nil {
		return err
	}
	h, err := openHull(c)
	if err != nil {
		return err
	}
	var views []any
	var last error
	for _, name := range c.Args().Slice() {
		v, err := h.Volume(name)
		if err != nil {
			if last != nil {
				printErr(c.App.ErrWriter, last)
			}
			last = err
			continue
		}
		views = append(views, newVolumeView(v))
	}
	if f := c.String("format"); f != "" && f != "json" {
		if err := printTemplated(c, f, views); err != nil {
			return err
		}
	} else if err := printJSONArray(c, views); err != nil {
		return err
	}
	return last
}

func volumeRmCommand() *cli.Command {
	return &cli.Command{
		Name:      "rm",
		Aliases:   []string{"remove"},
		Usage:     "Remove one or more volumes",
		ArgsUsage: "VOLUME [VOLUME...]",
		Flags:     []cli.Flag{&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "force the removal of one or more volumes, even in use"}},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 1, -1); err != nil {
				return err
			}
			h, err := openHull(c)
			if err != nil {
				return err
			}
			var last error
			for _, name := range c.Args().Slice() {
				if err := h.RemoveVolume(name, c.Bool("force")); err != nil {
					if last != nil {
						printErr(c.App.ErrWriter, last)
					}
					last = err
					continue
				}
				fmt.Fprintln(c.App.Writer, name)
			}
			return last
		},
	}
}

func volumePruneCommand() *cli.Command {
	return &cli.Command{
		Name:  "prune",
		Usage: "Remove unused volumes (anonymous ones unless --all)",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "remove all unused volumes, not just anonymous ones"},
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "do not prompt for confirmation"},
			sliceFlag("filter", "", "provide filter values (label=, label!=)"),
		},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 0, 0); err != nil {
				return err
			}
			warning := "WARNING! This will remove anonymous local volumes not used by at least one container."
			if c.Bool("all") {
				warning = "WARNING! This will remove all local volumes not used by at least one container."
			}
			if !c.Bool("force") && !confirm(c.App.Writer, os.Stdin, warning) {
				return nil
			}
			h, err := openHull(c)
			if err != nil {
				return err
			}
			names, freed, err := h.PruneVolumes(c.Bool("all"), c.StringSlice("filter"))
			if len(names) > 0 {
				fmt.Fprintln(c.App.Writer, "Deleted Volumes:")
				for _, n := range names {
					fmt.Fprintln(c.App.Writer, n)
				}
				fmt.Fprintln(c.App.Writer)
			}
			fmt.Fprintln(c.App.Writer, "Total reclaimed space:", units.HumanSize(float64(freed)))
			return err
		},
	}
}

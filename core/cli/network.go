package cli

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core"
)

func networkCommand() *cli.Command {
	return &cli.Command{
		Name:  "network",
		Usage: "Manage named networks (containers on one reach each other by name)",
		Subcommands: []*cli.Command{{
			Name:      "create",
			Usage:     "Create a network",
			ArgsUsage: "NAME",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "subnet", Usage: "IPv4 subnet in CIDR form (default: the first free 10.89.N.0/24)"},
				&cli.StringFlag{Name: "gateway", Usage: "the network's own address, its DNS server (default: the subnet's first)"},
				&cli.BoolFlag{Name: "internal", Usage: "no way out: containers reach only each other"},
				&cli.BoolFlag{Name: "disable-dns", Usage: "no name resolution on the network"},
				&cli.StringFlag{Name: "driver", Aliases: []string{"d"}, Usage: "network driver: hull (built-in; bridge means it too) or a network plugin's name (DIR/network/NAME)"},
				sliceFlag("opt", "o", "driver options KEY=VALUE"),
				sliceFlag("label", "", "set metadata on a network: KEY=VALUE (repeatable)"),
				sliceFlag("plugin-dir", "", "also look for the driver's plugin in DIR/network (later commands need it on the plugin path too)"),
			},
			Action: networkCreate,
		}, {
			Name:    "ls",
			Aliases: []string{"list"},
			Usage:   "List networks",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "format", Usage: "table (default), json, or a Go template: '{{.Name}} {{.Subnet}}'"},
				&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "only names"},
				&cli.BoolFlag{Name: "no-trunc", Usage: "do not truncate ids"},
				sliceFlag("filter", "f", "provide filter values (label=KEY[=VALUE], label!=, name=, id=, driver=)"),
			},
			Action: networkList,
		}, {
			Name:      "inspect",
			Usage:     "Show networks and the containers attached",
			ArgsUsage: "NETWORK...",
			Flags:     []cli.Flag{&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "Go template"}},
			Action:    networkInspect,
		}, {
			Name:      "rm",
			Aliases:   []string{"remove"},
			Usage:     "Remove networks",
			ArgsUsage: "NETWORK...",
			Flags:     []cli.Flag{&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "remove the containers that use it too"}},
			Action:    networkRemove,
		}, {
			Name:      "connect",
			Usage:     "Connect a container to a network (a running one at once)",
			ArgsUsage: "NETWORK CONTAINER",
			Flags: []cli.Flag{
				&cli.StringSliceFlag{Name: "alias", KeepSpace: true, Usage: "another name of the container on the network"},
				&cli.StringFlag{Name: "ip", Usage: "the container's IPv4 address on the network"},
			},
			Action: func(c *cli.Context) error {
				if err := needArgs(c, 2, 2); err != nil {
					return err
				}
				h, err := openHull(c)
				if err != nil {
					return err
				}
				if err := h.NetworkConnect(c.Args().Get(0), c.Args().Get(1), c.StringSlice("alias"), c.String("ip")); err != nil {
					return exitCode(core.ExitHullError, err)
				}
				return nil
			},
		}, {
			Name:      "disconnect",
			Usage:     "Disconnect a container from a network (a running one at once)",
			ArgsUsage: "NETWORK CONTAINER",
			Flags:     []cli.Flag{&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "accepted for Docker's sake"}},
			Action: func(c *cli.Context) error {
				if err := needArgs(c, 2, 2); err != nil {
					return err
				}
				h, err := openHull(c)
				if err != nil {
					return err
				}
				if err := h.NetworkDisconnect(c.Args().Get(0), c.Args().Get(1)); err != nil {
					return exitCode(core.ExitHullError, err)
				}
				return nil
			},
		}, {
			Name:   "prune",
			Usage:  "Remove every network no container uses",
			Flags:  []cli.Flag{&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "do not ask (hull never asks)"}},
			Action: networkPrune,
		}},
	}
}

func networkCreate(c *cli.Context) error {
	if err := needArgs(c, 1, 1); err != nil {
		return err
	}
	opts := map[string]string{}
	for _, kv := range c.StringSlice("opt") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return exitCode(core.ExitHullError, fmt.Errorf("invalid --opt %q: want KEY=VALUE", kv))
		}
		opts[k] = v
	}
	if len(opts) == 0 {
		opts = nil
	}
	if err := addPluginDirs(c.StringSlice("plugin-dir")); err != nil {
		return exitCode(core.ExitHullError, err)
	}
	h, err := openHull(c)
	if err != nil {
		return err
	}
	cfg, err := h.NetworkCreate(core.NetworkCreateOptions{Name: c.Args().First(), Subnet: c.String("subnet"),
		Gateway: c.String("gateway"), Internal: c.Bool("internal"), DisableDNS: c.Bool("disable-dns"),
		Driver: c.String("driver"), Options: opts, Labels: labelMap(c.StringSlice("label"))})
	if err != nil {
		return exitCode(core.ExitHullError, err)
	}
	fmt.Fprintln(c.App.Writer, cfg.Name)
	return nil
}

type networkRow struct {
	ID, Name, Driver, Subnet, Gateway string
	Internal, DNS                     bool
}

func networkList(c *cli.Context) error {
	h, err := openHull(c)
	if err != nil {
		return err
	}
	all, err := h.NetworksFiltered(c.StringSlice("filter"))
	if err != nil {
		return exitCode(core.ExitHullError, err)
	}
	format := c.String("format")
	if c.Bool("quiet") {
		format = "{{.Name}}"
	}
	lf, err := newListFormat(format, "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Subnet}}",
		map[string]string{"ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER", "Subnet": "SUBNET", "Gateway": "GATEWAY", "Internal": "INTERNAL", "DNS": "DNS"})
	if err != nil {
		return exitCode(core.ExitHullError, err)
	}
	rows := []any{}
	for _, n := range all {
		rows = append(rows, networkRow{ID: shortID(n.ID, c.Bool("no-trunc")), Name: n.Name, Driver: n.Driver,
			Subnet: n.Subnet, Gateway: n.Gateway, Internal: n.Internal, DNS: !n.DisableDNS})
	}
	return lf.write(c.App.Writer, rows)
}

func networkInspect(c *cli.Context) error {
	if err := needArgs(c, 1, -1); err != nil {
		return err
	}
	h, err := openHull(c)
	if err != nil {
		return err
	}
	var views []any
	var firstErr error
	for _, ref := range c.Args().Slice() {
		v, err := h.NetworkInspect(ref)
		if err != nil {
			fmt.Fprintf(c.App.ErrWriter, "Error: %v\n", err)
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		views = append(views, v)
	}
	if f := c.String("format"); f != "" {
		err = printTemplated(c, f, views)
	} else {
		err = printJSONArray(c, views)
	}
	if err != nil {
		return exitCode(core.ExitHullError, err)
	}
	if firstErr != nil {
		return exitCode(1, nil)
	}
	return nil
}

func networkRemove(c *cli.Context) error {
	if err := needArgs(c, 1, -1); err != nil {
		return err
	}
	h, err := openHull(c)
	if err != nil {
		return err
	}
	var errs []error
	for _, ref := range c.Args().Slice() {
		name, err := h.NetworkRemove(ref, c.Bool("force"))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintln(c.App.Writer, name)
	}
	if len(errs) > 0 {
		return exitCode(core.ExitHullError, errors.Join(errs...))
	}
	return nil
}

func networkPrune(c *cli.Context) error {
	h, err := openHull(c)
	if err != nil {
		return err
	}
	names, err := h.NetworkPrune()
	for _, n := range names {
		fmt.Fprintln(c.App.Writer, n)
	}
	if err != nil {
		return exitCode(core.ExitHullError, err)
	}
	return nil
}

// namedNetworks resolves --network, --network-alias and --ip of run and
// create against the network store.
func namedNetworks(c *cli.Context, h *core.Hull, opts *core.RunOptions) error {
	ip := c.String("ip")
	if ip != "" && net.ParseIP(ip).To4() == nil {
		return exitCode(core.ExitHullError, fmt.Errorf("invalid --ip %q: want an IPv4 address", ip))
	}
	if err := h.ResolveNetworks(&opts.Options, c.StringSlice("network"), c.StringSlice("network-alias"), ip); err != nil {
		return exitCode(core.ExitHullError, err)
	}
	return nil
}

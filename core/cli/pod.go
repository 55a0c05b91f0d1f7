package cli

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core"
	"github.com/hull-project/hull/core/container"
)

// podCommand is `hull pod`: Podman's pods, the common subset of its flags.
func podCommand() *cli.Command {
	ls := podLsCommand()
	return &cli.Command{
		Name:  "pod",
		Usage: "Manage pods (containers that share a network, IPC and UTS namespace)",
		Subcommands: []*cli.Command{podCreateCommand(), ls, podInspectCommand(),
			podEachCommand("start", "Start one or more pods", nil, func(c *cli.Context, h *core.Hull, ref string) (string, error) {
				return h.StartPod(ref)
			}),
			podEachCommand("stop", "Stop one or more pods", []cli.Flag{timeoutFlag()}, func(c *cli.Context, h *core.Hull, ref string) (string, error) {
				return h.StopPod(ref, time.Duration(c.Int("time"))*time.Second)
			}),
			podEachCommand("rm", "Remove one or more pods and their containers", []cli.Flag{
				&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "stop and remove running containers too"}},
				func(c *cli.Context, h *core.Hull, ref string) (string, error) {
					return h.RemovePod(ref, c.Bool("force"))
				}),
			podPruneCommand()},
	}
}

func podCreateCommand() *cli.Command {
	return &cli.Command{
		Name: "create", Usage: "Create a new empty pod", ArgsUsage: "[NAME]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "name", Usage: "name of the pod"},
			&cli.StringFlag{Name: "hostname", Usage: "hostname of the pod's members (default: the pod's name)"},
			sliceFlag("label", "", "set metadata on the pod (KEY=VALUE)"),
			sliceFlag("publish", "p", "publish a port of the pod to the host (run's -p syntax)"),
			sliceFlag("network", "", "the pod's network: bridge (default), none, a network plugin, or named networks (hull network create; repeatable)"),
			sliceFlag("network-alias", "", "another name of the pod on its (first) named network"),
		},
		Action: hullAction(0, 1, func(c *cli.Context, h *core.Hull) error {
			name := c.String("name")
			if c.NArg() == 1 {
				if name != "" && name != c.Args().First() {
					return fmt.Errorf("cannot specify a pod name as both an argument and --name")
				}
				name = c.Args().First()
			}
			p, err := h.CreatePod(core.PodCreateOptions{Name: name, Hostname: c.String("hostname"),
				Labels: c.StringSlice("label"), Publish: c.StringSlice("publish"),
				Network: c.StringSlice("network"), Aliases: c.StringSlice("network-alias")})
			if err != nil {
				return err
			}
			fmt.Fprintln(c.App.Writer, p.ID)
			return nil
		}),
	}
}

// podEachCommand acts on each pod named (every pod with --all) and
// prints its id, as Podman.
func podEachCommand(name, usage string, flags []cli.Flag, act func(*cli.Context, *core.Hull, string) (string, error)) *cli.Command {
	flags = append(flags, &cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "every pod"})
	return &cli.Command{Name: name, Usage: usage, ArgsUsage: "POD [POD...]", Flags: flags,
		Action: hullAction(0, -1, func(c *cli.Context, h *core.Hull) error {
			refs := c.Args().Slice()
			if c.Bool("all") == (len(refs) > 0) {
				return fmt.Errorf("pod %s: give pod names or --all, not both or neither", name)
			}
			if c.Bool("all") {
				pods, err := h.Pods()
				if err != nil {
					return err
				}
				for _, p := range pods {
					refs = append(refs, p.ID)
				}
			}
			var last error
			for _, ref := range refs {
				id, err := act(c, h, ref)
				if err != nil {
					if last != nil {
						printErr(c.App.ErrWriter, last)
					}
					last = err
					continue
				}
				fmt.Fprintln(c.App.Writer, id)
			}
			return last
		})}
}

// podRow is what `pod ls --format` sees: Podman's field names.
type podRow struct {
	ID, Name, Status, Created, InfraID, Networks, Labels string
	NumberOfContainers                                   int
	ContainerNames, ContainerIds                         string
}

var podHeaders = map[string]string{"ID": "POD ID", "Name": "NAME", "Status": "STATUS", "Created": "CREATED",
	"InfraID": "INFRA ID", "NumberOfContainers": "# OF CONTAINERS", "Networks": "NETWORKS", "Labels": "LABELS",
	"ContainerNames": "NAMES", "ContainerIds": "IDS"}

const defaultPodTable = "table {{.ID}}\t{{.Name}}\t{{.Status}}\t{{.Created}}\t{{.InfraID}}\t{{.NumberOfContainers}}"

func podLsCommand() *cli.Command {
	return &cli.Command{
		Name: "ls", Aliases: []string{"ps", "list"}, Usage: "List pods",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only pod ids"},
			&cli.BoolFlag{Name: "no-trunc", Usage: "do not truncate pod ids"},
			&cli.StringFlag{Name: "format", Usage: "Go template, table, or json"},
			sliceFlag("filter", "f", "show only pods that match: name=, id=, status=, label=KEY[=VALUE]"),
		},
		Action: hullAction(0, 0, func(c *cli.Context, h *core.Hull) error {
			pods, err := h.Pods()
			if err != nil {
				return err
			}
			if pods, err = filterPods(pods, c.StringSlice("filter")); err != nil {
				return err
			}
			format := c.String("format")
			if c.Bool("quiet") {
				format = "{{.ID}}"
			}
			lf, err := newListFormat(format, defaultPodTable, podHeaders)
			if err != nil {
				return err
			}
			var rows []any
			for i := len(pods) - 1; i >= 0; i-- { // newest first
				rows = append(rows, newPodRow(pods[i], c.Bool("no-trunc")))
			}
			return lf.write(c.App.Writer, rows)
		}),
	}
}

func newPodRow(v *core.PodView, noTrunc bool) podRow {
	short := func(id string) string {
		if noTrunc {
			return id
		}
		return container.ShortID(id)
	}
	r := podRow{ID: short(v.ID), Name: v.Name, Status: v.Status, Created: since(v.Created),
		Networks: strings.Join(podNetworkNames(v), ","), NumberOfContainers: len(v.Containers)}
	if v.Infra.Pid != 0 {
		r.InfraID = strconv.Itoa(v.Infra.Pid)
	}
	var names, ids, labels []string
	for _, c := range v.Containers {
		names, ids = append(names, c.Name), append(ids, short(c.ID))
	}
	for k, val := range v.Labels {
		labels = append(labels, k+"="+val)
	}
	sort.Strings(labels)
	r.ContainerNames, r.ContainerIds, r.Labels = strings.Join(names, ","), strings.Join(ids, ","), strings.Join(labels, ",")
	return r
}

// podInspect is `pod inspect`'s document: Podman's names for the fields
// hull has.
type podInspect struct {
	ID               string            `json:"Id"`
	Name             string            `json:"Name"`
	Created          time.Time         `json:"Created"`
	State            string            `json:"State"`
	Hostname         string            `json:"Hostname"`
	Labels           map[string]string `json:"Labels"`
	InfraPid         int               `json:"InfraPid"`
	SharedNamespaces []string          `json:"SharedNamespaces"`
	NumContainers    int               `json:"NumContainers"`
	Containers       []podMember       `json:"Containers"`
	InfraConfig      podInfraConfig    `json:"InfraConfig"`
}

type podMember struct {
	ID    string `json:"Id"`
	Name  string `json:"Name"`
	State string `json:"State"`
}

type podInfraConfig struct {
	Networks     []string        `json:"Networks"`
	PortBindings container.Ports `json:"PortBindings"`
	IPAddress    string          `json:"IPAddress,omitempty"`
	HostPorts    container.Ports `json:"HostPorts,omitempty"`
}

func podInspectCommand() *cli.Command {
	return &cli.Command{
		Name: "inspect", Usage: "Display detailed information on one or more pods", ArgsUsage: "POD [POD...]",
		Flags: []cli.Flag{&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "Go template"}},
		Action: hullAction(1, -1, func(c *cli.Context, h *core.Hull) error {
			var views []any
			for _, ref := range c.Args().Slice() {
				v, err := h.Pod(ref)
				if err != nil {
					return err
				}
				views = append(views, newPodInspect(v))
			}
			format := c.String("format")
			if format == "" || format == "json" {
				return printJSONArray(c, views)
			}
			t, err := parseTemplate(format)
			if err != nil {
				return err
			}
			for _, v := range views {
				if err := executeTemplate(c.App.Writer, t, v); err != nil {
					return err
				}
			}
			return nil
		}),
	}
}

func newPodInspect(v *core.PodView) podInspect {
	d := podInspect{ID: v.ID, Name: v.Name, Created: v.Created, State: v.Status, Hostname: v.Hostname,
		Labels: v.Labels, InfraPid: v.Infra.Pid, SharedNamespaces: []string{"ipc", "net", "uts"},
		NumContainers: len(v.Containers), Containers: []podMember{},
		InfraConfig: podInfraConfig{Networks: podNetworkNames(v), PortBindings: container.NewPorts(v.Ports)}}
	if d.Labels == nil {
		d.Labels = map[string]string{}
	}
	if v.Infra.Pid != 0 {
		d.InfraConfig.IPAddress, d.InfraConfig.HostPorts = v.Infra.IP, container.NewPorts(v.Infra.Ports)
	}
	for _, c := range v.Containers {
		d.Containers = append(d.Containers, podMember{ID: c.ID, Name: c.Name, State: c.State.Status})
	}
	return d
}

func podPruneCommand() *cli.Command {
	return &cli.Command{
		Name: "prune", Usage: "Remove all stopped pods and their containers",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "do not ask for confirmation (hull never asks)"}},
		Action: hullAction(0, 0, func(c *cli.Context, h *core.Hull) error {
			ids, err := h.PrunePods()
			for _, id := range ids {
				fmt.Fprintln(c.App.Writer, id)
			}
			return err
		}),
	}
}

// filterPods keeps the pods that match every filter; several values of one
// key match any of them, as Podman's pod ps --filter.
func filterPods(pods []*core.PodView, filters []string) ([]*core.PodView, error) {
	by := map[string][]string{}
	for _, f := range filters {
		k, v, ok := strings.Cut(f, "=")
		switch {
		case !ok:
			return nil, fmt.Errorf("invalid filter %q: want KEY=VALUE", f)
		case k != "name" && k != "id" && k != "status" && k != "label":
			return nil, fmt.Errorf("invalid filter %q: pod ls filters on name, id, status and label", k)
		}
		by[k] = append(by[k], v)
	}
	var out []*core.PodView
	for _, p := range pods {
		if podMatches(p, by) {
			out = append(out, p)
		}
	}
	return out, nil
}

func podMatches(p *core.PodView, by map[string][]string) bool {
	for k, vals := range by {
		ok := false
		for _, v := range vals {
			switch k {
			case "name":
				ok = ok || strings.Contains(p.Name, v)
			case "id":
				ok = ok || strings.HasPrefix(p.ID, v)
			case "status":
				ok = ok || strings.EqualFold(p.Status, v)
			case "label":
				key, val, hasVal := strings.Cut(v, "=")
				got, has := p.Labels[key]
				ok = ok || has && (!hasVal || got == val)
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// podNetworkNames are a pod's named networks, else its network mode.
func podNetworkNames(v *core.PodView) []string {
	if len(v.Named) == 0 {
		return []string{v.Network}
	}
	var out []string
	for _, n := range v.Named {
		out = append(out, n.Config.Name)
	}
	return out
}

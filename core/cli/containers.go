package cli

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	units "github.com/docker/go-units"
	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core"
	"github.com/hull-project/hull/core/container"
)

// containerRow is one line of `ps`; the fields are Docker's.
type containerRow struct {
	Command    string
	CreatedAt  string
	ID         string
	Image      string
	Labels     string
	Mounts     string
	Names      string
	Networks   string
	Ports      string
	RunningFor string
	Size       string
	State      string
	Status     string
}

var containerHeaders = map[string]string{
	"Command": "COMMAND", "CreatedAt": "CREATED AT", "ID": "CONTAINER ID", "Image": "IMAGE",
	"Labels": "LABELS", "Mounts": "MOUNTS", "Names": "NAMES", "Networks": "NETWORKS", "Ports": "PORTS",
	"RunningFor": "CREATED", "Size": "SIZE", "State": "STATE", "Status": "STATUS",
}

const defaultPsTable = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"

func containerCommand() *cli.Command {
	ls := psCommand()
	ls.Name, ls.Aliases = "ls", []string{"list", "ps"}
	rm := rmCommand()
	rm.Aliases = []string{"remove"}
	inspect := inspectCommand()
	inspect.Flags = inspect.Flags[:1]
	inspect.Action = func(c *cli.Context) error { return inspectObjects(c, "container") }
	return &cli.Command{
		Name:        "container",
		Usage:       "Manage containers",
		Subcommands: append([]*cli.Command{ls, rm, inspect, runCommand(), pruneContainersCommand()}, lifecycleCommands()...),
	}
}

func psCommand() *cli.Command {
	return &cli.Command{
		Name:  "ps",
		Usage: "List containers",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "show all containers (default shows just running)"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "only display container IDs"},
			&cli.BoolFlag{Name: "no-trunc", Usage: "don't truncate output"},
			&cli.StringFlag{Name: "format", Usage: "format output using a Go template, 'table' or 'json'"},
			&cli.IntFlag{Name: "last", Aliases: []string{"n"}, Value: -1, Usage: "show n last created containers (includes all states)"},
			&cli.BoolFlag{Name: "latest", Aliases: []string{"l"}, Usage: "show the latest created container (includes all states)"},
			sliceFlag("filter", "f", "filter output: status=, name=, ancestor=, id=, exited=, label=KEY[=VALUE], pod=NAME|ID, before=, since=, publish=, network=, volume=, health="),
			&cli.BoolFlag{Name: "size", Aliases: []string{"s"}, Usage: "display total file sizes"},
		},
		Action: listContainers,
	}
}

func listContainers(c *cli.Context) error {
	if err := needArgs(c, 0, 0); err != nil {
		return err
	}
	h, err := openHull(c)
	if err != nil {
		return err
	}
	all, err := h.ListContainers()
	if err != nil {
		return err
	}
	sel, err := psSelection(c)
	if err != nil {
		return err
	}
	if err := sel.resolvePods(h); err != nil {
		return err
	}
	if err := sel.resolveRefs(all); err != nil {
		return err
	}
	var rows []containerRow
	for _, ct := range sel.apply(all) {
		r := psRow(ct, !c.Bool("no-trunc"), time.Now())
		if c.Bool("size") {
			rw, virtual := h.ContainerSize(ct)
			r.Size = fmt.Sprintf("%s (virtual %s)", units.HumanSizeWithPrecision(float64(rw), 3), units.HumanSizeWithPrecision(float64(virtual), 3))
		}
		rows = append(rows, r)
	}
	if c.Bool("quiet") {
		for _, r := range rows {
			fmt.Fprintln(c.App.Writer, r.ID)
		}
		return nil
	}
	table := defaultPsTable
	if c.Bool("size") {
		table += "\t{{.Size}}"
	}
	lf, err := newListFormat(c.String("format"), table, containerHeaders)
	if err != nil {
		return err
	}
	return lf.write(c.App.Writer, toAny(rows))
}

func psRow(ct *container.Container, trunc bool, now time.Time) containerRow {
	cmd := ct.Command()
	if trunc {
		cmd = ellipsis(cmd, 20)
	}
	img := ct.Image
	if trunc && strings.HasPrefix(img, "sha256:") {
		img = shortID(img, false)
	}
	return containerRow{Command: strconv.Quote(cmd), CreatedAt: createdAt(ct.Created), ID: shortID(ct.ID, !trunc),
		Image: img, Names: ct.Name, Networks: ct.NetworkNames(),
		RunningFor: units.HumanDuration(now.UTC().Sub(ct.Created)) + " ago",
		State:      ct.State.Status, Status: status(ct.State, now), Ports: portsColumn(ct)}
}

// portsColumn is Docker's PORTS column: "0.0.0.0:8080->80/tcp, ...",
// from the running container's ports, else its publications.
func portsColumn(ct *container.Container) string {
	m := ct.HostConfig.PortBindings
	if ct.State.Running && len(ct.NetworkSettings.Ports) > 0 {
		m = ct.NetworkSettings.Ports
	}
	var out []string
	for _, p := range m {
		ip := p.HostIP
		if ip == "" {
			ip = "0.0.0.0"
		}
		host := ""
		if p.HostPort != 0 {
			host = fmt.Sprintf("%s:%d->", ip, p.HostPort)
		}
		out = append(out, host+p.Key())
	}
	return strings.Join(out, ", ")
}

// healthSuffix is what STATUS adds for a running container's health
// check, as Docker's: " (healthy)", " (unhealthy)", " (health: starting)".
func healthSuffix(h *container.Health) string {
	switch {
	case h == nil || h.Status == "":
		return ""
	case h.Status == container.HealthStarting:
		return " (health: starting)"
	}
	return " (" + h.Status + ")"
}

// status is Docker's STATUS column.
func status(s container.State, now time.Time) string {
	switch {
	case s.Running && s.Paused:
		return "Up " + units.HumanDuration(now.UTC().Sub(s.StartedAt)) + " (Paused)"
	case s.Running:
		return "Up " + units.HumanDuration(now.UTC().Sub(s.StartedAt)) + healthSuffix(s.Health)
	case s.Restarting:
		return fmt.Sprintf("Restarting (%d) %s ago", s.ExitCode, units.HumanDuration(now.UTC().Sub(s.FinishedAt)))
	case s.Status == container.StatusExited:
		return fmt.Sprintf("Exited (%d) %s ago", s.ExitCode, units.HumanDuration(now.UTC().Sub(s.FinishedAt)))
	}
	return "Created"
}

func rmCommand() *cli.Command {
	return &cli.Command{
		Name:      "rm",
		Usage:     "Remove one or more containers",
		ArgsUsage: "CONTAINER [CONTAINER...] | -a",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "force the removal of a running container (uses SIGKILL)"},
			&cli.BoolFlag{Name: "volumes", Aliases: []string{"v"}, Usage: "remove the container's anonymous volumes (named volumes and bind mounts stay)"},
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "remove all stopped containers (with --force: all containers)"},
		},
		Action: removeContainers,
	}
}

// removeContainers removes the containers, several at once, printing each
// name as given, in order, and goes on after a failure; the last error
// decides the exit code.
func removeContainers(c *cli.Context) error {
	lo, hi := 1, -1
	if c.Bool("all") {
		lo, hi = 0, 0
	}
	if err := needArgs(c, lo, hi); err != nil {
		return err
	}
	h, err := openHull(c)
	if err != nil {
		return err
	}
	refs := c.Args().Slice()
	if c.Bool("all") {
		if refs, err = removable(h, c.Bool("force")); err != nil {
			return err
		}
	}
	remove := h.RemoveContainer
	if c.Bool("volumes") {
		remove = h.RemoveContainerVolumes
	}
	errs := make([]error, len(refs))
	inParallel(len(refs), rmParallel, func(i int) {
		_, errs[i] = remove(refs[i], c.Bool("force"))
	})
	var last error
	for i, ref := range refs {
		if errs[i] != nil {
			if last != nil {
				printErr(c.App.ErrWriter, last)
			}
			last = errs[i]
			continue
		}
		fmt.Fprintln(c.App.Writer, ref)
	}
	return last
}

// rmParallel is how many containers rm removes at once, as Docker's CLI
// (which runs 50): most of a removal is waiting for the kernel to tear a
// killed container's namespaces down, which overlaps.
const rmParallel = 16

// inParallel runs fn(0..n-1), at most limit at a time, and returns once
// all returned.
func inParallel(n, limit int, fn func(i int)) {
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			fn(i)
		})
	}
	wg.Wait()
}

// removable is what rm -a removes (it takes no names): the ids of the
// stopped containers, or of every container with force.
func removable(h *core.Hull, force bool) ([]string, error) {
	all, err := h.ListContainers()
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, ct := range all {
		if force || !ct.State.Running {
			ids = append(ids, ct.ID)
		}
	}
	return ids, nil
}

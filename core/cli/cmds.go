package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	units "github.com/docker/go-units"
	"github.com/moby/term"
	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core"
)

func pauseCommand() *cli.Command {
	return &cli.Command{Name: "pause", Usage: "Pause all processes within one or more containers", ArgsUsage: "CONTAINER [CONTAINER...]",
		Action: hullAction(1, -1, func(c *cli.Context, h *core.Hull) error { return eachContainer(c, h.Pause) })}
}

func unpauseCommand() *cli.Command {
	return &cli.Command{Name: "unpause", Usage: "Unpause all processes within one or more containers", ArgsUsage: "CONTAINER [CONTAINER...]",
		Action: hullAction(1, -1, func(c *cli.Context, h *core.Hull) error { return eachContainer(c, h.Unpause) })}
}

func exportCommand() *cli.Command {
	return &cli.Command{Name: "export", Usage: "Export a container's filesystem as a tar archive", ArgsUsage: "CONTAINER",
		Flags: []cli.Flag{&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write to a file, instead of STDOUT"}},
		Action: hullAction(1, 1, func(c *cli.Context, h *core.Hull) error {
			out := c.String("output")
			if out == "" {
				if term.IsTerminal(os.Stdout.Fd()) {
					return errors.New("cowardly refusing to save to a terminal. Use the -o flag or redirect")
				}
				return h.Export(c.Args().First(), c.App.Writer)
			}
			// Written beside the target and renamed: a failed export leaves no half file.
			f, err := os.CreateTemp(dirOf(out), ".hull-export-*")
			if err != nil {
				return fmt.Errorf("export to %s: %w", out, err)
			}
			err = h.Export(c.Args().First(), f)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err == nil {
				err = os.Chmod(f.Name(), 0o644)
			}
			if err == nil {
				err = os.Rename(f.Name(), out)
			}
			if err != nil {
				os.Remove(f.Name())
				return err
			}
			return nil
		})}
}

func dirOf(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			if i == 0 {
				return "/"
			}
			return p[:i]
		}
	}
	return "."
}

func updateCommand() *cli.Command {
	return &cli.Command{Name: "update", Usage: "Update configuration of one or more containers", ArgsUsage: "CONTAINER [CONTAINER...]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "memory", Aliases: []string{"m"}, Usage: "memory limit (e.g. 512m, 2g)"},
			&cli.StringFlag{Name: "cpus", Usage: "number of CPUs (e.g. 1.5)"},
			&cli.Int64Flag{Name: "pids-limit", Usage: "maximum number of processes"},
			&cli.StringFlag{Name: "restart", Usage: "restart policy: no, on-failure[:N], always, unless-stopped"},
		},
		Action: hullAction(1, -1, func(c *cli.Context, h *core.Hull) error {
			o := core.UpdateOptions{Memory: c.String("memory"), CPUs: c.String("cpus"), PidsLimit: c.Int64("pids-limit"),
				Restart: c.String("restart")}
			if o == (core.UpdateOptions{}) {
				return errors.New("you must provide one or more flags when using this command")
			}
			return eachContainer(c, func(ref string) error { return h.Update(ref, o) })
		})}
}

// statsRow is one line of `hull stats`; the fields are Docker's.
type statsRow struct {
	Container string
	ID        string
	Name      string
	CPUPerc   string
	MemUsage  string
	MemPerc   string
	NetIO     string
	BlockIO   string
	PIDs      string
}

var statsHeaders = map[string]string{"Container": "CONTAINER", "ID": "CONTAINER ID", "Name": "NAME", "CPUPerc": "CPU %",
	"MemUsage": "MEM USAGE / LIMIT", "MemPerc": "MEM %", "NetIO": "NET I/O", "BlockIO": "BLOCK I/O", "PIDs": "PIDS"}

const defaultStatsTable = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}"

// statsInterval is between two readings (Docker's daemon samples each second).
const statsInterval = time.Second

func statsCommand() *cli.Command {
	return &cli.Command{Name: "stats", Usage: "Display a live stream of container(s) resource usage statistics", ArgsUsage: "[CONTAINER...]",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "show all containers (default shows just running)"},
			&cli.BoolFlag{Name: "no-stream", Usage: "disable streaming stats and only pull the first result"},
			&cli.BoolFlag{Name: "no-trunc", Usage: "do not truncate output"},
			&cli.StringFlag{Name: "format", Usage: "format output using a Go template, table or json"},
		},
		Action: hullAction(0, -1, func(c *cli.Context, h *core.Hull) error {
			lf, err := newListFormat(c.String("format"), defaultStatsTable, statsHeaders)
			if err != nil {
				return err
			}
			targets, err := h.StatsTargets(c.Args().Slice(), c.Bool("all"))
			if err != nil {
				return err
			}
			ids := make([]string, len(targets))
			for i, t := range targets {
				ids[i] = t.ID
			}
			prev := readStats(h, ids)
			stream := !c.Bool("no-stream")
			tty := term.IsTerminal(os.Stdout.Fd())
			for {
				time.Sleep(statsInterval)
				cur := readStats(h, ids)
				rows := make([]any, 0, len(ids))
				for i := range ids {
					if cur[i] == nil {
						continue // removed meanwhile
					}
					rows = append(rows, statsLine(prev[i], cur[i], c.Bool("no-trunc")))
				}
				var buf bytes.Buffer
				if stream && tty {
					buf.WriteString("\x1b[2J\x1b[H") // Docker redraws the screen
				}
				if err := lf.write(&buf, rows); err != nil {
					return err
				}
				if _, err := io.Copy(c.App.Writer, &buf); err != nil || !stream {
					return err
				}
				prev = cur
			}
		})}
}

func readStats(h *core.Hull, ids []string) []*core.ContainerStats {
	out := make([]*core.ContainerStats, len(ids))
	for i, id := range ids {
		if s, err := h.Stats(id); err == nil {
			out[i] = &s
		}
	}
	return out
}

// statsLine makes a row from two readings; "--" stands for what the
// container has no counter of (no cgroup of its own, or not running).
func statsLine(prev, cur *core.ContainerStats, noTrunc bool) statsRow {
	r := statsRow{Container: shortID(cur.ID, noTrunc), ID: shortID(cur.ID, noTrunc), Name: cur.Name,
		CPUPerc: "--", MemUsage: "-- / --", MemPerc: "--", NetIO: "--", BlockIO: "--", PIDs: "--"}
	u := cur.Usage
	if prev != nil && prev.Usage.CPUNanos >= 0 && u.CPUNanos >= 0 {
		wall := cur.Read.Sub(prev.Read).Nanoseconds()
		r.CPUPerc = fmt.Sprintf("%.2f%%", float64(u.CPUNanos-prev.Usage.CPUNanos)/float64(max(wall, 1))*100)
	}
	if u.Memory >= 0 {
		limit := u.MemoryLimit
		r.MemUsage = units.BytesSize(float64(u.Memory)) + " / " + units.BytesSize(float64(limit))
		if limit > 0 {
			r.MemPerc = fmt.Sprintf("%.2f%%", float64(u.Memory)/float64(limit)*100)
		}
	}
	if cur.NetRx >= 0 {
		r.NetIO = units.HumanSizeWithPrecision(float64(cur.NetRx), 3) + " / " + units.HumanSizeWithPrecision(float64(cur.NetTx), 3)
	}
	if u.BlockRead >= 0 {
		r.BlockIO = units.HumanSizeWithPrecision(float64(u.BlockRead), 3) + " / " + units.HumanSizeWithPrecision(float64(u.BlockWrite), 3)
	}
	if u.Pids >= 0 {
		r.PIDs = fmt.Sprint(u.Pids)
	}
	return r
}

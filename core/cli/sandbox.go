package cli

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core"
	"github.com/hull-project/hull/core/container"
)

// sandboxFlags are run's and create's limit, time-out and user namespace
// flags (docs/ci.md).
func sandboxFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "memory", Aliases: []string{"m"}, Usage: "memory limit (e.g. 512m, 2g)"},
		&cli.StringFlag{Name: "memory-swap", Usage: "memory plus swap limit; -1 for unlimited swap"},
		&cli.StringFlag{Name: "cpus", Usage: "number of CPUs (e.g. 1.5)"},
		&cli.Int64Flag{Name: "cpu-shares", Aliases: []string{"c"}, Usage: "CPU shares (relative weight)"},
		&cli.Int64Flag{Name: "pids-limit", Usage: "maximum number of processes (-1 for unlimited)"},
		sliceFlag("ulimit", "", "ulimit options: NAME=SOFT[:HARD], e.g. nofile=1024:2048"),
		&cli.BoolFlag{Name: "strict-limits", Usage: "fail rather than warn when a limit cannot be enforced on this host"},
		runTimeoutFlag(),
		&cli.StringFlag{Name: "userns", Usage: "user namespace: keep-id (your uid and gid inside) or host (a single mapping)"},
	}
}

func runTimeoutFlag() cli.Flag {
	return &cli.DurationFlag{Name: "timeout", Usage: "kill the container after DURATION (e.g. 30s, 10m) and exit with 124"}
}

func limitOptions(c *cli.Context) container.LimitOptions {
	return container.LimitOptions{Memory: c.String("memory"), MemorySwap: c.String("memory-swap"),
		CPUs: c.String("cpus"), CPUShares: c.Int64("cpu-shares"), PidsLimit: c.Int64("pids-limit"),
		Ulimits: c.StringSlice("ulimit"), StrictLimits: c.Bool("strict-limits"), Timeout: c.Duration("timeout"),
		Userns: c.String("userns")}
}

func printLimits(w io.Writer, limits []core.LimitSupport) {
	fmt.Fprintln(w, "Limits:")
	for _, l := range limits {
		fmt.Fprintf(w, " %-26s %s\n", l.Flags+":", l.How)
		if l.Why != "" {
			fmt.Fprintf(w, " %-26s   (%s)\n", "", l.Why)
		}
	}
}

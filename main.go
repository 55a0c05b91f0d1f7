// Command hull is a rootless, daemonless container tool. main is the only
// composition root: it decides which role this process plays (package
// isolation/role names them and documents their descriptors), hands each
// role what it needs (the tasks, the built-in instruction handlers), and
// is the only place a role's status becomes the process's exit status.
// Anything that is not a role is the CLI.
package main

import (
	"os"
	"runtime"
	"runtime/debug"

	"github.com/hull-project/hull/builders"
	"github.com/hull-project/hull/core"
	"github.com/hull-project/hull/core/cli"
	"github.com/hull-project/hull/core/monitor"
	"github.com/hull-project/hull/isolation/child"
	"github.com/hull-project/hull/isolation/role"
	"github.com/hull-project/hull/plugins/network/usernet"
)

func main() {
	if len(os.Args) > 1 {
		if run, ok := roles[os.Args[1]]; ok {
			tune(os.Args[1])
			os.Exit(role.Status(run(os.Args[2:]), os.Stderr))
		}
	}
	os.Exit(cli.Main(os.Args))
}

// tune sizes the Go runtime of the helpers that stay beside every
// container for its whole life (its monitor, a pod's): what each one keeps
// is what one more container costs (bench/density.sh). They do little
// work, so one P is enough (fewer threads, one mcache per P) and a GC at
// 25% growth keeps the heap near what is live. On a 2-CPU machine (2 Ps
// anyway) it saves little: USS -25 to -80 KiB per monitor at N=15; most of
// the ~4 MiB is what package init allocated, live for the process's life
// (bench/density.sh, docs/speed.md). Machines with more CPUs save more.
func tune(name string) {
	if name != role.Monitor && name != role.Pod {
		return
	}
	runtime.GOMAXPROCS(1)
	debug.SetGCPercent(25)
}

// roles are the mains of the processes hull re-executes itself as, by
// argv[1]; each gets argv[2:].
// role.Plugin (a built-in instruction plugin) is there only where the
// plugin machinery is linked (plugin_role.go): not in the default hull of
// `make build`, whose full hull serves its built-in plugins itself.
var roles = withPluginRole(map[string]func(args []string) error{
	role.Init:        func([]string) error { return child.Main(core.Tasks(builders.Tasks())) },
	role.Exec:        func([]string) error { return child.ExecMain() },
	role.Limits:      child.LimitsMain,
	role.Userns:      core.HelperMain,
	role.Monitor:     monitor.Main,
	role.MonitorCall: core.MonitorCallMain,
	role.Pod:         core.PodMain,
	role.NetD:        usernet.Main,
	role.NetTap:      usernet.TapMain,
})

// Command hull is a rootless, daemonless container tool. main only decides
// which role this process plays: the container init and the user-namespace
// helper are hull re-executed by itself, as are the built-in instruction
// plugins; everything else is the CLI.
package main

import (
	"os"

	"github.com/hull-project/hull/builders"
	"github.com/hull-project/hull/core"
	"github.com/hull-project/hull/core/cli"
	"github.com/hull-project/hull/isolation"
	"github.com/hull-project/hull/isolation/child"
	"github.com/hull-project/hull/plugins"
)

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case isolation.InitArg:
			child.Main(core.Tasks(builders.Tasks()))
		case isolation.ExecArg:
			child.ExecMain()
		case child.LimitsArg:
			child.LimitsMain()
		case plugins.BuiltinArg:
			if len(os.Args) > 2 {
				plugins.ServeBuiltin(os.Args[2], core.BuiltinHandlers())
			}
		case isolation.HelperArg:
			core.HelperMain(os.Args[2:])
		case core.MonitorArg:
			core.MonitorMain(os.Args[2:])
		}
	}
	os.Exit(cli.Main(os.Args))
}

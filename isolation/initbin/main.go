// Command initbin is the container side of hull in a small binary of its
// own: the container init (role.Init), the exec stage (role.Exec) and
// the limits stage of --init (role.Limits), without the CLI, the image
// store or the plugin machinery. `make build` compiles it and embeds it
// in hull (build tag hullinit), so a container start pays the Go
// start-up of this binary instead of the whole of hull's; without it
// hull re-executes itself. It is not meant to be run by hand.
package main

import (
	"os"

	"github.com/hull-project/hull/isolation/child"
	"github.com/hull-project/hull/isolation/role"
)

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case role.Init:
			os.Exit(role.Status(child.Main(nil), os.Stderr))
		case role.Exec:
			os.Exit(role.Status(child.ExecMain(), os.Stderr))
		case role.Limits:
			os.Exit(role.Status(child.LimitsMain(os.Args[2:]), os.Stderr))
		}
	}
	os.Stderr.WriteString("hull-init: not for running by hand\n")
	os.Exit(2)
}

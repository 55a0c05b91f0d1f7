// Command initbin is the container side of hull in a small binary of its
// own: the container init (isolation.InitArg) and the exec stage
// (isolation.ExecArg), without the CLI, the image store or the plugin
// machinery. `make build` compiles it and embeds it in hull (build tag
// hullinit), so a container start pays the Go start-up of this binary
// instead of the whole of hull's; without it hull re-executes itself. It
// is not meant to be run by hand.
package main

import (
	"os"

	"github.com/hull-project/hull/isolation"
	"github.com/hull-project/hull/isolation/child"
)

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case isolation.InitArg:
			child.Main(nil)
		case isolation.ExecArg:
			child.ExecMain()
		case child.LimitsArg:
			child.LimitsMain()
		}
	}
	os.Stderr.WriteString("hull-init: not for running by hand\n")
	os.Exit(2)
}

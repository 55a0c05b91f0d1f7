// Command monbin is the monitor of a detached container (role.Monitor,
// package core/monitor) in a small binary of its own: one runs beside
// every detached container for its whole life, so it links only the
// monitor (logs, attach, the container's wait, timers) and asks hull for
// everything else. `make build` compiles it and embeds it in hull (build
// tag hullmon); hull runs it from a verified cached copy or a sealed
// memfd. It is not meant to be run by hand.
package main

import (
	"os"

	"github.com/hull-project/hull/core/monitor"
	"github.com/hull-project/hull/isolation/role"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == role.Monitor {
		os.Exit(role.Status(monitor.Main(os.Args[2:]), os.Stderr))
	}
	os.Stderr.WriteString("hull-monitor: not for running by hand\n")
	os.Exit(2)
}

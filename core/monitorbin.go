package core

import (
	"fmt"
	"os"

	"github.com/hull-project/hull/core/appbin"
	"github.com/hull-project/hull/isolation"
)

// monitorExe is the program of a detached container's monitor: the small
// monitor binary embedded at build time (core/monitor/monbin, tag
// hullmon), run from its verified copy in runRoot or, failing that, a
// sealed memfd, which bin holds (the monitor gets it as fd 7, and path
// names it so: the file checked is the file run); without one (a plain go
// build), hull's own role.Monitor, the same code, and bin is nil.
func monitorExe(runRoot string) (path string, bin *os.File, err error) {
	if len(monitorBinary) == 0 {
		return appbin.Helper(), nil, nil
	}
	f, err := isolation.CachedCopy(runRoot, "hull-monitor", monitorBinary)
	if err != nil {
		if f, err = isolation.SealedMemfd("hull-monitor", monitorBinary); err != nil {
			return "", nil, fmt.Errorf("start monitor: %w", err)
		}
	}
	return "/proc/self/fd/7", f, nil
}

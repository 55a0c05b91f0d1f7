package cli

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core/appbin"
	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/core/device"
)

// deviceFlags are run's and create's device flags (core/device).
func deviceFlags() []cli.Flag {
	return []cli.Flag{
		sliceFlag("device", "", "add a host device: HOST[:CONTAINER][:rwm] (bound; the user must be able to open it), or a CDI device vendor.com/class=name|all"),
		&cli.StringFlag{Name: "gpus", Usage: "GPU devices to add: all, a count, or device=ID[,ID] (NVIDIA: the nvidia.com/gpu CDI spec, else the driver found on the host)"},
		sliceFlag("group-add", "", "add supplementary groups: GROUP|GID, or keep-groups to keep the caller's groups (alone)"),
		sliceFlag("cdi-spec-dir", "", "read CDI specs from DIR instead of /etc/cdi, /var/run/cdi and ~/.config/cdi (repeatable)"),
	}
}

func deviceOptions(c *cli.Context) container.DeviceOptions {
	return container.DeviceOptions{Devices: c.StringSlice("device"), GPUs: c.String("gpus"),
		GroupAdd: c.StringSlice("group-add"), CDISpecDirs: c.StringSlice("cdi-spec-dir")}
}

// handOverDevices execs the full hull with the whole command line, before
// anything is read or written, when the command asks for a CDI device
// (--device vendor.com/class=name) or GPUs (--gpus, which come through
// the nvidia.com/gpu CDI spec when there is one) and this hull does not
// link the CDI library (device.CDILinked: the default hull of `make
// build`). It returns false when the command runs here. The container's
// later starts run in the full hull too (core.MonitorCallMain): CDI
// devices are resolved at every start.
func handOverDevices(c *cli.Context) (bool, error) {
	if device.CDILinked || !appbin.Embedded() {
		return false, nil
	}
	if !slices.ContainsFunc(c.StringSlice("device"), device.IsCDI) && (!c.IsSet("gpus") || c.String("gpus") == "") {
		return false, nil
	}
	return true, appbin.Exec(os.Args, os.Environ())
}

// printDevices is `hull info`'s Devices section.
func printDevices(w io.Writer, in device.Inventory) {
	fmt.Fprintln(w, "Devices:")
	fmt.Fprintf(w, " CDI spec dirs:    %s\n", strings.Join(in.CDISpecDirs, ", "))
	fmt.Fprintf(w, " CDI devices:      %s\n", orNone(strings.Join(in.CDIDevices, ", ")))
	for _, e := range in.CDIErrors {
		fmt.Fprintf(w, "  CDI spec error:  %s\n", e)
	}
	fmt.Fprintf(w, " GPU nodes:        %s\n", orNone(strings.Join(in.GPUNodes, ", ")))
	fmt.Fprintf(w, " GPU driver:       %d libraries, %d programs\n", in.DriverLibraries, in.DriverBinaries)
}

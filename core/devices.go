package core

import (
	"fmt"
	"io"
	"os"

	"github.com/hull-project/hull/builders"
	"github.com/hull-project/hull/core/appbin"
	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/core/device"
)

// checkDevices resolves c's devices once at create, so that a missing or
// unopenable node, an unknown CDI name or --gpus without a GPU is refused
// before anything is recorded, and says what a CDI spec asked that hull
// does not do (hooks). Every start resolves them again, as Docker and
// Podman do: a node may go, and a CDI spec regenerated since (a driver
// update: new library names) is the one that holds now.
func checkDevices(c *container.Container, warn io.Writer) error {
	req := c.DeviceRequest()
	if req.Empty() {
		return nil
	}
	plan, err := device.Resolve(req, device.Host{})
	if err != nil {
		return err
	}
	if warn == nil {
		// hull create sets no writer: it is the user's own process.
		warn = os.Stderr
	}
	printWarnings(warn, plan.Warnings)
	return nil
}

func printWarnings(w io.Writer, warnings []string) {
	if w == nil {
		return
	}
	for _, msg := range warnings {
		fmt.Fprintf(w, "hull: warning: %s\n", msg)
	}
}

// DeviceInventory is what `hull info` shows of the host's devices.
func DeviceInventory() device.Inventory {
	return device.Discover(device.Host{}, nil)
}

// buildDevices resolves `hull build --device` once for the whole build.
// It needs the device entitlement: a Dockerfile's RUN steps are code the
// user may not have read, and a device reaches the host's hardware.
func buildDevices(devices, specDirs, allow []string, warn io.Writer) (*device.Plan, error) {
	if len(devices) == 0 {
		return nil, nil
	}
	granted := false
	for _, a := range allow {
		granted = granted || a == builders.EntitlementDevice
	}
	if !granted {
		return nil, fmt.Errorf("--device needs entitlement device: allow it with `hull build --allow device`")
	}
	dc, err := container.ParseDeviceOptions(container.DeviceOptions{Devices: devices, CDISpecDirs: specDirs})
	if err != nil {
		return nil, err
	}
	c := container.Container{HostConfig: container.HostConfig{DeviceConfig: dc}}
	plan, err := device.Resolve(c.DeviceRequest(), device.Host{})
	if err != nil {
		return nil, err
	}
	printWarnings(warn, plan.Warnings)
	return plan, nil
}

// devicesInFullHull reports whether c's devices are resolved only by the
// full hull: CDI devices or GPUs, in the default hull of `make build`,
// which does not link the CDI library (device.CDILinked). A start of
// such a container (a monitor call) then runs in the full hull, as its
// create did (core/cli).
func devicesInFullHull(c *container.Container) bool {
	return !device.CDILinked && appbin.Embedded() && c.DeviceRequest().UsesCDI()
}

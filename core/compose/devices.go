package compose

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/hull-project/hull/core/container"
)

// deviceRequests maps a service's gpus and
// deploy.resources.reservations.devices onto run's --gpus and CDI
// --device, as docker compose hands them to the engine: driver nvidia (or
// the gpu capability) is --gpus (count all, a number, or device_ids),
// driver cdi names CDI devices in device_ids. Anything else is refused:
// running without a reserved device would be wrong.
func deviceRequests(s types.ServiceConfig, o *container.DeviceOptions) error {
	reqs := slices.Clone(s.Gpus)
	for i := range reqs {
		// `gpus:` implies the driver and the capability.
		if reqs[i].Driver == "" {
			reqs[i].Driver = "nvidia"
		}
	}
	if s.Deploy != nil && s.Deploy.Resources.Reservations != nil {
		reqs = append(reqs, s.Deploy.Resources.Reservations.Devices...)
	}
	for _, r := range reqs {
		switch {
		case r.Driver == container.CDIDriver:
			if len(r.IDs) == 0 {
				return fmt.Errorf("device request of driver cdi without device_ids")
			}
			o.Devices = append(o.Devices, r.IDs...)
		case r.Driver == "nvidia" || (r.Driver == "" && slices.Contains(r.Capabilities, "gpu")):
			if o.GPUs != "" {
				return fmt.Errorf("more than one GPU device request: hull takes one (--gpus)")
			}
			switch {
			case len(r.IDs) > 0:
				o.GPUs = "device=" + strings.Join(r.IDs, ",")
			case r.Count > 0:
				o.GPUs = strconv.FormatInt(int64(r.Count), 10)
			default: // count: all, or no count: every GPU, as compose
				o.GPUs = "all"
			}
		default:
			return fmt.Errorf("device request driver %q, capabilities %v: hull maps NVIDIA GPUs (driver nvidia or capability gpu) and CDI devices (driver cdi) only", r.Driver, r.Capabilities)
		}
	}
	return nil
}

package container

import (
	"fmt"
	"slices"

	"github.com/hull-project/hull/core/device"
	"github.com/hull-project/hull/isolation"
)

// DeviceOptions are run's and create's device flags.
type DeviceOptions struct {
	Devices  []string // --device HOST[:CONTAINER][:rwm] or vendor.com/class=name
	GPUs     string   // --gpus
	GroupAdd []string // --group-add GROUP|GID|keep-groups
	// CDISpecDirs (--cdi-spec-dir) replace the CDI spec directories.
	CDISpecDirs []string
}

// KeepGroups is --group-add's value that keeps the caller's supplementary
// groups (crun's and Podman's keep-groups).
const KeepGroups = "keep-groups"

// DeviceConfig is the record's part of HostConfig for devices, as Docker
// names it: Devices are --device nodes, DeviceRequests --gpus (driver
// nvidia) and CDI devices (driver cdi, as Docker 28 records them).
type DeviceConfig struct {
	Devices        []device.Node       `json:"Devices"`
	DeviceRequests []device.GPURequest `json:"DeviceRequests"`
	GroupAdd       []string            `json:"GroupAdd"`
	CDISpecDirs    []string            `json:"CDISpecDirs,omitempty"`
}

// CDIDriver is the DeviceRequest driver of CDI devices.
const CDIDriver = "cdi"

// ParseDeviceOptions checks the device flags and returns the record's
// part.
func ParseDeviceOptions(o DeviceOptions) (DeviceConfig, error) {
	var dc DeviceConfig
	var cdiNames []string
	for _, d := range o.Devices {
		if device.IsCDI(d) {
			cdiNames = append(cdiNames, d)
			continue
		}
		n, err := device.ParseNode(d)
		if err != nil {
			return dc, err
		}
		dc.Devices = append(dc.Devices, n)
	}
	if len(cdiNames) > 0 {
		dc.DeviceRequests = append(dc.DeviceRequests, device.GPURequest{Driver: CDIDriver, DeviceIDs: cdiNames})
	}
	if o.GPUs != "" {
		g, err := device.ParseGPUs(o.GPUs)
		if err != nil {
			return dc, err
		}
		dc.DeviceRequests = append(dc.DeviceRequests, g)
	}
	if slices.Contains(o.GroupAdd, KeepGroups) && len(o.GroupAdd) > 1 {
		return dc, fmt.Errorf("--group-add %s cannot be combined with other groups", KeepGroups)
	}
	for _, g := range o.GroupAdd {
		if g == "" {
			return dc, fmt.Errorf("--group-add: empty group")
		}
	}
	dc.GroupAdd = slices.Clone(o.GroupAdd)
	dc.CDISpecDirs = slices.Clone(o.CDISpecDirs)
	return dc, nil
}

// DeviceRequest is what c asks of the host's devices.
func (c *Container) DeviceRequest() device.Request {
	return deviceRequest(c.HostConfig.DeviceConfig)
}

func deviceRequest(dc DeviceConfig) device.Request {
	req := device.Request{Nodes: dc.Devices}
	if len(dc.CDISpecDirs) > 0 {
		req.SpecDirs = dc.CDISpecDirs
	}
	for _, r := range dc.DeviceRequests {
		switch r.Driver {
		case CDIDriver:
			req.CDI = append(req.CDI, r.DeviceIDs...)
		default:
			g := r
			req.GPUs = &g
		}
	}
	return req
}

// KeepsGroups reports whether c keeps the caller's supplementary groups.
func (c *Container) KeepsGroups() bool {
	return slices.Contains(c.HostConfig.GroupAdd, KeepGroups)
}

// ApplyDevices adds c's devices and groups to spec: the devices resolved
// on the host now (a node may have gone since create), --group-add
// resolved against the image's /etc/group.
func (c *Container) ApplyDevices(spec *isolation.Spec, layers []string) error {
	if req := c.DeviceRequest(); !req.Empty() {
		plan, err := device.Resolve(req, device.Host{})
		if err != nil {
			return err
		}
		plan.Apply(spec)
	}
	return applyGroupAdd(spec, c.HostConfig.GroupAdd, layers)
}

// applyGroupAdd adds --group-add's groups, by name from the image's
// /etc/group or by number, refusing a group the id mapping cannot
// represent; keep-groups makes the init leave the caller's groups alone.
func applyGroupAdd(spec *isolation.Spec, groups []string, layers []string) error {
	if len(groups) == 0 {
		return nil
	}
	if slices.Contains(groups, KeepGroups) {
		spec.KeepGroups = true
		return nil
	}
	data, err := readLayerFile(layers, "etc/group")
	if err != nil {
		return err
	}
	entries := parseGroup(data)
	for _, g := range groups {
		gid, err := matchGroup(g, entries)
		if err != nil {
			return fmt.Errorf("--group-add %s: %w", g, err)
		}
		if len(spec.Mapping.GIDs) > 0 && !inMap(spec.Mapping.GIDs, gid) {
			return fmt.Errorf("--group-add %s: group %d is not mapped into the container (%s id mapping): add a range for your user to /etc/subgid",
				g, gid, isolation.MappingKind(spec.Mapping))
		}
		if !slices.Contains(spec.AdditionalGIDs, gid) {
			spec.AdditionalGIDs = append(spec.AdditionalGIDs, gid)
		}
	}
	return nil
}

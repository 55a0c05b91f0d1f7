package device

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/hull-project/hull/isolation"
)

// edits is the part of CDI's ContainerEdits hull maps. The CDI library
// could apply the edits to an OCI runtime spec, but hull has none: its
// launch spec is its own. The edits are copied here through their JSON
// form (the spec format itself), which keeps the specs-go module, an
// indirect requirement, out of hull's imports.
type edits struct {
	Env         []string `json:"env"`
	DeviceNodes []struct {
		Path        string `json:"path"`
		HostPath    string `json:"hostPath"`
		Permissions string `json:"permissions"`
	} `json:"deviceNodes"`
	NetDevices []struct {
		HostInterfaceName string `json:"hostInterfaceName"`
	} `json:"netDevices"`
	Hooks []struct {
		HookName string   `json:"hookName"`
		Path     string   `json:"path"`
		Args     []string `json:"args"`
	} `json:"hooks"`
	Mounts []struct {
		HostPath      string   `json:"hostPath"`
		ContainerPath string   `json:"containerPath"`
		Options       []string `json:"options"`
		Type          string   `json:"type"`
	} `json:"mounts"`
	IntelRdt       json.RawMessage `json:"intelRdt"`
	AdditionalGIDs []uint32        `json:"additionalGids"`
}

// applyEdits adds one device's (or its spec's) edits to p: device nodes
// bound as --device binds them (checked the same way), mounts read-only
// unless the spec says rw, env, groups. Hooks are not run (see
// docs/devices.md): each one is a warning naming it and the device.
func applyEdits(p *Plan, dev string, raw any) error {
	data, err := json.Marshal(raw)
	if err != nil {
		return fmt.Errorf("CDI device %s: %w", dev, err)
	}
	var e edits
	if err := json.Unmarshal(data, &e); err != nil {
		return fmt.Errorf("CDI device %s: %w", dev, err)
	}
	p.Env = append(p.Env, e.Env...)
	for _, n := range e.DeviceNodes {
		host := n.HostPath
		if host == "" {
			host = n.Path
		}
		perms := n.Permissions
		if perms == "" {
			perms = "rw"
		}
		fi, err := os.Stat(host)
		if err != nil {
			return fmt.Errorf("CDI device %s: device %s: %w", dev, host, notFound(err))
		}
		if err := checkNode(host, host, fi, perms); err != nil {
			return fmt.Errorf("CDI device %s: %w", dev, err)
		}
		p.Mounts = append(p.Mounts, nodeMount(host, path.Clean(n.Path)))
	}
	for _, m := range e.Mounts {
		mnt, err := cdiMount(m.HostPath, m.ContainerPath, m.Type, m.Options)
		if err != nil {
			return fmt.Errorf("CDI device %s: mount %s: %w", dev, m.ContainerPath, err)
		}
		p.Mounts = append(p.Mounts, mnt)
		if isLibrary(m.ContainerPath) {
			p.LibraryDirs = appendNew(p.LibraryDirs, path.Dir(path.Clean(m.ContainerPath)))
		}
	}
	for _, g := range e.AdditionalGIDs {
		p.GIDs = append(p.GIDs, int(g))
	}
	for _, hk := range e.Hooks {
		what := hk.Path
		if len(hk.Args) > 1 {
			what += " " + hk.Args[1]
		}
		p.Warnings = append(p.Warnings, fmt.Sprintf("CDI device %s: %s hook %s not run: hull runs no CDI hooks (see docs/devices.md)", dev, hk.HookName, what))
	}
	for _, n := range e.NetDevices {
		p.Warnings = append(p.Warnings, fmt.Sprintf("CDI device %s: network interface %s not moved: a rootless container cannot take a host interface", dev, n.HostInterfaceName))
	}
	if len(e.IntelRdt) > 0 && string(e.IntelRdt) != "null" {
		p.Warnings = append(p.Warnings, fmt.Sprintf("CDI device %s: Intel RDT settings ignored: resctrl needs root", dev))
	}
	return nil
}

// cdiMount maps a CDI mount onto a bind mount, read-only unless the spec
// lists rw: a device's driver files are not the container's to change.
// hull binds recursively and makes every mount under it read-only too.
// The other options (bind, rbind, nosuid, …) describe what a bind is
// already, or what hull does not apply to binds.
func cdiMount(host, dst, typ string, opts []string) (isolation.Mount, error) {
	if typ != "" && typ != "bind" && typ != "none" {
		return isolation.Mount{}, fmt.Errorf("type %s: hull applies only bind mounts from CDI specs", typ)
	}
	if !path.IsAbs(host) || !path.IsAbs(dst) {
		return isolation.Mount{}, fmt.Errorf("paths must be absolute")
	}
	src := path.Clean(host)
	if _, err := os.Stat(src); err != nil {
		return isolation.Mount{}, fmt.Errorf("%s: %w", host, notFound(err))
	}
	var out []string
	if !slices.Contains(opts, "rw") {
		out = append(out, "ro")
	}
	return isolation.Mount{Type: "bind", Source: src, Destination: path.Clean(dst), Options: out}, nil
}

// isLibrary reports whether a container path names a shared library,
// whose directory the library path then lists: the CDI hook that would
// refresh the container's ld cache is not run.
func isLibrary(p string) bool {
	b := path.Base(p)
	return strings.HasSuffix(b, ".so") || strings.Contains(b, ".so.")
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

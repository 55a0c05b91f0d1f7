package core

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/hull-project/hull/core/device"
	"github.com/hull-project/hull/isolation"
)

// Info describes this hull installation, for `hull info`.
type Info struct {
	Root              string
	RunRoot           string
	IDMapping         string // "subuid" or "single"
	UIDMap            []isolation.IDMap
	GIDMap            []isolation.IDMap
	RootfsDriver      string // what a container would most likely get
	KernelVersion     string
	Seccomp           bool
	UserNamespaces    bool
	UsernsRestriction string // why user namespaces are refused, with the fix
	CgroupVersion     string
	// Cgroups says, per hierarchy, which cgroup hull creates containers'
	// groups in and why it passed over the others.
	Cgroups []string
	// Limits says, for each limit flag, whether and how it is enforced.
	Limits            []LimitSupport
	Images            int
	Containers        int
	ContainersRunning int
	ContainersStopped int
	// Devices are the CDI devices and what hull's GPU discovery found.
	Devices device.Inventory
}

// Info gathers the installation facts. Probes that fail leave their field
// at its zero value rather than failing the command: info is what users
// run when something is broken.
func (h *Hull) Info() Info {
	restriction := isolation.UsernsRestriction()
	in := Info{Root: h.Root, RunRoot: h.RunRoot, IDMapping: isolation.MappingKind(h.Mapping),
		UIDMap: h.Mapping.UIDs, GIDMap: h.Mapping.GIDs, RootfsDriver: isolation.ProbeRootfsDriver(),
		KernelVersion: isolation.KernelRelease(), Seccomp: seccompSupported(),
		UserNamespaces: restriction == "", UsernsRestriction: restriction, CgroupVersion: cgroupVersion()}
	in.Devices = DeviceInventory()
	layout := cgroupLayout()
	in.Cgroups, in.Limits = layout.Summary(), limitSupport(layout)
	if imgs, err := h.Images.Images(); err == nil {
		in.Images = len(imgs)
	}
	if cs, err := h.Containers.List(); err == nil {
		in.Containers = len(cs)
		for _, c := range cs {
			if c.State.Running {
				in.ContainersRunning++
			}
		}
		in.ContainersStopped = in.Containers - in.ContainersRunning
	}
	return in
}

// seccompSupported reports whether the kernel has seccomp filters: the
// Seccomp line of /proc/self/status exists only with CONFIG_SECCOMP.
func seccompSupported() bool {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "Seccomp:") {
			return true
		}
	}
	return false
}

// cgroupVersion is "2" for the unified hierarchy, "1" for the legacy or
// hybrid layout (a tmpfs of controller mounts), "" when neither is there.
func cgroupVersion() string {
	var st unix.Statfs_t
	if err := unix.Statfs("/sys/fs/cgroup", &st); err != nil {
		return ""
	}
	switch st.Type {
	case unix.CGROUP2_SUPER_MAGIC:
		return "2"
	case unix.TMPFS_MAGIC:
		return "1"
	}
	return ""
}

// IDMapString shows id ranges as "0->1000 (1), 1->100000 (65536)":
// container id, host id, count.
func IDMapString(m []isolation.IDMap) string {
	parts := make([]string, 0, len(m))
	for _, e := range m {
		parts = append(parts, fmt.Sprintf("%d->%d (%d)", e.ContainerID, e.HostID, e.Size))
	}
	return strings.Join(parts, ", ")
}

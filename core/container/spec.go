package container

import (
	"fmt"

	"github.com/hull-project/hull/isolation"
)

// SpecInput is what the record alone does not say: where the image's
// layers and the container's directories are on this host.
type SpecInput struct {
	Layers   []string // image layer directories, topmost first
	Mapping  isolation.Mapping
	UpperDir string
	WorkDir  string
	MountDir string
	StateDir string
}

// Spec builds the isolation spec for one start of c.
func (c *Container) Spec(in SpecInput) (*isolation.Spec, error) {
	user, err := ResolveUser(c.Config.User, in.Layers)
	if err != nil {
		return nil, err
	}
	if err := checkMapped(user, in.Mapping); err != nil {
		return nil, err
	}
	if err := checkVolumesAttached(c.Volumes()); err != nil {
		return nil, err
	}
	plan, err := planMounts(c.HostConfig, c.Volumes())
	if err != nil {
		return nil, err
	}
	plan.pinBinds(c.Mounts)
	caps, err := Capabilities(isolation.DefaultCapabilities(), c.HostConfig.CapAdd, c.HostConfig.CapDrop)
	if err != nil {
		return nil, err
	}
	sec, err := ParseSecurityOpts(c.HostConfig.SecurityOpt)
	if err != nil {
		return nil, err
	}
	files, err := NetworkEtcFiles(c.EtcInput())
	if err != nil {
		return nil, err
	}
	cwd := c.Config.WorkingDir
	if cwd == "" {
		cwd = "/"
	}
	masked, readonly := sec.MaskedPaths(isolation.DefaultMaskedPaths, isolation.DefaultReadonlyPaths)
	mounts, seccomp, profile := plan.mounts, sec.Seccomp, sec.SeccompProfile
	if c.HostConfig.Privileged {
		// Rootless --privileged (docs/security.md): the user namespace's
		// every capability, no seccomp filter, nothing masked, /sys
		// writable and the host devices the user can open; still no more
		// than the user's own rights on the host.
		caps, seccomp, profile, masked, readonly = knownCaps(), false, nil, nil, nil
		for _, d := range privilegedDevices() {
			mounts = append(mounts, isolation.Mount{Type: "bind", Source: d, Destination: d, Options: []string{"rw"}})
		}
	}
	return &isolation.Spec{
		ID: c.ID,
		Rootfs: isolation.Rootfs{Layers: in.Layers, UpperDir: in.UpperDir, WorkDir: in.WorkDir,
			MountDir: in.MountDir, ReadOnly: c.HostConfig.ReadonlyRootfs,
			// A --rm container's upper dir is never mounted again.
			Volatile: c.HostConfig.AutoRemove},
		Mapping:         in.Mapping,
		Args:            append([]string{c.Path}, c.Args...),
		Env:             ProcessEnv(c.Config.Env, c.Config.Hostname, c.Config.Tty, user.Home),
		Cwd:             cwd,
		CreateCwd:       true,
		UID:             user.UID,
		GID:             user.GID,
		AdditionalGIDs:  mappedGIDs(user.AdditionalGIDs, in.Mapping),
		Hostname:        c.Config.Hostname,
		Mounts:          mounts,
		HostNetwork:     c.HostConfig.NetworkMode == NetworkHost,
		Capabilities:    caps,
		NoNewPrivileges: sec.NoNewPrivileges,
		Seccomp:         seccomp,
		SeccompProfile:  profile,
		Rlimits:         c.HostConfig.Rlimits(),
		MaskedPaths:     masked,
		ShmSize:         c.HostConfig.ShmSize,
		Sysctls:         c.HostConfig.Sysctls,
		SysWritable:     c.HostConfig.Privileged,
		HostUTS:         c.HostConfig.UTSMode == "host",
		HostIPC:         c.HostConfig.IpcMode == "host",
		HostPID:         c.HostConfig.PidMode == "host",
		ReadonlyPaths:   readonly,
		Terminal:        c.Config.Tty,
		Init:            c.HostConfig.Init,
		Files:           files,
		StateDir:        in.StateDir,
	}, nil
}

// EtcInput is the /etc input of c before its network is set up; the
// network's address and name servers are added once it is.
func (c *Container) EtcInput() EtcInput {
	return EtcInput{Hostname: c.Config.Hostname, Network: c.HostConfig.NetworkMode,
		ExtraHosts: c.HostConfig.ExtraHosts, UserDNS: c.HostConfig.DNS, DNSSearch: c.HostConfig.DNSSearch}
}

// checkMapped refuses a user the id mapping cannot represent, with a hint,
// rather than letting setuid fail inside the container. An empty mapping
// is not checked.
func checkMapped(u User, m isolation.Mapping) error {
	if len(m.UIDs) > 0 && !inMap(m.UIDs, u.UID) {
		return fmt.Errorf("user %d is not mapped into the container (%s id mapping): add a range for your user to /etc/subuid", u.UID, isolation.MappingKind(m))
	}
	if len(m.GIDs) > 0 && !inMap(m.GIDs, u.GID) {
		return fmt.Errorf("group %d is not mapped into the container (%s id mapping): add a range for your user to /etc/subgid", u.GID, isolation.MappingKind(m))
	}
	return nil
}

// mappedGIDs drops supplementary groups the mapping cannot represent, as
// rootless Podman does: with a single mapping the image's root is usually
// listed in bin, daemon, wheel … which exist only as unmapped ids.
func mappedGIDs(gids []int, m isolation.Mapping) []int {
	if len(m.GIDs) == 0 {
		return gids
	}
	var out []int
	for _, g := range gids {
		if inMap(m.GIDs, g) {
			out = append(out, g)
		}
	}
	return out
}

func inMap(maps []isolation.IDMap, id int) bool {
	for _, m := range maps {
		if id >= m.ContainerID && id < m.ContainerID+m.Size {
			return true
		}
	}
	return false
}

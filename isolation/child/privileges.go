package child

import (
	"fmt"
	"strings"
	"syscall"

	"github.com/hull-project/hull/isolation"
	"github.com/moby/sys/capability"
	"golang.org/x/sys/unix"
)

// dropPrivileges bounds capabilities, loads seccomp and switches to the
// container user, in runc's order: the bounding set and the filter while
// this thread still holds CAP_SETPCAP and CAP_SYS_ADMIN, the ids after.
// Precondition: called on the locked thread that will execve.
func dropPrivileges(spec *isolation.Spec) error {
	keep, err := capSet(spec.Capabilities)
	if err != nil {
		return err
	}
	if err := boundCapabilities(keep); err != nil {
		return err
	}
	if err := capability.ResetAmbient(); err != nil {
		return fmt.Errorf("clear ambient capabilities: %w", err)
	}
	if spec.NoNewPrivileges {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("set no_new_privs: %w", err)
		}
	}
	if err := loadSeccomp(spec); err != nil {
		return err
	}
	if err := switchUser(spec); err != nil {
		return err
	}
	return setCapabilities(keep)
}

// loadSeccomp loads the filters hull compiled for this process, in the
// order given (isolation.seccompPrograms: root emulation's first, then the
// profile). A confinement that asks for a filter and comes without one is
// refused rather than run unconfined: only a user's profile that allows
// everything has none.
func loadSeccomp(spec *isolation.Spec) error {
	want := 0
	if spec.RootEmulation {
		want++
	}
	if len(spec.SeccompProfile) == 0 && spec.Seccomp {
		want++
	}
	if len(spec.SeccompPrograms) < want {
		return fmt.Errorf("load seccomp profile: %d filters sent, %d needed", len(spec.SeccompPrograms), want)
	}
	for _, p := range spec.SeccompPrograms {
		if err := p.Load(); err != nil {
			return fmt.Errorf("load seccomp profile: %w", err)
		}
	}
	return nil
}

// capSet turns names (CAP_X) into the kernel's numbers.
func capSet(names []string) (map[capability.Cap]bool, error) {
	byName := map[string]capability.Cap{}
	for _, c := range capability.ListKnown() {
		byName["CAP_"+strings.ToUpper(c.String())] = c
	}
	keep := map[capability.Cap]bool{}
	for _, n := range names {
		c, ok := byName[strings.ToUpper(n)]
		if !ok {
			return nil, fmt.Errorf("unknown capability %q", n)
		}
		keep[c] = true
	}
	return keep, nil
}

func boundCapabilities(keep map[capability.Cap]bool) error {
	last, err := capability.LastCap()
	if err != nil {
		return fmt.Errorf("find last capability: %w", err)
	}
	for c := capability.Cap(0); c <= last; c++ {
		if keep[c] {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil {
			return fmt.Errorf("drop %s from bounding set: %w", c, err)
		}
	}
	return nil
}

// switchUser sets groups, gid and uid. With a single-id mapping only root
// exists and setgroups is denied by the kernel, so it is skipped; with
// keep-groups the caller's groups stay, as crun keeps them for Podman.
func switchUser(spec *isolation.Spec) error {
	if !mapsID(spec.Mapping.UIDs, spec.UID) || !mapsID(spec.Mapping.GIDs, spec.GID) {
		return &isolation.StartError{Code: 125, Msg: fmt.Sprintf(
			"user %d:%d is not mapped in the user namespace (no subordinate id range for this user: see /etc/subuid)", spec.UID, spec.GID)}
	}
	if spec.Mapping.IsFull() && !spec.KeepGroups {
		if err := syscall.Setgroups(spec.AdditionalGIDs); err != nil {
			return fmt.Errorf("setgroups: %w", err)
		}
	}
	if err := syscall.Setresgid(spec.GID, spec.GID, spec.GID); err != nil {
		return fmt.Errorf("setgid %d: %w", spec.GID, err)
	}
	if err := syscall.Setresuid(spec.UID, spec.UID, spec.UID); err != nil {
		return fmt.Errorf("setuid %d: %w", spec.UID, err)
	}
	return nil
}

// setCapabilities leaves the kept set effective and permitted (for root;
// a non-root user lost them at setuid, as in Docker) and nothing
// inheritable.
func setCapabilities(keep map[capability.Cap]bool) error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capget: %w", err)
	}
	var want [2]uint32
	for c := range keep {
		want[c/32] |= 1 << (uint(c) % 32)
	}
	for i := range data {
		data[i].Permitted &= want[i]
		data[i].Effective &= want[i]
		data[i].Inheritable = 0
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capset: %w", err)
	}
	return nil
}

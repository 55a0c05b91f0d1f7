package container

import (
	"path"
	"sort"
	"strings"

	"github.com/hull-project/hull/core/volume"
	"github.com/hull-project/hull/isolation"
)

// VolumeHooks is what the store asks of the volume store (core implements
// it): Attach makes sure every volume of a new container exists and fills
// in its Source, and calls create while no volume can be removed; Release
// removes the anonymous volumes of a container that is gone.
type VolumeHooks interface {
	Attach(c *Container, create func() error) error
	Release(c *Container) error
}

// SetVolumeHooks makes s attach volumes on Create and release the
// anonymous ones of a --rm container on Remove.
func (s *Store) SetVolumeHooks(h VolumeHooks) { s.volumes = h }

// volumePoints returns the volume mounts of a new container: -v NAME:/dst,
// -v /dst and --mount type=volume in order, then each image VOLUME that no
// other mount covers. Anonymous volumes get a new random name.
func volumePoints(hc HostConfig, imageVolumes map[string]struct{}) ([]MountPoint, error) {
	var out []MountPoint
	taken := map[string]bool{}
	for _, b := range hc.Binds {
		mp, err := ParseVolume(b)
		if err != nil {
			return nil, err
		}
		taken[mp.Destination] = true
		if mp.Type == "volume" {
			out = append(out, mp)
		}
	}
	for _, m := range hc.Mounts {
		taken[m.Target] = true
		if m.Type == "volume" {
			mp := MountPoint{Type: "volume", Name: m.Source, Destination: m.Target, Driver: "local",
				RW: !m.ReadOnly, Anonymous: m.Source == ""}
			if m.NoCopy {
				mp.Mode = "nocopy"
			}
			out = append(out, mp)
		}
	}
	for d := range hc.Tmpfs {
		taken[d] = true
	}
	dsts := make([]string, 0, len(imageVolumes))
	for d := range imageVolumes {
		if d, err := cleanDestination(d); err == nil && !taken[d] {
			dsts = append(dsts, d)
			taken[d] = true
		}
	}
	sort.Strings(dsts)
	for _, d := range dsts {
		out = append(out, MountPoint{Type: "volume", Destination: d, Driver: "local", RW: true, Anonymous: true})
	}
	for i := range out {
		if out[i].Name == "" {
			out[i].Name = volume.NewName()
		}
	}
	return out, nil
}

// volumeMount binds the volume's directory. A volume is seeded from the
// image ("copy-up", done by the container's init inside the user
// namespace, only while the volume is empty) unless nocopy was asked.
func volumeMount(v MountPoint) isolation.Mount {
	m := bindMount(v.Source, v.Destination, !v.RW)
	if !hasMode(v.Mode, "nocopy") {
		m.Options = append(m.Options, isolation.MountCopyUp)
	}
	return m
}

func hasMode(mode, word string) bool {
	for _, m := range strings.Split(mode, ",") {
		if m == word {
			return true
		}
	}
	return false
}

// checkVolumesAttached refuses a spec for a volume without its directory:
// a record made before the volume was attached.
func checkVolumesAttached(vols []MountPoint) error {
	for _, v := range vols {
		if v.Source == "" || !path.IsAbs(v.Source) {
			return &volumeError{v.Name}
		}
	}
	return nil
}

type volumeError struct{ name string }

func (e *volumeError) Error() string { return "volume " + e.name + " is not attached to the container" }

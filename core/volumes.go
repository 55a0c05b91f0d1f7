package core

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/core/volume"
)

// VolumeStore opens the volume store of h's root. Files of subordinate ids
// in a volume are removed through the user-namespace helper, as layers are.
func (h *Hull) VolumeStore() (*volume.Store, error) {
	return volume.Open(h.Root, NewUnpacker(h.Mapping).RemoveAll)
}

// volumeHooks attaches volumes to new containers and releases the
// anonymous ones of removed --rm containers (container.VolumeHooks).
type volumeHooks struct{ h *Hull }

var _ container.VolumeHooks = volumeHooks{}

// Attach creates the container's missing volumes (anonymous ones
// labelled so) and records their directories, then stores the container
// while the volume lock is held, so that no `volume rm` can slip between.
func (vh volumeHooks) Attach(c *container.Container, create func() error) error {
	vs, err := vh.h.VolumeStore()
	if err != nil {
		return err
	}
	unlock, err := vs.Lock()
	if err != nil {
		return err
	}
	var made []string
	err = attachLocked(vs, c, &made)
	if err == nil {
		err = create()
	}
	unlock()
	if err != nil {
		for _, name := range made {
			_ = vs.Remove(name, true, nil)
		}
	}
	return err
}

func attachLocked(vs *volume.Store, c *container.Container, made *[]string) error {
	for i, m := range c.Mounts {
		if m.Type != "volume" {
			continue
		}
		labels := map[string]string{}
		if m.Anonymous {
			labels[volume.AnonymousLabel] = ""
		}
		_, err := vs.Get(m.Name)
		isNew := errors.Is(err, volume.ErrNotFound)
		v, err := vs.CreateLocked(m.Name, labels)
		if err != nil {
			return err
		}
		if isNew && m.Anonymous {
			*made = append(*made, v.Name)
		}
		c.Mounts[i].Source = v.Mountpoint
	}
	return nil
}

// Release removes c's anonymous volumes (c is gone). A volume another
// container mounts stays.
func (vh volumeHooks) Release(c *container.Container) error {
	vs, err := vh.h.VolumeStore()
	if err != nil {
		return err
	}
	var errs []error
	for _, m := range c.Volumes() {
		if !m.Anonymous {
			continue
		}
		err := vs.Remove(m.Name, false, vh.h.volumeInUse)
		if err != nil && !errors.Is(err, volume.ErrNotFound) && !errors.Is(err, volume.ErrInUse) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// volumeUsers returns the short ids of the containers, running or not,
// that mount volume name.
func (h *Hull) volumeUsers(name string) ([]string, error) {
	return h.volumeUsersWhere(name, false)
}

// volumeUsersWhere is volumeUsers, of the running (or restarting)
// containers only when running.
func (h *Hull) volumeUsersWhere(name string, running bool) ([]string, error) {
	cs, err := h.Containers.List()
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, c := range cs {
		if running && !c.State.Running && !c.State.Restarting {
			continue
		}
		if c.UsesVolume(name) {
			ids = append(ids, container.ShortID(c.ID))
		}
	}
	return ids, nil
}

func (h *Hull) volumeInUse(name string) (bool, error) {
	ids, err := h.volumeUsers(name)
	return len(ids) > 0, err
}

// CreateVolume is `volume create`.
func (h *Hull) CreateVolume(name string, o volume.CreateOptions) (*volume.Volume, error) {
	vs, err := h.VolumeStore()
	if err != nil {
		return nil, err
	}
	return vs.Create(name, o)
}

// Volume is `volume inspect` of one volume.
func (h *Hull) Volume(name string) (*volume.Volume, error) {
	vs, err := h.VolumeStore()
	if err != nil {
		return nil, err
	}
	return vs.Get(name)
}

// Volumes lists the volumes that pass every filter (Docker's `volume ls
// --filter`: dangling=true|false, driver=, label=KEY[=VALUE], name=SUBSTRING).
func (h *Hull) Volumes(filters []string) ([]*volume.Volume, error) {
	keep, err := h.volumeFilter(filters, false)
	if err != nil {
		return nil, err
	}
	vs, err := h.VolumeStore()
	if err != nil {
		return nil, err
	}
	all, err := vs.List()
	if err != nil {
		return nil, err
	}
	var out []*volume.Volume
	for _, v := range all {
		if keep(v) {
			out = append(out, v)
		}
	}
	return out, nil
}

// RemoveVolume is `volume rm`: a volume a container uses is refused;
// with force, only one a running container uses (as Docker does: its
// files are live, and a container changing them under the removal could
// turn it against the user's own files).
func (h *Hull) RemoveVolume(name string, force bool) error {
	vs, err := h.VolumeStore()
	if err != nil {
		return err
	}
	var users []string
	inUse := func(n string) (bool, error) {
		var err error
		users, err = h.volumeUsersWhere(n, force)
		return len(users) > 0, err
	}
	err = vs.Remove(name, false, inUse)
	if errors.Is(err, volume.ErrInUse) {
		return fmt.Errorf("remove %s: %w - [%s]", name, volume.ErrInUse, strings.Join(users, ", "))
	}
	if errors.Is(err, volume.ErrNotFound) {
		return fmt.Errorf("get %s: %w", name, volume.ErrNotFound)
	}
	return err
}

// PruneVolumes removes the volumes no container uses: the anonymous ones,
// or all with all; filters are label=… and label!=…. It returns their
// names and the bytes freed.
func (h *Hull) PruneVolumes(all bool, filters []string) ([]string, int64, error) {
	keep, err := h.volumeFilter(filters, true)
	if err != nil {
		return nil, 0, err
	}
	for _, f := range filters {
		if v, ok := strings.CutPrefix(f, "all="); ok && (v == "true" || v == "1") {
			all = true
		}
	}
	vs, err := h.VolumeStore()
	if err != nil {
		return nil, 0, err
	}
	sizes := map[string]int64{}
	measure := func(v *volume.Volume) bool {
		if !keep(v) {
			return false
		}
		sizes[v.Name] = treeSize(v.Mountpoint)
		return true
	}
	names, err := vs.Prune(all, measure, h.volumeInUse)
	var freed int64
	for _, n := range names {
		freed += sizes[n]
	}
	h.event("volume", "prune", "", "reclaimed", strconv.FormatInt(freed, 10))
	return names, freed, err
}

// RemoveContainerVolumes is `rm -v`: the container, then its anonymous
// volumes (a named volume is never removed with a container).
func (h *Hull) RemoveContainerVolumes(ref string, force bool) (string, error) {
	c, err := h.Containers.Lookup(ref)
	if err != nil {
		return "", err
	}
	id, err := h.RemoveContainer(ref, force)
	if err != nil {
		return id, err
	}
	return id, volumeHooks{h}.Release(c)
}

// volumeFilter parses Docker's volume filters into one predicate.
func (h *Hull) volumeFilter(filters []string, prune bool) (func(*volume.Volume) bool, error) {
	var preds []func(*volume.Volume) bool
	for _, f := range filters {
		key, val, ok := strings.Cut(f, "=")
		neg := strings.HasSuffix(key, "!")
		key = strings.TrimSuffix(key, "!")
		if !ok || (neg && key != "label") {
			return nil, fmt.Errorf("invalid filter '%s'", f)
		}
		p, err := h.volumePredicate(key, val, prune)
		if err != nil {
			return nil, err
		}
		if neg {
			p = func(v *volume.Volume) bool { return !labelMatch(v, val) }
		}
		preds = append(preds, p)
	}
	return func(v *volume.Volume) bool {
		for _, p := range preds {
			if !p(v) {
				return false
			}
		}
		return true
	}, nil
}

func (h *Hull) volumePredicate(key, val string, prune bool) (func(*volume.Volume) bool, error) {
	switch {
	case key == "label":
		return func(v *volume.Volume) bool { return labelMatch(v, val) }, nil
	case key == "all" && prune:
		return func(*volume.Volume) bool { return true }, nil // the caller's all decides
	case prune:
		return nil, fmt.Errorf("invalid filter '%s'", key)
	case key == "name":
		return func(v *volume.Volume) bool { return strings.Contains(v.Name, val) }, nil
	case key == "driver":
		return func(v *volume.Volume) bool { return v.Driver == val }, nil
	case key == "dangling":
		want := val == "true" || val == "1"
		if !want && val != "false" && val != "0" {
			return nil, fmt.Errorf("invalid filter 'dangling=%s'", val)
		}
		return func(v *volume.Volume) bool {
			used, err := h.volumeInUse(v.Name)
			return err == nil && used != want
		}, nil
	}
	return nil, fmt.Errorf("invalid filter '%s'", key)
}

// labelMatch is Docker's label filter: KEY or KEY=VALUE.
func labelMatch(v *volume.Volume, f string) bool {
	k, want, withValue := strings.Cut(f, "=")
	got, ok := v.Labels[k]
	return ok && (!withValue || got == want)
}

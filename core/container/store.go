package container

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/hull-project/hull/core/events"
	"github.com/hull-project/hull/core/lockfile"
)

// Sentinel errors of the store; callers test them with errors.Is.
var (
	// ErrNotFound: no container has that id, name or id prefix.
	ErrNotFound = errors.New("no such container")
	// ErrNameInUse: another container already has the requested name.
	ErrNameInUse = errors.New("conflict")
	// ErrRunning: the container is running and force was not given.
	ErrRunning = errors.New("container is running")
	// ErrAmbiguous: an id prefix matches several containers.
	ErrAmbiguous = errors.New("multiple IDs found with provided prefix")
)

// Remover deletes a container's directory. The overlay upper dir may hold
// files owned by subordinate ids that only a user namespace can remove, so
// the caller supplies the same remover the image store uses.
type Remover interface {
	RemoveAll(dir string) error
}

// Store is the set of container records under one hull root. It is safe
// for use by several goroutines and several processes at once.
type Store struct {
	dir  string // <root>/containers
	lock string // <root>/containers.lock
	rm   Remover
	// volumes, when set, attaches volumes on Create and releases a --rm
	// container's anonymous volumes on Remove.
	volumes VolumeHooks
	// ended, when set, is what rm -f runs when it records an end.
	ended EndHook
}

const recordFile = "container.json"

// Open opens the container store under root (hull's store root) and sweeps
// directories left behind by a create or remove that died half-way.
func Open(root string, rm Remover) (*Store, error) {
	s := &Store{dir: filepath.Join(root, "containers"), lock: filepath.Join(root, "containers.lock"), rm: rm}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, fmt.Errorf("open container store: %w", err)
	}
	unlock, err := s.lockStore()
	if err != nil {
		return nil, err
	}
	defer unlock()
	s.sweep()
	return s, nil
}

// Dir is the container's directory; UpperDir, WorkDir and RootfsDir are
// the overlay dirs inside it.
func (s *Store) Dir(id string) string       { return filepath.Join(s.dir, id) }
func (s *Store) UpperDir(id string) string  { return filepath.Join(s.dir, id, "upper") }
func (s *Store) WorkDir(id string) string   { return filepath.Join(s.dir, id, "work") }
func (s *Store) RootfsDir(id string) string { return filepath.Join(s.dir, id, "rootfs") }

// Create stores a new record. An empty ID or Name is generated; a given
// name must be valid and unused. The container's directory appears whole:
// it is assembled under a temporary name and renamed into place.
func (s *Store) Create(c *Container) error {
	if c.ID == "" {
		c.ID = NewID()
	}
	if c.Name != "" {
		c.Name = strings.TrimPrefix(c.Name, "/")
		if err := ValidateName(c.Name); err != nil {
			return err
		}
	}
	if s.volumes != nil && len(c.Volumes()) > 0 {
		return s.volumes.Attach(c, func() error { return s.create(c) })
	}
	return s.create(c)
}

func (s *Store) create(c *Container) error {
	unlock, err := s.lockStore()
	if err != nil {
		return err
	}
	defer unlock()
	all, err := s.readAll()
	if err != nil {
		return err
	}
	if err := assignName(c, all); err != nil {
		return err
	}
	if err := s.createDir(c); err != nil {
		return err
	}
	s.Emit(c, "create")
	return nil
}

// assignName checks a given name against all records, or picks a free
// generated one.
func assignName(c *Container, all []*Container) error {
	taken := make(map[string]string, len(all))
	for _, o := range all {
		taken[o.Name] = o.ID
	}
	if c.Name != "" {
		if id, ok := taken[c.Name]; ok {
			return nameConflict(c.Name, id)
		}
		return nil
	}
	for retry := 0; ; retry++ {
		if name := GenerateName(retry); taken[name] == "" {
			c.Name = name
			return nil
		}
	}
}

func nameConflict(name, id string) error {
	return fmt.Errorf("%w: the container name %q is already in use by container %q; remove (or rename) that container to be able to reuse that name",
		ErrNameInUse, "/"+name, id)
}

func (s *Store) createDir(c *Container) error {
	tmp := filepath.Join(s.dir, ".tmp-"+c.ID)
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return fmt.Errorf("create container %s: %w", ShortID(c.ID), err)
	}
	if err := makeSubdirs(tmp); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("create container %s: %w", ShortID(c.ID), err)
	}
	if err := writeRecord(tmp, c); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := os.Rename(tmp, s.Dir(c.ID)); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("create container %s: %w", ShortID(c.ID), err)
	}
	return nil
}

// makeSubdirs creates the overlay dirs. The upper dir's attributes become
// those of the container's "/", so it gets 0755 like Docker's (whatever the
// umask): with 0700 no user but the container's root could reach any path.
// The work dir is overlayfs' private scratch space and stays 0700.
func makeSubdirs(dir string) error {
	for sub, mode := range map[string]os.FileMode{"upper": 0o755, "work": 0o700, "rootfs": 0o755} {
		p := filepath.Join(dir, sub)
		if err := os.Mkdir(p, mode); err != nil {
			return err
		}
		if err := os.Chmod(p, mode); err != nil {
			return err
		}
	}
	return nil
}

// Get returns the record with exactly this id.
func (s *Store) Get(id string) (*Container, error) {
	c, err := readRecord(s.Dir(id))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return c, err
}

// Lookup finds a container as Docker does: by full id, then by name (with
// or without the leading "/"), then by a unique id prefix.
func (s *Store) Lookup(ref string) (*Container, error) {
	all, err := s.List()
	if err != nil {
		return nil, err
	}
	name := strings.TrimPrefix(ref, "/")
	for _, c := range all {
		if c.ID == ref {
			return c, nil
		}
	}
	for _, c := range all {
		if c.Name == name {
			return c, nil
		}
	}
	var found *Container
	for _, c := range all {
		if ref != "" && strings.HasPrefix(c.ID, ref) {
			if found != nil {
				return nil, fmt.Errorf("%w: %s", ErrAmbiguous, ref)
			}
			found = c
		}
	}
	if found == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, ref)
	}
	return found, nil
}

// List returns every record, newest first. A running record whose monitor
// lock is free (the monitor or hull was killed, or the host rebooted) is
// shown as exited with ReasonMonitorDied; the record on disk is left as it
// is.
func (s *Store) List() ([]*Container, error) {
	all, err := s.readAll()
	if err != nil {
		return nil, err
	}
	for _, c := range all {
		s.refresh(c)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Created.After(all[j].Created) })
	return all, nil
}

func (s *Store) readAll() ([]*Container, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	var all []*Container
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		c, err := readRecord(filepath.Join(s.dir, e.Name()))
		if errors.Is(err, os.ErrNotExist) {
			continue // removed while we listed
		}
		if err != nil {
			return nil, err
		}
		all = append(all, c)
	}
	return all, nil
}

// Update rewrites the record of an existing container.
func (s *Store) Update(c *Container) error {
	unlock, err := s.lockStore()
	if err != nil {
		return err
	}
	defer unlock()
	old, err := s.Get(c.ID)
	if err != nil {
		return err
	}
	if err := writeRecord(s.Dir(c.ID), c); err != nil {
		return err
	}
	s.emitChanges(old, c)
	return nil
}

// Modify applies fn to the current record on disk and writes the result,
// all under the store lock, so that concurrent changes (a rename while the
// monitor records the exit) are not lost.
func (s *Store) Modify(id string, fn func(c *Container) error) (*Container, error) {
	unlock, err := s.lockStore()
	if err != nil {
		return nil, err
	}
	defer unlock()
	c, err := s.Get(id)
	if err != nil {
		return nil, err
	}
	old := *c
	if err := fn(c); err != nil {
		return nil, err
	}
	if err := writeRecord(s.Dir(id), c); err != nil {
		return c, err
	}
	s.emitChanges(&old, c)
	return c, nil
}

// Rename gives the container a new, unused name.
func (s *Store) Rename(id, name string) error {
	name = strings.TrimPrefix(name, "/")
	if err := ValidateName(name); err != nil {
		return err
	}
	unlock, err := s.lockStore()
	if err != nil {
		return err
	}
	defer unlock()
	all, err := s.readAll()
	if err != nil {
		return err
	}
	var c *Container
	for _, o := range all {
		if o.ID == id {
			c = o
		} else if o.Name == name {
			return nameConflict(name, o.ID)
		}
	}
	if c == nil {
		return fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	old := c.Name
	c.Name = name
	if err := writeRecord(s.Dir(id), c); err != nil {
		return err
	}
	s.Emit(c, "rename", "oldName", "/"+old)
	return nil
}

// Remove deletes a container and its files. A running container is
// refused with ErrRunning unless force is set; then its process is killed
// first (removeRunning), as is one being started or removed by another
// rm -f. The directory is renamed away under the lock, so the name is free
// at once, and deleted after.
func (s *Store) Remove(id string, force bool) error {
	unlock, err := s.lockStore()
	if err != nil {
		return err
	}
	c, err := s.Get(id)
	if err != nil {
		unlock()
		return err
	}
	alive := s.MonitorAlive(id)
	if c.State.Running && alive && !force {
		unlock()
		return fmt.Errorf("cannot remove container %q: %w: stop the container before removing or force remove", "/"+c.Name, ErrRunning)
	}
	if force && (alive || s.Removing(id)) {
		// Running, being started, or being removed by another rm -f:
		// killed without the store lock (the monitor takes it).
		unlock()
		return s.removeRunning(id, c.HostConfig.AutoRemove)
	}
	return s.removeLocked(c, unlock)
}

// EndAndRemove records the end of a --rm container's run and removes it,
// in one hold of the store lock, by the process that still holds its
// monitor lock (so no one sees it running without a monitor): fn sets the
// end on the current record, which is logged (die) and told to a wait
// (tellRemoved, from removeLocked) but never written: no one could read it
// before it goes.
func (s *Store) EndAndRemove(id string, fn func(c *Container)) error {
	unlock, err := s.lockStore()
	if err != nil {
		return err
	}
	c, err := s.Get(id)
	if err != nil {
		unlock()
		return err
	}
	old := *c
	fn(c)
	s.emitChanges(&old, c)
	return s.removeLocked(c, unlock)
}

// remove deletes a container whose monitor is gone and its files.
func (s *Store) remove(id string) error {
	unlock, err := s.lockStore()
	if err != nil {
		return err
	}
	c, err := s.Get(id)
	if err != nil {
		unlock()
		return err
	}
	return s.removeLocked(c, unlock)
}

// removeLocked is remove with the store lock held; it calls unlock.
func (s *Store) removeLocked(c *Container, unlock func()) error {
	id := c.ID
	if c.LastExit != nil && !c.State.Running {
		s.tellRemoved(c)
	}
	gone := filepath.Join(s.dir, ".rm-"+id)
	err := os.Rename(s.Dir(id), gone)
	unlock()
	if err != nil {
		return fmt.Errorf("remove container %s: %w", ShortID(id), err)
	}
	s.Emit(c, "destroy")
	if err := s.rm.RemoveAll(gone); err != nil {
		return fmt.Errorf("remove container %s: %w", ShortID(id), err)
	}
	if c.HostConfig.AutoRemove && s.volumes != nil && len(c.Volumes()) > 0 {
		return s.volumes.Release(c) // --rm takes its anonymous volumes along, as in Docker
	}
	return nil
}

// ImageUsers returns the ids of the containers created from imageID.
func (s *Store) ImageUsers(imageID string) ([]string, error) {
	all, err := s.readAll()
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, c := range all {
		if c.ImageID == imageID {
			ids = append(ids, c.ID)
		}
	}
	return ids, nil
}

// sweep removes what a create or remove that died half-way left behind.
// It runs under the store lock, so no create is in progress; errors are
// ignored because the next Open tries again.
func (s *Store) sweep() {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") || strings.HasPrefix(e.Name(), ".rm-") {
			_ = s.rm.RemoveAll(filepath.Join(s.dir, e.Name()))
		}
	}
}

// lockStore takes the store's flock and returns its release.
func (s *Store) lockStore() (func(), error) {
	return lockfile.Lock(s.lock, "container store")
}

func readRecord(dir string) (*Container, error) {
	b, err := os.ReadFile(filepath.Join(dir, recordFile))
	if err != nil {
		return nil, err
	}
	var c Container
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("read container record %s: %w", dir, err)
	}
	return &c, nil
}

// writeRecord replaces dir/container.json atomically: temp file, then
// rename. A killed hull never leaves a torn record. There is no fsync: a
// record is state about processes that a power loss ends anyway, and the
// three writes of every `run` would otherwise cost a few milliseconds of
// disk flushes on the start path.
func writeRecord(dir string, c *Container) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("encode container %s: %w", ShortID(c.ID), err)
	}
	f, err := os.CreateTemp(dir, ".tmp-"+recordFile)
	if err != nil {
		return fmt.Errorf("write container %s: %w", ShortID(c.ID), err)
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(dir, recordFile))
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write container %s: %w", ShortID(c.ID), err)
	}
	return nil
}

// emitAttachments logs network (connect, disconnect) and volume (mount,
// unmount) events of c's named networks and volumes, with Docker's
// attributes.
func (s *Store) emitAttachments(c *Container, netAction, volAction string) {
	root := filepath.Dir(s.dir)
	for _, ep := range c.NamedNetworks() {
		typ := ep.Network.Driver
		if typ == "" {
			typ = "bridge"
		}
		_ = events.Append(root, events.New("network", netAction, ep.Network.ID,
			map[string]string{"container": c.ID, "name": ep.Network.Name, "type": typ}))
	}
	for _, m := range c.Volumes() {
		attrs := map[string]string{"container": c.ID, "driver": "local"}
		if volAction == "mount" {
			attrs["destination"], attrs["propagation"], attrs["read/write"] = m.Destination, m.Propagation, strconv.FormatBool(m.RW)
		}
		_ = events.Append(root, events.New("volume", volAction, m.Name, attrs))
	}
}

// Emit appends a container event to the store's log (hull events). A
// failure to log does not fail the change it reports.
func (s *Store) Emit(c *Container, action string, kv ...string) {
	attrs := map[string]string{"name": c.Name, "image": c.Image}
	for i := 0; i+1 < len(kv); i += 2 {
		attrs[kv[i]] = kv[i+1]
	}
	_ = events.Append(filepath.Dir(s.dir), events.New("container", action, c.ID, attrs))
}

// emitChanges logs what a record write changed: a start, a death (with
// its exit code), a pause or an unpause. As Docker's daemon, a start
// connects the named networks and mounts the volumes before "start", and
// an exit disconnects and unmounts them before "die".
func (s *Store) emitChanges(old, c *Container) {
	switch {
	case !old.State.Running && c.State.Running:
		s.emitAttachments(c, "connect", "mount")
		s.Emit(c, "start")
	case old.State.Running && !c.State.Running:
		s.emitAttachments(c, "disconnect", "unmount")
		s.Emit(c, "die", "exitCode", strconv.Itoa(c.State.ExitCode))
	}
	switch {
	case !old.State.Paused && c.State.Paused:
		s.Emit(c, "pause")
	case old.State.Paused && !c.State.Paused && c.State.Running:
		s.Emit(c, "unpause")
	}
}

package pod

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/hull-project/hull/core/lockfile"
)

// Store is the pod records under one store root.
type Store struct{ dir string }

// Open opens (making it when missing) the pod records of root.
func Open(root string) (*Store, error) {
	dir := filepath.Join(root, "pods")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open pod store: %w", err)
	}
	return &Store{dir: dir}, nil
}

func (s *Store) file(id string) string { return filepath.Join(s.dir, id, "pod.json") }

// InfraLock is the file the infra monitor keeps flock'ed.
func (s *Store) InfraLock(id string) string { return filepath.Join(s.dir, id, "infra.lock") }

// lock takes the store's flock and returns its release.
func (s *Store) lock() (func(), error) {
	return lockfile.Lock(filepath.Join(s.dir, ".lock"), "pod store")
}

// Create stores a new pod; its name must be unused.
func (s *Store) Create(p *Pod) error {
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	all, err := s.List()
	if err != nil {
		return err
	}
	for _, o := range all {
		if o.Name == p.Name {
			return fmt.Errorf("%w: %q is used by pod %s", ErrNameInUse, p.Name, o.ID[:12])
		}
	}
	if err := os.Mkdir(filepath.Join(s.dir, p.ID), 0o700); err != nil {
		return fmt.Errorf("create pod %s: %w", p.Name, err)
	}
	return s.write(p)
}

// write replaces p's record atomically.
func (s *Store) write(p *Pod) error {
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	tmp := s.file(p.ID) + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("write pod %s: %w", p.Name, err)
	}
	if err := os.Rename(tmp, s.file(p.ID)); err != nil {
		return fmt.Errorf("write pod %s: %w", p.Name, err)
	}
	return nil
}

// List returns every pod, oldest first.
func (s *Store) List() ([]*Pod, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("list pods: %w", err)
	}
	var out []*Pod
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		p, err := s.get(e.Name())
		if errors.Is(err, ErrNotFound) {
			continue // being created or removed
		}
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, nil
}

func (s *Store) get(id string) (*Pod, error) {
	data, err := os.ReadFile(s.file(id))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("read pod %s: %w", id, err)
	}
	p := &Pod{}
	if err := json.Unmarshal(data, p); err != nil {
		return nil, fmt.Errorf("read pod %s: %w", id, err)
	}
	return p, nil
}

// Lookup finds a pod by name, id or unique id prefix.
func (s *Store) Lookup(ref string) (*Pod, error) {
	all, err := s.List()
	if err != nil {
		return nil, err
	}
	var found *Pod
	for _, p := range all {
		if p.Name == ref || p.ID == ref {
			return p, nil
		}
		if strings.HasPrefix(p.ID, ref) && ref != "" {
			if found != nil {
				return nil, fmt.Errorf("pod id prefix %q is ambiguous", ref)
			}
			found = p
		}
	}
	if found == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, ref)
	}
	return found, nil
}

// Modify changes a record under the store lock.
func (s *Store) Modify(id string, fn func(p *Pod)) error {
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	p, err := s.get(id)
	if err != nil {
		return err
	}
	fn(p)
	return s.write(p)
}

// Remove deletes a pod's record; one whose infra runs is refused.
func (s *Store) Remove(id string) error {
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	if s.InfraAlive(id) {
		return fmt.Errorf("remove pod %s: %w", id[:12], ErrRunning)
	}
	if err := os.RemoveAll(filepath.Join(s.dir, id)); err != nil {
		return fmt.Errorf("remove pod %s: %w", id[:12], err)
	}
	return nil
}

// HoldInfra takes the infra lock for the calling process and returns its
// release; ErrRunning when another process holds it.
func (s *Store) HoldInfra(id string) (func(), error) {
	f, err := os.OpenFile(s.InfraLock(id), os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock pod %s: %w", id[:12], err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("pod %s: %w", id[:12], ErrRunning)
		}
		return nil, fmt.Errorf("lock pod %s: %w", id[:12], err)
	}
	return func() { f.Close() }, nil
}

// InfraAlive reports whether a process holds the pod's infra lock.
func (s *Store) InfraAlive(id string) bool {
	f, err := os.OpenFile(s.InfraLock(id), os.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	return errors.Is(unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB), unix.EWOULDBLOCK)
}

// Package volume is hull's store of named and anonymous volumes: one
// directory per volume under $ROOT/volumes, holding volume.json (Docker's
// inspect fields) and _data, the directory containers mount.
//
// Every mutation takes $ROOT/volumes.lock, so two hull processes creating
// or removing the same volume never see half a volume: a volume is
// assembled under a temporary name and renamed into place, and renamed
// away before its files are removed. The store never looks inside _data
// except to remove or size it; filling a new volume from an image (copy
// up) happens in the container, inside its user namespace
// (isolation/child), so the files get the owners the image gave them.
//
// It deliberately knows nothing of containers: whether a volume is in use
// is the caller's answer (a func given to Remove and Prune).
package volume

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hull-project/hull/core/events"
	"github.com/hull-project/hull/core/lockfile"
)

// Sentinel errors of the store.
var (
	ErrNotFound    = errors.New("no such volume")
	ErrInUse       = errors.New("volume is in use")
	ErrInvalidName = errors.New("invalid volume name")
)

// AnonymousLabel marks a volume made for one container (an image VOLUME or
// -v /path), as Docker marks it; prune without all removes only these.
const AnonymousLabel = "com.docker.volume.anonymous"

const (
	recordFile = "volume.json"
	dataDir    = "_data"
)

var validName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`) })

// ValidName reports whether name is a volume name Docker accepts.
func ValidName(name string) bool { return len(name) <= 255 && validName().MatchString(name) }

// Volume is one volume, with Docker's inspect field names.
type Volume struct {
	Name       string            `json:"Name"`
	Driver     string            `json:"Driver"`
	Mountpoint string            `json:"Mountpoint"`
	CreatedAt  time.Time         `json:"CreatedAt"`
	Labels     map[string]string `json:"Labels"`
	Options    map[string]string `json:"Options"`
	Scope      string            `json:"Scope"`
}

// Anonymous reports whether v was made for one container.
func (v *Volume) Anonymous() bool {
	_, ok := v.Labels[AnonymousLabel]
	return ok
}

// Remover removes a tree that may hold files of subordinate ids (the
// store's user-namespace helper).
type Remover func(dir string) error

// Store is the volume store of one hull root.
type Store struct {
	dir  string
	lock string
	rm   Remover
}

// Open opens (creating) the store under root and removes what killed
// processes left behind.
func Open(root string, rm Remover) (*Store, error) {
	s := &Store{dir: filepath.Join(root, "volumes"), lock: filepath.Join(root, "volumes.lock"), rm: rm}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, fmt.Errorf("open volume store: %w", err)
	}
	s.sweep()
	return s, nil
}

// CreateOptions are `volume create`'s settings.
type CreateOptions struct {
	Driver  string // "" or "local"
	Labels  map[string]string
	Options map[string]string
}

// Create makes volume name (a random name when empty). Like Docker, an
// existing volume of that name is returned as it is, unless the options
// ask for something else.
func (s *Store) Create(name string, o CreateOptions) (*Volume, error) {
	if o.Driver != "" && o.Driver != "local" {
		return nil, fmt.Errorf("create volume %s: driver %q: only the local driver exists", name, o.Driver)
	}
	if len(o.Options) > 0 {
		return nil, fmt.Errorf("create volume %s: driver options are not supported by the local driver of hull", name)
	}
	unlock, err := s.Lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	return s.CreateLocked(name, o.Labels)
}

// CreateLocked is Create for a caller that holds Lock: an existing volume
// is returned, a missing one made with labels.
func (s *Store) CreateLocked(name string, labels map[string]string) (*Volume, error) {
	if name == "" {
		name = NewName()
	}
	if !ValidName(name) {
		return nil, fmt.Errorf("create volume %q: %w: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name, ErrInvalidName)
	}
	if v, err := s.Get(name); err == nil {
		return v, nil
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	v := &Volume{Name: name, Driver: "local", Mountpoint: s.DataDir(name), CreatedAt: time.Now().UTC().Truncate(time.Second),
		Labels: labels, Options: map[string]string{}, Scope: "local"}
	if v.Labels == nil {
		v.Labels = map[string]string{}
	}
	if err := s.assemble(v); err != nil {
		return nil, fmt.Errorf("create volume %s: %w", name, err)
	}
	s.emit("create", name)
	return v, nil
}

// emit appends Docker's volume event to the store's log (hull events); a
// failure to log does not fail the change it reports.
func (s *Store) emit(action, name string) {
	_ = events.Append(filepath.Dir(s.dir), events.New("volume", action, name, map[string]string{"driver": "local"}))
}

// assemble builds the volume's directory under a temporary name and
// renames it into place.
func (s *Store) assemble(v *Volume) error {
	tmp, err := os.MkdirTemp(s.dir, ".tmp-"+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err == nil {
		err = os.WriteFile(filepath.Join(tmp, recordFile), b, 0o600)
	}
	if err == nil {
		// 0755 as Docker: the owner inside is root, others traverse.
		err = os.Mkdir(filepath.Join(tmp, dataDir), 0o755)
	}
	if err == nil {
		err = os.Chmod(tmp, 0o700)
	}
	if err == nil {
		err = os.Rename(tmp, s.Dir(v.Name))
	}
	if err != nil {
		_ = os.RemoveAll(tmp)
	}
	return err
}

// Dir is the volume's directory; DataDir what containers mount. name must
// be valid (ValidName): it is the directory's name.
func (s *Store) Dir(name string) string     { return filepath.Join(s.dir, name) }
func (s *Store) DataDir(name string) string { return filepath.Join(s.dir, name, dataDir) }

// Get reads volume name.
func (s *Store) Get(name string) (*Volume, error) {
	if !ValidName(name) {
		return nil, fmt.Errorf("get volume %q: %w", name, ErrNotFound)
	}
	b, err := os.ReadFile(filepath.Join(s.Dir(name), recordFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("get volume %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get volume %s: %w", name, err)
	}
	var v Volume
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("read volume %s: %w", name, err)
	}
	v.Mountpoint = s.DataDir(name) // the store may have moved with --root
	return &v, nil
}

// List returns every volume, by name.
func (s *Store) List() ([]*Volume, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("list volumes: %w", err)
	}
	var out []*Volume
	for _, e := range entries {
		if !e.IsDir() || !ValidName(e.Name()) {
			continue
		}
		v, err := s.Get(e.Name())
		if errors.Is(err, ErrNotFound) {
			continue // removed meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// InUse reports whether a container uses the volume; the caller answers
// while the store's lock is held.
type InUse func(name string) (bool, error)

// Remove deletes volume name; one in use only with force (Docker's rule).
func (s *Store) Remove(name string, force bool, inUse InUse) error {
	unlock, err := s.Lock()
	if err != nil {
		return err
	}
	gone, err := s.detach(name, force, inUse)
	unlock()
	if err != nil {
		return err
	}
	s.emit("destroy", name)
	if err := s.rm(gone); err != nil {
		return fmt.Errorf("remove volume %s: %w", name, err)
	}
	return nil
}

// detach checks volume name and renames it away under the lock, so the
// name is free at once; the caller removes the returned directory.
func (s *Store) detach(name string, force bool, inUse InUse) (string, error) {
	if _, err := s.Get(name); err != nil {
		return "", fmt.Errorf("remove volume %s: %w", name, ErrNotFound)
	}
	if !force && inUse != nil {
		used, err := inUse(name)
		if err != nil {
			return "", fmt.Errorf("remove volume %s: %w", name, err)
		}
		if used {
			return "", fmt.Errorf("remove volume %s: %w", name, ErrInUse)
		}
	}
	gone := filepath.Join(s.dir, ".rm-"+strconv.Itoa(os.Getpid())+"-"+NewName()[:16])
	if err := os.Rename(s.Dir(name), gone); err != nil {
		return "", fmt.Errorf("remove volume %s: %w", name, err)
	}
	return gone, nil
}

// Prune removes the volumes no container uses that keep passes (anonymous
// ones only unless all), and returns their names.
func (s *Store) Prune(all bool, keep func(*Volume) bool, inUse InUse) ([]string, error) {
	vols, err := s.List()
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, v := range vols {
		if (!all && !v.Anonymous()) || (keep != nil && !keep(v)) {
			continue
		}
		err := s.Remove(v.Name, false, inUse)
		if errors.Is(err, ErrInUse) || errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, v.Name)
	}
	return removed, errors.Join(errs...)
}

// Lock takes the store's flock and returns its release.
func (s *Store) Lock() (func(), error) {
	return lockfile.Lock(s.lock, "volume store")
}

// sweep removes what a killed process left: temporaries of dead pids and
// volumes it had renamed away.
func (s *Store) sweep() {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), ".tmp-")
		if !ok {
			rest, ok = strings.CutPrefix(e.Name(), ".rm-")
		}
		pidStr, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidStr)
		if !ok || err != nil || pidAlive(pid) {
			continue
		}
		_ = s.rm(filepath.Join(s.dir, e.Name()))
	}
}

func pidAlive(pid int) bool {
	err := unix.Kill(pid, 0)
	return err == nil || err == unix.EPERM
}

// NewName is a random 64-hex-digit name, as Docker gives anonymous volumes.
func NewName() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return hex.EncodeToString(b[:])
}

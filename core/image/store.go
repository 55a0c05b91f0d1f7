package image

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hull-project/hull/core/events"
	"github.com/hull-project/hull/core/lockfile"
)

// Sentinel errors returned by the store; callers test them with errors.Is.
var (
	// ErrNotFound: no image has that name, id, id prefix or digest.
	ErrNotFound = errors.New("no such image")
	// ErrInUse: a container uses the image and Force was not given.
	ErrInUse = errors.New("image is in use")
	// ErrConflict: the request is ambiguous or needs Force, e.g. removing
	// by id an image that several names point at.
	ErrConflict = errors.New("conflict")
	// ErrCorrupt: a blob's content no longer matches its digest.
	ErrCorrupt = errors.New("blob content does not match its digest")
)

// Unpacker extracts layer tarballs. It is injected so the caller can run
// extraction inside a user namespace, where files keep their subuids.
type Unpacker interface {
	// Unpack extracts the uncompressed tar stream r into dir, which exists
	// and is empty.
	Unpack(r io.Reader, dir string) error
	// RemoveAll removes a tree that may hold files owned by subuids.
	RemoveAll(dir string) error
}

// Store is the image store rooted at one directory. It is safe for use by
// several goroutines and several processes at once.
type Store struct {
	root string
	u    Unpacker
}

// Image is one image: its record plus its config and manifest.
type Image struct {
	ID       string    // "sha256:<hex of config blob>", Docker's image id
	Digest   string    // manifest digest "sha256:..."
	Names    []string  // normalised refs, "docker.io/library/busybox:latest"
	Created  time.Time // from the config
	Size     int64     // sum of uncompressed layer sizes
	Config   ocispec.Image
	Manifest ocispec.Manifest
	Extras   Extras // Docker's config fields OCI lacks (HEALTHCHECK, ONBUILD, SHELL)
}

// record is one entry of images.json.
type record struct {
	ID      string    `json:"id"`
	Digest  string    `json:"digest"`
	Names   []string  `json:"names"`
	Created time.Time `json:"created"`
	Size    int64     `json:"size"`
}

type index struct {
	Images []record `json:"images"`
	// Pinned are layer digests (hex) kept although no image uses them:
	// the build cache's layers, including those of a build in progress.
	Pinned map[string]bool `json:"pinned,omitempty"`
}

// Open opens the store at root, creating its directories, and removes the
// temporaries left behind by processes that died mid-write.
func Open(root string, u Unpacker) (*Store, error) {
	s := &Store{root: root, u: u}
	for _, d := range []string{root, s.blobDir(), s.layerRoot(), s.metaDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("open image store: %w", err)
		}
	}
	if err := s.cleanTemps(); err != nil {
		return nil, fmt.Errorf("open image store: %w", err)
	}
	return s, nil
}

// Root is the directory the store lives in.
func (s *Store) Root() string { return s.root }

func (s *Store) blobDir() string   { return filepath.Join(s.root, "blobs", "sha256") }
func (s *Store) layerRoot() string { return filepath.Join(s.root, "layers") }
func (s *Store) indexPath() string { return filepath.Join(s.root, "images.json") }

// lockFile takes an exclusive flock on path, creating it, and returns the
// function that releases it.
func lockFile(path string) (func(), error) {
	return lockfile.Lock(path, path)
}

// readIndex reads images.json. Readers need no lock because the file is
// only ever replaced by rename; mutators call it again under the lock.
func (s *Store) readIndex() (*index, error) {
	data, err := os.ReadFile(s.indexPath())
	if errors.Is(err, os.ErrNotExist) {
		return &index{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read image index: %w", err)
	}
	var ix index
	if err := json.Unmarshal(data, &ix); err != nil {
		return nil, fmt.Errorf("read image index %s: %w", s.indexPath(), err)
	}
	return &ix, nil
}

// writeIndex replaces images.json atomically. The caller holds the lock.
func (s *Store) writeIndex(ix *index) error {
	data, err := json.MarshalIndent(ix, "", "  ")
	if err != nil {
		return fmt.Errorf("write image index: %w", err)
	}
	if err := writeFileAtomic(s.root, s.indexPath(), data); err != nil {
		return fmt.Errorf("write image index: %w", err)
	}
	return nil
}

// update runs fn on a fresh copy of the index under the store lock and
// writes the result back when fn succeeds.
func (s *Store) update(fn func(ix *index) error) error {
	unlock, err := lockFile(filepath.Join(s.root, "store.lock"))
	if err != nil {
		return err
	}
	defer unlock()
	ix, err := s.readIndex()
	if err != nil {
		return err
	}
	before := namesByID(ix)
	if err := fn(ix); err != nil {
		return err
	}
	if err := s.writeIndex(ix); err != nil {
		return err
	}
	s.emitChanges(before, namesByID(ix))
	return nil
}

// namesByID maps each image id of ix to its names.
func namesByID(ix *index) map[string][]string {
	out := make(map[string][]string, len(ix.Images))
	for _, r := range ix.Images {
		out[r.ID] = slices.Clone(r.Names)
	}
	return out
}

// emitChanges logs, for hull events, the names an index write gave and
// took ("tag", "untag") and the images it dropped ("delete"), as Docker's
// image events. A failure to log does not fail the change.
func (s *Store) emitChanges(before, after map[string][]string) {
	emit := func(action, id, name string) {
		attrs := map[string]string{}
		if name != "" {
			attrs["name"] = name
		}
		_ = events.Append(s.root, events.New("image", action, id, attrs))
	}
	for id, now := range after {
		for _, n := range now {
			if !slices.Contains(before[id], n) {
				emit("tag", id, n)
			}
		}
	}
	for id, was := range before {
		now, kept := after[id]
		for _, n := range was {
			if !slices.Contains(now, n) {
				emit("untag", id, n)
			}
		}
		if !kept {
			emit("delete", id, "")
		}
	}
}

// find returns the record with the given id, or nil.
func (ix *index) find(id string) *record {
	for i := range ix.Images {
		if ix.Images[i].ID == id {
			return &ix.Images[i]
		}
	}
	return nil
}

// drop removes the record with the given id.
func (ix *index) drop(id string) {
	out := ix.Images[:0]
	for _, r := range ix.Images {
		if r.ID != id {
			out = append(out, r)
		}
	}
	ix.Images = out
}

// takeName removes name from every record that has it.
func (ix *index) takeName(name string) {
	for i := range ix.Images {
		ix.Images[i].Names = without(ix.Images[i].Names, name)
	}
}

func without(names []string, name string) []string {
	out := []string{}
	for _, n := range names {
		if n != name {
			out = append(out, n)
		}
	}
	return out
}

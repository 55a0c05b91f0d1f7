package image

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	digest "github.com/opencontainers/go-digest"
)

// RemoveOptions are the options of `rmi`.
type RemoveOptions struct {
	Force bool
	// InUse reports whether a container uses the image; nil means none do.
	InUse func(imageID string) bool
	// UsedBy names a container that uses the image ("stopped container
	// 1a2b3c4d5e6f"), for the refusal Docker prints; nil or "": unnamed.
	UsedBy func(imageID string) string
}

// inUseError is a refusal naming the container, as Docker's; it is an
// ErrInUse.
type inUseError struct{ msg string }

func (e inUseError) Error() string        { return e.msg }
func (e inUseError) Is(target error) bool { return target == ErrInUse }

// inUseBy is the refusal's tail: the container when known.
func inUseBy(user, fallback string) error {
	if user == "" {
		return inUseError{fallback}
	}
	return inUseError{user}
}

// RemoveResult is one line of `rmi` output: "Untagged: x" or "Deleted: y".
// Exactly one field is set; Untagged is in familiar form ("busybox:latest").
type RemoveResult struct {
	Untagged string
	Deleted  string
}

// Remove removes an image name or an image, with Docker's rules. By name,
// the name is untagged, and the image deleted when that was its last name.
// By id, every name is untagged and the image deleted; an image with names
// in several repositories needs Force (ErrConflict). An image that a
// container uses needs Force (ErrConflict and ErrInUse); even then it is
// only untagged and stays, dangling, until no container uses it, so that
// the container keeps its layers. Unreferenced blobs and layers are
// deleted after the index no longer points at them.
func (s *Store) Remove(nameOrID string, o RemoveOptions) ([]RemoveResult, error) {
	var res []RemoveResult
	err := s.update(func(ix *index) error {
		res = nil
		r, byName, err := ix.resolve(nameOrID)
		if err != nil {
			return err
		}
		inUse := o.InUse != nil && o.InUse(r.ID)
		user := ""
		if inUse && o.UsedBy != nil {
			user = o.UsedBy(r.ID)
		}
		if byName != "" {
			res, err = removeName(ix, r, byName, inUse, user, o.Force)
		} else {
			res, err = removeID(ix, r, inUse, user, o.Force)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, s.sweep()
}

// removeName untags name from r and deletes r when nothing else names it.
func removeName(ix *index, r *record, name string, inUse bool, user string, force bool) ([]RemoveResult, error) {
	rest := without(r.Names, name)
	if onlyDigestsOf(rest, repoOf(name)) {
		// Docker drops the digest references of a repository with its last tag.
		rest = nil
	}
	if len(rest) > 0 {
		r.Names = rest
		return []RemoveResult{{Untagged: FamiliarString(name)}}, nil
	}
	if inUse && !force {
		msg := fmt.Sprintf("image is in use: %s", shortID(r.ID))
		if _, short, ok := strings.Cut(user, "container "); ok {
			msg = fmt.Sprintf("container %s is using its referenced image %s", short, shortID(r.ID))
		}
		return nil, fmt.Errorf("%w: unable to remove repository reference %q (must force) - %w",
			ErrConflict, FamiliarString(name), inUseError{msg})
	}
	return deleteRecord(ix, r, inUse), nil
}

// removeID untags every name of r and deletes it.
func removeID(ix *index, r *record, inUse bool, user string, force bool) ([]RemoveResult, error) {
	if !force && !singleRepo(r.Names) {
		return nil, fmt.Errorf("%w: unable to delete %s (must be forced) - image is referenced in multiple repositories",
			ErrConflict, shortID(r.ID))
	}
	if inUse && !force {
		return nil, fmt.Errorf("%w: unable to delete %s (must be forced) - %w",
			ErrConflict, shortID(r.ID), inUseBy(usedBy(user), "image is in use by a container"))
	}
	if inUse && len(r.Names) == 0 {
		return nil, fmt.Errorf("%w: unable to delete %s (cannot be forced) - %w",
			ErrConflict, shortID(r.ID), inUseBy(usedBy(user), "image is in use by a container"))
	}
	return deleteRecord(ix, r, inUse), nil
}

// deleteRecord untags every name of r and drops it, unless keep is set
// (a container uses it).
func deleteRecord(ix *index, r *record, keep bool) []RemoveResult {
	var res []RemoveResult
	for _, n := range r.Names {
		res = append(res, RemoveResult{Untagged: FamiliarString(n)})
	}
	r.Names = []string{}
	if !keep {
		res = append(res, RemoveResult{Deleted: r.ID})
		ix.drop(r.ID)
	}
	return res
}

// singleRepo is Docker's test for "one reference": at most one tag, and
// any digest references in that same repository.
func singleRepo(names []string) bool {
	repos := map[string]bool{}
	tags := 0
	for _, n := range names {
		repos[repoOf(n)] = true
		if !strings.Contains(n, "@") {
			tags++
		}
	}
	return tags <= 1 && len(repos) <= 1
}

func onlyDigestsOf(names []string, repo string) bool {
	for _, n := range names {
		if !strings.Contains(n, "@") || repoOf(n) != repo {
			return false
		}
	}
	return true
}

func shortID(id string) string {
	h := strings.TrimPrefix(id, "sha256:")
	return h[:min(12, len(h))]
}

// Prune deletes dangling images (those without names) that no container
// uses; with all, every image that no container uses.
func (s *Store) Prune(all bool, inUse func(string) bool) ([]RemoveResult, error) {
	var res []RemoveResult
	err := s.update(func(ix *index) error {
		res = nil
		for _, r := range append([]record(nil), ix.Images...) {
			if (inUse != nil && inUse(r.ID)) || (!all && len(r.Names) > 0) {
				continue
			}
			res = append(res, deleteRecord(ix, ix.find(r.ID), false)...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, s.sweep()
}

// sweep deletes the blobs and layer directories that no image references.
// It runs under the store lock, because AddImage publishes blobs under it:
// a blob outside every record and outside a running AddImage is garbage.
// Layer directories are renamed to temporaries under the lock and removed
// after it, so a crash mid-removal leaves a temporary for Open to clean.
func (s *Store) sweep() error {
	unlock, err := lockFile(filepath.Join(s.root, "store.lock"))
	if err != nil {
		return err
	}
	doomed, err := s.collect()
	unlock()
	for _, d := range doomed {
		if rerr := s.u.RemoveAll(d); rerr != nil && err == nil {
			err = rerr
		}
	}
	if err != nil {
		return fmt.Errorf("clean up unused layers: %w", err)
	}
	return nil
}

// collect deletes unreferenced blobs (and tar-split metadata) and moves unreferenced layer
// directories aside, returning their new paths. The caller holds the lock.
func (s *Store) collect() ([]string, error) {
	used, err := s.referenced()
	if err != nil {
		return nil, err
	}
	blobs, err := os.ReadDir(s.blobDir())
	if err != nil {
		return nil, err
	}
	for _, e := range blobs {
		if !strings.HasPrefix(e.Name(), tmpPrefix) && !used[e.Name()] {
			if err := os.Remove(filepath.Join(s.blobDir(), e.Name())); err != nil {
				return nil, err
			}
		}
	}
	metas, err := os.ReadDir(s.metaDir())
	if err != nil {
		return nil, err
	}
	for _, e := range metas {
		if !strings.HasPrefix(e.Name(), tmpPrefix) && !used[e.Name()] {
			if err := os.Remove(filepath.Join(s.metaDir(), e.Name())); err != nil {
				return nil, err
			}
		}
	}
	layers, err := os.ReadDir(s.layerRoot())
	if err != nil {
		return nil, err
	}
	var doomed []string
	for _, e := range layers {
		if !e.IsDir() || strings.HasPrefix(e.Name(), tmpPrefix) || used[e.Name()] {
			continue
		}
		tmp := filepath.Join(s.layerRoot(), tmpName())
		if err := os.Rename(filepath.Join(s.layerRoot(), e.Name()), tmp); err != nil {
			return doomed, err
		}
		doomed = append(doomed, tmp)
	}
	return doomed, nil
}

// referenced returns the hex digests of every blob the index references.
// A manifest that cannot be read stops the sweep: better garbage than a
// deleted layer.
func (s *Store) referenced() (map[string]bool, error) {
	ix, err := s.readIndex()
	if err != nil {
		return nil, err
	}
	used := map[string]bool{}
	for hex := range ix.Pinned {
		used[hex] = true
	}
	for _, r := range ix.Images {
		img, err := s.load(r) // validates the digests before Encoded
		if err != nil {
			return nil, err
		}
		used[digest.Digest(r.ID).Encoded()] = true
		used[digest.Digest(r.Digest).Encoded()] = true
		for _, l := range img.Manifest.Layers {
			used[l.Digest.Encoded()] = true
		}
	}
	return used, nil
}

func usedBy(user string) string {
	if user == "" {
		return ""
	}
	return "image is being used by " + user
}

package image

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	digest "github.com/opencontainers/go-digest"
)

// Images returns every image, newest first.
func (s *Store) Images() ([]*Image, error) {
	ix, err := s.readIndex()
	if err != nil {
		return nil, err
	}
	var out []*Image
	for _, r := range ix.Images {
		img, err := s.loadLive(r)
		if errors.Is(err, ErrNotFound) {
			continue // removed since we read the index
		}
		if err != nil {
			return nil, err
		}
		out = append(out, img)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.After(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// Lookup finds an image by name (normalised first), name@digest, full id
// with or without "sha256:", or a unique id prefix. Names win over id
// prefixes, as in Docker. It returns an ErrNotFound error otherwise.
func (s *Store) Lookup(nameOrID string) (*Image, error) {
	ix, err := s.readIndex()
	if err != nil {
		return nil, err
	}
	r, _, err := ix.resolve(nameOrID)
	if err != nil {
		return nil, err
	}
	img, err := s.loadLive(*r)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, nameOrID)
	}
	return img, err
}

// Tag gives the image nameOrID the name ref, taking it from any image that
// had it (that image keeps its other names or becomes dangling).
func (s *Store) Tag(nameOrID, ref string) error {
	norm, err := NormalizeRef(ref)
	if err != nil {
		return err
	}
	if strings.Contains(norm, "@") {
		return fmt.Errorf("refusing to create a tag with a digest reference: %s", ref)
	}
	return s.update(func(ix *index) error {
		r, _, err := ix.resolve(nameOrID)
		if err != nil {
			return err
		}
		ix.takeName(norm)
		r.Names = append(r.Names, norm)
		return nil
	})
}

// AddDigestName records repo@digest, the manifest digest a registry
// returned for a push, on the image id, so that `images --digests` and
// pulls by that digest find it.
func (s *Store) AddDigestName(id, ref string) error {
	norm, err := NormalizeRef(ref)
	if err != nil {
		return err
	}
	if !strings.Contains(norm, "@") {
		return fmt.Errorf("record digest %s: not a digest reference", ref)
	}
	return s.update(func(ix *index) error {
		r, _, err := ix.resolve(id)
		if err != nil {
			return err
		}
		if !slices.Contains(r.Names, norm) {
			ix.takeName(norm)
			r.Names = append(r.Names, norm)
		}
		return nil
	})
}

// resolve finds the record for nameOrID. byName is the stored name that
// matched, or "" when the image was found by id or digest.
func (ix *index) resolve(nameOrID string) (r *record, byName string, err error) {
	if norm, nerr := NormalizeRef(nameOrID); nerr == nil {
		if r := ix.byName(norm); r != nil {
			return r, norm, nil
		}
		if repo, d, ok := strings.Cut(norm, "@"); ok {
			if r := ix.byDigest(repoOf(repo), d); r != nil {
				return r, "", nil
			}
		}
	}
	return ix.byIDPrefix(nameOrID)
}

func (ix *index) byName(name string) *record {
	for i := range ix.Images {
		if slices.Contains(ix.Images[i].Names, name) {
			return &ix.Images[i]
		}
	}
	return nil
}

// byDigest finds the image whose manifest has digest d and that has a name
// in repository repo.
func (ix *index) byDigest(repo, d string) *record {
	for i := range ix.Images {
		r := &ix.Images[i]
		if r.Digest != d {
			continue
		}
		for _, n := range r.Names {
			if repoOf(n) == repo {
				return r
			}
		}
	}
	return nil
}

func (ix *index) byIDPrefix(id string) (*record, string, error) {
	hexPart := strings.TrimPrefix(id, "sha256:")
	if !idPrefixRE().MatchString(hexPart) {
		return nil, "", fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	var found *record
	for i := range ix.Images {
		if strings.HasPrefix(strings.TrimPrefix(ix.Images[i].ID, "sha256:"), hexPart) {
			if found != nil {
				return nil, "", fmt.Errorf("%w: %s (ambiguous id prefix)", ErrNotFound, id)
			}
			found = &ix.Images[i]
		}
	}
	if found == nil {
		return nil, "", fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return found, "", nil
}

var idPrefixRE = lazyRE(`^[a-f0-9]{1,64}$`)

// loadLive is load for readers, which read the index without the lock: a
// missing blob whose image has meanwhile left the index means the image
// was removed (ErrNotFound), not that the store is damaged.
func (s *Store) loadLive(r record) (*Image, error) {
	img, err := s.load(r)
	if errors.Is(err, os.ErrNotExist) {
		if ix, ierr := s.readIndex(); ierr == nil && ix.find(r.ID) == nil {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, r.ID)
		}
	}
	return img, err
}

// load reads the manifest and config of a record, verifying both blobs.
func (s *Store) load(r record) (*Image, error) {
	img := &Image{ID: r.ID, Digest: r.Digest, Names: slices.Clone(r.Names), Created: r.Created, Size: r.Size}
	if err := s.readJSON(digest.Digest(r.Digest), &img.Manifest); err != nil {
		return nil, fmt.Errorf("image %s manifest: %w", r.ID, err)
	}
	data, err := s.readBlob(digest.Digest(r.ID))
	if err == nil {
		err = json.Unmarshal(data, &img.Config)
	}
	if err == nil {
		img.Extras, err = unmarshalExtras(data)
	}
	if err != nil {
		return nil, fmt.Errorf("image %s config: %w", r.ID, err)
	}
	return img, nil
}

func (s *Store) readJSON(d digest.Digest, v any) error {
	data, err := s.readBlob(d)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("blob %s: %w", d, err)
	}
	return nil
}

package image

import (
	"fmt"
	"os"
	"path/filepath"

	digest "github.com/opencontainers/go-digest"
)

// PublishLayer makes a layer written by WriteLayer part of the store
// without an image, pinned so that sweeps keep it: builds publish each
// step's layer so that later builds (and later steps) can reuse it.
func (s *Store) PublishLayer(l *Layer) error {
	d := digest.Digest(l.Digest)
	if err := d.Validate(); err != nil {
		return fmt.Errorf("publish layer %s: %w", l.Digest, err)
	}
	return s.update(func(ix *index) error {
		if l.temp != nil {
			if err := s.publish(l.temp); err != nil {
				return err
			}
			l.temp = nil
		} else if !s.hasLayer(d) {
			return fmt.Errorf("publish layer %s: blob is missing", l.Digest)
		}
		if ix.Pinned == nil {
			ix.Pinned = map[string]bool{}
		}
		ix.Pinned[d.Encoded()] = true
		return nil
	})
}

// AdoptLayerDir makes dir, a tree whose content is the layer diffID (the
// upper directory a build step's layer was made from), that layer's
// unpacked directory, so it is not unpacked again. dir is moved; when the
// layer is unpacked already, dir is removed instead.
func (s *Store) AdoptLayerDir(diffID, dir string) error {
	d := digest.Digest(diffID)
	if err := d.Validate(); err != nil {
		return fmt.Errorf("adopt layer dir %s: %w", diffID, err)
	}
	final := filepath.Join(s.layerRoot(), d.Encoded())
	if exists(final) {
		return s.u.RemoveAll(dir)
	}
	if err := os.Rename(dir, final); err != nil {
		if exists(final) {
			return s.u.RemoveAll(dir)
		}
		return fmt.Errorf("adopt layer dir %s: %w", diffID, err)
	}
	s.compact(d)
	return nil
}

// LayerDir returns the unpacked directory of the layer diffID, unpacking
// it from its blob when needed.
func (s *Store) LayerDir(diffID string) (string, error) {
	return s.layerDir(digest.Digest(diffID))
}

// CacheLayer is a build-cache (pinned) layer.
type CacheLayer struct {
	DiffID string
	// Size is what its blob and tar-split metadata take on disk; Dir is
	// the unpacked directory, "" when there is none (its size is the
	// caller's to add up).
	Size int64
	Dir  string
	// InImage is set when an image uses the layer too: unpinning it frees
	// nothing.
	InImage bool
}

// BuildCacheLayers lists the pinned layers.
func (s *Store) BuildCacheLayers() ([]CacheLayer, error) {
	ix, err := s.readIndex()
	if err != nil {
		return nil, err
	}
	inImages := map[string]bool{}
	for _, r := range ix.Images {
		img, err := s.load(r)
		if err != nil {
			return nil, err
		}
		for _, l := range img.Manifest.Layers {
			inImages[l.Digest.Encoded()] = true
		}
	}
	var out []CacheLayer
	for hex := range ix.Pinned {
		d := digest.NewDigestFromEncoded(digest.SHA256, hex)
		if d.Validate() != nil {
			continue
		}
		cl := CacheLayer{DiffID: d.String(), InImage: inImages[hex]}
		cl.Size, cl.Dir = s.LayerUsage(d.String())
		out = append(out, cl)
	}
	return out, nil
}

// PruneBuildCache unpins the build-cache layers drop selects (nil: all)
// and removes those no image uses. It returns how many layers were
// unpinned.
func (s *Store) PruneBuildCache(drop func(diffID string) bool) (int, error) {
	n := 0
	err := s.update(func(ix *index) error {
		n = 0
		for hex := range ix.Pinned {
			if drop == nil || drop(digest.NewDigestFromEncoded(digest.SHA256, hex).String()) {
				delete(ix.Pinned, hex)
				n++
			}
		}
		if len(ix.Pinned) == 0 {
			ix.Pinned = nil
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, s.sweep()
}

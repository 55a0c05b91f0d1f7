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
		} else if !s.hasBlob(d) {
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
	return nil
}

// LayerDir returns the unpacked directory of the layer diffID, unpacking
// it from its blob when needed.
func (s *Store) LayerDir(diffID string) (string, error) {
	return s.layerDir(digest.Digest(diffID))
}

// PruneBuildCache unpins every build-cache layer and removes those no
// image uses. It returns how many layers were unpinned.
func (s *Store) PruneBuildCache() (int, error) {
	n := 0
	err := s.update(func(ix *index) error {
		n = len(ix.Pinned)
		ix.Pinned = nil
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, s.sweep()
}

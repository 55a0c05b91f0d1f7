package image

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	digest "github.com/opencontainers/go-digest"
)

// LayerDirs returns the unpacked directories of img's layers, topmost
// first (the order of overlayfs lowerdir). A layer that is not unpacked
// yet is unpacked from its blob, once even across processes.
func (s *Store) LayerDirs(img *Image) ([]string, error) {
	dirs := make([]string, len(img.Manifest.Layers))
	for i, l := range img.Manifest.Layers {
		dir, err := s.layerDir(l.Digest)
		if err != nil {
			return nil, err
		}
		dirs[len(dirs)-1-i] = dir
	}
	return dirs, nil
}

// layerDir returns Root/layers/<hex>, unpacking it first when missing.
// The directory exists only when complete: unpacking goes to a temporary
// directory that is renamed into place.
func (s *Store) layerDir(d digest.Digest) (string, error) {
	if _, err := s.blobPath(d); err != nil {
		return "", err
	}
	final := filepath.Join(s.layerRoot(), d.Encoded())
	if exists(final) {
		return final, nil
	}
	// The per-layer lock makes a second process wait for the first one's
	// result instead of unpacking the same layer again.
	unlockOnce, err := lockFile(final + ".lock")
	if err != nil {
		return "", err
	}
	unlock := sync.OnceFunc(unlockOnce)
	defer unlock()
	if exists(final) {
		return final, nil
	}
	if err := s.unpack(d, final); err != nil {
		return "", fmt.Errorf("unpack layer %s: %w", d, err)
	}
	unlock()
	s.compact(d)
	return final, nil
}

func (s *Store) unpack(d digest.Digest, final string) error {
	r, err := s.openBlob(d)
	if err != nil {
		return err
	}
	defer r.Close()
	tmp := filepath.Join(s.layerRoot(), tmpName())
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return err
	}
	err = s.u.Unpack(r, tmp)
	if err == nil {
		// The unpacker may stop at the end-of-archive marker; read the
		// rest so that the digest check at EOF runs.
		_, err = io.Copy(io.Discard, r)
	}
	if err == nil {
		err = os.Rename(tmp, final)
		if exists(final) && err != nil {
			err = nil // someone else finished first
		}
	}
	if err == nil {
		err = syncDir(s.layerRoot())
	}
	if exists(tmp) {
		if rerr := s.u.RemoveAll(tmp); rerr != nil && err == nil {
			err = rerr
		}
	}
	return err
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return !errors.Is(err, os.ErrNotExist)
}

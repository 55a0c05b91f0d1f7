package image

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	digest "github.com/opencontainers/go-digest"
)

// ErrCannotAssemble is AddLayerDir's answer in a store whose Unpacker
// cannot write a layer's tar again from its tree: the layer needs its
// blob there (dir is left as it is).
var ErrCannotAssemble = errors.New("the store cannot assemble a layer from its tree")

// AddLayerDir stores dir, the tree of layer diffID (a tar of size bytes),
// as a pinned build-cache layer kept as compact layers are: the tree and
// meta, the tar's tar-split metadata (as layer.Disassemble writes it),
// without a blob. A build step's layer comes this way: its tar is never
// written, only hashed and disassembled as it is diffed, so the caller
// vouches that dir gives the tar back (layer.DisassembleTo took meta from
// the very stream that hashed to diffID, layer.CheckTree found each file
// where meta names it). dir is moved; when the layer is stored already,
// dir is removed instead (its metadata is there too, or its blob); meta
// may then be nil.
//
// The tree is the layer's only copy, so it is synced before the layer
// exists; meta is synced under a temporary name and renamed into place,
// then the tree, then the layer pinned, all under the store lock (a
// sweep never sees the tree without its pin). A crash leaves at worst an
// unreferenced metadata file or tree, which the next sweep removes.
func (s *Store) AddLayerDir(diffID string, size int64, meta io.Reader, dir string) error {
	d := digest.Digest(diffID)
	if err := d.Validate(); err != nil {
		return fmt.Errorf("add layer dir %s: %w", diffID, err)
	}
	if s.hasLayer(d) || meta == nil {
		if err := s.PublishLayer(&Layer{Digest: diffID}); err != nil {
			return err
		}
		return s.AdoptLayerDir(diffID, dir)
	}
	if _, ok := s.u.(Assembler); !ok {
		return fmt.Errorf("add layer dir %s: %w", diffID, ErrCannotAssemble)
	}
	final := filepath.Join(s.layerRoot(), d.Encoded())
	unlock, err := lockFile(final + ".lock")
	if err != nil {
		return fmt.Errorf("add layer dir %s: %w", diffID, err)
	}
	defer unlock()
	tmp, err := s.writeMetaFrom(meta, size)
	if err != nil {
		return fmt.Errorf("add layer dir %s: %w", diffID, err)
	}
	defer os.Remove(tmp)
	if err := syncFS(dir); err != nil {
		return fmt.Errorf("add layer dir %s: %w", diffID, err)
	}
	var aside string
	err = s.update(func(ix *index) error {
		if ix.Pinned == nil {
			ix.Pinned = map[string]bool{}
		}
		ix.Pinned[d.Encoded()] = true
		if s.hasLayer(d) { // another build stored it meanwhile
			return s.u.RemoveAll(dir)
		}
		if exists(final) {
			// A tree without metadata or blob is no layer (a crash's
			// leftover): it goes.
			aside = filepath.Join(s.layerRoot(), tmpName())
			if err := os.Rename(final, aside); err != nil {
				return err
			}
		}
		if err := os.Rename(tmp, s.metaPath(d)); err != nil {
			return err
		}
		if err := syncDir(s.metaDir()); err != nil {
			return err
		}
		if err := os.Rename(dir, final); err != nil {
			return err
		}
		return syncDir(s.layerRoot())
	})
	if aside != "" {
		_ = s.u.RemoveAll(aside)
	}
	if err != nil {
		return fmt.Errorf("add layer dir %s: %w", diffID, err)
	}
	return nil
}

// writeMetaFrom writes a metadata file (header line, then meta) under a
// temporary name in the metadata dir, synced, and returns its path.
func (s *Store) writeMetaFrom(meta io.Reader, size int64) (string, error) {
	tmp := filepath.Join(s.metaDir(), tmpName())
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	bw := bufio.NewWriter(ReserveWriter(f))
	fmt.Fprintf(bw, "%s%d\n", metaMagic, size)
	_, err = io.Copy(bw, meta)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return "", err
	}
	return tmp, nil
}

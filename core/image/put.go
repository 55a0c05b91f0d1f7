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

// PutLayer makes the layer whose diff_id is diffID present in the store,
// for pulls and loads: when its blob is missing, open is called and the
// uncompressed stream it returns is written to the blob store and unpacked
// into layers/<hex>/ at the same time. Both become visible only after the
// stream's digest has been checked against diffID, so a layer that does not
// match (ErrCorrupt) leaves nothing behind.
//
// The blob is published at once, before any image references it, so that
// an interrupted pull that is run again finds it; until AddImage takes it,
// Prune may sweep it. Two processes putting the same layer share the work:
// the second waits on the layer's lock and finds the blob. fetched reports
// whether open was called.
func (s *Store) PutLayer(diffID string, open func() (io.ReadCloser, error)) (l *Layer, fetched bool, err error) {
	d := digest.Digest(diffID)
	if _, err := s.blobPath(d); err != nil {
		return nil, false, err
	}
	if l, ok := s.ExistingLayer(diffID); ok {
		return l, false, nil
	}
	final := filepath.Join(s.layerRoot(), d.Encoded())
	unlockOnce, err := lockFile(final + ".lock")
	if err != nil {
		return nil, false, err
	}
	unlock := sync.OnceFunc(unlockOnce)
	defer unlock()
	if l, ok := s.ExistingLayer(diffID); ok {
		return l, false, nil // another process fetched it while we waited
	}
	rc, err := open()
	if err != nil {
		return nil, true, fmt.Errorf("layer %s: %w", d, err)
	}
	defer rc.Close()
	t, err := s.writeAndUnpack(rc, d)
	if err != nil {
		return nil, true, fmt.Errorf("layer %s: %w", d, err)
	}
	return &Layer{Digest: diffID, Size: t.size}, true, nil
}

// writeAndUnpack tees r into a temporary blob and into the unpacker, and
// stores the layer (settle) when r's digest is want. The caller holds
// the layer's lock.
func (s *Store) writeAndUnpack(r io.Reader, want digest.Digest) (*tempBlob, error) {
	tmp, err := s.newLayerTemp()
	if err != nil {
		return nil, err
	}
	defer s.dropLayerTemp(tmp)
	t, err := s.writeUnpacked(r, tmp)
	if err != nil {
		return nil, err
	}
	if t.digest != want {
		os.Remove(t.path)
		return nil, fmt.Errorf("%w: content is %s, the image config says %s", ErrCorrupt, t.digest, want)
	}
	if err := s.settle(t, tmp); err != nil {
		return nil, err
	}
	return t, nil
}

// newLayerTemp creates a temporary layer directory; dropLayerTemp removes
// it unless it was renamed into place.
func (s *Store) newLayerTemp() (string, error) {
	tmp := filepath.Join(s.layerRoot(), tmpName())
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return "", err
	}
	return tmp, nil
}

func (s *Store) dropLayerTemp(tmp string) {
	if exists(tmp) {
		s.u.RemoveAll(tmp)
	}
}

// writeUnpacked tees r into a temporary blob, not synced, and into the
// unpacker at dir, so that a layer the store could not unpack is never
// stored. On error the blob is removed; dir is the caller's.
func (s *Store) writeUnpacked(r io.Reader, dir string) (*tempBlob, error) {
	pr, pw := io.Pipe()
	unpacked := make(chan error, 1)
	go func() {
		err := s.u.Unpack(pr, dir)
		if err == nil {
			_, err = io.Copy(io.Discard, pr) // the padding after the end marker
		}
		pr.CloseWithError(errors.Join(err, errUnpackStopped))
		unpacked <- err
	}()
	// Unsynced: settle syncs it only when it is kept.
	t, err := s.writeTempFile(io.TeeReader(r, pw), false)
	pw.CloseWithError(err)
	uerr := <-unpacked
	if err != nil {
		if uerr != nil && errors.Is(err, errUnpackStopped) {
			err = fmt.Errorf("unpack: %w", uerr) // the tee stopped because unpacking did
		}
		return nil, err
	}
	if uerr != nil {
		os.Remove(t.path)
		return nil, fmt.Errorf("unpack: %w", uerr)
	}
	return t, nil
}

var errUnpackStopped = errors.New("unpacking stopped")

// OpenBlob opens the blob with digest d (a manifest, config or layer) for
// reading; the reader fails with ErrCorrupt at the end if the content does
// not match d.
func (s *Store) OpenBlob(d string) (io.ReadCloser, error) {
	return s.openBlob(digest.Digest(d))
}

// BlobSize returns the size of the blob with digest d (for a layer kept
// as tar-split metadata, the size of the tar it gives).
func (s *Store) BlobSize(d string) (int64, error) {
	p, err := s.blobPath(digest.Digest(d))
	if err != nil {
		return 0, err
	}
	st, err := os.Stat(p)
	if errors.Is(err, os.ErrNotExist) && s.hasMeta(digest.Digest(d)) {
		return s.metaSize(digest.Digest(d))
	}
	if err != nil {
		return 0, fmt.Errorf("blob %s: %w", d, err)
	}
	return st.Size(), nil
}

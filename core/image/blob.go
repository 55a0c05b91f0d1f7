package image

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"

	digest "github.com/opencontainers/go-digest"
)

// blobPath is where the blob with digest d lives. It rejects anything that
// is not a well-formed sha256 digest, so a digest read from a file can
// never point outside the blob directory.
func (s *Store) blobPath(d digest.Digest) (string, error) {
	if d.Algorithm() != digest.SHA256 || d.Validate() != nil {
		return "", fmt.Errorf("invalid blob digest %q", d)
	}
	return filepath.Join(s.blobDir(), d.Encoded()), nil
}

// tempBlob is content written and synced under a temporary name, not yet
// visible under its digest.
type tempBlob struct {
	path   string
	digest digest.Digest
	size   int64
}

// writeTemp copies r into a synced temporary file in the blob directory,
// hashing it on the way.
func (s *Store) writeTemp(r io.Reader) (*tempBlob, error) {
	return s.writeTempFile(r, true)
}

// syncTemp syncs a temporary written unsynced, before it is published.
func syncTemp(t *tempBlob) error {
	f, err := os.Open(t.path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeTempFile is writeTemp; unsynced, the temporary must be synced
// (syncTemp) before it is published.
func (s *Store) writeTempFile(r io.Reader, sync bool) (*tempBlob, error) {
	path := filepath.Join(s.blobDir(), tmpName())
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(ReserveWriter(f), h), r)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, err
	}
	return &tempBlob{path: path, digest: digest.NewDigest(digest.SHA256, h), size: n}, nil
}

// publish renames the temporary into place under its digest. Renaming
// over an existing blob is harmless: the content is the same.
func (s *Store) publish(t *tempBlob) error {
	final, err := s.blobPath(t.digest)
	if err != nil {
		return err
	}
	if err := os.Rename(t.path, final); err != nil {
		return fmt.Errorf("store blob %s: %w", t.digest, err)
	}
	return nil
}

// readBlob returns the whole content of a small blob after checking it
// against its digest.
func (s *Store) readBlob(d digest.Digest) ([]byte, error) {
	r, err := s.openBlob(d)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// hasLayer reports whether layer d can be read: its blob, or its
// directory and tar-split metadata (tarsplit.go), is there.
func (s *Store) hasLayer(d digest.Digest) bool {
	return s.hasBlob(d) || s.hasMeta(d)
}

// hasBlob reports whether the blob is present (without verifying it).
func (s *Store) hasBlob(d digest.Digest) bool {
	p, err := s.blobPath(d)
	if err != nil {
		return false
	}
	_, err = os.Stat(p)
	return err == nil
}

// openBlob opens a blob for streaming. The reader checks the digest when
// it reaches the end and returns an ErrCorrupt error naming the blob
// instead of io.EOF if the content has changed. A layer whose blob was
// replaced by tar-split metadata is assembled from its directory.
func (s *Store) openBlob(d digest.Digest) (io.ReadCloser, error) {
	p, err := s.blobPath(d)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) && s.hasMeta(d) {
		if a, ok := s.u.(Assembler); ok {
			return s.assemble(a, d)
		}
	}
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("blob %s: %w", d, os.ErrNotExist)
		}
		return nil, fmt.Errorf("blob %s: %w", d, err)
	}
	return &verifier{f: f, h: sha256.New(), want: d, what: "blob"}, nil
}

// verifier hashes what is read through it and checks the digest at EOF.
type verifier struct {
	f    io.ReadCloser
	h    hash.Hash
	want digest.Digest
	what string // "blob", or "layer" for one assembled from its directory
}

func (v *verifier) Read(p []byte) (int, error) {
	n, err := v.f.Read(p)
	v.h.Write(p[:n])
	if err == io.EOF {
		if got := hex.EncodeToString(v.h.Sum(nil)); got != v.want.Encoded() {
			if v.what == "layer" {
				return n, fmt.Errorf("layer %s: %w (its unpacked files give sha256:%s)", v.want, ErrCorrupt, got)
			}
			return n, fmt.Errorf("blob %s: %w (sha256:%s)", v.want, ErrCorrupt, got)
		}
	} else if err != nil && v.what != "layer" {
		err = fmt.Errorf("blob %s: %w", v.want, err)
	}
	return n, err
}

func (v *verifier) Close() error { return v.f.Close() }

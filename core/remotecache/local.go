package remotecache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	digest "github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sys/unix"
)

// The local cache is an OCI image layout: oci-layout, index.json naming
// the cache manifest (ref name "latest"), blobs/sha256/<hex>.

// exportLocal writes the layout into dir (made when missing). Blobs
// already there with the right content are kept; index.json is replaced
// last, so a reader sees the old cache or the new one.
func exportLocal(dir string, cfg, man blob, layers []ocispec.Descriptor, blobs Blobs) error {
	if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755); err != nil {
		return err
	}
	for _, l := range layers {
		if err := copyLayer(dir, l.Digest, blobs); err != nil {
			return err
		}
	}
	man.desc.Annotations = map[string]string{ocispec.AnnotationRefName: "latest"}
	idx, err := json.Marshal(ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{man.desc}})
	if err != nil {
		return err
	}
	files := []struct {
		name string
		data []byte
	}{
		{blobName(cfg.desc.Digest), cfg.data},
		{blobName(man.desc.Digest), man.data},
		{ocispec.ImageLayoutFile, []byte(`{"imageLayoutVersion":"1.0.0"}`)},
		{ocispec.ImageIndexFile, idx},
	}
	for _, f := range files {
		if err := writeLayoutFile(dir, f.name, func(w io.Writer) error {
			_, err := w.Write(f.data)
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

func blobName(d digest.Digest) string { return "blobs/sha256/" + d.Encoded() }

// copyLayer copies the store's blob d into the layout unless the layout
// holds it already.
func copyLayer(dir string, d digest.Digest, blobs Blobs) error {
	if f, err := openInLayout(dir, blobName(d)); err == nil {
		sum, err := hashReader(f)
		f.Close()
		if err == nil && sum == d.Encoded() {
			return nil
		}
	}
	return writeLayoutFile(dir, blobName(d), func(w io.Writer) error {
		r, err := blobs.OpenBlob(d.String())
		if err != nil {
			return err
		}
		defer r.Close()
		_, err = io.Copy(w, r) // the store's reader fails on bad content
		return err
	})
}

// writeLayoutFile writes name (hull's own: a digest or a layout file)
// into the layout dir the user named (--cache-to dest=) through a
// temporary file and a rename.
func writeLayoutFile(dir, name string, write func(io.Writer) error) error {
	path := filepath.Join(dir, filepath.FromSlash(name))
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-")
	if err != nil {
		return err
	}
	err = write(tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// importLocal reads the layout in dir. Its files are opened through the
// directory's descriptor without following any symlink (openInLayout).
func importLocal(dir string) (*Cache, error) {
	root, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	c := &Cache{close: func() error { return unix.Close(root) }}
	c.open = func(_ context.Context, d digest.Digest) (io.ReadCloser, error) {
		return openAt(root, blobName(d))
	}
	f, err := openAt(root, ocispec.ImageIndexFile)
	if err != nil {
		c.Close()
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, maxMeta))
	f.Close()
	if err != nil {
		c.Close()
		return nil, err
	}
	if err := c.loadIndex(data); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// loadIndex finds the cache manifest in index.json and loads it.
func (c *Cache) loadIndex(data []byte) error {
	var idx ocispec.Index
	if err := json.Unmarshal(data, &idx); err != nil {
		return fmt.Errorf("index.json: %w", err)
	}
	for _, m := range idx.Manifests {
		if m.MediaType != ocispec.MediaTypeImageManifest || m.Digest.Validate() != nil {
			continue
		}
		r, err := c.open(context.Background(), m.Digest)
		if err != nil {
			return fmt.Errorf("manifest: %w", err)
		}
		data, err := readVerified(r, m.Digest)
		r.Close()
		if err != nil {
			return fmt.Errorf("manifest: %w", err)
		}
		return c.load(context.Background(), data)
	}
	return errors.New("index.json lists no image manifest")
}

// openInLayout opens name in the layout dir (for export's check of what
// is there) as import does.
func openInLayout(dir, name string) (*os.File, error) {
	root, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(root)
	return openAt(root, name)
}

// openAt opens the regular file name beneath root, following no symlink
// (a layout hull writes has none) and never blocking on a FIFO.
func openAt(root int, name string) (*os.File, error) {
	fd, err := unix.Openat2(root, name, &unix.OpenHow{Flags: unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NONBLOCK | unix.O_NOCTTY,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS})
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, &os.PathError{Op: "open", Path: name, Err: errors.New("not a regular file")}
	}
	return os.NewFile(uintptr(fd), name), nil
}

package image

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	digest "github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Layer is one layer of an image being assembled by AddImage: a blob that
// is already in the store, or one that WriteLayer has just written and
// that AddImage will make visible.
type Layer struct {
	Digest string // sha256 of the uncompressed tar; also its diff_id
	Size   int64  // uncompressed size in bytes
	temp   *tempBlob
	once   *onceLayer // a layer kept once, under temporary names
}

// WriteLayer stores an uncompressed layer tar stream. The blob stays
// invisible (and is cleaned up after a crash) until AddImage uses it; call
// Discard if it will not be used.
func (s *Store) WriteLayer(r io.Reader) (*Layer, error) {
	t, err := s.writeTemp(r)
	if err != nil {
		return nil, fmt.Errorf("write layer: %w", err)
	}
	return &Layer{Digest: t.digest.String(), Size: t.size, temp: t}, nil
}

// Discard removes a layer written by WriteLayer that AddImage did not
// take. It is a no-op for layers already in the store.
func (l *Layer) Discard() {
	if l.temp != nil {
		os.Remove(l.temp.path)
		l.temp = nil
	}
	if l.once != nil {
		os.Remove(l.once.meta) // the directory is the caller's
		l.once = nil
	}
}

// ExistingLayer returns the layer with the given diff_id when its blob is
// already in the store, so that a pull can skip a download and a build can
// reuse a layer. AddImage checks again that it is still there.
func (s *Store) ExistingLayer(diffID string) (*Layer, bool) {
	size, err := s.BlobSize(diffID)
	if err != nil {
		return nil, false
	}
	return &Layer{Digest: diffID, Size: size}, true
}

// ImageLayers returns the layers of img, bottom first, for building a new
// image on top of it.
func (s *Store) ImageLayers(img *Image) []*Layer {
	var out []*Layer
	for _, d := range img.Manifest.Layers {
		out = append(out, &Layer{Digest: d.Digest.String(), Size: d.Size})
	}
	return out
}

// AddImage records a new image made of layers (bottom first) and cfg, and
// gives it names. It fills cfg.RootFS from the layers and cfg.Created when
// unset; history is the caller's. It is the single path by which images
// enter the store: Import uses it, and so do pulls, builds and commits.
// AddImage consumes the layers: temporary ones are published or, on
// error, removed. An image with identical config gains the names.
func (s *Store) AddImage(layers []*Layer, cfg ocispec.Image, names ...string) (*Image, error) {
	return s.AddImageExtras(layers, cfg, Extras{}, names...)
}

// AddImageExtras is AddImage for a config with Docker's extra fields.
func (s *Store) AddImageExtras(layers []*Layer, cfg ocispec.Image, extras Extras, names ...string) (*Image, error) {
	defer func() {
		for _, l := range layers {
			l.Discard()
		}
	}()
	names, err := normalizeAll(names)
	if err != nil {
		return nil, err
	}
	if cfg.Created == nil {
		now := time.Now().UTC()
		cfg.Created = &now
	}
	cfg.RootFS = ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{}}
	for _, l := range layers {
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, digest.Digest(l.Digest))
	}
	cfgTemp, m, mTemp, err := s.writeMeta(layers, &cfg, extras)
	if err != nil {
		return nil, fmt.Errorf("add image: %w", err)
	}
	defer os.Remove(cfgTemp.path)
	defer os.Remove(mTemp.path)

	rec := record{ID: cfgTemp.digest.String(), Digest: mTemp.digest.String(), Created: *cfg.Created}
	for _, l := range layers {
		rec.Size += l.Size
	}
	err = s.update(func(ix *index) error {
		if err := s.publishAll(layers, cfgTemp, mTemp); err != nil {
			return err
		}
		r := ix.find(rec.ID)
		if r == nil {
			ix.Images = append(ix.Images, rec)
			r = &ix.Images[len(ix.Images)-1]
		}
		for _, n := range names {
			ix.takeName(n)
			r.Names = append(r.Names, n)
		}
		rec = *r
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("add image: %w", err)
	}
	return &Image{ID: rec.ID, Digest: rec.Digest, Names: slices.Clone(rec.Names),
		Created: rec.Created, Size: rec.Size, Config: cfg, Manifest: *m, Extras: extras}, nil
}

// writeMeta writes the config and manifest as temporary blobs.
func (s *Store) writeMeta(layers []*Layer, cfg *ocispec.Image, extras Extras) (*tempBlob, *ocispec.Manifest, *tempBlob, error) {
	data, err := marshalConfig(cfg, extras)
	if err != nil {
		return nil, nil, nil, err
	}
	cfgTemp, err := s.writeTemp(bytes.NewReader(data))
	if err != nil {
		return nil, nil, nil, err
	}
	m := &ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig,
			Digest: cfgTemp.digest, Size: cfgTemp.size},
		Layers: []ocispec.Descriptor{},
	}
	for _, l := range layers {
		m.Layers = append(m.Layers, ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayer,
			Digest: digest.Digest(l.Digest), Size: l.Size})
	}
	mTemp, err := s.writeJSON(m)
	if err != nil {
		os.Remove(cfgTemp.path)
		return nil, nil, nil, err
	}
	return cfgTemp, m, mTemp, nil
}

func (s *Store) writeJSON(v any) (*tempBlob, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return s.writeTemp(bytes.NewReader(data))
}

// publishAll makes the new blobs visible and checks that the layers taken
// from the store are still there. It runs under the store lock, so that a
// concurrent sweep cannot delete a blob between this check and the index
// write that makes it reachable.
func (s *Store) publishAll(layers []*Layer, meta ...*tempBlob) error {
	for _, l := range layers {
		if l.temp != nil {
			if err := s.publish(l.temp); err != nil {
				return err
			}
			l.temp = nil
		} else if l.once != nil {
			if err := s.publishOnce(l.once); err != nil {
				return err
			}
			l.once = nil
		} else if !s.hasLayer(digest.Digest(l.Digest)) {
			return fmt.Errorf("layer %s: blob is missing", l.Digest)
		}
	}
	for _, t := range meta {
		if err := s.publish(t); err != nil {
			return err
		}
	}
	return syncDir(s.blobDir())
}

// normalizeAll normalises names, dropping duplicates.
func normalizeAll(names []string) ([]string, error) {
	var out []string
	for _, n := range names {
		norm, err := NormalizeRef(n)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, norm) {
			out = append(out, norm)
		}
	}
	return out, nil
}

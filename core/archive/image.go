package archive

import (
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/hull-project/hull/core/image"
)

// storeImage presents a stored image to go-containerregistry as it is
// stored: its config and manifest blobs, and uncompressed layer blobs.
type storeImage struct {
	s        *image.Store
	img      *image.Image
	manifest []byte
	config   []byte
}

// v1Image returns the stored image as a v1.Image.
func v1Image(s *image.Store, img *image.Image) (v1.Image, error) {
	si := &storeImage{s: s, img: img}
	var err error
	if si.manifest, err = readAll(s, img.Digest); err != nil {
		return nil, err
	}
	if si.config, err = readAll(s, img.ID); err != nil {
		return nil, err
	}
	return partial.CompressedToImage(si)
}

func (si *storeImage) RawConfigFile() ([]byte, error) { return si.config, nil }
func (si *storeImage) RawManifest() ([]byte, error)   { return si.manifest, nil }

func (si *storeImage) MediaType() (types.MediaType, error) {
	return types.MediaType(si.img.Manifest.MediaType), nil
}

func (si *storeImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	for _, d := range si.img.Manifest.Layers {
		if d.Digest.String() == h.String() {
			return &blobLayer{s: si.s, digest: h, size: d.Size}, nil
		}
	}
	return nil, fmt.Errorf("image %s has no layer %s", si.img.ID, h)
}

// blobLayer is one uncompressed layer blob of the store.
type blobLayer struct {
	s      *image.Store
	digest v1.Hash
	size   int64
}

func (l *blobLayer) Digest() (v1.Hash, error)           { return l.digest, nil }
func (l *blobLayer) DiffID() (v1.Hash, error)           { return l.digest, nil }
func (l *blobLayer) Size() (int64, error)               { return l.size, nil }
func (l *blobLayer) Compressed() (io.ReadCloser, error) { return l.s.OpenBlob(l.digest.String()) }

func (l *blobLayer) MediaType() (types.MediaType, error) { return types.OCIUncompressedLayer, nil }

func readAll(s *image.Store, d string) ([]byte, error) {
	r, err := s.OpenBlob(d)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

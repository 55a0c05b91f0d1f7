//go:build !appsbin

package remotecache

import (
	"context"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hull-project/hull/core/registry"
)

// exportRegistry pushes the cache as the image ref.
func exportRegistry(ctx context.Context, ref string, insecure bool, cfg, man blob, layers []ocispec.Descriptor, blobs Blobs) error {
	r, opts, err := registry.Remote(ctx, ref, insecure)
	if err != nil {
		return err
	}
	ci := &cacheImage{cfg: cfg.data, manifest: man.data, layers: map[v1.Hash]*cacheLayer{}}
	for _, l := range layers {
		h, err := v1.NewHash(l.Digest.String())
		if err != nil {
			return err
		}
		ci.layers[h] = &cacheLayer{digest: h, size: l.Size, blobs: blobs}
	}
	img, err := partial.CompressedToImage(ci)
	if err != nil {
		return err
	}
	return remote.Write(r, img, opts...)
}

// cacheImage is the cache as go-containerregistry pushes it: the
// manifest and config as describe made them, the store's layer blobs.
type cacheImage struct {
	cfg, manifest []byte
	layers        map[v1.Hash]*cacheLayer
}

func (c *cacheImage) RawConfigFile() ([]byte, error)      { return c.cfg, nil }
func (c *cacheImage) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }
func (c *cacheImage) RawManifest() ([]byte, error)        { return c.manifest, nil }

func (c *cacheImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if l, ok := c.layers[h]; ok {
		return l, nil
	}
	return nil, fmt.Errorf("no layer %s", h)
}

// cacheLayer is a store blob pushed as it is (an uncompressed tar).
type cacheLayer struct {
	digest v1.Hash
	size   int64
	blobs  Blobs
}

func (l *cacheLayer) Digest() (v1.Hash, error)            { return l.digest, nil }
func (l *cacheLayer) Size() (int64, error)                { return l.size, nil }
func (l *cacheLayer) MediaType() (types.MediaType, error) { return types.OCIUncompressedLayer, nil }
func (l *cacheLayer) Compressed() (io.ReadCloser, error)  { return l.blobs.OpenBlob(l.digest.String()) }

// importRegistry reads the cache manifest ref and its config.
func importRegistry(ctx context.Context, ref string, insecure bool) (*Cache, error) {
	r, opts, err := registry.Remote(ctx, ref, insecure)
	if err != nil {
		return nil, err
	}
	desc, err := remote.Get(r, opts...)
	if err != nil {
		return nil, err
	}
	if desc.MediaType != types.OCIManifestSchema1 {
		return nil, fmt.Errorf("not a hull build cache (a %s)", desc.MediaType)
	}
	if len(desc.Manifest) > maxMeta {
		return nil, fmt.Errorf("manifest larger than %d bytes", maxMeta)
	}
	c := &Cache{}
	c.open = func(ctx context.Context, d digest.Digest) (io.ReadCloser, error) {
		l, err := remote.Layer(r.Context().Digest(d.String()), append(opts, remote.WithContext(ctx))...)
		if err != nil {
			return nil, err
		}
		return l.Compressed()
	}
	if err := c.load(ctx, desc.Manifest); err != nil {
		return nil, err
	}
	return c, nil
}

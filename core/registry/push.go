package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"

	"github.com/hull-project/hull/core/image"
)

// Push uploads the local image named ref to the registry and repository
// the name points at, with gzip-compressed layers and an OCI manifest.
func Push(ctx context.Context, s *image.Store, ref string, o PushOptions) (*Pushed, error) {
	norm, r, err := parseRef(ref, o.Insecure)
	if err != nil {
		return nil, err
	}
	if strings.Contains(norm, "@") {
		return nil, fmt.Errorf("push %s: cannot push a digest reference", ref)
	}
	img, err := s.Lookup(norm)
	if err != nil {
		return nil, err
	}
	res, err := push(ctx, s, img, r, o)
	if err != nil {
		return nil, fmt.Errorf("push %s: %w", image.FamiliarString(norm), err)
	}
	res.Tag = r.Identifier()
	if err := s.AddDigestName(img.ID, repository(norm)+"@"+res.Digest); err != nil {
		return res, fmt.Errorf("push %s: record digest: %w", image.FamiliarString(norm), err)
	}
	return res, nil
}

func push(ctx context.Context, s *image.Store, img *image.Image, ref name.Reference, o PushOptions) (*Pushed, error) {
	tmp, err := os.MkdirTemp(s.Root(), fmt.Sprintf(".tmp-%d-push", os.Getpid()))
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	p := progressOrQuiet(o.Progress)
	layers, err := compressLayers(s, img, tmp, p)
	if err != nil {
		return nil, err
	}
	gi, err := gzipImage(s, img, layers)
	if err != nil {
		return nil, err
	}
	if err := remote.Write(ref, gi, remoteOptions(ctx, o.Insecure)...); err != nil {
		for _, l := range layers {
			l.t.Done("", err)
		}
		return nil, err
	}
	for _, l := range layers {
		// The registry had what was never read (remote.Write checks first).
		if l.uploaded.Load() {
			l.t.Done("Pushed", nil)
		} else {
			l.t.Done("Layer already exists", nil)
		}
	}
	d, err := gi.Digest()
	if err != nil {
		return nil, err
	}
	return &Pushed{Digest: d.String(), Size: len(gi.manifest)}, nil
}

// gzLayer is a layer compressed into a temporary file for upload.
type gzLayer struct {
	path   string
	digest v1.Hash
	size   int64
	t      Transfer
	// uploaded: the registry asked for the layer's bytes.
	uploaded atomic.Bool
}

func (l *gzLayer) Digest() (v1.Hash, error)            { return l.digest, nil }
func (l *gzLayer) Size() (int64, error)                { return l.size, nil }
func (l *gzLayer) MediaType() (types.MediaType, error) { return types.OCILayer, nil }

func (l *gzLayer) Compressed() (io.ReadCloser, error) {
	f, err := os.Open(l.path)
	if err != nil {
		return nil, err
	}
	l.uploaded.Store(true)
	return &countingReader{ReadCloser: f, t: l.t}, nil
}

// compressLayers gzips the image's layers into dir, parallelLayers at a time.
func compressLayers(s *image.Store, img *image.Image, dir string, p Progress) ([]*gzLayer, error) {
	out := make([]*gzLayer, len(img.Manifest.Layers))
	errs := make([]error, len(out))
	sem := make(chan struct{}, parallelLayers)
	var wg sync.WaitGroup
	for i, d := range img.Manifest.Layers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i], errs[i] = compressLayer(s, d.Digest.String(), dir)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, err
		}
		out[i].t = p.Layer(shortHex(out[i].digest), out[i].size)
	}
	return out, nil
}

func compressLayer(s *image.Store, diffID, dir string) (*gzLayer, error) {
	in, err := s.OpenBlob(diffID)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	f, err := os.CreateTemp(dir, "layer")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(f, h)}
	zw := gzip.NewWriter(cw)
	if _, err := io.Copy(zw, in); err != nil {
		return nil, fmt.Errorf("compress layer %s: %w", diffID, err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compress layer %s: %w", diffID, err)
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	d := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}
	return &gzLayer{path: f.Name(), digest: d, size: cw.n}, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// gzImage is the image as pushed: the store's config, an OCI manifest
// naming the compressed layers.
type gzImage struct {
	v1.Image
	config   []byte
	manifest []byte
	layers   map[v1.Hash]*gzLayer
}

type gzCore struct{ g *gzImage }

func (c gzCore) RawConfigFile() ([]byte, error)      { return c.g.config, nil }
func (c gzCore) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }
func (c gzCore) RawManifest() ([]byte, error)        { return c.g.manifest, nil }

func (c gzCore) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if l, ok := c.g.layers[h]; ok {
		return l, nil
	}
	return nil, fmt.Errorf("no layer %s", h)
}

func gzipImage(s *image.Store, img *image.Image, layers []*gzLayer) (*gzImage, error) {
	cfg, err := readAll(s, img.ID)
	if err != nil {
		return nil, err
	}
	cfgHash, err := v1.NewHash(img.ID)
	if err != nil {
		return nil, err
	}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		Config:        v1.Descriptor{MediaType: types.OCIConfigJSON, Digest: cfgHash, Size: int64(len(cfg))},
		Layers:        []v1.Descriptor{},
	}
	g := &gzImage{config: cfg, layers: map[v1.Hash]*gzLayer{}}
	for _, l := range layers {
		m.Layers = append(m.Layers, v1.Descriptor{MediaType: types.OCILayer, Digest: l.digest, Size: l.size})
		g.layers[l.digest] = l
	}
	if g.manifest, err = json.Marshal(m); err != nil {
		return nil, err
	}
	g.Image, err = partial.CompressedToImage(gzCore{g})
	return g, err
}

// readAll reads a whole (small, verified) blob.
func readAll(s *image.Store, d string) ([]byte, error) {
	r, err := s.OpenBlob(d)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

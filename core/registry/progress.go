package registry

import (
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func shortHex(h v1.Hash) string { return h.Hex[:min(12, len(h.Hex))] }

// trackedLayer is a compressed layer whose downloads or uploads are counted.
// It deliberately is not a v1.Layer, so that partial.CompressedToLayer
// derives Uncompressed from the counted Compressed.
type trackedLayer struct {
	l v1.Layer
	t Transfer
}

func (c *trackedLayer) Digest() (v1.Hash, error)            { return c.l.Digest() }
func (c *trackedLayer) Size() (int64, error)                { return c.l.Size() }
func (c *trackedLayer) MediaType() (types.MediaType, error) { return c.l.MediaType() }

func (c *trackedLayer) Compressed() (io.ReadCloser, error) {
	rc, err := c.l.Compressed()
	if err != nil {
		return nil, err
	}
	return &countingReader{ReadCloser: rc, t: c.t}, nil
}

type countingReader struct {
	io.ReadCloser
	t Transfer
}

func (r *countingReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	r.t.Add(n)
	return n, err
}

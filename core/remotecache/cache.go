package remotecache

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	digest "github.com/opencontainers/go-digest"
)

// Blobs are the store's layer blobs as Export reads them (image.Store).
type Blobs interface {
	// OpenBlob opens the blob d; reading fails at the end when its
	// content does not match d.
	OpenBlob(d string) (io.ReadCloser, error)
	BlobSize(d string) (int64, error)
}

// Export writes steps, with their layers read from blobs, to the place
// spec names, replacing the cache there. insecure allows a registry
// without valid TLS (--tls-verify=false).
func Export(ctx context.Context, spec Spec, steps []Step, blobs Blobs, insecure bool) error {
	cfg, man, layers, err := describe(steps, blobs.BlobSize)
	if err != nil {
		return fmt.Errorf("export build cache to %s: %w", spec, err)
	}
	switch spec.Type {
	case "local":
		err = exportLocal(spec.Dir, cfg, man, layers, blobs)
	case "registry":
		err = exportRegistry(ctx, spec.Ref, insecure, cfg, man, layers, blobs)
	default:
		err = fmt.Errorf("unknown type %q", spec.Type)
	}
	if err != nil {
		return fmt.Errorf("export build cache to %s: %w", spec, err)
	}
	return nil
}

// Cache is an imported cache: its step records, read at once, and its
// layers, fetched only when a step uses one.
type Cache struct {
	spec   Spec
	steps  map[string]entry
	layers map[digest.Digest]bool
	open   func(ctx context.Context, d digest.Digest) (io.ReadCloser, error)
	close  func() error
}

// Import reads the step records of the cache spec names (its index,
// manifest and config, each digest-checked).
func Import(ctx context.Context, spec Spec, insecure bool) (*Cache, error) {
	var c *Cache
	var err error
	switch spec.Type {
	case "local":
		c, err = importLocal(spec.Dir)
	case "registry":
		c, err = importRegistry(ctx, spec.Ref, insecure)
	default:
		err = fmt.Errorf("unknown type %q", spec.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("import build cache from %s: %w", spec, err)
	}
	c.spec = spec
	return c, nil
}

// load fills c from the manifest's bytes, reading the config through c.open.
func (c *Cache) load(ctx context.Context, manifest []byte) error {
	m, err := parseManifest(manifest)
	if err != nil {
		return err
	}
	r, err := c.open(ctx, m.Config.Digest)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	defer r.Close()
	data, err := readVerified(r, m.Config.Digest)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	var cfg config
	if err := json.Unmarshal(data, &cfg); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	c.steps = cfg.Steps
	c.layers = map[digest.Digest]bool{}
	for _, l := range m.Layers {
		c.layers[l.Digest] = true
	}
	return nil
}

// String names the cache in messages.
func (c *Cache) String() string { return c.spec.String() }

// Len is the number of steps the cache holds.
func (c *Cache) Len() int { return len(c.steps) }

// Step returns the record of the step keyed key and its layer's diff id
// ("" when the step changed no files).
func (c *Cache) Step(key string) (record json.RawMessage, layer string, ok bool) {
	e, ok := c.steps[key]
	return e.Record, e.Layer, ok
}

// OpenLayer opens the layer of the step keyed key, which its record
// names diffID. It fails, naming the key, when the manifest does not list
// that layer or the cache does not hold it. The reader is not checked
// here: the store checks the digest as it writes the layer.
func (c *Cache) OpenLayer(ctx context.Context, key, diffID string) (io.ReadCloser, error) {
	d := digest.Digest(diffID)
	if err := d.Validate(); err != nil || !c.layers[d] {
		return nil, fmt.Errorf("build cache %s: step %s names layer %q, which the cache does not list", c, key, diffID)
	}
	r, err := c.open(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("build cache %s: step %s: layer %s: %w", c, key, diffID, err)
	}
	return r, nil
}

// Close releases what Import holds (a local cache's directory).
func (c *Cache) Close() error {
	if c.close == nil {
		return nil
	}
	return c.close()
}

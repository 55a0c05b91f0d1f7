package core

import (
	"context"
	"fmt"
	"io"

	"github.com/hull-project/hull/builders"
	"github.com/hull-project/hull/core/image"
	"github.com/hull-project/hull/core/remotecache"
)

// importedCaches are the --cache-from caches as the engine reads them
// (builders.ImportedCache): a step's record from the first cache that has
// its key, its layer put into the store (digest-checked) and pinned as
// build cache.
type importedCaches struct {
	store  *image.Store
	caches []*remotecache.Cache
}

var _ builders.ImportedCache = (*importedCaches)(nil)

// importCaches reads each --cache-from's records. A cache that cannot be
// read is a warning, as BuildKit's: the build runs without it.
func importCaches(ctx context.Context, store *image.Store, specs []remotecache.Spec, insecure bool, out io.Writer) *importedCaches {
	ic := &importedCaches{store: store}
	for _, s := range specs {
		c, err := remotecache.Import(ctx, s, insecure)
		if err != nil {
			fmt.Fprintf(out, "WARNING: %v\n", err)
			continue
		}
		fmt.Fprintf(out, "importing cache from %s: %d steps\n", c, c.Len())
		ic.caches = append(ic.caches, c)
	}
	return ic
}

func (ic *importedCaches) close() {
	for _, c := range ic.caches {
		c.Close()
	}
}

// cache is the first cache with key.
func (ic *importedCaches) cache(key string) (*remotecache.Cache, []byte, string, bool) {
	for _, c := range ic.caches {
		if rec, layer, ok := c.Step(key); ok {
			return c, rec, layer, true
		}
	}
	return nil, nil, "", false
}

func (ic *importedCaches) Step(key string) ([]byte, bool) {
	_, rec, _, ok := ic.cache(key)
	return rec, ok
}

func (ic *importedCaches) Layer(ctx context.Context, key, diffID string) (string, error) {
	c, _, layer, ok := ic.cache(key)
	if !ok {
		return "", fmt.Errorf("build cache: no step %s", key)
	}
	if layer != diffID {
		return "", fmt.Errorf("build cache %s: step %s: its record's layer %s is not the one the cache lists for it (%s)", c, key, diffID, layer)
	}
	l, _, err := ic.store.PutLayer(diffID, func() (io.ReadCloser, error) { return c.OpenLayer(ctx, key, diffID) })
	if err != nil {
		return "", fmt.Errorf("build cache %s: step %s: %w", c, key, err)
	}
	if err := ic.store.PublishLayer(l); err != nil {
		return "", fmt.Errorf("build cache %s: step %s: %w", c, key, err)
	}
	return ic.store.LayerDir(diffID)
}

// exportCaches writes the build's steps to each --cache-to.
func exportCaches(ctx context.Context, store *image.Store, specs []remotecache.Spec, steps []builders.CacheStep, insecure bool, out io.Writer) error {
	for _, s := range specs {
		var rs []remotecache.Step
		for _, st := range steps {
			if s.Mode == "max" || st.Final {
				rs = append(rs, remotecache.Step{Key: st.Key, Layer: st.DiffID, Record: st.Record})
			}
		}
		fmt.Fprintf(out, "exporting cache to %s (mode=%s): %d steps\n", s, s.Mode, len(rs))
		if err := remotecache.Export(ctx, s, rs, store, insecure); err != nil {
			if !s.IgnoreError {
				return err
			}
			fmt.Fprintf(out, "WARNING: %v\n", err)
		}
	}
	return nil
}

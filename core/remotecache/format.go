package remotecache

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"

	digest "github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ConfigMediaType is the media type of the cache's config blob: hull's
// step records, not BuildKit's cacheconfig (doc.go says why).
const ConfigMediaType = "application/vnd.hull.buildcache.config.v1+json"

// LayerMediaType: the layers are the store's blobs as they are.
const LayerMediaType = ocispec.MediaTypeImageLayer

// maxMeta bounds the index, manifest and config read back from a cache.
const maxMeta = 64 << 20

// Step is one cached build step.
type Step struct {
	Key string // the engine's cache key
	// Layer is the step's layer diff id, "" when it changed no files.
	Layer string
	// Record is the engine's record of the step, as its cache index has it.
	Record json.RawMessage
}

// config is the config blob.
type config struct {
	Steps map[string]entry `json:"steps"`
}

type entry struct {
	Layer  string          `json:"layer,omitempty"`
	Record json.RawMessage `json:"record"`
}

// blob is a serialised blob and its descriptor.
type blob struct {
	desc ocispec.Descriptor
	data []byte
}

func newBlob(mediaType string, data []byte) blob {
	return blob{desc: ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(data), Size: int64(len(data))}, data: data}
}

// describe makes the config and manifest blobs of steps, whose layer
// sizes size gives; layers lists each layer once, in first use order.
func describe(steps []Step, size func(diffID string) (int64, error)) (cfg, manifest blob, layers []ocispec.Descriptor, err error) {
	c := config{Steps: map[string]entry{}}
	seen := map[string]bool{}
	for _, s := range steps {
		c.Steps[s.Key] = entry{Layer: s.Layer, Record: s.Record}
		if s.Layer == "" || seen[s.Layer] {
			continue
		}
		seen[s.Layer] = true
		d := digest.Digest(s.Layer)
		if err := d.Validate(); err != nil {
			return cfg, manifest, nil, fmt.Errorf("step %s: layer %q: %w", s.Key, s.Layer, err)
		}
		n, err := size(s.Layer)
		if err != nil {
			return cfg, manifest, nil, err
		}
		layers = append(layers, ocispec.Descriptor{MediaType: LayerMediaType, Digest: d, Size: n})
	}
	data, err := json.Marshal(c)
	if err != nil {
		return cfg, manifest, nil, err
	}
	cfg = newBlob(ConfigMediaType, data)
	m := ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		Config: cfg.desc, Layers: layers}
	if m.Layers == nil {
		m.Layers = []ocispec.Descriptor{}
	}
	data, err = json.Marshal(m)
	if err != nil {
		return cfg, manifest, nil, err
	}
	return cfg, newBlob(ocispec.MediaTypeImageManifest, data), layers, nil
}

// readVerified reads all of r, at most maxMeta bytes, and checks that
// its digest is want.
func readVerified(r io.Reader, want digest.Digest) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxMeta+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxMeta {
		return nil, fmt.Errorf("blob %s: larger than %d bytes", want, maxMeta)
	}
	if got := digest.FromBytes(data); got != want {
		return nil, fmt.Errorf("blob %s: content is %s (corrupt or tampered)", want, got)
	}
	return data, nil
}

// parseManifest checks that data is a cache manifest and returns it.
func parseManifest(data []byte) (*ocispec.Manifest, error) {
	var m ocispec.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if m.Config.MediaType != ConfigMediaType {
		return nil, fmt.Errorf("not a hull build cache (config media type %q, want %s)", m.Config.MediaType, ConfigMediaType)
	}
	if err := m.Config.Digest.Validate(); err != nil {
		return nil, fmt.Errorf("manifest: config digest: %w", err)
	}
	for _, l := range m.Layers {
		if err := l.Digest.Validate(); err != nil || l.Digest.Algorithm() != digest.SHA256 {
			return nil, fmt.Errorf("manifest: layer digest %q is not sha256", l.Digest)
		}
	}
	return &m, nil
}

// hashReader is the hex sha256 of what r holds.
func hashReader(r io.Reader) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

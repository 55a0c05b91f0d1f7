package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hull-project/hull/core/image"
)

// Pull downloads ref into the store and names it ref plus, when ref is a
// tag, repo@digest of what the tag pointed to (Docker's RepoDigest).
func Pull(ctx context.Context, s *image.Store, ref string, o PullOptions) (*image.Image, error) {
	norm, r, err := parseRef(ref, o.Insecure)
	if err != nil {
		return nil, err
	}
	img, names, err := resolve(ctx, r, norm, o)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", image.FamiliarString(norm), err)
	}
	got, err := Store(s, img, progressOrQuiet(o.Progress), names...)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", image.FamiliarString(norm), err)
	}
	return got, nil
}

// resolve finds the image for the host (or requested) platform.
func resolve(ctx context.Context, r name.Reference, norm string, o PullOptions) (v1.Image, []string, error) {
	plat, err := Platform(o.Platform)
	if err != nil {
		return nil, nil, err
	}
	desc, err := remote.Get(r, remoteOptions(ctx, o.Insecure, remote.WithPlatform(*plat))...)
	if err != nil {
		return nil, nil, err
	}
	img, err := desc.Image() // an index resolves to the platform's manifest
	if err != nil {
		return nil, nil, err
	}
	names := []string{norm}
	if _, ok := r.(name.Tag); ok {
		names = append(names, repository(norm)+"@"+desc.Digest.String())
	}
	return img, names, nil
}

// Store puts a go-containerregistry image into the store under names: its
// layers in parallel, each checked against the config's diff_ids, then the
// image record. It is shared by pulls and archive loads.
func Store(s *image.Store, img v1.Image, p Progress, names ...string) (*image.Image, error) {
	raw, err := img.RawConfigFile()
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	var cfg ocispec.Image
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, fmt.Errorf("parse config: %w", err)
	}
	// By diff_id rather than img.Layers(): for an uncompressed archive the
	// latter would compress every layer to compute a manifest.
	layers := make([]v1.Layer, len(cfg.RootFS.DiffIDs))
	for i, d := range cfg.RootFS.DiffIDs {
		h, err := v1.NewHash(d.String())
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		if layers[i], err = img.LayerByDiffID(h); err != nil {
			return nil, fmt.Errorf("layer %s: %w", d, err)
		}
	}
	stored, err := putLayers(s, layers, cfg.RootFS.DiffIDs, progressOrQuiet(p))
	if err != nil {
		return nil, err
	}
	return s.AddImage(stored, cfg, names...)
}

// putLayers stores the layers, parallelLayers at a time.
func putLayers(s *image.Store, layers []v1.Layer, diffIDs []digest.Digest, p Progress) ([]*image.Layer, error) {
	out := make([]*image.Layer, len(layers))
	errs := make([]error, len(layers))
	sem := make(chan struct{}, parallelLayers)
	var wg sync.WaitGroup
	for i := range layers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i], errs[i] = putLayer(s, layers[i], diffIDs[i], p)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err // the first, in layer order: one clear line
		}
	}
	return out, nil
}

func putLayer(s *image.Store, l v1.Layer, diffID digest.Digest, p Progress) (*image.Layer, error) {
	id, size := diffID.Encoded(), int64(0)
	if _, quiet := p.(Quiet); !quiet {
		// Only when shown: an uncompressed archive layer computes its
		// digest and size by compressing itself.
		if d, err := l.Digest(); err == nil {
			id = d.Hex
		}
		size, _ = l.Size()
	}
	t := p.Layer(id[:min(12, len(id))], size)
	stored, fetched, err := s.PutLayer(diffID.String(), func() (io.ReadCloser, error) {
		u, err := partial.CompressedToLayer(&trackedLayer{l: l, t: t})
		if err != nil {
			return nil, err
		}
		return u.Uncompressed()
	})
	switch {
	case err != nil:
		t.Done("", err)
	case fetched:
		t.Done("Pull complete", nil)
	default:
		t.Done("Already exists", nil)
	}
	return stored, err
}

// repository strips the tag from a normalised tagged reference.
func repository(norm string) string {
	if i := strings.LastIndex(norm, ":"); i > strings.LastIndex(norm, "/") {
		return norm[:i]
	}
	return norm
}

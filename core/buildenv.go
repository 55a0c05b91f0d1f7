package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"

	"github.com/hull-project/hull/builders"
	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/core/image"
	sdk "github.com/hull-project/hull/plugins/sdk/spec"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// buildImages is the build engine's view of the image store
// (builders.Images): stored images, pulled when missing, and the layers
// the steps commit.
type buildImages struct {
	store *image.Store
	pull  func(ctx context.Context, ref string) (*image.Image, error)
	// always pulls even a stored image (build --pull).
	always bool
}

var _ builders.Images = (*buildImages)(nil)

// Image looks ref up in the store, else pulls it.
func (b *buildImages) Image(ctx context.Context, ref string) (*builders.Image, error) {
	var img *image.Image
	var err error
	if b.always && b.pull != nil {
		if img, err = b.pull(ctx, ref); err != nil {
			return nil, fmt.Errorf("--pull: %w", err)
		}
	} else if img, err = b.store.Lookup(ref); errors.Is(err, image.ErrNotFound) && b.pull != nil {
		img, err = b.pull(ctx, ref)
	}
	if err != nil {
		return nil, err
	}
	dirs, err := b.store.LayerDirs(img)
	if err != nil {
		return nil, err
	}
	out := &builders.Image{ID: img.ID, Config: img.Config, RunConfig: fromImageConfig(img.Config.Config, img.Extras),
		Created: img.Created}
	for i, l := range img.Manifest.Layers {
		out.Layers = append(out.Layers, builders.Layer{DiffID: l.Digest.String(), Dir: dirs[len(dirs)-1-i]})
	}
	return out, nil
}

// Layer returns a stored layer's unpacked directory.
func (b *buildImages) Layer(diffID string) (string, bool) {
	if _, ok := b.store.ExistingLayer(diffID); !ok {
		return "", false
	}
	dir, err := b.store.LayerDir(diffID)
	return dir, err == nil
}

// CommitLayer writes the tar as a layer blob, pins it as a build-cache
// layer and adopts upper as its unpacked directory.
func (b *buildImages) CommitLayer(tar io.Reader, upper string) (builders.Layer, error) {
	l, err := b.store.WriteLayer(tar)
	if err != nil {
		return builders.Layer{}, fmt.Errorf("commit layer: %w", err)
	}
	if err := b.store.PublishLayer(l); err != nil {
		return builders.Layer{}, err
	}
	if err := b.store.AdoptLayerDir(l.Digest, upper); err != nil {
		return builders.Layer{}, err
	}
	dir, err := b.store.LayerDir(l.Digest)
	if err != nil {
		return builders.Layer{}, err
	}
	return builders.Layer{DiffID: l.Digest, Dir: dir}, nil
}

// commitBuild stores a build's result as an image named tags.
func commitBuild(store *image.Store, res *builders.Result, tags []string) (*image.Image, error) {
	cfg := res.Config
	var extras image.Extras
	cfg.Config, extras = toImageConfig(res.RunConfig)
	layers := make([]*image.Layer, 0, len(res.Layers))
	for _, d := range res.Layers {
		l, ok := store.ExistingLayer(d)
		if !ok {
			return nil, fmt.Errorf("commit image: layer %s is missing from the store", d)
		}
		layers = append(layers, l)
	}
	img, err := store.AddImageExtras(layers, cfg, extras, tags...)
	if err != nil {
		return nil, fmt.Errorf("commit image: %w", err)
	}
	return img, nil
}

// buildContainers are the container rules a build applies to its steps
// (builders.Containers), those of package container.
type buildContainers struct{}

var _ builders.Containers = buildContainers{}

func (buildContainers) ResolveUser(spec string, dirs []string) (builders.User, error) {
	u, err := container.ResolveUser(spec, dirs)
	return builders.User(u), err
}

func (buildContainers) Accounts(dirs []string) (map[string]int, map[string]int, error) {
	return container.ImageIDs(dirs)
}

func (buildContainers) ProcessEnv(config []string, hostname, home string) []string {
	return container.ProcessEnv(config, hostname, false, home)
}

// fromImageConfig turns an image's config into the plugin protocol's.
func fromImageConfig(c ocispec.ImageConfig, ex image.Extras) sdk.Config {
	out := sdk.Config{
		User: c.User, Env: slices.Clone(c.Env), Entrypoint: slices.Clone(c.Entrypoint),
		Cmd: slices.Clone(c.Cmd), WorkingDir: c.WorkingDir, Labels: maps.Clone(c.Labels),
		StopSignal: c.StopSignal, ArgsEscaped: c.ArgsEscaped,
		Shell: slices.Clone(ex.Shell), OnBuild: slices.Clone(ex.OnBuild),
	}
	for p := range c.ExposedPorts {
		out.ExposedPorts = append(out.ExposedPorts, p)
	}
	sort.Strings(out.ExposedPorts)
	for v := range c.Volumes {
		out.Volumes = append(out.Volumes, v)
	}
	sort.Strings(out.Volumes)
	if h := ex.Healthcheck; h != nil {
		out.Healthcheck = &sdk.Healthcheck{Test: slices.Clone(h.Test), Interval: h.Interval, Timeout: h.Timeout,
			StartPeriod: h.StartPeriod, StartInterval: h.StartInterval, Retries: h.Retries}
	}
	return out
}

// toImageConfig turns the protocol's config back into the image's.
func toImageConfig(c sdk.Config) (ocispec.ImageConfig, image.Extras) {
	out := ocispec.ImageConfig{
		User: c.User, Env: slices.Clone(c.Env), Entrypoint: slices.Clone(c.Entrypoint),
		Cmd: slices.Clone(c.Cmd), WorkingDir: c.WorkingDir, Labels: maps.Clone(c.Labels),
		StopSignal: c.StopSignal, ArgsEscaped: c.ArgsEscaped,
	}
	if len(c.ExposedPorts) > 0 {
		out.ExposedPorts = map[string]struct{}{}
		for _, p := range c.ExposedPorts {
			out.ExposedPorts[p] = struct{}{}
		}
	}
	if len(c.Volumes) > 0 {
		out.Volumes = map[string]struct{}{}
		for _, v := range c.Volumes {
			out.Volumes[v] = struct{}{}
		}
	}
	ex := image.Extras{Shell: slices.Clone(c.Shell), OnBuild: slices.Clone(c.OnBuild)}
	if h := c.Healthcheck; h != nil {
		ex.Healthcheck = &image.Healthcheck{Test: slices.Clone(h.Test), Interval: h.Interval, Timeout: h.Timeout,
			StartPeriod: h.StartPeriod, StartInterval: h.StartInterval, Retries: h.Retries}
	}
	return out, ex
}

package core

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"

	"github.com/hull-project/hull/builders"
	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/core/image"
	"github.com/hull-project/hull/core/layer"
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

// CommitLayer stores the layer diff writes as a pinned build-cache layer
// whose unpacked directory is upper. The tar is not written: it is hashed
// and disassembled (tar-split metadata) as it streams, and upper, checked
// to give it back, becomes the layer (image.AddLayerDir); a layer the
// store has already only gets its pin. A tree the check finds lacking
// (files this user cannot look at, say) is diffed again into a blob, the
// store's general path, which keeps the blob where the tree cannot give
// the tar back.
func (b *buildImages) CommitLayer(diff func(io.Writer) error, upper string) (builders.Layer, error) {
	d, size, meta, err := diffMeta(diff)
	if err != nil {
		return builders.Layer{}, err
	}
	if _, ok := b.store.ExistingLayer(d); ok {
		if b.store.AddLayerDir(d, size, nil, upper) == nil {
			return b.layer(d)
		}
		// Removed meanwhile: stored again below.
	}
	if err := layer.CheckTree(bytes.NewReader(meta), upper); err != nil {
		return b.commitBlob(diff, upper)
	}
	err = b.store.AddLayerDir(d, size, bytes.NewReader(meta), upper)
	if errors.Is(err, image.ErrCannotAssemble) {
		return b.commitBlob(diff, upper)
	}
	if err != nil {
		return builders.Layer{}, fmt.Errorf("commit layer: %w", err)
	}
	return b.layer(d)
}

// diffMeta runs diff and returns the tar's digest, size and tar-split
// metadata; diff's own error comes back as it is, except where it is only
// the closed pipe of a disassembler that gave up on the tar (a path twice,
// say): then the disassembler's error, which says why.
func diffMeta(diff func(io.Writer) error) (string, int64, []byte, error) {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := diff(pw)
		pw.CloseWithError(err)
		done <- err
	}()
	h := sha256.New()
	n := &countWriter{w: h}
	var meta bytes.Buffer
	err := layer.DisassembleTo(pr, n, &meta)
	pr.CloseWithError(io.ErrClosedPipe)
	derr := <-done
	if derr != nil && (err == nil || !errors.Is(derr, io.ErrClosedPipe)) {
		return "", 0, nil, derr
	}
	if err != nil {
		return "", 0, nil, fmt.Errorf("commit layer: %w", err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), n.n, meta.Bytes(), nil
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

// commitBlob writes the tar as a layer blob, pins it and adopts upper as
// its unpacked directory (the store compacts it when the tree gives the
// tar back).
func (b *buildImages) commitBlob(diff func(io.Writer) error, upper string) (builders.Layer, error) {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(diff(pw)) }()
	l, err := b.store.WriteLayer(pr)
	pr.CloseWithError(io.ErrClosedPipe)
	if err != nil {
		return builders.Layer{}, fmt.Errorf("commit layer: %w", err)
	}
	if err := b.store.PublishLayer(l); err != nil {
		return builders.Layer{}, err
	}
	if err := b.store.AdoptLayerDir(l.Digest, upper); err != nil {
		return builders.Layer{}, err
	}
	return b.layer(l.Digest)
}

func (b *buildImages) layer(diffID string) (builders.Layer, error) {
	dir, err := b.store.LayerDir(diffID)
	if err != nil {
		return builders.Layer{}, err
	}
	return builders.Layer{DiffID: diffID, Dir: dir}, nil
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

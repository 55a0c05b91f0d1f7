package core

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hull-project/hull/builders"
	"github.com/hull-project/hull/core/image"
	"github.com/hull-project/hull/core/layer"
	"github.com/hull-project/hull/plugins/sdk"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// fullConfig sets every field of sdk.Config (TestImageConfigRoundTrip
// checks that it does).
func fullConfig() sdk.Config {
	return sdk.Config{User: "app", Env: []string{"A=1"}, Entrypoint: []string{"/e"}, Cmd: []string{"c"},
		WorkingDir: "/w", Labels: map[string]string{"l": "v"}, ExposedPorts: []string{"443/tcp", "80/tcp"},
		Volumes: []string{"/data"}, StopSignal: "SIGINT", Shell: []string{"/bin/bash", "-c"},
		OnBuild: []string{"RUN true"}, ArgsEscaped: true,
		Healthcheck: &sdk.Healthcheck{Test: []string{"CMD", "true"}, Interval: time.Second, Timeout: 2 * time.Second,
			StartPeriod: 3 * time.Second, StartInterval: 4 * time.Second, Retries: 5}}
}

// The engine's config survives the image's (OCI config plus Docker's
// extras) with every field: a field added to sdk.Config and not to the
// conversions fails here.
func TestImageConfigRoundTrip(t *testing.T) {
	c := fullConfig()
	v := reflect.ValueOf(c)
	for i := 0; i < v.NumField(); i++ {
		if v.Field(i).IsZero() {
			t.Fatalf("fullConfig leaves %s unset", v.Type().Field(i).Name)
		}
	}
	img, ex := toImageConfig(c)
	if back := fromImageConfig(img, ex); !reflect.DeepEqual(back, c) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, c)
	}
}

type testUnpacker struct{}

func (testUnpacker) Unpack(r io.Reader, dir string) error {
	return layer.Unpack(r, dir, layer.Options{})
}
func (testUnpacker) RemoveAll(dir string) error { return os.RemoveAll(dir) }

// The Env's image store on a real store: a step's upper dir becomes a
// stored layer (its dir adopted), a result is committed as an image that
// the engine then sees as a base with the same config, a missing image is
// pulled, and a result naming a layer the store lacks is refused.
func TestBuildImagesOnStore(t *testing.T) {
	root := t.TempDir()
	store, err := image.Open(filepath.Join(root, "store"), testUnpacker{})
	if err != nil {
		t.Fatal(err)
	}
	upper := filepath.Join(root, "upper")
	if err := os.MkdirAll(upper, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(upper, "hello"), []byte("hi"), 0o644); err != nil {
		t.Fatal(err)
	}
	pulled := ""
	imgs := &buildImages{store: store, pull: func(ctx context.Context, ref string) (*image.Image, error) {
		pulled = ref
		return nil, errors.New("no registry here")
	}}
	l, err := imgs.CommitLayer(func(w io.Writer) error { return layer.Diff(upper, w) }, upper)
	if err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(filepath.Join(l.Dir, "hello")); err != nil || string(data) != "hi" {
		t.Fatalf("layer dir %s: %q, %v", l.Dir, data, err)
	}
	if _, err := os.Lstat(upper); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("upper dir not adopted: %v", err)
	}
	if dir, ok := imgs.Layer(l.DiffID); !ok || dir != l.Dir {
		t.Errorf("Layer(%s) = %s, %v", l.DiffID, dir, ok)
	}

	created := time.Unix(1700000000, 0).UTC()
	res := &builders.Result{Config: ocispec.Image{Created: &created, Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"}},
		RunConfig: fullConfig(), Layers: []string{l.DiffID}}
	img, err := commitBuild(store, res, []string{"built"})
	if err != nil {
		t.Fatal(err)
	}
	base, err := imgs.Image(context.Background(), "built")
	if err != nil {
		t.Fatal(err)
	}
	if base.ID != img.ID || !reflect.DeepEqual(base.RunConfig, fullConfig()) ||
		len(base.Layers) != 1 || base.Layers[0] != (builders.Layer{DiffID: l.DiffID, Dir: l.Dir}) {
		t.Errorf("base %+v", base)
	}
	if pulled != "" {
		t.Errorf("a stored image was pulled (%s)", pulled)
	}

	if _, err := imgs.Image(context.Background(), "elsewhere"); err == nil || pulled != "elsewhere" {
		t.Errorf("missing image: err %v, pulled %q: want the pull asked and its error", err, pulled)
	}
	imgs.pull = nil
	if _, err := imgs.Image(context.Background(), "elsewhere"); !errors.Is(err, image.ErrNotFound) {
		t.Errorf("missing image without pull: %v", err)
	}
	res.Layers = []string{"sha256:" + strings.Repeat("0", 64)}
	if _, err := commitBuild(store, res, nil); err == nil || !strings.Contains(err.Error(), "is missing from the store") {
		t.Errorf("commit with a missing layer: %v", err)
	}
}

// assemblingUnpacker is testUnpacker with the store's Assembler, in
// process.
type assemblingUnpacker struct{ testUnpacker }

func (assemblingUnpacker) Assemble(meta io.Reader, dir string, w io.Writer) error {
	return layer.Assemble(meta, dir, w)
}

func (assemblingUnpacker) FindChanged(meta io.Reader, dir string) error {
	return layer.FindChanged(meta, dir)
}

func (assemblingUnpacker) Disassemble(tar io.Reader, meta io.Writer) error {
	return layer.Disassemble(tar, meta)
}

var _ image.Assembler = assemblingUnpacker{}

// A step's layer is stored without its tar ever being written: the tree
// and its tar-split metadata, from which the store gives back exactly the
// tar diffed (what save and push send). The same tree committed again
// stores nothing new and its upper dir goes. A diff the tree does not
// match (the check fails) is stored the general way, with its blob.
func TestCommitLayerWritesNoBlob(t *testing.T) {
	root := t.TempDir()
	store, err := image.Open(filepath.Join(root, "store"), assemblingUnpacker{})
	if err != nil {
		t.Fatal(err)
	}
	imgs := &buildImages{store: store}
	mtime := time.Unix(1700000000, 0)
	makeUpper := func(name string) string {
		upper := filepath.Join(root, name)
		for p, body := range map[string]string{"ctx/big": strings.Repeat("x", 1<<20), "ctx/small": "small"} {
			f := filepath.Join(upper, p)
			if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		for _, p := range []string{"ctx/big", "ctx/small", "ctx", "."} {
			if err := os.Chtimes(filepath.Join(upper, p), mtime, mtime); err != nil {
				t.Fatal(err)
			}
		}
		return upper
	}
	upper := makeUpper("upper")
	var want bytes.Buffer
	if err := layer.Diff(upper, &want); err != nil {
		t.Fatal(err)
	}
	diffs := 0
	diff := func(dir string) func(io.Writer) error {
		return func(w io.Writer) error { diffs++; return layer.Diff(dir, w) }
	}
	l, err := imgs.CommitLayer(diff(upper), upper)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(want.Bytes())
	hexSum := hex.EncodeToString(sum[:])
	if l.DiffID != "sha256:"+hexSum || diffs != 1 {
		t.Fatalf("layer %s after %d diffs, want sha256:%s after 1", l.DiffID, diffs, hexSum)
	}
	blob := filepath.Join(root, "store", "blobs", "sha256", hexSum)
	if _, err := os.Stat(blob); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the layer's blob was written: %v", err)
	}
	if _, err := os.Lstat(upper); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("upper dir not adopted: %v", err)
	}
	r, err := store.OpenBlob(l.DiffID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("the stored layer gives back %d bytes (%v), want the %d diffed", len(got), err, want.Len())
	}
	if n, err := store.BlobSize(l.DiffID); err != nil || n != int64(want.Len()) {
		t.Errorf("layer size %d, %v; want %d", n, err, want.Len())
	}

	again := makeUpper("again")
	if l2, err := imgs.CommitLayer(diff(again), again); err != nil || l2 != l {
		t.Fatalf("the same tree again: %+v, %v; want %+v", l2, err, l)
	}
	if _, err := os.Lstat(again); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the second upper dir stayed: %v", err)
	}
	if _, err := os.Stat(blob); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the layer's blob was written by the second commit: %v", err)
	}

	// A store that cannot assemble (no Assembler) keeps blobs.
	plain, err := image.Open(filepath.Join(root, "plain"), testUnpacker{})
	if err != nil {
		t.Fatal(err)
	}
	kept := makeUpper("kept")
	if _, err := (&buildImages{store: plain}).CommitLayer(diff(kept), kept); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "plain", "blobs", "sha256", hexSum)); err != nil {
		t.Errorf("a store without an Assembler lost the layer's blob: %v", err)
	}

	// A diff that names a file the tree lacks: the blob keeps the layer.
	odd := makeUpper("odd")
	oddDiff := func(w io.Writer) error {
		tw := tar.NewWriter(w)
		if err := tw.WriteHeader(&tar.Header{Name: "ghost", Mode: 0o644, Size: 4, ModTime: mtime}); err != nil {
			return err
		}
		if _, err := tw.Write([]byte("boo\n")); err != nil {
			return err
		}
		return tw.Close()
	}
	l3, err := imgs.CommitLayer(oddDiff, odd)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "store", "blobs", "sha256", strings.TrimPrefix(l3.DiffID, "sha256:"))); err != nil {
		t.Errorf("a tree that does not give its tar back lost its blob: %v", err)
	}
}

// TestDiffMetaDisassemblerError: a diff tar the disassembler refuses (a
// path twice) fails the commit with the disassembler's reason, not with
// the closed pipe the diff then writes into; a diff's own error comes
// back as it is.
func TestDiffMetaDisassemblerError(t *testing.T) {
	dup := func(w io.Writer) error {
		tw := tar.NewWriter(w)
		for range 2 {
			if err := tw.WriteHeader(&tar.Header{Name: "q/.wh..wh..opq", Typeflag: tar.TypeReg, Mode: 0o644}); err != nil {
				return err
			}
		}
		// Enough more that a write meets the closed pipe.
		for i := range 64 {
			if err := tw.WriteHeader(&tar.Header{Name: "f" + string(rune('a'+i%26)) + strings.Repeat("x", i), Typeflag: tar.TypeReg, Mode: 0o644}); err != nil {
				return err
			}
		}
		return tw.Close()
	}
	_, _, _, err := diffMeta(dup)
	if err == nil || !strings.Contains(err.Error(), "duplicates of file paths") || errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("diffMeta of a tar with a path twice: %v, want the disassembler's duplicate-path error", err)
	}
	own := errors.New("stat q: permission denied")
	if _, _, _, err := diffMeta(func(io.Writer) error { return own }); !errors.Is(err, own) {
		t.Errorf("diffMeta of a failing diff: %v, want %v", err, own)
	}
}

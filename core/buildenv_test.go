package core

import (
	"context"
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
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(layer.Diff(upper, pw)) }()
	l, err := imgs.CommitLayer(pr, upper)
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

package remotecache

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	digest "github.com/opencontainers/go-digest"
)

// memBlobs is a store of blobs by digest.
type memBlobs map[string][]byte

func (m memBlobs) OpenBlob(d string) (io.ReadCloser, error) {
	b, ok := m[d]
	if !ok {
		return nil, fmt.Errorf("no blob %s", d)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (m memBlobs) BlobSize(d string) (int64, error) { return int64(len(m[d])), nil }

func testSteps() ([]Step, memBlobs) {
	layer := []byte("a layer tar")
	d := digest.FromBytes(layer).String()
	return []Step{
		{Key: "k1", Layer: d, Record: json.RawMessage(`{"diff_id":"` + d + `"}`)},
		{Key: "k2", Record: json.RawMessage(`{"history":"ENV A=1"}`)},
	}, memBlobs{d: layer}
}

func checkImported(t *testing.T, c *Cache, blobs memBlobs) {
	t.Helper()
	rec, layer, ok := c.Step("k1")
	if !ok || layer == "" || !strings.Contains(string(rec), layer) {
		t.Fatalf("step k1: %s %q %v", rec, layer, ok)
	}
	r, err := c.OpenLayer(context.Background(), "k1", layer)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if !bytes.Equal(got, blobs[layer]) {
		t.Fatalf("layer: %q", got)
	}
	if _, _, ok := c.Step("k3"); ok {
		t.Fatal("k3 found")
	}
	if _, err := c.OpenLayer(context.Background(), "k2", digest.FromString("other").String()); err == nil || !strings.Contains(err.Error(), "k2") {
		t.Fatalf("a layer the manifest does not list: %v", err)
	}
}

func TestLocalRoundTrip(t *testing.T) {
	steps, blobs := testSteps()
	dir := filepath.Join(t.TempDir(), "cache")
	spec, err := ParseTo("type=local,dest=" + dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := Export(context.Background(), spec, steps, blobs, false); err != nil {
		t.Fatal(err)
	}
	// Twice: the blobs there are kept.
	if err := Export(context.Background(), spec, steps, blobs, false); err != nil {
		t.Fatal(err)
	}
	from, _ := ParseFrom("type=local,src=" + dir)
	c, err := Import(context.Background(), from, false)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	checkImported(t, c, blobs)
}

// A tampered config or manifest fails the import; a tampered layer is
// read as it is (the store checks its digest as it writes it).
func TestLocalTampered(t *testing.T) {
	steps, blobs := testSteps()
	dir := t.TempDir()
	spec := Spec{Type: "local", Dir: dir, Mode: "min"}
	if err := Export(context.Background(), spec, steps, blobs, false); err != nil {
		t.Fatal(err)
	}
	es, _ := os.ReadDir(filepath.Join(dir, "blobs", "sha256"))
	if len(es) != 3 {
		t.Fatalf("%d blobs, want 3 (layer, config, manifest)", len(es))
	}
	for _, e := range es {
		p := filepath.Join(dir, "blobs", "sha256", e.Name())
		orig, _ := os.ReadFile(p)
		bad := append([]byte(nil), orig...)
		bad[len(bad)/2] ^= 1
		os.WriteFile(p, bad, 0o644)
		c, err := Import(context.Background(), Spec{Type: "local", Dir: dir}, false)
		if err == nil {
			c.Close()
			if _, layer, _ := c.Step("k1"); "sha256:"+e.Name() != layer {
				t.Errorf("blob %s tampered: import succeeded", e.Name())
			}
		} else if !strings.Contains(err.Error(), "tampered") {
			t.Errorf("blob %s tampered: %v", e.Name(), err)
		}
		os.WriteFile(p, orig, 0o644)
	}
	// A symlink in the layout is not followed.
	idx := filepath.Join(dir, "index.json")
	os.Rename(idx, idx+".real")
	os.Symlink("index.json.real", idx)
	if _, err := Import(context.Background(), Spec{Type: "local", Dir: dir}, false); err == nil {
		t.Error("index.json as a symlink was followed")
	}
}

func TestRegistryRoundTrip(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	ref := strings.TrimPrefix(srv.URL, "http://") + "/cache:latest"
	steps, blobs := testSteps()
	to, err := ParseTo("type=registry,ref=" + ref + ",mode=max")
	if err != nil || to.Mode != "max" {
		t.Fatal(to, err)
	}
	if err := Export(context.Background(), to, steps, blobs, false); err != nil {
		t.Fatal(err)
	}
	from, err := ParseFrom(ref)
	if err != nil || from.Type != "registry" {
		t.Fatal(from, err)
	}
	c, err := Import(context.Background(), from, false)
	if err != nil {
		t.Fatal(err)
	}
	checkImported(t, c, blobs)
	if _, err := Import(context.Background(), Spec{Type: "registry", Ref: strings.TrimSuffix(ref, "latest") + "none"}, false); err == nil {
		t.Error("import of a missing tag succeeded")
	}
}

func TestParse(t *testing.T) {
	for _, bad := range []string{"type=local", "type=s3,ref=x", "dest=/x", "type=local,dest=/x,mode=all", "type=registry", "type=local,dest=/x,bogus=1", "x"} {
		if _, err := ParseTo(bad); err == nil {
			t.Errorf("--cache-to %s accepted", bad)
		}
	}
	s, err := ParseTo("type=local,dest=/x")
	if err != nil || s.Mode != "min" || s.Dir != "/x" {
		t.Errorf("%+v %v", s, err)
	}
	if _, err := ParseFrom("type=local,dest=/x"); err == nil {
		t.Error("--cache-from type=local,dest= accepted")
	}
}

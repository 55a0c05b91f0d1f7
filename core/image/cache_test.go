package image

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	digest "github.com/opencontainers/go-digest"
)

func TestPublishedLayerSurvivesSweepUntilBuildCachePrune(t *testing.T) {
	s := openStore(t)
	l, err := s.WriteLayer(bytes.NewReader(makeTar(t, map[string]string{"step": "output"})))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PublishLayer(l); err != nil {
		t.Fatal(err)
	}
	dir, err := s.LayerDir(l.Digest)
	if err != nil {
		t.Fatalf("LayerDir of a published layer: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "step")); err != nil || string(b) != "output" {
		t.Fatalf("unpacked layer content = %q, %v", b, err)
	}
	// An unrelated removal sweeps the store: the pinned layer stays.
	importTar(t, s, "other", "x")
	if _, err := s.Remove("other", RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.ExistingLayer(l.Digest); !ok {
		t.Fatal("a pinned layer's blob was swept")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("a pinned layer's directory was swept: %v", err)
	}
	n, err := s.PruneBuildCache(nil)
	if err != nil || n != 1 {
		t.Fatalf("PruneBuildCache = %d, %v; want 1, nil", n, err)
	}
	if _, ok := s.ExistingLayer(l.Digest); ok {
		t.Error("an unpinned, unused layer blob survived the prune")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("an unpinned, unused layer dir survived the prune: %v", err)
	}
	checkConsistent(t, s)
}

func TestAdoptLayerDir(t *testing.T) {
	s := openStore(t)
	content := makeTar(t, map[string]string{"f": "1"})
	diffID := digest.FromBytes(content).String()
	upper := filepath.Join(t.TempDir(), "upper")
	if err := os.MkdirAll(upper, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(upper, "f"), []byte("1"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The store and the temp dir may be on different file systems in
	// tests; adopt within the store's own tree as builds do.
	staged := filepath.Join(s.Root(), "staged-upper")
	if err := os.Rename(upper, staged); err != nil {
		t.Fatal(err)
	}
	if err := s.AdoptLayerDir(diffID, staged); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(staged); !os.IsNotExist(err) {
		t.Error("the adopted dir is still at its old path")
	}
	l, err := s.WriteLayer(bytes.NewReader(content))
	if err != nil || l.Digest != diffID {
		t.Fatalf("WriteLayer = %v, %v", l, err)
	}
	if err := s.PublishLayer(l); err != nil {
		t.Fatal(err)
	}
	dir, err := s.LayerDir(diffID)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "f")); string(b) != "1" {
		t.Errorf("adopted layer content = %q", b)
	}
	if err := s.AdoptLayerDir("sha256:nothex", staged); err == nil {
		t.Error("a malformed digest must be refused")
	}
}

package image

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"

	"github.com/hull-project/hull/core/layer"
)

// assemblingUnpacker is fakeUnpacker that can also assemble a layer's tar
// from its directory, in-process (the test's files are its own).
type assemblingUnpacker struct{ fakeUnpacker }

func (assemblingUnpacker) Assemble(meta io.Reader, dir string, w io.Writer) error {
	return layer.Assemble(meta, dir, w)
}

func (assemblingUnpacker) FindChanged(meta io.Reader, dir string) error {
	return layer.FindChanged(meta, dir)
}

func (assemblingUnpacker) Disassemble(tar io.Reader, meta io.Writer) error {
	return layer.Disassemble(tar, meta)
}

func openCompactingStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir(), assemblingUnpacker{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func putLayer(t *testing.T, s *Store, data []byte) digest.Digest {
	t.Helper()
	d := digest.FromBytes(data)
	if _, _, err := s.PutLayer(d.String(), func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestCompactLayer: a pulled layer is kept once, as its directory plus
// tar-split metadata, and reads back byte for byte.
func TestCompactLayer(t *testing.T) {
	s := openCompactingStore(t)
	data := makeTar(t, map[string]string{"etc/passwd": "root:x:0:0::/root:/bin/sh\n", "big": strings.Repeat("x", 200<<10)})
	d := putLayer(t, s, data)
	if s.hasBlob(d) {
		t.Fatal("the layer's blob is still stored beside its directory")
	}
	if !exists(s.metaPath(d)) || !s.hasLayer(d) {
		t.Fatal("the layer has no tar-split metadata")
	}
	got, err := s.readBlob(d)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back the layer: %v (%d bytes, want %d)", err, len(got), len(data))
	}
	if n, err := s.BlobSize(d.String()); err != nil || n != int64(len(data)) {
		t.Fatalf("BlobSize = %d, %v; want %d", n, err, len(data))
	}
	if l, ok := s.ExistingLayer(d.String()); !ok || l.Size != int64(len(data)) {
		t.Fatalf("ExistingLayer = %v, %v", l, ok)
	}
}

// TestCompactTampered: a changed file of a blob-less layer fails every
// read of the layer, naming it, and the check, which never removes the
// directory (it is the only copy).
func TestCompactTampered(t *testing.T) {
	s := openCompactingStore(t)
	img := importTar(t, s, "a", strings.Repeat("content a", 1000))
	d := img.Manifest.Layers[0].Digest
	if s.hasBlob(d) {
		t.Fatal("the imported layer's blob is still stored beside its directory")
	}
	if got := checkLines(t, s, CheckOptions{}); got != "" {
		t.Fatalf("a fresh store has problems:\n%s", got)
	}
	dir := filepath.Join(s.layerRoot(), d.Encoded())
	if err := os.WriteFile(filepath.Join(dir, "file"), []byte(strings.Repeat("content b", 1000)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := s.readBlob(d)
	if err == nil || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "layer "+d.String()) || !strings.Contains(err.Error(), "/file: ") {
		t.Fatalf("reading a tampered layer: %v; want an error naming the layer and the file", err)
	}
	got := checkLines(t, s, CheckOptions{Repair: true})
	if !strings.Contains(got, "layer "+d.String()+": ") || !strings.Contains(got, "cannot be re-derived") {
		t.Fatalf("check of a tampered layer:\n%s", got)
	}
	if !exists(dir) {
		t.Fatal("check --repair removed the only copy of a layer")
	}
}

// TestCompactKeepsBlob: a tar its directory cannot give back (a path
// written twice) keeps its blob, and reads back from it.
func TestCompactKeepsBlob(t *testing.T) {
	s := openCompactingStore(t)
	var twice bytes.Buffer
	twice.Write(makeTar(t, map[string]string{"f": strings.Repeat("1", 5000)})[:512+5120]) // header, content, no end marker
	twice.Write(makeTar(t, map[string]string{"f": strings.Repeat("2", 5000)}))
	data := twice.Bytes()
	d := putLayer(t, s, data)
	if !s.hasBlob(d) || exists(s.metaPath(d)) {
		t.Fatalf("blob kept %v, metadata %v; want the blob only", s.hasBlob(d), exists(s.metaPath(d)))
	}
	if got, err := s.readBlob(d); err != nil || sha256.Sum256(got) != sha256.Sum256(data) {
		t.Fatalf("read back: %v", err)
	}
}

// TestCompactImportKeepsBlob: an imported tar its directory cannot give
// back keeps its blob (synced and published by AddImage), and reads back.
func TestCompactImportKeepsBlob(t *testing.T) {
	s := openCompactingStore(t)
	var twice bytes.Buffer
	twice.Write(makeTar(t, map[string]string{"f": strings.Repeat("1", 5000)})[:512+5120])
	twice.Write(makeTar(t, map[string]string{"f": strings.Repeat("2", 5000)}))
	img, err := s.Import(bytes.NewReader(twice.Bytes()), ImportOptions{Ref: "twice"})
	if err != nil {
		t.Fatal(err)
	}
	d := img.Manifest.Layers[0].Digest
	if !s.hasBlob(d) || exists(s.metaPath(d)) {
		t.Fatalf("blob kept %v, metadata %v; want the blob only", s.hasBlob(d), exists(s.metaPath(d)))
	}
	if got, err := s.readBlob(d); err != nil || !bytes.Equal(got, twice.Bytes()) {
		t.Fatalf("read back: %v", err)
	}
	if entries, _ := os.ReadDir(s.metaDir()); len(entries) != 0 {
		t.Errorf("tarsplit/ holds %v after an import that kept its blob", entries)
	}
}

// TestCompactSweep: removing the image removes its metadata too.
func TestCompactSweep(t *testing.T) {
	s := openCompactingStore(t)
	img := importTar(t, s, "a", strings.Repeat("content a", 1000))
	d := img.Manifest.Layers[0].Digest
	if _, err := s.Remove("a", RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	if exists(s.metaPath(d)) || exists(filepath.Join(s.layerRoot(), d.Encoded())) {
		t.Fatal("the removed image's layer is still stored")
	}
	if _, err := s.readBlob(d); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("read a removed layer: %v", err)
	}
}

// TestCompactCloseEarly: closing a layer's reader before its end stops
// the assembly (the writer blocked on a full pipe) instead of hanging.
func TestCompactCloseEarly(t *testing.T) {
	s := openCompactingStore(t)
	data := makeTar(t, map[string]string{"big": strings.Repeat("0123456789abcdef", 4<<20/16)})
	d := putLayer(t, s, data)
	if s.hasBlob(d) {
		t.Fatal("the layer's blob is still stored beside its directory")
	}
	r, err := s.openBlob(d)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(r, make([]byte, 4096)); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- r.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Close of a half-read layer did not return")
	}
}

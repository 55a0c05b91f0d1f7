package image

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"
)

// fakeCheck compares the regular files of the tar with the directory.
func fakeCheck(r io.Reader, dir string) ([]string, error) {
	var out []string
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		want, _ := io.ReadAll(tr)
		got, err := os.ReadFile(filepath.Join(dir, h.Name))
		if err != nil || !bytes.Equal(got, want) {
			out = append(out, h.Name+": content differs")
		}
	}
}

func checkLines(t *testing.T, s *Store, opts CheckOptions) string {
	t.Helper()
	ps, err := s.Check(fakeCheck, opts)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, p := range ps {
		lines = append(lines, p.String())
	}
	return strings.Join(lines, "\n")
}

func TestCheckStore(t *testing.T) {
	s := openStore(t)
	a, b := importTar(t, s, "a", "content a"), importTar(t, s, "b", "content b")
	for _, img := range []*Image{a, b} {
		if _, err := s.LayerDirs(img); err != nil {
			t.Fatal(err)
		}
	}
	if got := checkLines(t, s, CheckOptions{}); got != "" {
		t.Fatalf("a fresh store has problems:\n%s", got)
	}
	la, lb := a.Manifest.Layers[0].Digest, b.Manifest.Layers[0].Digest
	if err := os.WriteFile(filepath.Join(s.layerRoot(), la.Encoded(), "file"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	blob, _ := s.blobPath(lb)
	if err := os.WriteFile(blob, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	orphan := digest.FromString("no such blob")
	if err := os.Mkdir(filepath.Join(s.layerRoot(), orphan.Encoded()), 0o755); err != nil {
		t.Fatal(err)
	}
	got := checkLines(t, s, CheckOptions{})
	for _, want := range []string{
		"layer " + la.String() + ": file: content differs",
		"blob " + lb.String() + ": content does not match its digest",
		"used by image " + strings.TrimPrefix(b.ID, "sha256:")[:12] + " (docker.io/library/b:latest)",
		"layer " + lb.String() + ": not checked: its blob is corrupt",
		"layer " + orphan.String() + ": unpacked directory has no blob",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("check lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "repaired") {
		t.Errorf("a check without --repair repaired:\n%s", got)
	}

	// A layer in use is left alone.
	got = checkLines(t, s, CheckOptions{Repair: true, InUse: func(hex string) string {
		if hex == la.Encoded() {
			return "container c1"
		}
		return ""
	}})
	if !strings.Contains(got, "layer "+la.String()+": not repaired: in use by container c1") {
		t.Errorf("repair of a layer in use:\n%s", got)
	}
	if !strings.Contains(got, "layer "+orphan.String()+": unpacked directory has no blob (repaired)") {
		t.Errorf("the layer dir without blob was not removed:\n%s", got)
	}

	got = checkLines(t, s, CheckOptions{Repair: true})
	if !strings.Contains(got, "layer "+la.String()+": file: content differs (repaired)") {
		t.Errorf("repair:\n%s", got)
	}
	if strings.Contains(got, lb.String()+": content does not match its digest (repaired)") {
		t.Errorf("a corrupt blob was called repaired:\n%s", got)
	}
	got = checkLines(t, s, CheckOptions{})
	if strings.Contains(got, la.String()) || strings.Contains(got, orphan.String()) {
		t.Errorf("repaired layers still have problems:\n%s", got)
	}
	if !strings.Contains(got, "blob "+lb.String()) {
		t.Errorf("the corrupt blob is no longer reported:\n%s", got)
	}
	if b, err := os.ReadFile(filepath.Join(s.layerRoot(), la.Encoded(), "file")); err != nil || string(b) != "content a" {
		t.Errorf("repaired layer file: %q %v", b, err)
	}
}

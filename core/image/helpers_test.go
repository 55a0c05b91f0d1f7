package image

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// fakeUnpacker extracts naively with archive/tar, as the real core/layer
// would in-process; good enough for the store's own tests.
type fakeUnpacker struct{}

func (fakeUnpacker) Unpack(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		p := filepath.Join(dir, filepath.Clean("/"+h.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(p, 0o755)
		case tar.TypeReg:
			var data []byte
			if data, err = io.ReadAll(tr); err == nil {
				err = os.WriteFile(p, data, 0o644)
			}
		case tar.TypeSymlink:
			err = os.Symlink(h.Linkname, p)
		}
		if err != nil {
			return err
		}
	}
}

func (fakeUnpacker) RemoveAll(dir string) error { return os.RemoveAll(dir) }

// makeTar builds a tar archive holding files (name -> content).
func makeTar(t testing.TB, files map[string]string) []byte {
	t.Helper()
	return tarOf(files)
}

// tarOf is makeTar for worker processes, which have no testing.TB. Writing
// to a bytes.Buffer cannot fail, so errors are programming errors.
func tarOf(files map[string]string) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	var names []string
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		hdr := &tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n])), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			panic(err)
		}
		if _, err := tw.Write([]byte(files[n])); err != nil {
			panic(err)
		}
	}
	if err := tw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

func openStore(t testing.TB) *Store {
	t.Helper()
	s, err := Open(t.TempDir(), fakeUnpacker{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// importTar imports a one-file image; content makes the layer unique.
func importTar(t testing.TB, s *Store, ref, content string) *Image {
	t.Helper()
	img, err := s.Import(bytes.NewReader(makeTar(t, map[string]string{"file": content})), ImportOptions{Ref: ref})
	if err != nil {
		t.Fatalf("import %s: %v", ref, err)
	}
	return img
}

// checkConsistent asserts the invariants of images.json: unique ids,
// no name on two images, and every referenced blob present and valid.
func checkConsistent(t testing.TB, s *Store) {
	t.Helper()
	ix, err := s.readIndex()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	names := map[string]string{}
	for _, r := range ix.Images {
		if ids[r.ID] {
			t.Errorf("duplicate record %s", r.ID)
		}
		ids[r.ID] = true
		for _, n := range r.Names {
			if other, ok := names[n]; ok {
				t.Errorf("name %s on %s and %s", n, other, r.ID)
			}
			names[n] = r.ID
		}
		img, err := s.load(r)
		if err != nil {
			t.Errorf("load %s: %v", r.ID, err)
			continue
		}
		for _, l := range img.Manifest.Layers {
			if _, err := s.readBlob(l.Digest); err != nil {
				t.Errorf("image %s layer: %v", r.ID, err)
			}
		}
	}
}

func names(results []RemoveResult) []string {
	var out []string
	for _, r := range results {
		if r.Untagged != "" {
			out = append(out, "Untagged: "+r.Untagged)
		} else {
			out = append(out, fmt.Sprintf("Deleted: %.19s", r.Deleted))
		}
	}
	return out
}

package image

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// refusingUnpacker unpacks like fakeUnpacker but refuses an archive with a
// member named "evil", as core/layer refuses ".." names or links out.
type refusingUnpacker struct{ fakeUnpacker }

func (refusingUnpacker) Unpack(r io.Reader, dir string) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if bytes.Contains(data, []byte("evil")) {
		return errors.New("evil: path escapes the layer")
	}
	return fakeUnpacker{}.Unpack(bytes.NewReader(data), dir)
}

// Import unpacks before it records the image: an archive the store cannot
// unpack fails the import and leaves no image, blob, layer or temporary.
func TestImportUnpackFailureLeavesNothing(t *testing.T) {
	s, err := Open(t.TempDir(), refusingUnpacker{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Import(bytes.NewReader(makeTar(t, map[string]string{"evil": "x"})), ImportOptions{Ref: "evil"})
	if err == nil || !strings.Contains(err.Error(), "path escapes") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("import of an archive the unpacker refuses: %v, want its one-line error", err)
	}
	if imgs, _ := s.Images(); len(imgs) != 0 {
		t.Errorf("images after a failed import: %v", imgs)
	}
	for _, dir := range []string{s.blobDir(), s.layerRoot()} {
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("%s holds %v after a failed import", filepath.Base(dir), entries)
		}
	}
	img, err := s.Import(bytes.NewReader(makeTar(t, map[string]string{"good": "x"})), ImportOptions{Ref: "good"})
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := s.LayerDirs(img)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dirs[0], "good")); err != nil || string(b) != "x" {
		t.Errorf("imported layer dir: %q, %v", b, err)
	}
	if entries, _ := os.ReadDir(s.layerRoot()); len(entries) != 1 {
		t.Errorf("layers/ holds %v, want only the imported layer", entries)
	}
}

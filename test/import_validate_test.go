package test

import (
	"archive/tar"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// storeEntries lists what the store holds in blobs/sha256 and layers.
func storeEntries(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	for _, dir := range []string{"blobs/sha256", "layers"} {
		entries, err := os.ReadDir(filepath.Join(root, dir))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, e := range entries {
			out = append(out, dir+"/"+e.Name())
		}
	}
	return out
}

// hull import unpacks what it imports before it records the image, as
// load and pull do: a rootfs tarball the store cannot unpack fails the
// import with one line and exit 125, and leaves no image, blob, layer
// directory or temporary, instead of an image that fails every run.
func TestImportValidatesBeforeRecording(t *testing.T) {
	t.Parallel()
	pwned := []byte("pwned\n")
	cases := []struct {
		name    string
		entries func(c canary) []tarEntry
	}{
		{"dotdot name", func(c canary) []tarEntry {
			return []tarEntry{{Name: "etc/", Type: tar.TypeDir}, {Name: "etc/../../" + c.up() + "/canary", Body: pwned}}
		}},
		{"symlinked parent", func(c canary) []tarEntry {
			return []tarEntry{
				{Name: "evil", Type: tar.TypeSymlink, Linkname: c.dir},
				{Name: "evil/canary", Body: pwned},
			}
		}},
		{"hardlink outside", func(c canary) []tarEntry {
			return []tarEntry{{Name: "hl", Type: tar.TypeLink, Linkname: c.up() + "/canary"}}
		}},
	}
	s := newStore(t)
	s.mustHull(t, "images") // creates the store's directories
	before := storeEntries(t, s.root)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCanary(t)
			out, errs, code := s.hull(t, "import", makeTar(t, tc.entries(c)...), "evil")
			if code != 125 {
				t.Errorf("import: exit %d (stdout %q), want 125", code, out)
			}
			oneLineError(t, errs)
			c.check(t)
			if imgs := s.mustHull(t, "images", "-q", "-a"); imgs != "" {
				t.Errorf("images after a refused import: %q", imgs)
			}
			if after := storeEntries(t, s.root); !slices.Equal(after, before) {
				t.Errorf("store holds %v after a refused import, before %v", after, before)
			}
			checkNoTemp(t, s.root)
		})
	}
}

package test

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDiskLayersKeptOnce: a layer is stored once. After import, load
// and build (a COPY and a RUN, then again with --no-cache), each layer is
// its unpacked directory plus a little tar-split metadata, without its
// tar blob; save writes every layer byte for byte
// (each blob in the archive hashes to its digest); and a file changed in
// a layer directory fails save and check with a line naming the layer,
// leaving no archive behind. With a subordinate id range and without one
// (the files of a container user are then the user's, mode 0600 or 0000
// included).
func TestDiskLayersKeptOnce(t *testing.T) {
	t.Parallel()
	for name, env := range map[string][]string{"subuid": nil, "single": {"HULL_SINGLE_MAPPING=1"}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			s.env = env
			s.mustHull(t, "import", busyboxTar, "busybox")
			s.mustHull(t, "import", makeTar(t,
				tarEntry{Name: "home/", Type: tar.TypeDir},
				tarEntry{Name: "home/app/", Type: tar.TypeDir, Mode: 0o700, UID: 1000, GID: 1000},
				tarEntry{Name: "home/app/secret", Mode: 0o600, UID: 1000, GID: 1000, Body: []byte(strings.Repeat("secret\n", 2000))},
				tarEntry{Name: "home/app/sealed", Mode: 0, UID: 1000, GID: 1000, Body: []byte(strings.Repeat("sealed\n", 2000))},
				tarEntry{Name: "home/app/link", Type: tar.TypeLink, Linkname: "home/app/secret"},
				tarEntry{Name: "home/app/sym", Type: tar.TypeSymlink, Linkname: "secret"},
			), "owned")
			ctx := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nCOPY data /data/\n" +
				"RUN mkdir -p /srv && seq 1 20000 > /srv/numbers && chmod 600 /srv/numbers && rm /etc/group\n",
				"data/big": strings.Repeat("copied\n", 40000), "data/small": "small\n"})
			s.mustBuild(t, "-t", "built", ctx)
			// Again without the cache: each step's layer (the COPY's
			// diffed and stored without its tar ever written) is stored
			// once too.
			s.mustBuild(t, "--no-cache", "-t", "built", ctx)
			archive := filepath.Join(t.TempDir(), "saved.tar")
			s.mustHull(t, "save", "-o", archive, "busybox", "owned", "built")
			fresh := newStore(t)
			fresh.env = env
			fresh.mustHull(t, "load", "-i", archive)

			for _, st := range []*store{s, fresh} {
				layers := storedOnce(t, st)
				if st == fresh && len(layers) != 4 {
					t.Errorf("loaded store has layers %q, want 4", layers)
				}
				again := filepath.Join(t.TempDir(), "again.tar")
				st.mustHull(t, "save", "-o", again, "busybox", "owned", "built")
				checkArchiveDigests(t, again, layers)
			}
			if got := fresh.mustHull(t, "run", "--rm", "--user", "0", "built", "sh", "-c", "wc -l </srv/numbers; stat -c %a /srv/numbers; wc -l </data/big"); got != "20000\n600\n40000\n" {
				t.Errorf("run the loaded build: %q", got)
			}

			bb := s.onlyLayer(t, "busybox")
			if err := os.WriteFile(filepath.Join(s.root, "layers", bb, "etc/passwd"), []byte(strings.Replace(passwd, "root:x", "evil:x", 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			canary := filepath.Join(t.TempDir(), "canary.tar")
			_, stderr, code := s.hull(t, "save", "-o", canary, "busybox")
			if code != 125 || !strings.Contains(stderr, "layer sha256:"+bb) || !strings.Contains(stderr, "etc/passwd") {
				t.Errorf("save of a tampered layer: exit %d, %q; want 125 and a line naming the layer and the file", code, stderr)
			}
			oneLineError(t, stderr)
			if _, err := os.Stat(canary); err == nil {
				t.Errorf("save of a tampered layer left %s", canary)
			}
			out, _, code := s.hull(t, "system", "check")
			if code == 0 || !strings.Contains(out, "layer sha256:"+bb+": ") || !strings.Contains(out, "cannot be re-derived") {
				t.Errorf("check of a tampered layer: exit %d:\n%s", code, out)
			}
		})
	}
}

// storedOnce checks that each layer of the store's images is its
// directory and tar-split metadata with no blob, and that what the store
// holds beside the unpacked directories is small; it returns the layers.
func storedOnce(t *testing.T, s *store) []string {
	t.Helper()
	var layers []string
	for _, ref := range []string{"busybox", "owned", "built"} {
		out := s.mustHull(t, "image", "inspect", "-f", "{{range .RootFS.Layers}}{{.}} {{end}}", ref)
		for _, l := range strings.Fields(out) {
			h := strings.TrimPrefix(l, "sha256:")
			if !containsStr(layers, h) {
				layers = append(layers, h)
			}
		}
	}
	for _, h := range layers {
		if _, err := os.Stat(filepath.Join(s.root, "blobs/sha256", h)); err == nil {
			t.Errorf("layer %s is stored as a blob beside its directory", h)
		}
		if _, err := os.Stat(filepath.Join(s.root, "tarsplit", h)); err != nil {
			t.Errorf("layer %s has no tar-split metadata: %v", h, err)
		}
	}
	unpacked := storeBytes(filepath.Join(s.root, "layers"))
	beside := storeBytes(s.root) - unpacked
	if beside > unpacked/10+512<<10 {
		t.Errorf("store holds %d bytes beside %d of unpacked layers", beside, unpacked)
	}
	t.Logf("store %s: %d bytes unpacked, %d beside", s.root, unpacked, beside)
	return layers
}

func containsStr(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// checkArchiveDigests: every layer of the docker-archive at path hashes to
// its name, and those are exactly layers.
func checkArchiveDigests(t *testing.T, path string, layers []string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sums := map[string]string{}
	var manifest []struct{ Layers []string }
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		if h.Name == "manifest.json" {
			if err := json.NewDecoder(tr).Decode(&manifest); err != nil {
				t.Fatalf("%s: manifest.json: %v", path, err)
			}
			continue
		}
		sum := sha256.New()
		if _, err := io.Copy(sum, tr); err != nil {
			t.Fatal(err)
		}
		sums[h.Name] = hex.EncodeToString(sum.Sum(nil))
	}
	seen := 0
	for _, m := range manifest {
		for _, l := range m.Layers {
			want := strings.TrimSuffix(filepath.Base(l), ".tar")
			if sums[l] != want {
				t.Errorf("saved layer %s hashes to %s", l, sums[l])
			}
			if !containsStr(layers, want) {
				t.Errorf("saved layer %s is none of the images' layers", l)
			}
			seen++
		}
	}
	if seen < len(layers) {
		t.Errorf("archive has %d layers, want at least %d", seen, len(layers))
	}
}

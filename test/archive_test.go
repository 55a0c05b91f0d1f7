package test

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/compression"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	s := withBusybox(t)
	s.mustHull(t, "tag", "busybox", "example.com/team/box:v1")
	for _, format := range []string{"docker-archive", "oci-archive", "oci-dir"} {
		t.Run(format, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "saved")
			s.mustHull(t, "save", "--format", format, "-o", out, "busybox", "example.com/team/box:v1")
			fresh := newStore(t)
			loaded := fresh.mustHull(t, "load", "-i", out)
			for _, want := range []string{"Loaded image: busybox:latest", "Loaded image: example.com/team/box:v1"} {
				if !strings.Contains(loaded, want) {
					t.Errorf("load output lacks %q: %q", want, loaded)
				}
			}
			images := fresh.mustHull(t, "images")
			if !hasRow(images, "busybox", "latest") || !hasRow(images, "example.com/team/box", "v1") {
				t.Errorf("tags did not survive the %s round trip:\n%s", format, images)
			}
			if got := fresh.mustHull(t, "run", "--rm", "example.com/team/box:v1", "echo", "back"); got != "back\n" {
				t.Errorf("run after load printed %q", got)
			}
		})
	}
}

func TestSaveToStdoutLoadFromStdin(t *testing.T) {
	s := withBusybox(t)
	data := s.mustHull(t, "save", "busybox")
	fresh := newStore(t)
	out, stderr, code := fresh.hullIn(t, strings.NewReader(data), "load")
	if code != 0 || !strings.Contains(out, "Loaded image: busybox:latest") {
		t.Fatalf("load from stdin: exit %d, %q %q", code, out, stderr)
	}
}

func TestLoadZstdAndGzipLayout(t *testing.T) {
	for _, comp := range []compression.Compression{compression.ZStd, compression.GZip} {
		t.Run(string(comp), func(t *testing.T) {
			base, err := tarball.LayerFromFile(busyboxTar, tarball.WithCompression(comp))
			if err != nil {
				t.Fatal(err)
			}
			img, err := mutate.AppendLayers(empty.Image, base)
			if err != nil {
				t.Fatal(err)
			}
			cf, _ := img.ConfigFile()
			cf = cf.DeepCopy()
			cf.OS, cf.Architecture = "linux", hostArch()
			img, _ = mutate.ConfigFile(img, cf)
			dir := filepath.Join(t.TempDir(), "layout")
			p, err := layout.Write(dir, empty.Index)
			if err != nil {
				t.Fatal(err)
			}
			ref := "localhost/compressed:" + string(comp)
			if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": ref})); err != nil {
				t.Fatal(err)
			}
			s := newStore(t)
			s.mustHull(t, "load", "-i", dir)
			if got := s.mustHull(t, "run", "--rm", ref, "echo", "ok"); got != "ok\n" {
				t.Errorf("run of a %s layer image printed %q", comp, got)
			}
		})
	}
}

// dockerArchive writes a docker-archive from a manifest entry, a config and
// named members, for hostile inputs.
func dockerArchive(t *testing.T, layerPaths []string, cfg any, members ...tarEntry) string {
	t.Helper()
	cfgJSON, _ := json.Marshal(cfg)
	manifest, _ := json.Marshal([]map[string]any{{"Config": "config.json", "RepoTags": []string{"evil:1"}, "Layers": layerPaths}})
	entries := append([]tarEntry{{Name: "manifest.json", Body: manifest}, {Name: "config.json", Body: cfgJSON}}, members...)
	return makeTar(t, entries...)
}

func configFor(layers ...[]byte) map[string]any {
	var ids []string
	for _, l := range layers {
		ids = append(ids, fmt.Sprintf("sha256:%x", sha256.Sum256(l)))
	}
	return map[string]any{"architecture": hostArch(), "os": "linux", "rootfs": map[string]any{"type": "layers", "diff_ids": ids}}
}

func tarBytes(t *testing.T, entries ...tarEntry) []byte {
	t.Helper()
	data, err := os.ReadFile(makeTar(t, entries...))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestLoadHostileArchives(t *testing.T) {
	outside := t.TempDir() // nothing may appear here
	escape := filepath.Join(outside, "escaped")
	traversal := tarBytes(t, tarEntry{Name: "../../../../../../../../.." + escape, Body: []byte("x")})
	symlinkEscape := tarBytes(t, tarEntry{Name: "link", Type: tar.TypeSymlink, Linkname: outside},
		tarEntry{Name: "link/escaped", Body: []byte("x")})
	hardlinkEscape := tarBytes(t, tarEntry{Name: "hard", Type: tar.TypeLink, Linkname: "../../../../../../../.." + escape})
	good := tarBytes(t, tarEntry{Name: "file", Body: []byte("fine")})

	cases := map[string]struct {
		archive string
		want    string
	}{
		"layer path traversal":    {dockerArchive(t, []string{"l.tar"}, configFor(traversal), tarEntry{Name: "l.tar", Body: traversal}), "layer"},
		"layer symlink escape":    {dockerArchive(t, []string{"l.tar"}, configFor(symlinkEscape), tarEntry{Name: "l.tar", Body: symlinkEscape}), "layer"},
		"layer hardlink escape":   {dockerArchive(t, []string{"l.tar"}, configFor(hardlinkEscape), tarEntry{Name: "l.tar", Body: hardlinkEscape}), "layer"},
		"manifest leaves archive": {dockerArchive(t, []string{"../../../etc/passwd"}, configFor(good)), "passwd"},
		"digest mismatch":         {dockerArchive(t, []string{"l.tar"}, configFor(good), tarEntry{Name: "l.tar", Body: tarBytes(t, tarEntry{Name: "other"})}), "does not match"},
		"missing layer":           {dockerArchive(t, []string{"l.tar"}, configFor(good)), "l.tar"},
		"oci path traversal": {makeTar(t, tarEntry{Name: "oci-layout", Body: []byte(`{"imageLayoutVersion":"1.0.0"}`)},
			tarEntry{Name: "index.json", Body: []byte(`{"schemaVersion":2,"manifests":[]}`)},
			tarEntry{Name: "../../../../../../../.." + escape, Body: []byte("x")}), "leaves the archive"},
		"oci symlink": {makeTar(t, tarEntry{Name: "index.json", Body: []byte(`{"schemaVersion":2,"manifests":[]}`)},
			tarEntry{Name: "blobs", Type: tar.TypeSymlink, Linkname: outside}), "not allowed"},
		"not an archive": {makeTar(t, tarEntry{Name: "hello", Body: []byte("x")}), "neither a docker-archive"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			s := newStore(t)
			_, stderr, code := s.hull(t, "load", "-i", c.archive)
			if code != 125 || !strings.Contains(stderr, c.want) {
				t.Errorf("load of an archive with a %s: exit %d, %q (want an error mentioning %q)", name, code, stderr, c.want)
			}
			oneLineError(t, stderr)
			if entries, _ := os.ReadDir(outside); len(entries) > 0 {
				t.Errorf("load wrote outside the store: %v", entries)
			}
			if imgs := s.mustHull(t, "images", "-q"); imgs != "" {
				t.Errorf("a failed load left images: %q", imgs)
			}
		})
	}
}

func TestPodmanInterop(t *testing.T) {
	bin := needPeer(t, "podman")
	s := withBusybox(t)
	s.mustHull(t, "tag", "busybox", "localhost/interop:v1")
	work := t.TempDir()
	saved, back := filepath.Join(work, "hull.tar"), filepath.Join(work, "podman.tar")
	s.mustHull(t, "save", "-o", saved, "localhost/interop:v1")
	// podman, with a store of its own, loads hull's archive and saves it again.
	dir, err := os.MkdirTemp(baseDir, "podman")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { removeTree(dir) })
	script := fmt.Sprintf("set -e; P='%s --root %s/root --runroot %s/run --storage-driver vfs --cgroup-manager cgroupfs --events-backend none'; "+
		"$P load -i %s; $P images; $P save -o %s localhost/interop:v1", bin, dir, dir, saved, back)
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+filepath.Join(dir, "xdg"), "XDG_CONFIG_HOME="+filepath.Join(dir, "cfg"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("podman load and save: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "localhost/interop") {
		t.Errorf("podman did not keep the tag of hull's archive:\n%s", out)
	}
	fresh := newStore(t)
	fresh.mustHull(t, "load", "-i", back)
	if got := fresh.mustHull(t, "run", "--rm", "localhost/interop:v1", "echo", "podman"); got != "podman\n" {
		t.Errorf("run of podman's archive printed %q", got)
	}
}

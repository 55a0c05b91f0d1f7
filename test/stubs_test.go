package test

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A RUN step's layer holds what the step made, not the targets hull
// created to mount over (the /etc files, --mount targets), as with
// BuildKit.
func TestBuildLayerHasNoMountStubs(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	ctx := t.TempDir()
	writeIn(t, ctx, "Dockerfile", `FROM busybox
RUN --mount=type=cache,target=/var/cache/made-by-hull --mount=type=tmpfs,target=/scratch/deep mkdir /made /var/cache/kept
`)
	s.mustHull(t, "build", "-t", "stubs", ctx)
	archive := filepath.Join(t.TempDir(), "stubs.tar")
	s.mustHull(t, "save", "-o", archive, "stubs")
	layers := archiveLayers(t, archive)
	if len(layers) != 2 {
		t.Fatalf("want 2 layers (base, RUN), got %d", len(layers))
	}
	first := strings.Join(layers[1], " ")
	for _, stub := range []string{"etc/hosts", "etc/hostname", "etc/resolv.conf", "var/cache/made-by-hull", "scratch", "scratch/deep"} {
		if strings.Contains(" "+first+" ", " "+stub+" ") || strings.Contains(" "+first+" ", " "+stub+"/ ") {
			t.Errorf("the first RUN's layer holds the mount stub %s: %s", stub, first)
		}
	}
	for _, made := range []string{"made/", "var/cache/kept/"} {
		if !strings.Contains(" "+first+" ", " "+made+" ") {
			t.Errorf("the RUN's layer lost %s, which the step made: %s", made, first)
		}
	}
}

// archiveLayers lists the entry names of each layer of the first image in
// a docker-archive, bottom first.
func archiveLayers(t *testing.T, archive string) [][]string {
	t.Helper()
	members := map[string][]byte{}
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		members[strings.TrimPrefix(hdr.Name, "./")] = b
	}
	var manifest []struct{ Layers []string }
	if err := json.Unmarshal(members["manifest.json"], &manifest); err != nil || len(manifest) == 0 {
		t.Fatalf("manifest.json: %v", err)
	}
	var out [][]string
	for _, l := range manifest[0].Layers {
		var names []string
		lr := tar.NewReader(strings.NewReader(string(members[l])))
		for {
			hdr, err := lr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("layer %s: %v", l, err)
			}
			names = append(names, strings.TrimPrefix(hdr.Name, "./"))
		}
		out = append(out, names)
	}
	return out
}

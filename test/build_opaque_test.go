package test

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"strings"
	"testing"
)

// TestBuildOpaqueDirAfterRWMounts: after two RUN steps with rw bind
// mounts a step's root is fuse-overlayfs; when those two steps made the
// same layer (here always: /etc's time is fixed; by chance when they ran
// in the same second) it gets that layer twice as a lower and marks a
// directory it makes opaque three ways at once (xattr, .wh..wh..opq file,
// whiteout of .wh..opq). The step commits (it failed with "read/write on closed pipe":
// its tar held the opaque whiteout three times), the replaced directory
// hides what was below it, and every saved layer has each path once and
// the sha256 its diff id names.
func TestBuildOpaqueDirAfterRWMounts(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	ctx := buildContext(t, map[string]string{"Dockerfile": `FROM busybox
RUN --mount=type=bind,source=sub,target=/m,rw touch -t 200001010000 /etc
RUN --mount=type=bind,source=file1,target=/f,rw touch -t 200001010000 /etc
RUN mkdir /q && rm -rf /home && mkdir -p /home/n && touch /home/x /home/n/y
`, "sub/a": "a\n", "file1": "1\n"})
	s.mustBuild(t, "-t", "opq", ctx)
	if got, want := s.sh(t, "opq", "find /home /q | sort"), "/home\n/home/n\n/home/n/y\n/home/x\n/q\n"; got != want {
		t.Errorf("tree:\n%s\nwant:\n%s", got, want)
	}

	files := map[string][]byte{}
	tr := tar.NewReader(strings.NewReader(s.mustHull(t, "save", "opq")))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read saved opq: %v", err)
		}
		files[hdr.Name], _ = io.ReadAll(tr)
	}
	var manifest []struct {
		Config string
		Layers []string
	}
	var config struct {
		RootFS struct {
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil || len(manifest) != 1 {
		t.Fatalf("saved opq: manifest.json: %v", err)
	}
	if err := json.Unmarshal(files[manifest[0].Config], &config); err != nil || len(config.RootFS.DiffIDs) != len(manifest[0].Layers) {
		t.Fatalf("saved opq: config %s: %v (diff ids %d, layers %d)", manifest[0].Config, err, len(config.RootFS.DiffIDs), len(manifest[0].Layers))
	}
	for i, name := range manifest[0].Layers {
		sum := sha256.Sum256(files[name])
		if got := "sha256:" + hex.EncodeToString(sum[:]); got != config.RootFS.DiffIDs[i] {
			t.Errorf("layer %d (%s): sha256 %s, diff id %s", i, name, got, config.RootFS.DiffIDs[i])
		}
		seen := map[string]int{}
		lr := tar.NewReader(bytes.NewReader(files[name]))
		for {
			hdr, err := lr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("layer %d: %v", i, err)
			}
			if seen[strings.TrimSuffix(hdr.Name, "/")]++; seen[strings.TrimSuffix(hdr.Name, "/")] == 2 {
				t.Errorf("layer %d holds %s more than once", i, hdr.Name)
			}
		}
	}
}

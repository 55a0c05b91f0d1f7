package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSystemCheck: system check is clean on a fresh store, finds layer
// directories changed behind hull's back and a corrupt blob, repairs the
// layers (also files owned by subordinate ids, and a layer kept without
// its blob, from the tar its directory and tar-split metadata give) and
// reports the blob it cannot repair, with the image that uses it.
func TestSystemCheck(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	out, stderr, code := s.hull(t, "system", "check")
	if code != 0 || strings.TrimSpace(out) != "OK" {
		t.Fatalf("check of a fresh store: exit %d, %q %q", code, out, stderr)
	}
	bbLayer := s.onlyLayer(t, "busybox") // kept as its directory and tar-split metadata
	// A tar that writes a path twice cannot be written again from its
	// directory: these layers keep their blobs.
	twice := func(name, body string) string {
		return makeTar(t, tarEntry{Name: name, Body: []byte("an earlier " + name + "\n")}, tarEntry{Name: name, Body: []byte(body)})
	}
	s.mustHull(t, "import", twice("data", "other image\n"), "other")
	otherLayer := s.onlyLayer(t, "other")
	s.mustHull(t, "import", twice("etc/passwd", passwd), "third")
	thirdLayer := s.onlyLayer(t, "third")

	if err := os.WriteFile(filepath.Join(s.root, "layers", thirdLayer, "etc/passwd"), []byte("evil::0:0::/:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(s.root, "layers", bbLayer)
	s.mustHull(t, "unshare", "chmod", "700", filepath.Join(dir, "home/user1")) // owned by a subordinate id
	blob := filepath.Join(s.root, "blobs/sha256", otherLayer)
	data, err := os.ReadFile(blob)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/3] ^= 0xff
	if err := os.WriteFile(blob, data, 0o600); err != nil {
		t.Fatal(err)
	}

	layerLine := "layer sha256:" + bbLayer + ": "
	thirdLine := "layer sha256:" + thirdLayer + ": "
	blobLine := "blob sha256:" + otherLayer + ": content does not match its digest"
	out, _, code = s.hull(t, "system", "check")
	if code == 0 {
		t.Errorf("check of a damaged store exited 0:\n%s", out)
	}
	for _, want := range []string{thirdLine + "etc/passwd: size 21, want", layerLine + "home/user1: mode 0700, want 0755", blobLine, "docker.io/library/other:latest"} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}

	out, _, code = s.hull(t, "system", "check", "--repair")
	if code == 0 {
		t.Errorf("repair with a corrupt blob left exited 0:\n%s", out)
	}
	if !strings.Contains(out, thirdLine+"etc/passwd: size 21, want") || !strings.Contains(out, layerLine+"home/user1") || !strings.Contains(out, blobLine) {
		t.Errorf("repair output lacks a layer or the corrupt blob:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		isLayer := strings.Contains(line, layerLine) || strings.Contains(line, thirdLine)
		if isLayer != strings.HasSuffix(line, "(repaired)") {
			t.Errorf("repair: a layer problem not repaired, or another one called repaired: %s", line)
		}
	}

	out, _, code = s.hull(t, "system", "check")
	if strings.Contains(out, layerLine) || strings.Contains(out, thirdLine) {
		t.Errorf("the repaired layers still have problems:\n%s", out)
	}
	if code == 0 || !strings.Contains(out, blobLine) {
		t.Errorf("the corrupt blob is no longer reported (exit %d):\n%s", code, out)
	}
	if got := s.mustHull(t, "run", "--rm", "busybox", "sh", "-c", "head -1 /etc/passwd; stat -c %a /home/user1"); got != "root:x:0:0:root:/root:/bin/sh\n755\n" {
		t.Errorf("busybox after repair: %q", got)
	}
	if _, err := os.Stat(filepath.Join(s.root, "blobs/sha256", bbLayer)); err == nil {
		t.Errorf("the repaired busybox layer is stored twice again (its blob is back)")
	}
}

// onlyLayer is the hex digest of the single layer of image ref.
func (s *store) onlyLayer(t *testing.T, ref string) string {
	t.Helper()
	out := strings.TrimSpace(s.mustHull(t, "image", "inspect", "-f", "{{range .RootFS.Layers}}{{.}} {{end}}", ref))
	layers := strings.Fields(out)
	if len(layers) != 1 {
		t.Fatalf("%s has layers %q, want one", ref, out)
	}
	return strings.TrimPrefix(layers[0], "sha256:")
}

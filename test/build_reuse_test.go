package test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// reuseDockerfile copies the whole context and checksums its big files.
const reuseDockerfile = "FROM busybox\nCOPY . /ctx/\nRUN sha256sum /ctx/big.bin /ctx/canary.bin > /sums\n"

// TestBuildCopyReuse: an edit of a small context file rebuilds the COPY,
// which links the unchanged big file from the step's last layer (one
// inode in both layers) instead of copying it; both images are whole
// (content, save and load with the same ids, system check clean), the
// second outlives the first and its layer; and a big file edited in
// place to the same size with its mtime put back (only its ctime tells)
// is copied anew, its new content in the image.
func TestBuildCopyReuse(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	var sx unix.Statx_t
	if err := unix.Statx(unix.AT_FDCWD, s.root, 0, unix.STATX_BTIME, &sx); err != nil || sx.Mask&unix.STATX_BTIME == 0 {
		t.Skipf("no birth time in the store's file system (%v): nothing is reused", err)
	}
	dir := t.TempDir()
	writeCtx(t, dir, "Dockerfile", []byte(reuseDockerfile))
	writeCtx(t, dir, "small.txt", []byte("one\n"))
	big := make([]byte, 1<<20)
	if _, err := rand.Read(big); err != nil {
		t.Fatal(err)
	}
	writeCtx(t, dir, "big.bin", big)
	writeCtx(t, dir, "canary.bin", bytes.Repeat([]byte("a"), 256<<10))
	s.mustBuild(t, "-t", "one", dir)
	writeCtx(t, dir, "small.txt", []byte("two\n"))
	s.mustBuild(t, "-t", "two", dir)

	one, two := s.copyLayer(t, "one"), s.copyLayer(t, "two")
	if one == two {
		t.Fatal("the edit gave the same COPY layer")
	}
	if !sameFile(t, filepath.Join(one, "ctx/big.bin"), filepath.Join(two, "ctx/big.bin")) {
		t.Error("the unchanged big file was copied, not linked from the first build's layer")
	}
	sums := s.sh(t, "two", "cat /sums; cat /ctx/small.txt")
	if !strings.Contains(sums, sha(big)+"  /ctx/big.bin") || !strings.HasSuffix(sums, "two\n") {
		t.Errorf("the second image's big file or edit is wrong:\n%s", sums)
	}

	// The canary is rewritten in place, same size, mtime put back.
	p := filepath.Join(dir, "canary.bin")
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	canary := bytes.Repeat([]byte("C"), 256<<10)
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(canary, 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	s.mustBuild(t, "-t", "three", dir)
	three := s.copyLayer(t, "three")
	if sameFile(t, filepath.Join(two, "ctx/canary.bin"), filepath.Join(three, "ctx/canary.bin")) {
		t.Error("the canary edited in place was linked from the old layer")
	}
	if !sameFile(t, filepath.Join(two, "ctx/big.bin"), filepath.Join(three, "ctx/big.bin")) {
		t.Error("the unchanged big file was copied in the third build")
	}
	if got := s.sh(t, "three", "grep canary /sums"); !strings.HasPrefix(got, sha(canary)) {
		t.Errorf("the third image's canary: %q, want %s (the edited content)", got, sha(canary))
	}
	if out, errs, code := s.hull(t, "system", "check"); code != 0 || strings.TrimSpace(out) != "OK" {
		t.Errorf("system check after the reuse: exit %d\n%s%s", code, out, errs)
	}
	saved := filepath.Join(t.TempDir(), "saved.tar")
	s.mustHull(t, "save", "-o", saved, "one", "two", "three")
	fresh := newStore(t)
	fresh.mustHull(t, "load", "-i", saved)
	for _, ref := range []string{"one", "two", "three"} {
		if a, b := imageID(t, s, ref), imageID(t, fresh, ref); a != b {
			t.Errorf("%s: id %s, after save and load %s", ref, a, b)
		}
	}

	// The first image and its cached layer go: the second keeps its file.
	s.mustHull(t, "rmi", "one")
	s.mustHull(t, "builder", "prune", "-a", "-f")
	if _, err := os.Lstat(one); !os.IsNotExist(err) {
		t.Errorf("the first COPY layer is still there after rmi and prune (%v)", err)
	}
	if got := s.sh(t, "two", "sha256sum /ctx/big.bin"); !strings.HasPrefix(got, sha(big)) {
		t.Errorf("after the first image went: %q, want %s", got, sha(big))
	}
	if out, errs, code := s.hull(t, "system", "check"); code != 0 || strings.TrimSpace(out) != "OK" {
		t.Errorf("system check after removing the first image: exit %d\n%s%s", code, out, errs)
	}
}

func writeCtx(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// copyLayer is the directory of ref's second layer (its COPY).
func (s *store) copyLayer(t *testing.T, ref string) string {
	t.Helper()
	var layers []string
	out := s.mustHull(t, "inspect", "--format", "{{json .RootFS.Layers}}", ref)
	if err := json.Unmarshal([]byte(out), &layers); err != nil || len(layers) != 3 {
		t.Fatalf("%s's layers: %q (%v), want 3", ref, out, err)
	}
	return filepath.Join(s.root, "layers", strings.TrimPrefix(layers[1], "sha256:"))
}

func imageID(t *testing.T, s *store, ref string) string {
	t.Helper()
	return strings.TrimSpace(s.mustHull(t, "inspect", "--format", "{{.Id}}", ref))
}

func sameFile(t *testing.T, a, b string) bool {
	t.Helper()
	fa, err := os.Lstat(a)
	if err != nil {
		t.Fatal(err)
	}
	fb, err := os.Lstat(b)
	if err != nil {
		t.Fatal(err)
	}
	return os.SameFile(fa, fb)
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

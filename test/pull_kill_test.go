package test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestPullKilledHalfway kills `hull pull` at random points, checks the
// store stays usable with no broken image after each kill, then pulls to
// the end and runs the image.
func TestPullKilledHalfway(t *testing.T) {
	reg := startRegistry(t)
	const files, size = 2000, 32 << 10
	src := newStore(t)
	ref := reg + "/killed/big:1"
	src.mustHull(t, "import", makeBigTar(t, files, size), ref)
	src.mustHull(t, "push", "-q", ref)

	// How long an uninterrupted pull takes, to aim the kills inside it.
	start := time.Now()
	newStore(t).mustHull(t, "pull", "-q", ref)
	full := time.Since(start)
	t.Logf("uninterrupted pull: %v", full)

	s := newStore(t)
	for i := range 5 {
		d := randDuration(full)
		cmd := s.command(context.Background(), "pull", "-q", ref)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(d)
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		err := cmd.Wait()
		t.Logf("pull %d killed after %v: %v", i, d, err)
		out, errs, code := s.hull(t, "images", "-q")
		if code != 0 {
			t.Fatalf("images after kill %d: exit %d: %s", i, code, errs)
		}
		// Either no image yet, or the whole image: a listed image runs.
		if strings.TrimSpace(out) != "" {
			if _, errs, code := s.hull(t, "run", "--rm", ref, "true"); code != 0 {
				t.Fatalf("image listed after kill %d does not run: %s", i, errs)
			}
		}
	}
	s.mustHull(t, "pull", "-q", ref)
	script := fmt.Sprintf("ls /data | wc -l; cat /data/f%d | sha256sum", files-1)
	out := s.mustHull(t, "run", "--rm", ref, "sh", "-c", script)
	want := fmt.Sprintf("%d %x -", files, sha256.Sum256(bigBody(files-1, size)))
	if strings.Join(strings.Fields(out), " ") != want {
		t.Fatalf("image after interrupted pulls: got %q, want %q", out, want)
	}
	// Nothing half-written is left once a later command has opened the
	// store (it sweeps the temporaries of dead processes).
	for _, dir := range []string{filepath.Join(s.root, "blobs", "sha256"), filepath.Join(s.root, "layers")} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".tmp-") {
				t.Errorf("temporary %s left in %s", e.Name(), dir)
			}
		}
	}
}

package test

import (
	"context"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	units "github.com/docker/go-units"
)

// buildCacheLine returns the size column of `system df`'s Build Cache line.
func buildCacheSize(t *testing.T, s *store) int64 {
	t.Helper()
	out := s.mustHull(t, "system", "df")
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "Build Cache") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 6 {
			t.Fatalf("system df: short Build Cache line %q", line)
		}
		n, err := units.FromHumanSize(f[4])
		if err != nil {
			t.Fatalf("system df: Build Cache size %q: %v", f[4], err)
		}
		return n
	}
	t.Fatalf("system df has no Build Cache line:\n%s", out)
	return 0
}

// storeBytes is the disk use of the store's files (those the test user
// can see; the step below writes its files as the container's root, the
// user itself).
func storeBytes(root string) int64 {
	var n int64
	filepath.WalkDir(root, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

const bigStepDockerfile = `FROM busybox
RUN dd if=/dev/zero of=/big bs=1024 count=4096 2>/dev/null
RUN --mount=type=cache,target=/cache dd if=/dev/zero of=/cache/c bs=1024 count=1024 2>/dev/null && echo done >/small
`

func TestBuilderPruneFreesBuildCache(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	ctx := buildContext(t, map[string]string{"Dockerfile": bigStepDockerfile})
	s.mustBuild(t, "-t", "bp", ctx)
	s.mustHull(t, "rmi", "bp")
	// What rmi left is the build cache's, and df says so.
	if n := buildCacheSize(t, s); n < 5_000_000 {
		t.Fatalf("Build Cache after build and rmi = %d bytes; want the 4 MiB step + 1 MiB cache mount", n)
	}
	before := storeBytes(s.root)
	out := s.mustHull(t, "builder", "prune", "-f")
	if !strings.Contains(out, "Deleted build cache objects:") || !strings.Contains(out, "Total reclaimed space:") {
		t.Errorf("builder prune output:\n%s", out)
	}
	if n := buildCacheSize(t, s); n > 64*1024 {
		t.Errorf("Build Cache after builder prune -f = %d bytes; want ~0", n)
	}
	after := storeBytes(s.root)
	if before-after < 5_000_000 {
		t.Errorf("store files went from %d to %d bytes: builder prune freed less than the step and the cache mount", before, after)
	}
	// The cache is gone: the next build runs its steps again.
	errs := s.mustBuild(t, "-t", "bp", ctx)
	if strings.Contains(errs, "CACHED") {
		t.Errorf("a step was cached after builder prune:\n%s", errs)
	}
}

func TestBuilderPruneKeepsWhatImagesUseAndRecentCache(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	ctx := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo one >/one\n"})
	s.mustBuild(t, "-t", "keep", ctx)
	// Without -a, the cache of a layer an image uses stays: a rebuild is
	// cached.
	s.mustHull(t, "buildx", "prune", "-f")
	if errs := s.mustBuild(t, "-t", "keep", ctx); !strings.Contains(errs, "CACHED") {
		t.Errorf("builder prune without -a dropped the cache of an image's layer:\n%s", errs)
	}
	// until= keeps what is newer.
	s.mustHull(t, "rmi", "keep")
	s.mustHull(t, "builder", "prune", "-a", "-f", "--filter", "until=1h")
	if n := buildCacheSize(t, s); n == 0 {
		t.Errorf("builder prune --filter until=1h removed cache made seconds ago")
	}
	// system prune -a includes the build cache, as Docker's.
	out := s.mustHull(t, "system", "prune", "-a", "-f")
	if !strings.Contains(out, "Deleted build cache objects:") {
		t.Errorf("system prune -a did not prune the build cache:\n%s", out)
	}
	if n := buildCacheSize(t, s); n > 64*1024 {
		t.Errorf("Build Cache after system prune -a = %d bytes", n)
	}
	if _, errs, code := s.hull(t, "builder", "prune", "-f", "--filter", "size=1"); code == 0 || !strings.Contains(errs, "invalid filter") {
		t.Errorf("builder prune --filter size=1: exit %d, %q; want an invalid filter error", code, errs)
	}
}

// A prune while a build runs waits for it: the build keeps the cache it
// looked up, and finishes.
func TestBuilderPruneWaitsForRunningBuild(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	ctx := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo a >/a\nRUN sleep 4\n"})
	s.mustBuild(t, "-t", "warm", ctx)
	s.mustHull(t, "rmi", "warm")
	// The second build finds RUN echo cached and sleeps in the next step.
	ctx2 := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo a >/a\nRUN sleep 4 && cat /a\n"})
	cctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := s.command(cctx, "build", "--progress", "plain", "-t", "busy", ctx2)
	var bout syncBuffer
	cmd.Stdout, cmd.Stderr = &bout, &bout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the build's sleep step", func() bool { return strings.Contains(bout.String(), "sleep 4 && cat") })
	_, perr, code := s.hull(t, "builder", "prune", "-a", "-f")
	if code != 0 {
		t.Fatalf("builder prune during a build: exit %d: %s", code, perr)
	}
	if !strings.Contains(perr, "waiting for the running builds") {
		t.Errorf("builder prune did not wait for the running build: %q", perr)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("build during a prune: %v\n%s", err, bout.String())
	}
	if !strings.Contains(bout.String(), "CACHED") {
		t.Errorf("the build did not use the cache:\n%s", bout.String())
	}
	if out := s.sh(t, "busy", "cat /a"); strings.TrimSpace(out) != "a" {
		t.Errorf("image built during a prune: /a = %q", out)
	}
}

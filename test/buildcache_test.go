package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The Dockerfile of the cache tests: its first RUN leaves a stamp of
// its own (a random uuid), so a replayed step is told from one that ran
// again.
const cacheDockerfile = "FROM busybox\nRUN cat /proc/sys/kernel/random/uuid > /stamp\nCOPY f /f\nRUN echo two > /two\nENV X=1\n"

// cacheStores returns a store with busybox and a second, empty, store
// that holds the same busybox image (saved and loaded: the same image
// id, so the same cache keys).
func cacheStores(t *testing.T) (*store, func() *store) {
	t.Helper()
	s := withBusybox(t)
	saved := filepath.Join(t.TempDir(), "busybox.tar")
	s.mustHull(t, "save", "-o", saved, "busybox")
	return s, func() *store {
		f := newStore(t)
		f.load(t, saved)
		return f
	}
}

func diffIDs(t *testing.T, s *store, ref string) string {
	t.Helper()
	b, _ := json.Marshal(s.rawConfig(t, ref)["rootfs"])
	return string(b)
}

// checkReplayed checks that the build in fresh replayed every step of the
// first one (the stamp is the same, both RUNs say CACHED, none DONE) and
// made the same image.
func checkReplayed(t *testing.T, first, fresh *store, out string) {
	t.Helper()
	if n := len(regexp.MustCompile(`(?m)^#\d+ CACHED$`).FindAllString(out, -1)); n < 4 {
		t.Errorf("--cache-from: %d steps CACHED, want 4:\n%s", n, out)
	}
	if strings.Contains(out, " DONE ") {
		t.Errorf("--cache-from: a step ran:\n%s", out)
	}
	if a, b := first.sh(t, "c1", "cat /stamp"), fresh.sh(t, "c2", "cat /stamp"); a != b || a == "" {
		t.Errorf("the RUN ran again: stamp %q, then %q", a, b)
	}
	if a, b := first.imageID(t, "c1"), fresh.imageID(t, "c2"); a != b {
		t.Errorf("image id %s, from the imported cache %s", a, b)
	}
	if a, b := diffIDs(t, first, "c1"), diffIDs(t, fresh, "c2"); a != b {
		t.Errorf("diff ids %s, from the imported cache %s", a, b)
	}
}

func TestBuildCacheLocalExportImport(t *testing.T) {
	t.Parallel()
	s, fresh := cacheStores(t)
	ctx := buildContext(t, map[string]string{"Dockerfile": cacheDockerfile, "f": "file"})
	dir := filepath.Join(t.TempDir(), "cache")
	out := s.mustBuild(t, "--cache-to", "type=local,dest="+dir, "-t", "c1", ctx)
	if !strings.Contains(out, "exporting cache to local:"+dir) {
		t.Errorf("--cache-to: no export line:\n%s", out)
	}
	for _, f := range []string{"oci-layout", "index.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatalf("--cache-to type=local: %v", err)
		}
	}

	s2 := fresh()
	out = s2.mustBuild(t, "--cache-from", "type=local,src="+dir, "-t", "c2", ctx)
	checkReplayed(t, s, s2, out)

	// A changed context file: the COPY and what follows run, the first
	// RUN is still replayed.
	ctx2 := buildContext(t, map[string]string{"Dockerfile": cacheDockerfile, "f": "other"})
	s3 := fresh()
	out = s3.mustBuild(t, "--cache-from", "type=local,src="+dir, "-t", "c3", ctx2)
	if a, b := s.sh(t, "c1", "cat /stamp"), s3.sh(t, "c3", "cat /stamp"); a != b {
		t.Errorf("the first RUN ran again after a later step changed: %q, %q\n%s", a, b, out)
	}
	if !strings.Contains(out, " DONE ") {
		t.Errorf("a changed COPY was replayed:\n%s", out)
	}
}

// A cache whose layer blobs were tampered with is not used: the step
// runs, with a WARNING naming it, and the build succeeds.
func TestBuildCacheTampered(t *testing.T) {
	t.Parallel()
	s, fresh := cacheStores(t)
	ctx := buildContext(t, map[string]string{"Dockerfile": cacheDockerfile, "f": "file"})
	dir := filepath.Join(t.TempDir(), "cache")
	s.mustBuild(t, "--cache-to", "type=local,dest="+dir, "-t", "c1", ctx)
	layers := cacheLayers(t, dir)
	if len(layers) != 3 { // RUN, COPY, RUN
		t.Fatalf("the cache lists %d layers, want 3", len(layers))
	}
	for _, p := range layers {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)/3] ^= 0x20
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s2 := fresh()
	out := s2.mustBuild(t, "--cache-from", "type=local,src="+dir, "-t", "c2", ctx)
	if !regexp.MustCompile(`WARNING: --cache-from: build cache local:.*: step [0-9a-f]{64}: .*running the step`).MatchString(out) {
		t.Errorf("no warning for a tampered layer:\n%s", out)
	}
	if a, b := s.sh(t, "c1", "cat /stamp"), s2.sh(t, "c2", "cat /stamp"); a == b {
		t.Errorf("a tampered layer was used: the stamp is the first build's %q", a)
	}
	if got := s2.sh(t, "c2", "cat /f /two"); got != "filetwo\n" {
		t.Errorf("the image built past the tampered cache: %q", got)
	}

	// A cache that is not there is a warning too.
	out = s2.mustBuild(t, "--cache-from", "type=local,src="+filepath.Join(dir, "nope"), "-t", "c3", ctx)
	if !strings.Contains(out, "WARNING: import build cache from local:") {
		t.Errorf("a missing cache dir: no warning:\n%s", out)
	}
	_, errs, code := s2.build(t, "--cache-to", "type=s3,ref=x", ctx)
	if code != 125 || !strings.Contains(errs, `type "s3" is not supported`) {
		t.Errorf("--cache-to type=s3: exit %d: %s", code, errs)
	}
}

func TestBuildCacheRegistry(t *testing.T) {
	t.Parallel()
	addr := startRegistry(t)
	s, fresh := cacheStores(t)
	ctx := buildContext(t, map[string]string{"Dockerfile": cacheDockerfile, "f": "file"})
	ref := addr + "/hull/cache:main"
	s.mustBuild(t, "--cache-to", "type=registry,ref="+ref+",mode=max", "-t", "c1", ctx)
	s2 := fresh()
	out := s2.mustBuild(t, "--cache-from", ref, "-t", "c2", ctx)
	checkReplayed(t, s, s2, out)
}

// cacheLayers returns the paths of the layer blobs of the local cache in
// dir, read from its index.json and manifest.
func cacheLayers(t *testing.T, dir string) []string {
	t.Helper()
	blob := func(d string) string { return filepath.Join(dir, "blobs", "sha256", strings.TrimPrefix(d, "sha256:")) }
	var idx struct {
		Manifests []struct{ Digest string }
	}
	var man struct {
		Config struct{ MediaType string }
		Layers []struct{ Digest string }
	}
	b, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err == nil {
		err = json.Unmarshal(b, &idx)
	}
	if err != nil || len(idx.Manifests) != 1 {
		t.Fatalf("cache index.json: %v %s", err, b)
	}
	b, err = os.ReadFile(blob(idx.Manifests[0].Digest))
	if err == nil {
		err = json.Unmarshal(b, &man)
	}
	if err != nil || man.Config.MediaType != "application/vnd.hull.buildcache.config.v1+json" {
		t.Fatalf("cache manifest: %v %s", err, b)
	}
	var out []string
	for _, l := range man.Layers {
		out = append(out, blob(l.Digest))
	}
	return out
}

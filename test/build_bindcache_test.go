package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bindDockerfile copies a bind-mounted script into the image.
const bindDockerfile = `FROM busybox
RUN --mount=type=bind,target=/src cp /src/app.sh /app.sh
CMD ["/bin/sh", "/app.sh"]
`

// cachedSteps returns how many steps a plain progress output says CACHED.
func cachedSteps(progress string) int { return strings.Count(progress, "CACHED") }

// The content a RUN --mount=type=bind shows is part of the step's cache
// key (as in BuildKit): another project with the same Dockerfile in the
// same store does not get the first one's result, an edit of the bound file
// re-runs the step, and an unchanged rebuild is replayed.
func TestBuildBindMountCacheKey(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	untrusted := buildContext(t, map[string]string{"Dockerfile": bindDockerfile, "app.sh": "echo untrusted-project\n"})
	own := buildContext(t, map[string]string{"Dockerfile": bindDockerfile, "app.sh": "echo own-project\n"})

	s.mustBuild(t, "-t", "untrusted", untrusted)
	progress := s.mustBuild(t, "-t", "own", own)
	if n := cachedSteps(progress); n != 0 {
		t.Errorf("another context's bind mount replayed %d cached steps:\n%s", n, progress)
	}
	if got := s.mustHull(t, "run", "--rm", "--network", "none", "own"); got != "own-project\n" {
		t.Errorf("own image runs %q, want its own script", got)
	}

	progress = s.mustBuild(t, "-t", "own2", own)
	if n := cachedSteps(progress); n != 2 {
		t.Errorf("unchanged rebuild: %d steps CACHED, want 2:\n%s", n, progress)
	}
	if err := os.WriteFile(filepath.Join(own, "app.sh"), []byte("echo edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	progress = s.mustBuild(t, "-t", "own3", own)
	if n := cachedSteps(progress); n != 0 {
		t.Errorf("editing the bound file: %d steps CACHED, want 0:\n%s", n, progress)
	}
	if got := s.mustHull(t, "run", "--rm", "--network", "none", "own3"); got != "edited\n" {
		t.Errorf("after the edit the image runs %q", got)
	}
	if got := s.mustHull(t, "run", "--rm", "--network", "none", "untrusted"); got != "untrusted-project\n" {
		t.Errorf("the first project's image now runs %q", got)
	}
}

// A bind mount from= a stage is keyed by that stage's content.
func TestBuildBindMountFromStageCacheKey(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	df := func(word string) string {
		return "FROM busybox AS src\nRUN echo " + word + " > /w\nFROM busybox\nRUN --mount=type=bind,from=src,source=/w,target=/w cp /w /got\n"
	}
	s.mustBuild(t, "-t", "a", buildContext(t, map[string]string{"Dockerfile": df("alpha")}))
	s.mustBuild(t, "-t", "b", buildContext(t, map[string]string{"Dockerfile": df("beta")}))
	if got := s.sh(t, "b", "cat /got"); got != "beta\n" {
		t.Errorf("bind from a changed stage: got %q, want beta", got)
	}
}

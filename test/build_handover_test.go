package test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// fullCopies lists the full hull's extracted copies under the store's
// XDG_CACHE_HOME (core/appbin): the default hull of `make build` makes
// one when it hands a command to the full hull.
func fullCopies(t *testing.T, cache string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(cache, "hull", "bin", "hull-full-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The default hull cannot start plugins (it links no gRPC): a build
// that must run a step is tried as a replay with its output held, then
// handed to the full hull. The user sees one build: each step's header and
// output once, one tag event, the same image as a hull that runs it
// itself; and a rebuild whose steps all replay stays in the default hull.
func TestBuildHandOverShowsOneBuild(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	cache := filepath.Join(t.TempDir(), "cache")
	s.env = append(s.env, "XDG_CACHE_HOME="+cache, "XDG_CONFIG_HOME="+filepath.Join(t.TempDir(), "config"))
	// A plugin directory with a file that is no plugin: discovery must
	// launch it, and its warning comes once, from the run that did.
	dir := filepath.Join(t.TempDir(), "plugins")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notaplugin"), []byte("#!/bin/sh\necho hello\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo handed-over-step\nENV K=v\n"})
	out := s.mustBuild(t, "--plugin-dir", dir, "-t", "ho:1", ctx)
	for what, re := range map[string]string{
		"the RUN step's header": `(?m)^#\d+ \[2/3\] RUN echo handed-over-step$`,
		"the RUN's output":      `(?m)^#\d+ [0-9.]+ handed-over-step$`,
		"the ENV step's header": `(?m)^#\d+ \[3/3\] ENV K=v$`,
		"the plugin's warning":  `(?m)^WARNING: .*notaplugin.*not used until the file changes\)$`,
	} {
		if n := len(regexp.MustCompile(re).FindAllString(out, -1)); n != 1 {
			t.Errorf("%s: %d times in the build output, want once:\n%s", what, n, out)
		}
	}
	tags := s.mustHull(t, "events", "--since", "10m", "--until", "0s", "--filter", "type=image", "--filter", "event=tag")
	if n := strings.Count(tags, "ho:1"); n != 1 {
		t.Errorf("tag events of ho:1: %d, want 1:\n%s", n, tags)
	}
	id := s.imageID(t, "ho:1")
	if got := s.sh(t, "ho:1", "echo $K"); strings.TrimSpace(got) != "v" {
		t.Errorf("the built image's K=%q, want v", got)
	}

	// The rebuild replays every step, with no warning (the failure was
	// remembered) and the same image; it needs no full hull.
	handed := fullCopies(t, cache)
	for _, f := range handed {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	out = s.mustBuild(t, "--plugin-dir", dir, "-t", "ho:1", ctx)
	if n := len(regexp.MustCompile(`(?m)^#\d+ CACHED$`).FindAllString(out, -1)); n != 2 || strings.Contains(out, "WARNING") || regexp.MustCompile(`(?m)^#\d+ [0-9.]+ handed-over-step$`).MatchString(out) {
		t.Errorf("rebuild: want 2 steps CACHED, no output of the RUN and no warning:\n%s", out)
	}
	if got := s.imageID(t, "ho:1"); got != id {
		t.Errorf("rebuild: image %s, first build %s", got, id)
	}
	if len(handed) > 0 {
		t.Logf("the first build was handed to the full hull (%v)", handed)
		// This is the default hull of `make build`: the first build was
		// handed over; the replay must not be.
		if again := fullCopies(t, cache); len(again) != 0 {
			t.Errorf("the rebuild ran the full hull (%v): a replay stays in the default hull", again)
		}
	}
}

// A container that can write the user's cache (a bind mount of ~/.cache,
// common for pip or Go caches) rewrites the full hull's cached copy
// between hull's check and its exec, in a loop: the canary, a script the
// tampered copy would run on the host, must never run. The copy is
// checked under a read lease, which makes such a writer wait until the
// copy is executed (and then refused: ETXTBSY).
func TestFullHullCacheRace(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	cache := filepath.Join(t.TempDir(), "cache")
	s.env = append(s.env, "XDG_CACHE_HOME="+cache)
	s.mustHull(t, "search", "--help") // extracts the copy
	copies := fullCopies(t, cache)
	if len(copies) != 1 {
		t.Fatalf("full hull copies %q, want one", copies)
	}
	canary := startCopyRacer(t, s, cache, "/c", "/c/hull/bin/"+filepath.Base(copies[0]))
	for i := 0; i < 40; i++ {
		s.hull(t, "search", "--help")
	}
	if b, err := os.ReadFile(canary); err == nil {
		t.Fatalf("a tampered full hull ran on the host: %q", b)
	}
}

// The same race against the init's cached copy in the runtime dir (a
// container with that dir, or /tmp, bind-mounted): every start must run
// the embedded init, never the rewritten bytes, and still start.
func TestInitCacheRace(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	run := t.TempDir()
	s.env = append(s.env, "XDG_RUNTIME_DIR="+run)
	s.mustHull(t, "run", "--rm", "--network", "none", "busybox", "true")
	var copies []string
	filepath.WalkDir(run, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".hull-init-") {
			copies = append(copies, p)
		}
		return nil
	})
	if len(copies) != 1 {
		t.Fatalf("cached init copies %q, want one", copies)
	}
	rel, _ := filepath.Rel(run, copies[0])
	canary := startCopyRacer(t, s, run, "/r", "/r/"+rel)
	failed := 0
	for i := 0; i < 30; i++ {
		if _, errs, code := s.hull(t, "run", "--rm", "--network", "none", "busybox", "true"); code != 0 {
			failed++
			t.Logf("start %d: exit %d: %s", i, code, errs)
		}
	}
	if b, err := os.ReadFile(canary); err == nil {
		t.Fatalf("a rewritten init ran: %q", b)
	}
	if failed > 0 {
		t.Errorf("%d of 30 starts failed while the copy was being rewritten", failed)
	}
}

// startCopyRacer starts a container that, with src bound at mnt, keeps
// rewriting the cached copy at name (a path in the container) with a
// shebang line naming a payload on the host and back again; the payload
// appends to the returned canary, which must never come to exist. The
// container is removed when the test ends.
func startCopyRacer(t *testing.T, s *store, src, mnt, name string) (canary string) {
	t.Helper()
	dir := t.TempDir()
	canary = filepath.Join(dir, "canary")
	payload := filepath.Join(dir, "p")
	if err := os.WriteFile(payload, []byte("#!/bin/sh\necho ran >> "+canary+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	evil := []byte("#!" + payload + "\n")
	if err := os.WriteFile(filepath.Join(dir, "evil"), evil, 0o644); err != nil {
		t.Fatal(err)
	}
	n := strconv.Itoa(len(evil))
	s.mustHull(t, "run", "-d", "--name", "racer", "--network", "none", "-v", src+":"+mnt, "-v", dir+":/d:ro", "busybox", "sh", "-c",
		"head -c "+n+" "+name+" > /tmp/orig; while :; do "+
			"dd if=/d/evil of="+name+" bs="+n+" count=1 conv=notrunc 2>/dev/null; "+
			"dd if=/tmp/orig of="+name+" bs="+n+" count=1 conv=notrunc 2>/dev/null; done")
	t.Cleanup(func() { s.hull(t, "rm", "-f", "racer") })
	return canary
}

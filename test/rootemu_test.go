package test

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
)

// Root emulation (docs/root-emulation.md): builds by a user without a
// subuid range. Most tests force the single mapping with
// HULL_SINGLE_MAPPING=1; TestRootEmulationNoRange runs as a real user
// without a range (make integration runs it as hullnosub).

const lostOwnersLabel = "io.hull.root-emulation.lost-owners"

// emulatedDockerfile is what builds by users without a range do: a user
// added and given files in RUN, COPY --chown to it, a USER switch between
// RUN steps, and a second stage that copies the result.
const emulatedDockerfile = `FROM busybox AS app
RUN echo 'app:x:1001:1001::/home/app:/bin/sh' >> /etc/passwd && echo 'app:x:1001:' >> /etc/group \
 && mkdir -p /data /home/app && chown app:app /data /home/app && touch /data/run && chown -R app /data
COPY --chown=app:app f /data/f
USER app
RUN id -u > /data/id && touch /home/app/made && echo "apt=$APT_CONFIG" > /data/apt
USER root
RUN chown app /data/id

FROM busybox
COPY --from=app /data /data
RUN cat /data/f
`

// buildEmulated builds emulatedDockerfile as ref in s and checks what a
// build with one id can keep: every step ran, files belong to root, the
// USER step ran as root, the lost owners are in the label and the summary
// line, and hull's apt configuration reached the step but not the image.
func buildEmulated(t *testing.T, s *store, ref string) {
	t.Helper()
	ctx := buildContext(t, map[string]string{"Dockerfile": emulatedDockerfile, "f": "content\n"})
	out := s.mustBuild(t, "-t", ref, ctx)
	wantLost := []string{"--chown=app:app (1001:1001)", "USER app (1001:1001)",
		"user app (1001) added by RUN", "group app (1001) added by RUN"}
	summary := ""
	for _, l := range lines(out) {
		if strings.HasPrefix(l, "root emulation: ") {
			summary = l
		}
	}
	label := s.mustHull(t, "inspect", "--format", `{{index .Config.Labels "`+lostOwnersLabel+`"}}`, ref)
	for _, w := range wantLost {
		if !strings.Contains(summary, w) {
			t.Errorf("summary line %q does not name %q; output:\n%s", summary, w, out)
		}
		if !strings.Contains(label, w) {
			t.Errorf("label %s = %q does not name %q", lostOwnersLabel, label, w)
		}
	}
	if got := s.sh(t, ref, "cat /data/f /data/id /data/apt; stat -c %u:%g /data/f /data/id"); got != "content\n0\napt=/dev/.hull-apt.conf\n0:0\n0:0\n" {
		t.Errorf("built files and owners: %q", got)
	}
	assertNoAptConfig(t, s, ref)
	for _, layer := range s.savedLayers(t, ref)[1:] { // the build's, not busybox's
		for name, owner := range tarOwners(t, layer) {
			if owner != "0:0" {
				t.Errorf("layer entry %s owned by %s, want 0:0 (only root exists)", name, owner)
			}
		}
	}
}

// assertNoAptConfig checks that hull's apt configuration for the build is
// neither in the image's config nor in any layer the build made (ref's
// base has one layer).
func assertNoAptConfig(t *testing.T, s *store, ref string) {
	t.Helper()
	if env := s.mustHull(t, "inspect", "--format", "{{json .Config.Env}}", ref); strings.Contains(env, "APT_CONFIG") {
		t.Errorf("image env %s carries the build's APT_CONFIG", env)
	}
	for _, layer := range s.savedLayers(t, ref)[1:] { // the build's layers
		tr := tar.NewReader(bytes.NewReader(layer))
		for {
			hdr, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("read layer of %s: %v", ref, err)
			}
			b, _ := io.ReadAll(tr)
			if strings.Contains(hdr.Name, "hull-apt") || bytes.Contains(b, []byte(`APT::Sandbox::User "root"`)) {
				t.Errorf("layer of %s holds the build's apt configuration: %s", ref, hdr.Name)
			}
		}
	}
}

// Without a range (forced): the Dockerfile builds, and again from the cache
// with the same record of what was lost.
func TestRootEmulationSingleMapping(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	s.env = []string{"HULL_SINGLE_MAPPING=1"}
	s.mustHull(t, "import", busyboxTar, "busybox")
	buildEmulated(t, s, "emu:1")
	out := s.mustBuild(t, "-t", "emu:2", buildContext(t, map[string]string{"Dockerfile": emulatedDockerfile, "f": "content\n"}))
	if !strings.Contains(out, "CACHED") || !strings.Contains(out, "root emulation: 4 owner(s)") {
		t.Errorf("cached rebuild lost the record:\n%s", out)
	}
	if a, b := s.imageID(t, "emu:1"), s.imageID(t, "emu:2"); a != b {
		t.Errorf("cached rebuild made another image: %s, %s", a, b)
	}
	// --root-emulation=off: the chown of an id that does not exist fails.
	ctx := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN chown 1001 /tmp\n"})
	if _, errs, code := s.build(t, "--root-emulation", "off", ctx); code == 0 || !strings.Contains(errs, "chown") {
		t.Errorf("--root-emulation=off with one id: exit %d, want a failing chown:\n%s", code, errs)
	}
}

// With the range the same Dockerfile keeps every owner and records nothing.
func TestRootEmulationNotWithRange(t *testing.T) {
	t.Parallel()
	if subRange("/etc/subuid") == "" {
		t.Skip("the test user has no subuid range")
	}
	s := withBusybox(t)
	ctx := buildContext(t, map[string]string{"Dockerfile": emulatedDockerfile, "f": "content\n"})
	out := s.mustBuild(t, "-t", "r", ctx)
	if strings.Contains(out, "root emulation") {
		t.Errorf("build with a range mentions root emulation:\n%s", out)
	}
	if got := s.mustHull(t, "inspect", "--format", "{{json .Config.Labels}}", "r"); strings.Contains(got, lostOwnersLabel) {
		t.Errorf("labels %s", got)
	}
	if got := s.sh(t, "r", "cat /data/id /data/apt"); got != "1001\napt=\n" {
		t.Errorf("built files with a range: %q", got)
	}
	// The stage itself (COPY --from gives root the copies, as Docker).
	s.mustBuild(t, "--target", "app", "-t", "r-app", ctx)
	if got := s.sh(t, "r-app", "stat -c %u:%g /data/f /data/id /home/app/made"); got != "1001:1001\n1001:1001\n1001:1001\n" {
		t.Errorf("owners in the stage with a range: %q", got)
	}
}

// debianTar is the Debian base image tarball (make debian-image), or ""
// with a skip when the suite was not given one.
func debianTar(t *testing.T) string {
	t.Helper()
	p := os.Getenv("HULL_TEST_DEBIAN_TAR")
	if p == "" {
		t.Skip("HULL_TEST_DEBIAN_TAR is not set (make debian-image as root builds it; make integration passes it)")
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("HULL_TEST_DEBIAN_TAR: %v", err)
	}
	return p
}

// aptDockerfile is the most common start of real Dockerfiles, plus the
// users and ownership that packages' maintainer scripts and Dockerfiles
// create. It needs the Debian mirror.
const aptDockerfile = `FROM debian
RUN apt-get update && apt-get install -y --no-install-recommends jq && rm -rf /var/lib/apt/lists/*
RUN groupadd -r grp && useradd -r -m -g grp app && mkdir /srv/app && chown app:grp /srv/app && id app
USER app
RUN id -un > /tmp/who
`

// buildApt builds aptDockerfile in s (which has the debian image) and runs
// jq from the result.
func buildApt(t *testing.T, s *store, ref string) {
	t.Helper()
	out := s.mustBuild(t, "-t", ref, buildContext(t, map[string]string{"Dockerfile": aptDockerfile}))
	for _, w := range []string{"root emulation: ", "USER app (", "user app (", "group grp ("} {
		if !strings.Contains(out, w) {
			t.Errorf("the summary line does not name %q:\n%s", w, out)
		}
	}
	if got := s.mustHull(t, "run", "--rm", "--network", "none", "--user", "0", ref, "jq", "--version"); !strings.HasPrefix(got, "jq-") {
		t.Errorf("jq --version: %q", got)
	}
	if got := s.sh(t, ref, "cat /tmp/who; grep -rl Sandbox /etc/apt || true"); got != "root\n" {
		t.Errorf("USER app step and apt configuration in the image: %q, want root and no Sandbox setting", got)
	}
	assertNoAptConfig(t, s, ref)
}

// apt-get update and install with one id (forced single mapping).
func TestRootEmulationApt(t *testing.T) {
	t.Parallel()
	tarball := debianTar(t)
	s := newStore(t)
	s.env = []string{"HULL_SINGLE_MAPPING=1"}
	s.mustHull(t, "import", tarball, "debian")
	buildApt(t, s, "apt")
}

// As a real user without a subuid range (make integration runs this as
// hullnosub with HULL_TEST_NOSUB=1; as the range user it is skipped).
func TestRootEmulationNoRange(t *testing.T) {
	if os.Getenv("HULL_TEST_NOSUB") != "1" {
		t.Skip("needs a user without a subuid range: make integration runs it as hullnosub")
	}
	if r := subRange("/etc/subuid"); r != "" {
		t.Fatalf("HULL_TEST_NOSUB=1 but this user has the subuid range %s", r)
	}
	s := withBusybox(t)
	if got := strings.TrimSpace(s.mustHull(t, "info", "--format", "{{.IDMapping}}")); got != "single" {
		t.Fatalf("info IDMapping %q, want single", got)
	}
	buildEmulated(t, s, "emu")
	if os.Getenv("HULL_TEST_DEBIAN_TAR") != "" {
		s.mustHull(t, "import", debianTar(t), "debian")
		buildApt(t, s, "apt")
	}
}

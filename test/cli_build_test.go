package test

import (
	"archive/tar"
	"context"
	"io"
	"io/fs"
	"net"
	"os"
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

func TestBuildDockerfileOnStdin(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	df := "FROM busybox\nRUN echo from-stdin >/hi\n"
	// build - < Dockerfile: no context.
	if _, errs, code := s.hullIn(t, strings.NewReader(df), "build", "--progress", "plain", "-t", "stdin:1", "-"); code != 0 {
		t.Fatalf("build - < Dockerfile: exit %d: %s", code, errs)
	}
	if out := s.sh(t, "stdin:1", "cat /hi"); strings.TrimSpace(out) != "from-stdin" {
		t.Errorf("stdin:1 /hi = %q", out)
	}
	// COPY has nothing to copy from an empty context.
	if _, errs, code := s.hullIn(t, strings.NewReader("FROM busybox\nCOPY f /f\n"), "build", "--progress", "plain", "-"); code == 0 {
		t.Errorf("COPY from the empty context of build - succeeded: %s", errs)
	}
	// build -f- DIR: the Dockerfile from stdin, the context from DIR.
	ctx := buildContext(t, map[string]string{"f": "ctx-file\n"})
	if _, errs, code := s.hullIn(t, strings.NewReader("FROM busybox\nCOPY f /f\n"), "build", "--progress", "plain", "-t", "stdin:2", "-f-", ctx); code != 0 {
		t.Fatalf("build -f- DIR: exit %d: %s", code, errs)
	}
	if out := s.sh(t, "stdin:2", "cat /f"); strings.TrimSpace(out) != "ctx-file" {
		t.Errorf("stdin:2 /f = %q", out)
	}
	// --rm and --force-rm are accepted (hull keeps no step container).
	if _, errs, code := s.hullIn(t, strings.NewReader(df), "build", "--progress", "plain", "--rm", "--force-rm", "-t", "stdin:3", "-"); code != 0 {
		t.Errorf("build --rm --force-rm: exit %d: %s", code, errs)
	}
}

// build - < context.tar: as Docker, the Dockerfile is the archive's (at its
// root, or at -f's path inside it); a Dockerfile in the caller's working
// directory is never read.
func TestBuildContextArchiveOnStdin(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	cwd := t.TempDir()
	if err := os.WriteFile(filepath.Join(cwd, "Dockerfile"), []byte("FROM busybox\nRUN echo host-dockerfile > /which\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	archive := makeTar(t,
		tarEntry{Name: "Dockerfile", Body: []byte("FROM busybox\nCOPY f /f\nRUN echo archive-root > /which\n")},
		tarEntry{Name: "sub/Other.Dockerfile", Body: []byte("FROM busybox\nCOPY f /f\nRUN echo archive-sub > /which\n")},
		tarEntry{Name: "f", Body: []byte("ctx-file\n")})
	for _, c := range []struct {
		tag, want string
		args      []string
	}{
		{"tarctx:root", "archive-root", nil},
		{"tarctx:sub", "archive-sub", []string{"-f", "sub/Other.Dockerfile"}},
		{"tarctx:subabs", "archive-sub", []string{"-f", "/sub/Other.Dockerfile"}},
	} {
		f, err := os.Open(archive)
		if err != nil {
			t.Fatal(err)
		}
		cmd := s.command(t.Context(), append(append([]string{"build", "-q", "-t", c.tag}, c.args...), "-")...)
		cmd.Stdin, cmd.Dir = f, cwd
		out, err := cmd.CombinedOutput()
		f.Close()
		if err != nil {
			t.Fatalf("build %v - < context.tar: %v\n%s", c.args, err, out)
		}
		if got := s.sh(t, c.tag, "cat /which /f"); got != c.want+"\nctx-file\n" {
			t.Errorf("build %v - < context.tar: /which /f = %q, want %s and the archive's f", c.args, got, c.want)
		}
	}
	// A -f the archive lacks is an error naming it, not the host's file.
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := s.command(t.Context(), "build", "-q", "-f", "Missing.Dockerfile", "-")
	cmd.Stdin, cmd.Dir = f, cwd
	if out, err := cmd.CombinedOutput(); exitCode(err) != 125 || !strings.Contains(string(out), "Missing.Dockerfile") {
		t.Errorf("build -f Missing.Dockerfile - < context.tar: exit %d, want 125 naming the file:\n%s", exitCode(err), out)
	}
}

func TestBuildOutputs(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	ctx := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo out >/hi && rm /bin/ls\n"})
	before := s.mustHull(t, "images", "-q", "--no-trunc")
	dir := t.TempDir()
	local := filepath.Join(dir, "local")
	s.mustBuild(t, "-o", "type=local,dest="+local, ctx)
	if b, err := os.ReadFile(filepath.Join(local, "hi")); err != nil || string(b) != "out\n" {
		t.Errorf("type=local: hi = %q, %v", b, err)
	}
	if _, err := os.Lstat(filepath.Join(local, "bin", "busybox")); err != nil {
		t.Errorf("type=local: the base image's files are missing: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(local, "bin", "ls")); !os.IsNotExist(err) {
		t.Errorf("type=local: a file the build removed is there: %v", err)
	}
	// The bare form is type=local.
	bare := filepath.Join(dir, "bare")
	s.mustBuild(t, "-o", bare, ctx)
	if _, err := os.Stat(filepath.Join(bare, "hi")); err != nil {
		t.Errorf("-o DIR: %v", err)
	}
	// Without -t no image is kept.
	if after := s.mustHull(t, "images", "-q", "--no-trunc"); after != before {
		t.Errorf("-o without -t kept an image: before %q, after %q", before, after)
	}
	tarFile := filepath.Join(dir, "fs.tar")
	s.mustBuild(t, "-o", "type=tar,dest="+tarFile, ctx)
	names := tarNames(t, tarFile)
	if !names["hi"] || !names["bin/busybox"] || names["bin/ls"] {
		t.Errorf("type=tar: entries hi=%v bin/busybox=%v bin/ls=%v", names["hi"], names["bin/busybox"], names["bin/ls"])
	}
	docker := filepath.Join(dir, "img.tar")
	s.mustBuild(t, "-t", "outimg:1", "-o", "type=docker,dest="+docker, ctx)
	if !tarNames(t, docker)["manifest.json"] {
		t.Errorf("type=docker: no manifest.json")
	}
	s2 := newStore(t)
	s2.load(t, docker)
	if out := s2.mustHull(t, "images", "--format", "{{.Repository}}:{{.Tag}}"); !strings.Contains(out, "outimg:1") {
		t.Errorf("type=docker archive loads as %q", out)
	}
	oci := filepath.Join(dir, "oci.tar")
	s.mustBuild(t, "-o", "type=oci,dest="+oci, ctx)
	if n := tarNames(t, oci); !n["oci-layout"] || !n["index.json"] {
		t.Errorf("type=oci: entries %v", n)
	}
	for _, bad := range []string{"type=registry,dest=x", "type=local", "type=zip,dest=x", "type=tar,dest=x,bogus=1"} {
		if _, errs, code := s.build(t, "-o", bad, ctx); code == 0 || strings.Count(strings.TrimSpace(errs), "\n") > 0 || !strings.Contains(errs, "--output") {
			t.Errorf("-o %s: exit %d, %q; want one line naming --output", bad, code, errs)
		}
	}
}

// tarNames lists a tar file's entries (without "./" and trailing "/").
func tarNames(t *testing.T, path string) map[string]bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names := map[string]bool{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		names[strings.TrimSuffix(strings.TrimPrefix(h.Name, "./"), "/")] = true
	}
}

func TestBuildAddHostAndPull(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	ctx := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN grep myhost /etc/hosts >/h\n"})
	s.mustBuild(t, "--add-host", "myhost:10.1.2.3", "-t", "ah", ctx)
	if out := s.sh(t, "ah", "cat /h"); !strings.Contains(out, "10.1.2.3") || !strings.Contains(out, "myhost") {
		t.Errorf("--add-host: RUN saw %q", out)
	}
	if _, errs, code := s.build(t, "--add-host", "bad", ctx); code == 0 || !strings.Contains(errs, "bad") {
		t.Errorf("--add-host bad: exit %d, %q", code, errs)
	}
	// --pull pulls even a stored image: with no registry there, a clear
	// error; without --pull the stored image is used.
	s.mustHull(t, "tag", "busybox", "127.0.0.1:1/busybox:latest")
	pctx := buildContext(t, map[string]string{"Dockerfile": "FROM 127.0.0.1:1/busybox\nRUN true\n"})
	s.mustBuild(t, pctx)
	_, errs, code := s.build(t, "--pull", pctx)
	if code == 0 || !strings.Contains(errs, "--pull") || !strings.Contains(errs, "127.0.0.1:1") {
		t.Errorf("--pull with no registry: exit %d, %q", code, errs)
	}
}

func TestBuildFailureExcerpt(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	ctx := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo ok\nRUN echo step-output-line && \\\n  false\nCMD [\"sh\"]\n"})
	_, errs, code := s.build(t, ctx)
	if code == 0 {
		t.Fatal("a failing RUN built")
	}
	for _, want := range []string{" > [3/4] RUN echo step-output-line && ", "step-output-line\n------\n", "Dockerfile:3-4\n",
		"   2 |     RUN echo ok\n", "   3 | >>> RUN echo step-output-line", "   4 | >>>   false\n", "   5 |     CMD"} {
		if !strings.Contains(errs, want) {
			t.Errorf("failure output lacks %q:\n%s", want, errs)
		}
	}
	if strings.Contains(errs, "hint:") {
		t.Errorf("a hint for a failure that is not root emulation's:\n%s", errs)
	}
	// Without a range and with --root-emulation=off, a chown fails: hint.
	s1 := newStore(t)
	s1.env = []string{"HULL_SINGLE_MAPPING=1"}
	s1.mustHull(t, "import", busyboxTar, "busybox")
	cctx := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN chown 1001 /tmp\n"})
	_, errs, code = s1.build(t, "--root-emulation", "off", cctx)
	if code == 0 || strings.Count(errs, "hint: ") != 1 || !strings.Contains(errs, "--root-emulation=off") {
		t.Errorf("chown without a range: exit %d, want one root-emulation hint:\n%s", code, errs)
	}
}

func TestBuildNamedContextsAndRunFlags(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.mustHull(t, "tag", "busybox", "localbase:1")
	extra := buildContext(t, map[string]string{"data/f": "from-named-dir\n"})
	// The canary sits outside the named context; a symlink in it must not
	// reach it.
	canary := filepath.Join(t.TempDir(), "canary")
	if err := os.WriteFile(canary, []byte("canary-secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(canary, filepath.Join(extra, "escape")); err != nil {
		t.Fatal(err)
	}
	ctx := buildContext(t, map[string]string{"Dockerfile": `FROM base
COPY --from=extra data/f /f
RUN --mount=type=bind,from=extra,source=data,target=/m cat /m/f >/m.txt
RUN df -k /dev/shm | tail -1 >/shm
`})
	out := s.mustBuild(t, "--build-context", "extra="+extra, "--build-context", "base=docker-image://localbase:1",
		"--shm-size", "32m", "--cache-from", "type=local,src=/nonexistent", "-t", "named", ctx)
	// A cache that cannot be read costs a full build, with a warning.
	if !strings.Contains(out, "WARNING: import build cache from local:/nonexistent") {
		t.Errorf("--cache-from of a missing dir: no warning:\n%s", out)
	}
	if got := s.sh(t, "named", "cat /f /m.txt"); got != "from-named-dir\nfrom-named-dir\n" {
		t.Errorf("named dir context: got %q", got)
	}
	if got := s.sh(t, "named", "cat /shm"); !strings.Contains(got, " 32768 ") {
		t.Errorf("--shm-size 32m: RUN saw /dev/shm %q", got)
	}
	// A symlink in the named context resolves inside it.
	ectx := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nCOPY --from=extra escape /got\n"})
	if _, _, code := s.build(t, "--build-context", "extra="+extra, "-t", "esc", ectx); code == 0 {
		if got := s.sh(t, "esc", "cat /got 2>/dev/null; true"); strings.Contains(got, "canary-secret") {
			t.Errorf("COPY --from a named context followed a symlink out of it: %q", got)
		}
	}
	// FROM a directory context, --ssh and bad values: one clear line.
	fctx := buildContext(t, map[string]string{"Dockerfile": "FROM extra\n"})
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--build-context", "extra=" + extra, fctx}, "FROM needs docker-image://"},
		{[]string{"--build-context", "x=git://example.com/r", ctx}, "--build-context"},
		{[]string{"--build-context", "x=" + filepath.Join(extra, "missing"), ctx}, "not a directory"},
		{[]string{"--ssh", "default=" + filepath.Join(extra, "data", "f"), ctx}, "not a socket"},
		{[]string{"--shm-size", "lots", ctx}, "--shm-size"},
	} {
		_, errs, code := s.build(t, c.args...)
		if code == 0 || !strings.Contains(errs, c.want) {
			t.Errorf("build %v: exit %d, %q; want an error naming %q", c.args, code, errs, c.want)
		}
	}
}

// On a terminal the build draws BuildKit's live view: a header with the
// time and the count of steps, a line per step with its timer (blue once
// done, red when failed), redrawn in place; --progress plain keeps the
// plain lines there.
func TestBuildTerminalView(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	ctx := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo tty-out && sleep 1\n"})
	p := startPty(t, s, 30, 100, "build", "-t", "tty1", ctx)
	out, code := p.wait()
	if code != 0 {
		t.Fatalf("tty build: exit %d", code)
	}
	for _, want := range []string{"[+] Building ", "FINISHED", " => [2/2] RUN echo tty-out && sleep 1", " => => # tty-out",
		"\x1b[34m => [1/2] FROM busybox", "\x1b[34m => [2/2] RUN", "\x1b[J"} {
		if !strings.Contains(out, want) {
			t.Errorf("tty build output lacks %q:\n%q", want, out)
		}
	}
	if strings.Contains(out, "#2 DONE") {
		t.Errorf("tty build printed plain lines:\n%q", out)
	}
	p2 := startPty(t, s, 30, 100, "build", "--progress", "plain", "--no-cache", ctx)
	if out, _ := p2.wait(); !strings.Contains(out, "#2 DONE") || strings.Contains(out, "[+] Building") {
		t.Errorf("--progress plain on a terminal:\n%q", out)
	}
	fctx := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo before-fail && false\n"})
	p3 := startPty(t, s, 30, 100, "build", fctx)
	if out, code = p3.wait(); code == 0 {
		t.Errorf("a failing RUN built on a terminal")
	}
	for _, want := range []string{"\x1b[31m => ERROR [2/2] RUN echo before-fail", "2 | >>> RUN echo before-fail && false", "before-fail"} {
		if !strings.Contains(out, want) {
			t.Errorf("failed tty build lacks %q:\n%q", want, out)
		}
	}
}

// --ssh ID=SOCKET binds the agent socket into RUN --mount=type=ssh, with
// SSH_AUTH_SOCK pointing at it; without --ssh the mount is absent.
func TestBuildSSHAgent(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	sock := filepath.Join(t.TempDir(), "agent.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\n" +
		"RUN --mount=type=ssh (test -S \"$SSH_AUTH_SOCK\" && echo \"sock $SSH_AUTH_SOCK\" || echo absent) >/ssh\n"})
	s.mustBuild(t, "--ssh", "default="+sock, "-t", "ssh1", ctx)
	if got := s.sh(t, "ssh1", "cat /ssh"); got != "sock /run/buildkit/ssh_agent.0\n" {
		t.Errorf("RUN --mount=type=ssh with --ssh: %q", got)
	}
	s.mustBuild(t, "--no-cache", "-t", "ssh2", ctx)
	if got := s.sh(t, "ssh2", "cat /ssh"); got != "absent\n" {
		t.Errorf("RUN --mount=type=ssh without --ssh: %q", got)
	}
}

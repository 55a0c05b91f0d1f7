package test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// buildContext writes a build context: name -> content; a name ending in
// "/" is a directory, content starting with "->" a symlink to the rest.
func buildContext(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ctx")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case strings.HasSuffix(name, "/"):
			err = os.MkdirAll(p, 0o755)
		case strings.HasPrefix(content, "->"):
			err = os.Symlink(content[2:], p)
		default:
			err = os.WriteFile(p, []byte(content), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// build runs `hull build --progress plain ARGS`.
func (s *store) build(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return s.hull(t, append([]string{"build", "--progress", "plain"}, args...)...)
}

// mustBuild builds and fails t unless it succeeds; it returns the progress
// output (stderr).
func (s *store) mustBuild(t *testing.T, args ...string) string {
	t.Helper()
	out, errs, code := s.build(t, args...)
	if code != 0 {
		t.Fatalf("hull build %s: exit %d\nstdout: %s\nstderr: %s", quote(args), code, out, errs)
	}
	return errs
}

// sh runs a shell command in a fresh container of ref and returns stdout.
func (s *store) sh(t *testing.T, ref, script string) string {
	t.Helper()
	return s.mustHull(t, "run", "--rm", "--network", "none", "--user", "0", "--entrypoint", "/bin/sh", ref, "-c", script)
}

// imageConfig is ref's Docker config (inspect's .Config).
func (s *store) imageConfig(t *testing.T, ref string) map[string]any {
	t.Helper()
	out := s.mustHull(t, "inspect", "--format", "{{json .Config}}", ref)
	var cfg map[string]any
	if err := json.Unmarshal([]byte(out), &cfg); err != nil {
		t.Fatalf("inspect %s: %v: %q", ref, err, out)
	}
	return cfg
}

// rawConfig is ref's image config as stored (the "config" object of the
// config blob, Root/blobs/sha256/<id>), for the fields that inspect does
// not show.
func (s *store) rawConfig(t *testing.T, ref string) map[string]any {
	t.Helper()
	id := strings.TrimPrefix(s.imageID(t, ref), "sha256:")
	b, err := os.ReadFile(filepath.Join(s.root, "blobs", "sha256", id))
	if err != nil {
		t.Fatalf("read config blob of %s: %v", ref, err)
	}
	var img struct {
		Config map[string]any `json:"config"`
	}
	if err := json.Unmarshal(b, &img); err != nil {
		t.Fatalf("config blob of %s: %v", ref, err)
	}
	return img.Config
}

// imageID is ref's full id.
func (s *store) imageID(t *testing.T, ref string) string {
	t.Helper()
	return strings.TrimSpace(s.mustHull(t, "inspect", "--format", "{{.Id}}", ref))
}

// noImage fails t if ref exists.
func (s *store) noImage(t *testing.T, ref string) {
	t.Helper()
	if _, _, code := s.hull(t, "inspect", ref); code == 0 {
		t.Errorf("image %s exists after a failed build", ref)
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestBuildInstructions(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	tarPath := makeTar(t,
		tarEntry{Name: "pkg/", Type: '5'},
		tarEntry{Name: "pkg/inside.txt", Body: []byte("from the archive\n")})
	tarBody, err := os.ReadFile(tarPath)
	if err != nil {
		t.Fatal(err)
	}
	dockerfile := fmt.Sprintf(`# a comment
ARG BASE=busybox
FROM --platform=linux/%s ${BASE} AS base
ARG GREETING=hello
ENV G=$GREETING PATH=/bin:/usr/bin
LABEL org.test.a="one" b=two
EXPOSE 8080 53/udp
WORKDIR /w
WORKDIR sub
RUN pwd > /pwd.txt
RUN ["/bin/sh", "-c", "echo exec-form $G > /exec.txt"]
SHELL ["/bin/sh", "-c", "echo shell-applied > /shell.txt; eval \"$0\""]
RUN touch /after-shell.txt
SHELL ["/bin/sh", "-c"]
USER user1
RUN id -u > /tmp/uid.txt
USER root
COPY --chown=1000:1000 --chmod=0600 f.txt /owned.txt
ADD archive.tar /extracted/
ADD --chmod=0640 plain.txt /added.txt
VOLUME ["/data"]
STOPSIGNAL SIGUSR1
HEALTHCHECK --interval=5s --timeout=2s --retries=4 CMD ["true"]
ONBUILD RUN echo onbuild > /tmp/onbuild.txt
USER user1
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat /exec.txt"]
`, runtime.GOARCH)
	ctx := buildContext(t, map[string]string{
		"Dockerfile": dockerfile, "f.txt": "owned\n", "plain.txt": "plain\n", "archive.tar": string(tarBody),
	})
	s.mustBuild(t, "-t", "all", ctx)

	cfg := s.rawConfig(t, "all")
	want := map[string]string{
		"User":         `"user1"`,
		"WorkingDir":   `"/w/sub"`,
		"Labels":       `{"b":"two","org.test.a":"one"}`,
		"Entrypoint":   `["/bin/sh","-c"]`,
		"Cmd":          `["cat /exec.txt"]`,
		"StopSignal":   `"SIGUSR1"`,
		"OnBuild":      `["RUN echo onbuild \u003e /tmp/onbuild.txt"]`,
		"ExposedPorts": `{"53/udp":{},"8080/tcp":{}}`,
		"Volumes":      `{"/data":{}}`,
		"Healthcheck":  `{"Interval":5000000000,"Retries":4,"Test":["CMD","true"],"Timeout":2000000000}`,
		"Shell":        `["/bin/sh","-c"]`,
	}
	for k, v := range want {
		if got := jsonText(cfg[k]); got != v {
			t.Errorf("config %s = %s, want %s", k, got, v)
		}
	}
	if env := jsonText(cfg["Env"]); !strings.Contains(env, `"G=hello"`) || !strings.Contains(env, `"PATH=/bin:/usr/bin"`) {
		t.Errorf("config Env = %s, want G=hello and PATH", env)
	}
	if env := jsonText(cfg["Env"]); strings.Contains(env, "GREETING") {
		t.Errorf("config Env = %s: an ARG leaked into the image", env)
	}
	// Docker's inspect shows what HEALTHCHECK, ONBUILD and SHELL set.
	shown := s.imageConfig(t, "all")
	for _, k := range []string{"Healthcheck", "OnBuild", "Shell", "StopSignal"} {
		if got := jsonText(shown[k]); got != jsonText(cfg[k]) {
			t.Errorf("hull inspect: Config.%s = %s, the image has %s", k, got, jsonText(cfg[k]))
		}
	}

	got := s.sh(t, "all", `cat /pwd.txt /exec.txt /shell.txt /tmp/uid.txt /extracted/pkg/inside.txt /added.txt; `+
		`test -e /after-shell.txt && echo after-shell; stat -c '%u:%g %a' /owned.txt; stat -c '%a' /added.txt; `+
		`test -d /w/sub && echo workdir-made`)
	wantOut := "/w/sub\nexec-form hello\nshell-applied\n1000\nfrom the archive\nplain\nafter-shell\n1000:1000 600\n640\nworkdir-made\n"
	if got != wantOut {
		t.Errorf("image contents:\n%s\nwant:\n%s", got, wantOut)
	}
	if out := s.mustHull(t, "run", "--rm", "--network", "none", "all"); out != "exec-form hello\n" {
		t.Errorf("default ENTRYPOINT+CMD printed %q", out)
	}

	// ONBUILD triggers run in the child build, right after its FROM.
	child := buildContext(t, map[string]string{"Dockerfile": "FROM all\nUSER root\nRUN cat /tmp/onbuild.txt > /seen.txt\n"})
	s.mustBuild(t, "-t", "child", child)
	if got := s.sh(t, "child", "cat /seen.txt"); got != "onbuild\n" {
		t.Errorf("ONBUILD trigger: /seen.txt = %q, want onbuild", got)
	}
	if ob := jsonText(s.rawConfig(t, "child")["OnBuild"]); ob != "null" && ob != "[]" {
		t.Errorf("child's OnBuild = %s, want none (triggers are not inherited)", ob)
	}
}

// FROM scratch, COPY --from an image and a stage, --link, --parents,
// --exclude.
func TestBuildCopyVariants(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	scratch := buildContext(t, map[string]string{"Dockerfile": "FROM scratch\nCOPY only.txt /only.txt\n", "only.txt": "scratch file\n"})
	s.mustBuild(t, "-t", "scratchimg", scratch)
	if layers := s.mustHull(t, "inspect", "--format", "{{len .RootFS.Layers}}", "scratchimg"); strings.TrimSpace(layers) != "1" {
		t.Errorf("FROM scratch + one COPY: %s layers, want 1", layers)
	}
	ctx := buildContext(t, map[string]string{
		"Dockerfile": `FROM busybox AS stage1
RUN echo from-stage > /s.txt
FROM busybox
COPY --from=scratchimg /only.txt /from-image.txt
COPY --from=stage1 /s.txt /from-stage.txt
COPY --from=0 /s.txt /from-index.txt
COPY --link l.txt /linked.txt
COPY --parents a/b/c.txt x/y.txt /par/
COPY --exclude=*.log dir/ /ex/
COPY dir /plain/
`,
		"l.txt": "linked\n", "a/b/c.txt": "c\n", "x/y.txt": "y\n",
		"dir/keep.txt": "keep\n", "dir/drop.log": "drop\n", "dir/sub/keep2.txt": "keep2\n",
	})
	s.mustBuild(t, "-t", "copies", ctx)
	got := s.sh(t, "copies", "cat /from-image.txt /from-stage.txt /from-index.txt /linked.txt /par/a/b/c.txt /par/x/y.txt; "+
		"cd /ex && find . -type f | sort; cd /plain && find . -type f | sort")
	want := "scratch file\nfrom-stage\nfrom-stage\nlinked\nc\ny\n./keep.txt\n./sub/keep2.txt\n./drop.log\n./keep.txt\n./sub/keep2.txt\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestBuildAdd(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	srv := serveFile(t, "/remote.txt", "remote content\n")
	sum := "sha256:" + sha256Hex("remote content\n")
	tgz := gzipBytes(t, tarBytes(t, tarEntry{Name: "gz/in.txt", Body: []byte("gzipped\n")}))
	ctx := buildContext(t, map[string]string{
		"Dockerfile": fmt.Sprintf(`FROM busybox
ADD %[1]s/remote.txt /r/
ADD --checksum=%[2]s --chmod=0600 --chown=1000:1000 %[1]s/remote.txt /r2.txt
ADD a.tar.gz /unpacked/
ADD --chown=1000 plain.txt /plain.txt
`, srv, sum),
		"a.tar.gz": string(tgz), "plain.txt": "p\n",
	})
	// The test server listens on the host's loopback, closed to ADD
	// unless the user allows it.
	s.mustBuild(t, "-t", "adds", "--allow", "network.host", ctx)
	got := s.sh(t, "adds", "cat /r/remote.txt /r2.txt /unpacked/gz/in.txt; stat -c '%u:%g %a' /r2.txt /plain.txt")
	want := "remote content\nremote content\ngzipped\n1000:1000 600\n1000:1000 644\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}

	bad := buildContext(t, map[string]string{"Dockerfile": fmt.Sprintf("FROM busybox\nADD --checksum=sha256:%s %s/remote.txt /r.txt\n", strings.Repeat("0", 64), srv)})
	_, errs, code := s.build(t, "-t", "badsum", "--allow", "network.host", bad)
	if code == 0 || !strings.Contains(errs, "Dockerfile:2") || !strings.Contains(strings.ToLower(errs), "checksum") {
		t.Errorf("ADD with a wrong --checksum: exit %d, want failure naming Dockerfile:2 and the checksum\n%s", code, errs)
	}
	s.noImage(t, "badsum")
}

func TestBuildRunMounts(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	secret := writeFile(t, "secret.txt", []byte("s3cr3t-value"))
	ctx := buildContext(t, map[string]string{
		"Dockerfile": `FROM busybox
RUN --mount=type=cache,target=/cache echo x >> /cache/n && wc -l < /cache/n > /count.txt
RUN --mount=type=bind,source=b.txt,target=/mnt/b.txt cat /mnt/b.txt > /bound.txt
RUN --mount=type=tmpfs,target=/scratch echo t > /scratch/t && grep -q ' /scratch tmpfs' /proc/mounts && echo tmpfs-ok > /tmpfs.txt
RUN --mount=type=secret,id=tok wc -c < /run/secrets/tok > /secret-len.txt
RUN --mount=type=secret,id=tok,target=/etc/tok,required=true test -s /etc/tok && echo secret-target > /secret-target.txt
`,
		"b.txt": "bound\n",
	})
	progress := s.mustBuild(t, "-t", "mounts", "--secret", "id=tok,src="+secret, ctx)
	got := s.sh(t, "mounts", "cat /count.txt /bound.txt /tmpfs.txt /secret-len.txt /secret-target.txt; "+
		"for f in /cache/n /scratch/t /mnt/b.txt /run/secrets/tok /etc/tok; do test -s $f && echo left $f; done; true")
	want := "1\nbound\ntmpfs-ok\n12\nsecret-target\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if strings.Contains(progress, "s3cr3t-value") {
		t.Error("the secret's value appears in the build output")
	}
	if h := s.mustHull(t, "history", "--no-trunc", "mounts"); strings.Contains(h, "s3cr3t") {
		t.Errorf("the secret appears in the history:\n%s", h)
	}
	// The cache mount outlives the build: a rebuild that re-executes the
	// step sees what the first one left.
	s.mustBuild(t, "-t", "mounts2", "--no-cache", "--secret", "id=tok,src="+secret, ctx)
	if got := s.sh(t, "mounts2", "cat /count.txt"); got != "2\n" {
		t.Errorf("cache mount on the second build: count %q, want 2", got)
	}
}

func TestBuildRunMountFromStage(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	ctx := buildContext(t, map[string]string{"Dockerfile": `FROM busybox AS other
RUN echo other-stage > /o.txt
FROM busybox
RUN --mount=type=bind,from=other,source=/o.txt,target=/mnt/o.txt cat /mnt/o.txt > /bound-stage.txt
RUN --mount=type=bind,from=other,target=/mnt/other cat /mnt/other/o.txt >> /bound-stage.txt
`})
	s.mustBuild(t, "-t", "fromstage", ctx)
	if got := s.sh(t, "fromstage", "cat /bound-stage.txt"); got != "other-stage\nother-stage\n" {
		t.Errorf("RUN --mount=type=bind,from=stage: got %q", got)
	}
}

// RUN --mount=type=bind,rw (of the context, a context file, a stage) is
// writable, as BuildKit's, and its writes are discarded: the context, the
// user's directory, stays byte for byte, and the step's layer holds none
// of them (outside review: rw was silently read-only).
func TestBuildRunMountReadWriteDiscards(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	files := map[string]string{"Dockerfile": `FROM busybox AS other
RUN echo other-stage > /o.txt
FROM busybox
RUN --mount=type=bind,rw,target=/ctx echo pwned > /ctx/canary.txt && echo new > /ctx/new.txt && rm /ctx/keep.txt && cat /ctx/canary.txt > /saw.txt
RUN --mount=type=bind,source=f.txt,target=/f.txt,rw echo changed >> /f.txt && cat /f.txt > /saw-file.txt
RUN --mount=type=bind,from=other,target=/o,readwrite=true echo x > /o/o.txt && cat /o/o.txt > /saw-stage.txt
RUN --mount=type=bind,from=other,source=o.txt,target=/o.txt,rw echo y >> /o.txt && cat /o.txt >> /saw-stage.txt
RUN --mount=type=bind,target=/ctx test ! -e /ctx/new.txt && cat /ctx/canary.txt /ctx/keep.txt > /after.txt
`, "canary.txt": "CONTEXT-CANARY\n", "keep.txt": "keep\n", "f.txt": "orig\n"}
	ctx := buildContext(t, files)
	s.mustBuild(t, "-t", "rwmount", ctx)
	got := s.sh(t, "rwmount", "cat /saw.txt /saw-file.txt /saw-stage.txt /after.txt; "+
		"for f in /ctx/new.txt /ctx/canary.txt /ctx/keep.txt /o/o.txt /o.txt /f.txt; do test -s $f && echo left $f; done; true")
	want := "pwned\norig\nchanged\nx\nother-stage\ny\nCONTEXT-CANARY\nkeep\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	for name, body := range files {
		if b, err := os.ReadFile(filepath.Join(ctx, name)); err != nil || string(b) != body {
			t.Errorf("context file %s after rw mounts: %q %v, want %q", name, b, err, body)
		}
	}
	if entries, err := os.ReadDir(ctx); err != nil || len(entries) != len(files) {
		t.Errorf("the context gained or lost files: %d entries (%v), want %d", len(entries), err, len(files))
	}
}

func TestBuildNetwork(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	ctx := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN --network=none ls /sys/class/net > /none.txt\nRUN ls /sys/class/net > /flag.txt\n"})
	s.mustBuild(t, "-t", "net", "--network", "host", ctx)
	if got := s.sh(t, "net", "cat /none.txt"); got != "lo\n" {
		t.Errorf("RUN --network=none sees interfaces %q, want only lo", got)
	}
	host, err := os.ReadDir("/sys/class/net")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range host {
		names = append(names, e.Name())
	}
	if got := strings.Fields(s.sh(t, "net", "cat /flag.txt")); strings.Join(got, " ") != strings.Join(names, " ") {
		t.Errorf("hull build --network host: RUN sees %v, want the host's %v", got, names)
	}
	s.mustBuild(t, "-t", "net2", "--no-cache", "--network", "none", ctx)
	if got := s.sh(t, "net2", "cat /flag.txt"); got != "lo\n" {
		t.Errorf("hull build --network none: RUN sees %q, want only lo", got)
	}
	// The network a RUN had is part of its cache key (as in BuildKit,
	// where it is part of the exec op): a build with another --network
	// must not replay the step.
	s.mustBuild(t, "-t", "net3", "--network", "host", ctx)
	if got := s.sh(t, "net3", "cat /flag.txt"); got == "lo\n" {
		t.Errorf("hull build --network host replayed the RUN cached from --network none")
	}
}

func TestBuildFlags(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	df := `FROM busybox AS unused
RUN exit 9
FROM busybox AS first
ARG WHO=default
RUN echo "$WHO" > /who.txt
FROM first AS final
COPY . /ctx/
`
	ctx := buildContext(t, map[string]string{
		"Dockerfile": "FROM busybox\nRUN exit 1\n", // not used: -f wins
		"keep.txt":   "k\n", "ignored.txt": "i\n", "sub/also.log": "l\n",
		".dockerignore": "ignored.txt\n*/*.log\n",
	})
	dfPath := writeFile(t, "Other.Dockerfile", []byte(df))
	iid := filepath.Join(t.TempDir(), "iid")
	progress := s.mustBuild(t, "-t", "one", "--tag", "two:v2", "-f", dfPath, "--build-arg", "WHO=arg", "--target", "final",
		"--label", "lab=el", "--iidfile", iid, ctx)
	if strings.Contains(progress, "exit 9") || strings.Contains(progress, "[unused") {
		t.Errorf("--target final built the unrelated stage:\n%s", progress)
	}
	id := s.imageID(t, "one")
	if s.imageID(t, "two:v2") != id {
		t.Error("the two -t tags name different images")
	}
	if b, err := os.ReadFile(iid); err != nil || string(b) != id {
		t.Errorf("--iidfile holds %q (%v), want %s", b, err, id)
	}
	if got := s.sh(t, "one", "cat /who.txt; cd /ctx && find . -type f | sort"); got != "arg\n./.dockerignore\n./Dockerfile\n./keep.txt\n" {
		t.Errorf("--build-arg / .dockerignore: got\n%s", got)
	}
	if l := jsonText(s.imageConfig(t, "one")["Labels"]); l != `{"lab":"el"}` {
		t.Errorf("--label: labels %s", l)
	}

	// Dockerfile.dockerignore beside the Dockerfile wins over .dockerignore.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox\nCOPY . /ctx/\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile.dockerignore"), []byte("keep.txt\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.mustBuild(t, "-t", "ign", "-f", filepath.Join(dir, "Dockerfile"), ctx)
	if got := s.sh(t, "ign", "cd /ctx && find . -type f | sort"); got != "./.dockerignore\n./Dockerfile\n./ignored.txt\n./sub/also.log\n" {
		t.Errorf("Dockerfile.dockerignore: got\n%s", got)
	}

	// -f - : the Dockerfile on stdin.
	out, errs, code := s.hullIn(t, strings.NewReader("FROM busybox\nRUN echo stdin-df > /x\n"), "build", "-q", "-t", "stdin", "-f", "-", ctx)
	if code != 0 || !regexp.MustCompile(`^sha256:[0-9a-f]{64}\n$`).MatchString(out) || strings.TrimSpace(errs) != "" {
		t.Errorf("build -q -f -: exit %d stdout %q stderr %q; want only the image id on stdout", code, out, errs)
	} else if strings.TrimSpace(out) != s.imageID(t, "stdin") {
		t.Errorf("build -q printed %s, not the id of the image it tagged", out)
	}
	// --progress quiet: nothing on stderr.
	_, errs, code = s.hull(t, "build", "--progress", "quiet", "-t", "q", "-f", dfPath, ctx)
	if code != 0 || strings.TrimSpace(errs) != "" {
		t.Errorf("--progress quiet: exit %d, stderr %q", code, errs)
	}
	if _, errs, code = s.hull(t, "build", "--progress", "fancy", ctx); code == 0 {
		t.Errorf("--progress fancy accepted")
	}

	// Context as a tar on stdin, with its Dockerfile in it (-f names a
	// path inside the archive, as Docker's).
	ctxTar := tarBytes(t, tarEntry{Name: "in-tar.txt", Body: []byte("from tar\n")},
		tarEntry{Name: "df/Tar.Dockerfile", Body: []byte("FROM busybox\nCOPY in-tar.txt /\n")})
	out, errs, code = s.hullIn(t, strings.NewReader(string(ctxTar)), "build", "--progress", "plain", "-t", "tarctx",
		"-f", "df/Tar.Dockerfile", "-")
	if code != 0 {
		t.Fatalf("build - (tar on stdin): exit %d\n%s%s", code, out, errs)
	}
	if got := s.sh(t, "tarctx", "cat /in-tar.txt"); got != "from tar\n" {
		t.Errorf("tar context: got %q", got)
	}
}

// Independent stages run at the same time: two stages that each sleep 2s
// take well under 4s together.
func TestBuildParallelStages(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	// Each stage announces itself in a shared cache mount and waits (up
	// to 60 s) to see the other: only stages that run at the same time
	// meet, however slow the machine.
	meet := func(me, other string) string {
		return `RUN --mount=type=cache,id=meet,target=/meet touch /meet/` + me + `; i=0; ` +
			`while [ ! -e /meet/` + other + ` ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; ` +
			`if [ -e /meet/` + other + ` ]; then echo ` + me + `:together > /` + me + `; else echo ` + me + `:alone > /` + me + `; fi`
	}
	ctx := buildContext(t, map[string]string{"Dockerfile": "FROM busybox AS a\n" + meet("a", "b") + "\n" +
		"FROM busybox AS b\n" + meet("b", "a") + "\n" +
		"FROM busybox\nCOPY --from=a /a /a\nCOPY --from=b /b /b\n"})
	s.mustBuild(t, "-t", "par", ctx)
	if got := s.sh(t, "par", "cat /a /b"); got != "a:together\nb:together\n" {
		t.Errorf("the two independent stages did not run at the same time: %q", got)
	}
}

// The cache: replay vs re-execution is told apart by random bytes that a
// RUN writes into the image.
func TestBuildCache(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	ctx := buildContext(t, map[string]string{
		"Dockerfile": `FROM busybox
RUN head -c 16 /dev/urandom | od -An -tx1 > /r1
COPY a.txt /a.txt
RUN head -c 16 /dev/urandom | od -An -tx1 > /r2
COPY b.txt /b.txt
`,
		"a.txt": "one\n", "b.txt": "b\n",
	})
	rand := func(tag string) (string, string) {
		out := strings.Split(s.sh(t, tag, "cat /r1; echo; cat /r2"), "\n\n")
		if len(out) != 2 {
			t.Fatalf("unexpected output %q", out)
		}
		return out[0], out[1]
	}
	s.mustBuild(t, "-t", "c1", ctx)
	r1, r2 := rand("c1")

	progress := s.mustBuild(t, "-t", "c2", ctx)
	if n := strings.Count(progress, "CACHED"); n != 4 {
		t.Errorf("unchanged rebuild: %d steps CACHED, want 4:\n%s", n, progress)
	}
	if a, b := rand("c2"); a != r1 || b != r2 {
		t.Errorf("unchanged rebuild re-executed RUN steps")
	}
	if s.imageID(t, "c1") != s.imageID(t, "c2") {
		t.Errorf("unchanged rebuild gave another image id")
	}

	// A new mtime, same content: still cached.
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(ctx, "a.txt"), later, later); err != nil {
		t.Fatal(err)
	}
	s.mustBuild(t, "-t", "c3", ctx)
	if a, b := rand("c3"); a != r1 || b != r2 {
		t.Errorf("a timestamp-only change invalidated the cache")
	}

	// New content: the COPY that reads it and everything after re-run.
	if err := os.WriteFile(filepath.Join(ctx, "a.txt"), []byte("two\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	progress = s.mustBuild(t, "-t", "c4", ctx)
	a, b := rand("c4")
	if a != r1 {
		t.Errorf("editing a.txt re-ran the RUN before its COPY")
	}
	if b == r2 {
		t.Errorf("editing a.txt did not re-run the RUN after its COPY")
	}
	if n := strings.Count(progress, "CACHED"); n != 1 {
		t.Errorf("after editing a.txt: %d steps CACHED, want 1 (the first RUN):\n%s", n, progress)
	}
	if got := s.sh(t, "c4", "cat /a.txt"); got != "two\n" {
		t.Errorf("image has a.txt = %q", got)
	}

	progress = s.mustBuild(t, "-t", "c5", "--no-cache", ctx)
	if a, _ := rand("c5"); a == r1 {
		t.Errorf("--no-cache replayed the first RUN")
	}
	if strings.Contains(progress, "CACHED") {
		t.Errorf("--no-cache output says CACHED:\n%s", progress)
	}
}

// Progress output as BuildKit's plain one, and history as Docker shows it.
func TestBuildOutputAndHistory(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	ctx := buildContext(t, map[string]string{
		"Dockerfile": "FROM busybox\nENV A=1\nWORKDIR /app\nCOPY f.txt /app/\nRUN echo streamed-line && echo second-line\nCMD [\"cat\", \"/app/f.txt\"]\n",
		"f.txt":      "f\n",
	})
	progress := s.mustBuild(t, "-t", "out", ctx)
	for _, re := range []string{
		`(?m)^#\d+ \[([^ \]]+ )?1/6\] FROM (docker\.io/library/)?busybox`,
		`(?m)^#\d+ \[([^ \]]+ )?5/6\] RUN echo streamed-line && echo second-line$`,
		`(?m)^#\d+ \d+\.\d+ streamed-line$`,
		`(?m)^#\d+ \d+\.\d+ second-line$`,
		`(?m)^#\d+ DONE \d+\.\d+s$`,
		`(?m)^writing image sha256:[0-9a-f]{64}`,
	} {
		if !regexp.MustCompile(re).MatchString(progress) {
			t.Errorf("progress lacks %s:\n%s", re, progress)
		}
	}
	hist := s.mustHull(t, "history", "--no-trunc", "--format", "{{.CreatedBy}}", "out")
	for _, want := range []string{
		`CMD ["cat" "/app/f.txt"]`,
		`RUN /bin/sh -c echo streamed-line && echo second-line # buildkit`,
		`COPY f.txt /app/ # buildkit`,
		`WORKDIR /app`,
		`ENV A=1`,
	} {
		if !strings.Contains(hist, want+"\n") {
			t.Errorf("history lacks %q:\n%s", want, hist)
		}
	}
	if l := lines(hist); len(l) != 5 || l[0] != `CMD ["cat" "/app/f.txt"]` {
		t.Errorf("history is not newest first with one entry per step:\n%s", hist)
	}
}

// Bad inputs fail with an error naming file:line, exit non-zero, tag
// nothing.
func TestBuildBadInputs(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	cases := []struct {
		name, dockerfile, want string
		line                   int
	}{
		{"unknown instruction", "FROM busybox\nFROBNICATE now\n", "FROBNICATE", 2},
		{"missing COPY source", "FROM busybox\nRUN true\nCOPY nope.txt /\n", "nope.txt", 3},
		{"malformed", "FROM busybox\nENV\n", "ENV", 2},
		{"bad JSON", "FROM busybox\nCOPY [\"a\" /x\n", "", 2},
		{"ARG misuse", "ARG\nFROM busybox\n", "ARG", 1},
		{"empty FROM", "FROM ${NOPE}\nRUN true\n", "", 1},
		{"unknown stage", "FROM busybox\nCOPY --from=nostage /x /x\n", "nostage", 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := buildContext(t, map[string]string{"Dockerfile": c.dockerfile})
			out, errs, code := s.hull(t, "build", "-q", "-t", "bad", ctx)
			if code == 0 {
				t.Fatalf("succeeded (%s)", out)
			}
			oneLineError(t, errs)
			if at := fmt.Sprintf("Dockerfile:%d", c.line); !strings.Contains(errs, at) || !strings.Contains(errs, c.want) {
				t.Errorf("error %q does not name %s and %q", errs, at, c.want)
			}
			s.noImage(t, "bad")
		})
	}
	t.Run("failing RUN", func(t *testing.T) {
		ctx := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo before\nRUN echo output-of-failure; exit 7\nRUN echo never\n"})
		_, errs, code := s.build(t, "-t", "bad", ctx)
		if code == 0 {
			t.Fatal("succeeded")
		}
		l := lines(errs)
		last := l[len(l)-1]
		if !strings.Contains(errs, "Dockerfile:3") || !strings.Contains(errs, "exit code: 7") {
			t.Errorf("error does not name Dockerfile:3 and exit code: 7; last line %q", last)
		}
		if n := strings.Count(last, "Dockerfile:3"); n != 1 {
			t.Errorf("the error names Dockerfile:3 %d times, want once: %q", n, last)
		}
		// The failure excerpt quotes the Dockerfile, "RUN echo never"
		// included; a step that ran would have its own "[4/4]" header.
		if !strings.Contains(errs, "output-of-failure") || strings.Contains(errs, "[4/4]") {
			t.Errorf("output of the failing step missing, or a later step ran:\n%s", errs)
		}
		s.noImage(t, "bad")
	})
}

// serveFile serves body at path on a local HTTP server for t's lifetime and
// returns the server's URL.
func serveFile(t *testing.T, path, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func gzipBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

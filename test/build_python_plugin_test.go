package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// pythonPlugin installs the Python example plugin (hull-checksum, a zipapp
// that make test-plugins builds) in a fresh plugin directory. It needs
// /usr/bin/python3 with python3-grpcio and python3-protobuf: without them
// it skips, except under CI, which installs them (.ci/run).
func pythonPlugin(t *testing.T, s *store) (dir, path string) {
	t.Helper()
	const python = "/usr/bin/python3"
	if out, err := exec.Command(python, "-c", "import grpc, google.protobuf").CombinedOutput(); err != nil {
		msg := "the Python example plugin needs " + python + " with python3-grpcio and python3-protobuf: " + err.Error() + ": " + string(out)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	if _, err := os.Stat(filepath.Join(pluginBuildDir(t), "hull-checksum")); err != nil {
		// Not built by make test-plugins: build it where testPlugin looks.
		src := filepath.Join(t.TempDir(), "hull-checksum")
		if out, err := exec.Command(python, "../examples/python-plugin/build.py", src, python).CombinedOutput(); err != nil {
			t.Fatalf("build the Python plugin: %v\n%s", err, out)
		}
		dir = filepath.Join(t.TempDir(), "plugins")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		path = filepath.Join(dir, "hull-checksum")
		if err := os.Rename(src, path); err != nil {
			t.Fatal(err)
		}
		xdg := t.TempDir()
		s.env = append(s.env, "XDG_CACHE_HOME="+filepath.Join(xdg, "cache"), "XDG_CONFIG_HOME="+filepath.Join(xdg, "config"))
		return dir, path
	}
	return testPlugin(t, s, "hull-checksum", "hull-checksum")
}

// The Python example's CHECKSUM instruction in a real build, as the
// unprivileged user: it reads files of the stage through the Host and
// writes a sums file busybox's sha256sum -c accepts; --verify fails the
// build on a changed file, naming it and the Dockerfile line.
func TestBuildPythonPlugin(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	dir, path := pythonPlugin(t, s)

	out := s.mustHull(t, "plugin", "inspect", path)
	for _, want := range []string{"checksum", "CHECKSUM", "instruction", sha256File(t, path), "ok  shutdown"} {
		if !strings.Contains(out, want) {
			t.Errorf("plugin inspect does not show %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "FAIL") {
		t.Errorf("plugin inspect: a check failed:\n%s", out)
	}
	if ls := s.mustHull(t, "plugin", "ls", "--plugin-dir", dir); !hasLine(ls, "CHECKSUM", path) {
		t.Errorf("plugin ls does not list CHECKSUM from %s:\n%s", path, ls)
	}

	ctx := buildContext(t, map[string]string{
		"a.txt":   "hello\n",
		"d/c.txt": "c\n",
		"Dockerfile": `FROM busybox
ARG DIR=/data
COPY a.txt ${DIR}/
COPY d /data/d
WORKDIR /data
RUN echo b > b.txt
CHECKSUM --mode=0600 a.txt ${DIR}/b.txt d SHA256SUMS
RUN sha256sum -c SHA256SUMS
CHECKSUM --verify SHA256SUMS
`,
	})
	progress := s.mustBuild(t, "-t", "summed", "--plugin-dir", dir, ctx)
	want := sha256Hex("hello\n") + "  /data/a.txt\n" + sha256Hex("b\n") + "  /data/b.txt\n" + sha256Hex("c\n") + "  /data/d/c.txt\n"
	if got := s.sh(t, "summed", "cat /data/SHA256SUMS; stat -c %a /data/SHA256SUMS"); got != want+"600\n" {
		t.Errorf("CHECKSUM wrote %q, want %q", got, want+"600\n")
	}
	for _, line := range []string{"CHECKSUM 3 files -> /data/SHA256SUMS (sha256)", "CHECKSUM --verify /data/SHA256SUMS: 3 files OK"} {
		if !strings.Contains(progress, line) {
			t.Errorf("the plugin's Host.Log line %q is not in the output:\n%s", line, progress)
		}
	}
	if h := s.mustHull(t, "history", "--no-trunc", "--format", "{{.CreatedBy}}", "summed"); !strings.Contains(h, "# hull-checksum") {
		t.Errorf("history lacks the plugin's created_by:\n%s", h)
	}

	bad := buildContext(t, map[string]string{"Dockerfile": "FROM summed\nRUN echo changed > /data/d/c.txt\nCHECKSUM --verify /data/SHA256SUMS\n"})
	_, errs, code := s.hull(t, "build", "-q", "-t", "tampered", "--plugin-dir", dir, bad)
	if code == 0 {
		t.Fatal("--verify of a changed file: the build succeeded")
	}
	oneLineError(t, errs)
	if !strings.Contains(errs, "Dockerfile:3") || !strings.Contains(errs, "sha256 mismatch: /data/d/c.txt") {
		t.Errorf("the error does not name Dockerfile:3 and the changed file: %q", errs)
	}
	s.noImage(t, "tampered")
	noPluginLeft(t, path)
}

package test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The test plugins, built once when HULL_TEST_PLUGINS is not set.
var (
	pluginOnce sync.Once
	pluginDir  string
	pluginErr  error
)

// testPlugin copies the test plugin built for the suite (src: hull-template
// or buildplugin) into a fresh plugin directory under name, and gives the
// store its own plugin caches so that parallel tests do not share them.
func testPlugin(t *testing.T, s *store, src, name string) (dir, path string) {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(pluginBuildDir(t), src))
	if err != nil {
		t.Fatal(err)
	}
	dir = filepath.Join(t.TempDir(), "plugins")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(dir, name)
	if err := os.WriteFile(path, body, 0o755); err != nil {
		t.Fatal(err)
	}
	xdg := t.TempDir()
	s.env = append(s.env, "XDG_CACHE_HOME="+filepath.Join(xdg, "cache"), "XDG_CONFIG_HOME="+filepath.Join(xdg, "config"))
	return dir, path
}

// pluginBuildDir is where the test plugins are: $HULL_TEST_PLUGINS (make
// integration builds them there), else built now with the Go toolchain.
func pluginBuildDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("HULL_TEST_PLUGINS"); d != "" {
		return d
	}
	pluginOnce.Do(func() { pluginDir, pluginErr = buildTestPlugins() })
	if pluginErr != nil {
		t.Fatalf("build the test plugins (or set HULL_TEST_PLUGINS; make integration does): %v", pluginErr)
	}
	return pluginDir
}

func buildTestPlugins() (string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = "/usr/local/go/bin/go"
	}
	dir, err := os.MkdirTemp(baseDir, "plugins")
	if err != nil {
		return "", err
	}
	for name, pkg := range map[string]string{"hull-template": "../examples/instruction-plugin", "buildplugin": "./testdata/buildplugin",
		"hull-net-subnet": "../examples/network-plugin", "netplugin": "./testdata/netplugin", "netdriver": "./testdata/netdriver",
		"tiocsti": "./testdata/tiocsti", "pinplugin": "./testdata/pinplugin",
		"hostplugin": "./testdata/hostplugin", "hull-copy-guard": "../examples/copy-guard"} {
		cmd := exec.Command(goBin, "build", "-o", filepath.Join(dir, name), pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOCACHE="+filepath.Join(dir, ".gocache"))
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", &exec.Error{Name: string(out), Err: err}
		}
	}
	return dir, nil
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// pluginProcesses lists our processes whose command line mentions path.
func pluginProcesses(path string) []string {
	var out []string
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err == nil && bytes.Contains(b, []byte(path)) {
			out = append(out, filepath.Base(filepath.Dir(p))+": "+string(bytes.ReplaceAll(b, []byte{0}, []byte{' '})))
		}
	}
	return out
}

// noPluginLeft fails t if a process of the plugin at path is still alive a
// moment after hull exited.
func noPluginLeft(t *testing.T, path string) {
	t.Helper()
	// A leaked plugin runs on for good; one on its way out may take
	// seconds on a loaded machine.
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := pluginProcesses(path)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("plugin processes left behind: %v", left)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// The example custom instruction, from a --plugin-dir.
func TestBuildExamplePlugin(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	dir, path := testPlugin(t, s, "hull-template", "hull-template")
	ls := s.mustHull(t, "plugin", "ls", "--no-trunc", "--plugin-dir", dir)
	if !strings.Contains(ls, "TEMPLATE") || !strings.Contains(ls, path) || !strings.Contains(ls, sha256File(t, path)) {
		t.Errorf("plugin ls does not show TEMPLATE with %s and its sha256:\n%s", path, ls)
	}
	ctx := buildContext(t, map[string]string{
		"app.conf.tmpl": "port=${PORT} user=$USER\n",
		"Dockerfile": `FROM busybox
ARG PORT=8080
ENV USER=nobody
COPY app.conf.tmpl /app/
TEMPLATE --mode=0600 /app/app.conf.tmpl /app/app.conf
`,
	})
	progress := s.mustBuild(t, "-t", "templated", "--plugin-dir", dir, "--build-arg", "PORT=9090", ctx)
	if got := s.sh(t, "templated", "cat /app/app.conf; stat -c %a /app/app.conf"); got != "port=9090 user=nobody\n600\n" {
		t.Errorf("TEMPLATE wrote %q", got)
	}
	if !strings.Contains(progress, "TEMPLATE /app/app.conf.tmpl -> /app/app.conf") {
		t.Errorf("the plugin's host.Log line is not in the output:\n%s", progress)
	}
	if h := s.mustHull(t, "history", "--no-trunc", "--format", "{{.CreatedBy}}", "templated"); !strings.Contains(h, "# hull-template") {
		t.Errorf("history lacks the plugin's created_by:\n%s", h)
	}
	noPluginLeft(t, path)
	// Without the plugin directory, TEMPLATE is unknown.
	if _, errs, code := s.build(t, "-t", "nope", ctx); code == 0 || !strings.Contains(errs, "Dockerfile:5") {
		t.Errorf("TEMPLATE without its plugin: exit %d, %s", code, errs)
	}
}

// An external plugin replaces a built-in for the keywords it claims.
func TestBuildPluginOverridesBuiltin(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	dir, path := testPlugin(t, s, "buildplugin", "hull-test-label")
	ls := s.mustHull(t, "plugin", "ls", "--no-trunc", "--plugin-dir", dir)
	if !hasLine(ls, "LABEL", path) || !strings.Contains(ls, sha256File(t, path)) {
		t.Errorf("plugin ls does not show LABEL served by %s with its sha256:\n%s", path, ls)
	}
	if !hasLine(ls, "RUN", "built-in") && !hasLine(ls, "RUN", "builtin") {
		t.Errorf("plugin ls does not show RUN as built-in:\n%s", ls)
	}
	ctx := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nLABEL a=b\nRUN true\n"})
	s.mustBuild(t, "-t", "over", "--plugin-dir", dir, ctx)
	if l := jsonText(s.imageConfig(t, "over")["Labels"]); l != `{"a":"b","overridden-by":"hull-test-label"}` {
		t.Errorf("labels %s: LABEL was not handled by the plugin", l)
	}
	s.mustBuild(t, "-t", "builtin", ctx)
	if l := jsonText(s.imageConfig(t, "builtin")["Labels"]); l != `{"a":"b"}` {
		t.Errorf("labels %s without the plugin dir", l)
	}
	noPluginLeft(t, path)
}

// hasLine reports whether a line of text contains all of words.
func hasLine(text string, words ...string) bool {
	for _, l := range strings.Split(text, "\n") {
		ok := true
		for _, w := range words {
			ok = ok && strings.Contains(l, w)
		}
		if ok {
			return true
		}
	}
	return false
}

// A misbehaving plugin fails the build with an error naming it and the
// Dockerfile line, and leaves no process behind.
func TestBuildPluginFailures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		mode, want string
		timeout    time.Duration
	}{
		{"crash", "crash", 0},
		{"hang", "", 30 * time.Second},
		{"stdout", "stdout", 0},
		{"proto", "protocol", 0},
		{"not-executable", "unknown instruction: bad", 0},
	}
	for _, c := range cases {
		t.Run(c.mode, func(t *testing.T) {
			t.Parallel()
			s := withBusybox(t)
			dir, path := testPlugin(t, s, "buildplugin", "hull-test-bad")
			// Discovery sees a well-behaved plugin (and caches its
			// Info); the build then gets the failure.
			if ls := s.mustHull(t, "plugin", "ls", "--plugin-dir", dir); !hasLine(ls, "BAD", path) {
				t.Fatalf("plugin ls does not list BAD:\n%s", ls)
			}
			if c.mode == "not-executable" {
				if err := os.Chmod(path, 0o644); err != nil {
					t.Fatal(err)
				}
			} else if err := os.WriteFile(path+".mode", []byte(c.mode), 0o644); err != nil {
				t.Fatal(err)
			}
			ctx := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nBAD thing\nRUN true\n"})
			start := time.Now()
			_, errs, code := s.hull(t, "build", "-q", "-t", "bad", "--plugin-dir", dir, ctx)
			if code == 0 {
				t.Fatal("the build succeeded")
			}
			if c.timeout > 0 && time.Since(start) > c.timeout {
				t.Errorf("the build took %v, want the plugin deadline to end it", time.Since(start))
			}
			oneLineError(t, errs)
			if !strings.Contains(errs, "Dockerfile:2") {
				t.Errorf("the error does not name Dockerfile:2: %q", errs)
			}
			if c.mode != "not-executable" && !strings.Contains(errs, "hull-test-bad") && !strings.Contains(errs, "test-bad") {
				t.Errorf("the error does not name the plugin: %q", errs)
			}
			if !strings.Contains(strings.ToLower(errs), c.want) {
				t.Errorf("the error does not say %q: %q", c.want, errs)
			}
			s.noImage(t, "bad")
			noPluginLeft(t, path)
			if c.mode == "not-executable" {
				// Not a plugin any more: skipped without a word, so
				// BAD is an unknown instruction.
				out, errs, _ := s.hull(t, "plugin", "ls", "--plugin-dir", dir)
				if strings.Contains(out+errs, path) {
					t.Errorf("plugin ls mentions the non-executable %s:\n%s%s", path, out, errs)
				}
			}
		})
	}
}

package test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hostPlugin installs test/testdata/hostplugin (HOSTCALL) in a fresh
// plugin directory.
func hostPlugin(t *testing.T, s *store) (dir, path string) {
	return ownPlugin(t, s, "hostplugin", "hull-test-hostcall")
}

// ownPlugin installs the test plugin built as built (make test-plugins,
// or the suite itself: see pluginBuildDir) as name in a fresh plugin
// directory.
func ownPlugin(t *testing.T, s *store, built, name string) (dir, path string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(pluginBuildDir(t), built)); err != nil {
		t.Fatalf("%s is not built (make test-plugins): %v", built, err)
	}
	return testPlugin(t, s, built, name)
}

// dirState describes every entry of dir (names, modes, sizes, mtimes and
// contents), to tell whether anything in it was touched.
func dirState(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s %v %d %d\n", p, fi.Mode(), fi.Size(), fi.ModTime().UnixNano())
		if fi.Mode().IsRegular() {
			c, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "  %q\n", c)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestBuildPluginHostCallsStayInRoot: a plugin aims every Host
// file-system call (Stat, Lstat, ListDir, ReadFile, Remove, Mkdir,
// Symlink, and COPY through Builtin) at a canary directory in the test user's home, through an
// absolute symlink, a relative one climbing with ../, a chain of links
// and an unclean path. Each call stays inside the build's root: it fails
// with the typed error a Go plugin tests with errors.Is (not-found,
// invalid), the canary is neither read nor changed, and nothing is
// created in it; nor does the built-in COPY reached through Host.Builtin
// copy it from the context. The same calls on paths of the image work, Run
// captures output with its cap, and Remove of a link removes the link.
func TestBuildPluginHostCallsStayInRoot(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	dir, path := hostPlugin(t, s)
	canary, secret := canaryInHome(t)
	before := dirState(t, canary)

	up := strings.Repeat("../", 12) + strings.TrimPrefix(canary, "/")
	ctx := buildContext(t, map[string]string{"f": "context", "Dockerfile": fmt.Sprintf(`FROM busybox
RUN mkdir -p /d && echo inside > /d/f && ln -s %[1]s /abs && ln -s %[2]s /up && ln -s /abs /chain
HOSTCALL stat:/abs/CANARY stat:/up/CANARY stat:/chain/CANARY lstat:/abs/CANARY lstat:/chain/CANARY read:/abs/CANARY read:/up/CANARY read:/chain/CANARY listdir:/abs listdir:/up listdir:/chain listdir:%[1]s
HOSTCALL remove:/abs/CANARY remove-r:/up/CANARY remove:/chain/CANARY remove-r:%[1]s mkdir:/abs/new mkdir-p:/up/new/x mkdir:/chain/new mkdir:%[1]s/new symlink:/abs/evil:/etc/passwd symlink:/up/evil:x symlink:/chain/evil:x mkdir:/../../../..%[1]s/new
HOSTCALL copy:%[2]s/CANARY:/stolen copy:/abs/CANARY:/stolen2 copy:f:/copied
HOSTCALL remove-r:/abs remove:/up stat:/d/f listdir:/d mkdir:/d/sub symlink:/d/l:f lstat:/d/l read:/d/l remove:/d "run:cat /d/f; echo err >&2" "run:yes | head -c 1000"
RUN test ! -e /stolen && test ! -e /stolen2 && test "$(cat /copied)" = context && test -d /d/sub && test "$(readlink /d/l)" = f && test ! -e /abs && test ! -L /up && test -L /chain && test "$(cat /d/f)" = inside
`, canary, up)})
	out := s.mustBuild(t, "-t", "hostcalls", "--plugin-dir", dir, ctx)

	for _, want := range []string{
		"hostcall stat /abs/CANARY: not-found", "hostcall stat /up/CANARY: not-found", "hostcall stat /chain/CANARY: not-found",
		"hostcall lstat /abs/CANARY: not-found", "hostcall lstat /chain/CANARY: not-found",
		"hostcall read /abs/CANARY: not-found", "hostcall read /up/CANARY: not-found", "hostcall read /chain/CANARY: not-found",
		"hostcall listdir /abs: not-found", "hostcall listdir /up: not-found", "hostcall listdir /chain: not-found",
		"hostcall listdir " + canary + ": not-found",
		"hostcall remove /abs/CANARY: not-found", "hostcall remove-r /up/CANARY: not-found", "hostcall remove /chain/CANARY: not-found",
		"hostcall remove-r " + canary + ": not-found",
		"hostcall mkdir /abs/new: not-found", "hostcall mkdir-p /up/new/x: not-found", "hostcall mkdir /chain/new: not-found",
		"hostcall mkdir " + canary + "/new: not-found",
		"hostcall symlink /abs/evil: not-found", "hostcall symlink /up/evil: not-found", "hostcall symlink /chain/evil: not-found",
		"hostcall mkdir /../../../.." + canary + "/new: invalid",
		// The built-in COPY a plugin delegates to stays in the context.
		"hostcall copy " + up + "/CANARY: other", "hostcall copy /abs/CANARY: other", "hostcall copy f: ok",
		// In the image: the links themselves go, the rest works.
		"hostcall remove-r /abs: ok", "hostcall remove /up: ok",
		"hostcall stat /d/f: ok name=f size=7 mode=-rw-r--r--", "hostcall listdir /d: ok [f]",
		"hostcall mkdir /d/sub: ok", "hostcall symlink /d/l: ok", `hostcall lstat /d/l: ok name=l size=1 mode=Lrwxrwxrwx link="f"`,
		`hostcall read /d/l: ok "inside\n"`, "hostcall remove /d: not-empty",
		`hostcall run cat /d/f; echo err >&2: ok exit=0 stdout="inside\n" stderr="err\n" truncated=false`,
		`hostcall run yes | head -c 1000: ok exit=0 stdout="y\ny\ny\n`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("build output lacks %q", want)
		}
	}
	if !strings.Contains(out, "truncated=true") {
		t.Errorf("the capped run is not marked truncated")
	}
	if strings.Contains(out, secret) {
		t.Errorf("the canary's secret is in the build output")
	}
	if t.Failed() {
		t.Logf("build output:\n%s", out)
	}
	if after := dirState(t, canary); after != before {
		t.Errorf("the canary dir changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	noPluginLeft(t, path)
}

// TestBuildPluginHeredocs: a plugin that sets Info.Heredocs gets the
// bodies after its keyword (the parser does not read them as
// instructions), and sdk.ExpandHeredoc expands them as RUN and COPY do:
// variables in an unquoted one, nothing in a quoted one.
func TestBuildPluginHeredocs(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	dir, _ := hostPlugin(t, s)
	ctx := buildContext(t, map[string]string{"Dockerfile": `FROM busybox
ARG WHO=world
ENV GREETING=hello
HOSTCALL <<EOF <<-'RAW' stat:/heredoc/EOF
$GREETING "${WHO}" \$WHO
EOF
	keep $WHO
	RAW
RUN test "$(cat /heredoc/EOF)" = 'hello "world" $WHO' && test "$(cat /heredoc/RAW)" = 'keep $WHO'
`})
	out := s.mustBuild(t, "-t", "heredocs", "--plugin-dir", dir, ctx)
	if !strings.Contains(out, "hostcall stat /heredoc/EOF: ok name=EOF size=19") {
		t.Errorf("the heredoc file is not there when the plugin stats it:\n%s", out)
	}
}

// TestBuildPluginWrapsBuiltin: examples/copy-guard overrides COPY and ADD
// and delegates to hull's own with Host.Builtin. A delegated COPY keeps
// the built-in's features (a variable source, --chown, a heredoc); its
// cache key covers the sources' content (CacheInputs.Builtin), so a
// changed source is copied again; a refused source fails the build at its
// line before anything is copied.
func TestBuildPluginWrapsBuiltin(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	dir, path := ownPlugin(t, s, "hull-copy-guard", "hull-copy-guard")
	ctx := buildContext(t, map[string]string{
		"app/file": "one\n",
		".env":     "TOKEN=secret\n",
		"Dockerfile": `FROM busybox
ARG D=app
COPY --chown=7:8 $D/ /srv/
COPY <<EOF /srv/hello
hi
EOF
COPY --allow-secrets .env /srv/
RUN test "$(cat /srv/hello)" = hi && test "$(stat -c %u:%g /srv/file)" = 7:8 && test -f /srv/.env
`,
	})
	s.mustBuild(t, "-t", "guarded", "--plugin-dir", dir, ctx)
	if got := s.sh(t, "guarded", "cat /srv/file"); got != "one\n" {
		t.Errorf("/srv/file = %q", got)
	}
	if err := os.WriteFile(filepath.Join(ctx, "app/file"), []byte("two\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.mustBuild(t, "-t", "guarded", "--plugin-dir", dir, ctx)
	if got := s.sh(t, "guarded", "cat /srv/file"); got != "two\n" {
		t.Errorf("after the source changed, /srv/file = %q: the delegated COPY replayed a stale cache entry", got)
	}

	if err := os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte("FROM busybox\nRUN echo before\nCOPY .env /srv/\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errs, code := s.build(t, "-t", "refused", "--plugin-dir", dir, ctx)
	if code == 0 || !strings.Contains(errs, "Dockerfile:3") || !strings.Contains(errs, "COPY .env: looks like a secret") {
		t.Errorf("COPY .env: exit %d, %s", code, errs)
	}
	noPluginLeft(t, path)
}

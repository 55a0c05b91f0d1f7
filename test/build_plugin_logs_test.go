package test

import (
	"os"
	"strings"
	"testing"
)

// setMode makes the hull-test-bad plugin at path behave as mode from its
// next start (see testdata/buildplugin).
func setMode(t *testing.T, path, mode string) {
	t.Helper()
	if err := os.WriteFile(path+".mode", []byte(mode), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A crashed plugin's last stderr lines are in the one-line build error.
func TestBuildPluginCrashQuotesStderr(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	dir, path := testPlugin(t, s, "buildplugin", "hull-test-bad")
	setMode(t, path, "crash")
	ctx := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nBAD thing\n"})
	_, errs, code := s.hull(t, "build", "-q", "-t", "bad", "--plugin-dir", dir, ctx)
	if code == 0 {
		t.Fatal("the build succeeded")
	}
	oneLineError(t, errs)
	for _, want := range []string{"Dockerfile:2", "hull-test-bad", "crashed (exit status 3)", "stderr: test-bad: crashing on purpose"} {
		if !strings.Contains(errs, want) {
			t.Errorf("the error lacks %q: %q", want, errs)
		}
	}
	noPluginLeft(t, path)
}

// HULL_PLUGIN_LOG=debug (or hull --debug) shows a plugin's stderr from
// every method, live and prefixed with its name; otherwise none of it, and
// none of go-plugin's own log lines, reaches the user.
func TestBuildPluginLogDebug(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	dir, path := testPlugin(t, s, "buildplugin", "hull-test-bad")
	setMode(t, path, "log")
	ctx := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nBAD thing\n"})
	wants := []string{"plugin hull-test-bad: test-bad: info", "plugin hull-test-bad: test-bad: cache inputs",
		`plugin hull-test-bad: level=INFO msg="test-bad: execute" args=thing`}

	quiet := s.mustBuild(t, "-t", "quiet", "--plugin-dir", dir, ctx)
	if strings.Contains(quiet, "test-bad:") || strings.Contains(quiet, "[ERROR]") || strings.Contains(quiet, "[WARN]") ||
		strings.Contains(quiet, "[DEBUG]") {
		t.Errorf("plugin output without HULL_PLUGIN_LOG:\n%s", quiet)
	}

	env := s.env
	s.env = append(append([]string(nil), env...), "HULL_PLUGIN_LOG=debug")
	loud := s.mustBuild(t, "-t", "loud", "--plugin-dir", dir, ctx)
	s.env = env
	for _, w := range wants {
		if !strings.Contains(loud, w) {
			t.Errorf("HULL_PLUGIN_LOG=debug: the output lacks %q:\n%s", w, loud)
		}
	}
	// The lines are streamed as the plugin writes them, by a reader of its
	// stderr pipe; they are not ordered against hull's own progress lines
	// (under load a line may follow its step's DONE), so only their
	// presence is checked above.

	_, debug, code := s.hull(t, "--debug", "build", "--progress", "plain", "-t", "debug", "--plugin-dir", dir, ctx)
	if code != 0 {
		t.Fatalf("hull --debug build: exit %d", code)
	}
	if !strings.Contains(debug, wants[2]) {
		t.Errorf("hull --debug: the output lacks %q:\n%s", wants[2], debug)
	}
	noPluginLeft(t, path)
}

// A plugin whose Info panics costs the build no raw go-plugin lines and no
// stack trace: at most one line names it, with the panic's message.
func TestBuildPluginInfoPanicQuiet(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	dir, path := testPlugin(t, s, "buildplugin", "hull-test-bad")
	setMode(t, path, "info-panic")
	ctx := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nENV A=1\n"})
	for i := 0; i < 2; i++ {
		progress := s.mustBuild(t, "-t", "ok", "--plugin-dir", dir, ctx)
		var about []string
		for _, l := range lines(progress) {
			if strings.Contains(l, "hull-test-bad") || strings.Contains(l, "test-bad") {
				about = append(about, l)
			}
		}
		if strings.Contains(progress, "[ERROR]") || strings.Contains(progress, "goroutine ") || len(about) > 1 {
			t.Errorf("build %d: raw plugin output:\n%s", i+1, progress)
		}
		if len(about) == 1 && !strings.Contains(about[0], "panic: test-bad: no info today") {
			t.Errorf("build %d: the line about the plugin does not give the panic: %q", i+1, about[0])
		}
	}
	noPluginLeft(t, path)
}

// A plugin rebuilt with the same Version does not replay the old binary's
// cached steps; HULL_PLUGIN_DEV=1 never replays a plugin step, and keys the
// steps after it on its result.
func TestBuildPluginRebuiltNotCached(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	dir, path := testPlugin(t, s, "buildplugin", "hull-test-label")
	ctx := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nLABEL a=b\nENV X=1\n"})
	cached := func(progress string) int { return strings.Count(progress, " CACHED") }
	build := func(env ...string) string {
		t.Helper()
		old := s.env
		s.env = append(append([]string(nil), old...), env...)
		defer func() { s.env = old }()
		return s.mustBuild(t, "-t", "lbl", "--plugin-dir", dir, ctx)
	}
	build()
	if p := build(); cached(p) != 2 {
		t.Fatalf("an unchanged plugin: %d steps cached, want 2:\n%s", cached(p), p)
	}
	// The same plugin, another binary (same Info, same Version).
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("rebuilt")); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if p := build(); cached(p) != 0 {
		t.Errorf("a rebuilt plugin replayed %d cached steps:\n%s", cached(p), p)
	}
	if p := build(); cached(p) != 2 {
		t.Errorf("the rebuilt plugin's own steps: %d cached, want 2:\n%s", cached(p), p)
	}
	// Dev mode: LABEL runs every time; ENV after it is keyed on LABEL's
	// result, the same each time here, so it is cached from the 2nd run.
	if p := build("HULL_PLUGIN_DEV=1"); strings.Contains(p, "#2 CACHED") {
		t.Errorf("HULL_PLUGIN_DEV=1 replayed the plugin's step:\n%s", p)
	}
	if p := build("HULL_PLUGIN_DEV=1"); strings.Contains(p, "#2 CACHED") || cached(p) != 1 {
		t.Errorf("HULL_PLUGIN_DEV=1, again: want only ENV cached:\n%s", p)
	}
	if l := jsonText(s.imageConfig(t, "lbl")["Labels"]); l != `{"a":"b","overridden-by":"hull-test-label"}` {
		t.Errorf("labels %s: LABEL was not handled by the plugin", l)
	}
	noPluginLeft(t, path)
}

package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pinPlugin installs the witness plugin (testdata/pinplugin) as name in a
// fresh plugin directory of s and returns the directory, the plugin's path
// and the pin file hull reads ($XDG_CONFIG_HOME/hull/plugins.pin).
func pinPlugin(t *testing.T, s *store, name string) (dir, path, pinFile string) {
	t.Helper()
	dir, path = testPlugin(t, s, "pinplugin", name)
	for _, e := range s.env {
		if v, ok := strings.CutPrefix(e, "XDG_CONFIG_HOME="); ok {
			pinFile = filepath.Join(v, "hull", "plugins.pin")
		}
	}
	if err := os.MkdirAll(filepath.Dir(pinFile), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir, path, pinFile
}

// traces counts the lines the witness plugin at path left in path+suffix
// (.launches, .executes).
func traces(t *testing.T, path, suffix string) int {
	t.Helper()
	b, err := os.ReadFile(path + suffix)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "ran")
}

// plugins.pin is read by every build and by plugin ls. A plugin whose file
// no longer matches its pin — swapped after it was pinned — is refused
// with one line naming it, the pin file and both digests, and never runs:
// not for a build, not to be asked its Info.
func TestPluginPinFile(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	dir, path, pinFile := pinPlugin(t, s, "hull-test-pin")
	good := sha256File(t, path)
	ls := s.mustHull(t, "plugin", "ls", "--no-trunc", "--plugin-dir", dir)
	if !hasLine(ls, "CANARY", path, good, "unpinned") {
		t.Errorf("plugin ls does not show CANARY unpinned:\n%s", ls)
	}
	if err := os.WriteFile(pinFile, []byte("# reviewed\ntest-pin="+good+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if ls := s.mustHull(t, "plugin", "ls", "--plugin-dir", dir); !hasLine(ls, "CANARY", "PINNED") {
		t.Errorf("plugin ls does not show CANARY PINNED:\n%s", ls)
	}
	ctx := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo ran-$((6*7))\nCANARY x\n"})
	s.mustBuild(t, "-t", "pinned", "--plugin-dir", dir, ctx)
	if n := traces(t, path, ".executes"); n != 1 {
		t.Fatalf("the pinned plugin ran Execute %d times, want 1", n)
	}
	launched := traces(t, path, ".launches")

	// The swap: same path, another file (the binary with bytes added).
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("\nanother build\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	bad := sha256File(t, path)
	out, errs, code := s.build(t, "-t", "swapped", "--plugin-dir", dir, ctx)
	if code != 125 {
		t.Errorf("build with a swapped pinned plugin: exit %d, want 125", code)
	}
	oneLineError(t, errs)
	for _, w := range []string{"Dockerfile:3", path, pinFile, good, bad} {
		if !strings.Contains(errs, w) {
			t.Errorf("the pin error does not name %s: %q", w, errs)
		}
	}
	if strings.Contains(out+errs, "ran-42") {
		t.Error("the RUN before the refused plugin's line ran")
	}
	s.noImage(t, "swapped")
	ls, lsErrs, _ := s.hull(t, "plugin", "ls", "--plugin-dir", dir)
	if !hasLine(ls, "CANARY", "MISMATCH") || !strings.Contains(lsErrs, "checksum mismatch") {
		t.Errorf("plugin ls does not show the mismatch:\n%s%s", ls, lsErrs)
	}
	// A --plugin-checksum naming no plugin is refused (the pin file still
	// holds test-pin, so nothing here may launch the swapped file).
	if _, errs, code := s.build(t, "--plugin-dir", dir, "--plugin-checksum", "tset-pin="+good, ctx); code != 125 ||
		!strings.Contains(errs, "--plugin-checksum tset-pin") {
		t.Errorf("a pin for no plugin: exit %d, %q", code, errs)
	}
	// The same refusal from --plugin-checksum alone.
	if err := os.Remove(pinFile); err != nil {
		t.Fatal(err)
	}
	_, errs, code = s.build(t, "--plugin-dir", dir, "--plugin-checksum", "test-pin="+good, ctx)
	if code != 125 || !strings.Contains(errs, "--plugin-checksum") || !strings.Contains(errs, bad) {
		t.Errorf("--plugin-checksum against the swapped plugin: exit %d, %q", code, errs)
	}
	if n := traces(t, path, ".launches"); n != launched {
		t.Errorf("the swapped plugin was launched %d times", n-launched)
	}
	if n := traces(t, path, ".executes"); n != 1 {
		t.Errorf("the swapped plugin ran Execute %d more times", n-1)
	}
}

// A plugin that fails discovery (here one that crashes at start, one that
// never completes the handshake) is reported once, in one line naming it,
// and is not launched again — no new wait for its deadline — until its file
// changes. Files that are not executable, and folders, are skipped without
// a word.
func TestPluginDiscoveryFailuresOnce(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	dir, _ := testPlugin(t, s, "pinplugin", "hull-test-pin")
	crash := filepath.Join(dir, "crash")
	hang := filepath.Join(dir, "hang")
	for p, body := range map[string]string{
		crash: "#!/bin/sh\necho ran >> " + crash + ".launches\necho 'boom one' >&2\necho 'boom two' >&2\nexit 2\n",
		hang:  "#!/bin/sh\necho ran >> " + hang + ".launches\nexec sleep 60\n",
	} {
		if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "README"), []byte("notes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "old"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN true\n"})
	warnings := func(errs string) []string {
		var w []string
		for _, l := range lines(errs) {
			if strings.Contains(l, "WARNING") || strings.Contains(l, "[ERROR]") || strings.Contains(l, dir) {
				w = append(w, l)
			}
		}
		return w
	}
	errs := s.mustBuild(t, "--plugin-dir", dir, ctx)
	w := warnings(errs)
	if len(w) != 2 || !hasLine(errs, "WARNING", crash, "boom one", "boom two") || !hasLine(errs, "WARNING", hang, "hung") {
		t.Errorf("first build: want one warning line each for %s and %s, got %q", crash, hang, w)
	}
	if traces(t, crash, ".launches") != 1 || traces(t, hang, ".launches") != 1 {
		t.Fatalf("first build launched crash %d and hang %d times", traces(t, crash, ".launches"), traces(t, hang, ".launches"))
	}
	errs = s.mustBuild(t, "--plugin-dir", dir, ctx)
	if w := warnings(errs); len(w) != 0 {
		t.Errorf("second build repeats warnings: %q", w)
	}
	if traces(t, crash, ".launches") != 1 || traces(t, hang, ".launches") != 1 {
		t.Errorf("second build relaunched the broken plugins (crash %d, hang %d launches)", traces(t, crash, ".launches"), traces(t, hang, ".launches"))
	}
	// plugin ls always says why they are not used.
	_, lsErrs, _ := s.hull(t, "plugin", "ls", "--plugin-dir", dir)
	if !hasLine(lsErrs, crash) || !hasLine(lsErrs, hang) || strings.Contains(lsErrs, "README") || strings.Contains(lsErrs, "old") {
		t.Errorf("plugin ls warnings: %q", lsErrs)
	}
	// A changed file is tried again.
	if err := os.WriteFile(crash, []byte("#!/bin/sh\necho ran >> "+crash+".launches\necho 'boom three' >&2\nexit 2\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	errs = s.mustBuild(t, "--plugin-dir", dir, ctx)
	if w := warnings(errs); len(w) != 1 || !hasLine(errs, "WARNING", crash, "boom three") {
		t.Errorf("after the change: warnings %q", w)
	}
	if traces(t, crash, ".launches") != 2 || traces(t, hang, ".launches") != 1 {
		t.Errorf("after the change: crash %d, hang %d launches; want 2, 1", traces(t, crash, ".launches"), traces(t, hang, ".launches"))
	}
}

// Every keyword of every stage is resolved before the first step: an
// unknown one fails the build naming its line, and the RUN before it never
// runs (its output would show the shell's arithmetic: ran-42).
func TestBuildUnknownKeywordUpFront(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	ctx := buildContext(t, map[string]string{"Dockerfile": "FROM busybox AS first\nRUN echo ran-$((6*7))\n" +
		"FROM busybox AS other\nCOPY Dockerfile /\nTEMPALTE a b\nFROM first\nRUN echo ran-$((6*7))\n"})
	out, errs, code := s.build(t, "-t", "typo", "--target", "first", ctx)
	if code != 125 {
		t.Errorf("exit %d, want 125", code)
	}
	oneLineError(t, errs)
	if !strings.Contains(errs, "Dockerfile:5") || !strings.Contains(errs, "unknown instruction: TEMPALTE") {
		t.Errorf("the error does not name the line and keyword: %q", errs)
	}
	if strings.Contains(out+errs, "ran-42") {
		t.Error("a RUN step ran before the unknown keyword was reported")
	}
	s.noImage(t, "typo")
}

// plugin ls: description, the kind of each plugin (instruction or
// network), overrides of built-ins marked, no FROM/ARG claims, JSON lines
// and Go templates.
func TestPluginLsFormats(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	dir, pin := testPlugin(t, s, "pinplugin", "hull-test-pin")
	label, err := os.ReadFile(filepath.Join(pluginBuildDir(t), "buildplugin"))
	if err != nil {
		t.Fatal(err)
	}
	net, err := os.ReadFile(filepath.Join(pluginBuildDir(t), "hull-net-subnet"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "hull-test-label"), label, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "network"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "network", "subnet"), net, 0o755); err != nil {
		t.Fatal(err)
	}
	out, errs, code := s.hull(t, "plugin", "ls", "--format", "json", "--plugin-dir", dir)
	if code != 0 {
		t.Fatalf("plugin ls --format json: exit %d: %s", code, errs)
	}
	rows := map[string]map[string]any{}
	for _, l := range lines(out) {
		var r map[string]any
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("not a JSON line: %q: %v", l, err)
		}
		key, _ := r["Keyword"].(string)
		if key == "" {
			key = "network " + r["Name"].(string)
		}
		rows[key] = r
	}
	want := map[string]map[string]any{
		"CANARY":         {"Kind": "instruction", "Source": "external", "Name": "test-pin", "Path": pin, "Pin": "unpinned", "Description": "test: leaves a trace of each run", "SHA256": sha256File(t, pin)},
		"LABEL":          {"Kind": "instruction", "Source": "override", "Overrides": true, "Name": "test-label", "Description": "test: LABEL override"},
		"RUN":            {"Kind": "instruction", "Source": "built-in", "Builtin": true},
		"network subnet": {"Kind": "network", "Source": "external", "Path": filepath.Join(dir, "network", "subnet"), "Pin": "unpinned"},
		"network pasta":  {"Kind": "network", "Source": "built-in"},
	}
	for key, fields := range want {
		r, ok := rows[key]
		if !ok {
			t.Errorf("no row for %s in:\n%s", key, out)
			continue
		}
		for f, v := range fields {
			if r[f] != v {
				t.Errorf("%s: %s = %v, want %v", key, f, r[f], v)
			}
		}
	}
	for _, k := range []string{"FROM", "ARG"} {
		if _, ok := rows[k]; ok {
			t.Errorf("plugin ls lists a claim on %s: %v", k, rows[k])
		}
	}
	if !strings.Contains(errs, "claims FROM") {
		t.Errorf("plugin ls does not say the FROM claim is ignored: %q", errs)
	}
	names := s.mustHull(t, "plugin", "ls", "--format", "{{.Name}} {{.Kind}}", "--plugin-dir", dir)
	for _, w := range []string{"test-pin instruction", "test-label instruction", "subnet network", "none network"} {
		if !hasLine(names, w) {
			t.Errorf("--format template: no line %q in:\n%s", w, names)
		}
	}
	table := s.mustHull(t, "plugin", "ls", "--plugin-dir", dir)
	if !hasLine(table, "KEYWORD", "KIND", "PIN", "DESCRIPTION") || !hasLine(table, "LABEL", "override", "test: LABEL override") ||
		!hasLine(table, "subnet", "network") {
		t.Errorf("plugin ls table:\n%s", table)
	}
}

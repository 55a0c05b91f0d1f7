package builders

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The build engine over a fake Env (fakeenv_test.go): cache decisions,
// stages, ARG and ENV scoping, ONBUILD, errors. No namespace, no store.

const cacheDockerfile = "FROM base\nCOPY a.txt /a.txt\nARG V=1\nRUN write /v.txt v\n"

// A second build of the same context replays every step from the cache
// and gives the same layers; a cached step's layer is the store's.
func TestEngineCacheHit(t *testing.T) {
	f := newFakeEnv(t)
	f.file(t, "a.txt", "one")
	first := f.mustBuild(t, cacheDockerfile, Options{})
	if got := f.runCmds(); !slices.Equal(got, []string{"write /v.txt v"}) || f.runner.tasks["copy"] != 1 {
		t.Fatalf("first build ran %q and %d copies", got, f.runner.tasks["copy"])
	}
	if len(first.Layers) != 3 || f.layerFile(t, first.Layers[1], "a.txt") != "one" || f.layerFile(t, first.Layers[2], "v.txt") != "v" {
		t.Fatalf("layers %q: want base, COPY's a.txt, RUN's v.txt", first.Layers)
	}
	second := f.mustBuild(t, cacheDockerfile, Options{})
	if len(f.runCmds()) != 1 || f.runner.tasks["copy"] != 1 {
		t.Errorf("second build ran again: runs %q, copies %d", f.runCmds(), f.runner.tasks["copy"])
	}
	if n := strings.Count(f.out.String(), " CACHED\n"); n != 2 {
		t.Errorf("%d steps CACHED, want 2:\n%s", n, f.out.String())
	}
	if !slices.Equal(first.Layers, second.Layers) {
		t.Errorf("layers %q, then %q", first.Layers, second.Layers)
	}
}

// A changed context file misses COPY and every step after it; a changed
// ARG misses the steps after its declaration only; --no-cache runs all.
func TestEngineCacheInvalidation(t *testing.T) {
	f := newFakeEnv(t)
	f.file(t, "a.txt", "one")
	f.mustBuild(t, cacheDockerfile, Options{})

	f.file(t, "a.txt", "two!")
	res := f.mustBuild(t, cacheDockerfile, Options{})
	if len(f.runCmds()) != 2 || f.runner.tasks["copy"] != 2 {
		t.Fatalf("changed file: runs %q, copies %d; want both steps again", f.runCmds(), f.runner.tasks["copy"])
	}
	if f.layerFile(t, res.Layers[1], "a.txt") != "two!" {
		t.Errorf("COPY's layer has %q", f.layerFile(t, res.Layers[1], "a.txt"))
	}

	f.mustBuild(t, cacheDockerfile, Options{BuildArgs: map[string]string{"V": "2"}})
	if len(f.runCmds()) != 3 || f.runner.tasks["copy"] != 2 {
		t.Fatalf("changed ARG: runs %q, copies %d; want the RUN only", f.runCmds(), f.runner.tasks["copy"])
	}
	f.mustBuild(t, cacheDockerfile, Options{BuildArgs: map[string]string{"V": "2"}})
	if len(f.runCmds()) != 3 {
		t.Fatalf("same ARG again: runs %q; want all cached", f.runCmds())
	}

	f.mustBuild(t, cacheDockerfile, Options{NoCache: true})
	if len(f.runCmds()) != 4 || f.runner.tasks["copy"] != 3 {
		t.Fatalf("--no-cache: runs %q, copies %d", f.runCmds(), f.runner.tasks["copy"])
	}
}

// A cached step whose layer the store no longer has runs again.
func TestEngineCacheLayerGone(t *testing.T) {
	f := newFakeEnv(t)
	df := "FROM base\nRUN write /x x\n"
	res := f.mustBuild(t, df, Options{})
	f.store.drop(t, res.Layers[1])
	again := f.mustBuild(t, df, Options{})
	if len(f.runCmds()) != 2 {
		t.Fatalf("runs %q: the step whose layer is gone must run again", f.runCmds())
	}
	if f.layerFile(t, again.Layers[1], "x") != "x" {
		t.Errorf("the rerun's layer lacks its file")
	}
}

// Independent stages build in parallel (both RUN meet at once), a stage
// two others copy from is built once, a stage the target does not need
// is never built, and the target's layers are in Dockerfile order.
func TestEngineStages(t *testing.T) {
	f := newFakeEnv(t)
	df := `FROM base AS a
RUN meet
RUN write /a A
FROM base AS b
RUN meet
RUN write /b B
FROM base AS unused
RUN fail
FROM base
COPY --from=a /a /a1
COPY --from=b /b /b
COPY --from=a /a /a2
`
	res := f.mustBuild(t, df, Options{})
	runs := f.runCmds()
	count := func(cmd string) int {
		n := 0
		for _, r := range runs {
			if r == cmd {
				n++
			}
		}
		return n
	}
	if count("meet") != 2 || count("write /a A") != 1 || count("write /b B") != 1 || count("fail") != 0 {
		t.Fatalf("runs %q: want each of a and b once, unused never", runs)
	}
	if len(res.Layers) != 4 {
		t.Fatalf("layers %q: want base and three copies", res.Layers)
	}
	for i, want := range map[int][2]string{1: {"a1", "A"}, 2: {"b", "B"}, 3: {"a2", "A"}} {
		if got := f.layerFile(t, res.Layers[i], want[0]); got != want[1] {
			t.Errorf("layer %d: /%s = %q, want %q", i, want[0], got, want[1])
		}
	}
	if !strings.Contains(f.out.String(), "[a 2/3] RUN meet") {
		t.Errorf("stage steps are not labelled with their stage:\n%s", f.out.String())
	}
}

// --target builds that stage and what it needs only; an unknown target
// fails before anything runs.
func TestEngineTarget(t *testing.T) {
	f := newFakeEnv(t)
	df := "FROM base AS a\nRUN write /a A\nFROM a AS b\nRUN fail\n"
	res := f.mustBuild(t, df, Options{Target: "A"})
	if runs := f.runCmds(); !slices.Equal(runs, []string{"write /a A"}) || len(res.Layers) != 2 {
		t.Fatalf("runs %q, layers %q", runs, res.Layers)
	}
	_, err := f.build(t, df, Options{Target: "c"})
	if err == nil || err.Error() != `target stage "c" could not be found` {
		t.Errorf("err %v", err)
	}
}

// ARGs: meta ARGs expand FROM and reach a stage only when it declares
// them again; a stage's ARGs end with it (a stage built FROM it does not
// see them); --build-arg wins over defaults; an ARG default sees the ENV
// before it. ENV, WORKDIR and the rest of the config go on through FROM
// <stage>. RUN sees ARGs as environment variables.
func TestEngineArgEnvScoping(t *testing.T) {
	df := `ARG BASE=base
ARG GLOBAL=g1
FROM $BASE AS one
ARG GLOBAL
ARG LOCAL=l1
ENV FROMENV=e1
ARG DERIVED=${FROMENV}-${LOCAL}
WORKDIR /w
RUN one
FROM one AS two
RUN two-before
ARG LOCAL
ARG GLOBAL
RUN two-after
FROM base
RUN last
`
	type want map[string]string // "" = unset
	check := func(t *testing.T, f *fakeEnv, wants map[string]want) {
		t.Helper()
		for _, r := range f.runner.runs {
			for name, v := range wants[r.cmd] {
				got, ok := envValueOf(r.env, name)
				if v == "" && ok {
					t.Errorf("RUN %s: %s=%q, want it unset", r.cmd, name, got)
				} else if v != "" && got != v {
					t.Errorf("RUN %s: %s=%q, want %q (env %q)", r.cmd, name, got, v, r.env)
				}
			}
		}
	}
	f := newFakeEnv(t)
	f.mustBuild(t, df, Options{Target: "two"})
	check(t, f, map[string]want{
		"one":        {"GLOBAL": "g1", "LOCAL": "l1", "FROMENV": "e1", "DERIVED": "e1-l1", "BASE": ""},
		"two-before": {"GLOBAL": "", "LOCAL": "", "DERIVED": "", "FROMENV": "e1"},
		"two-after":  {"GLOBAL": "g1", "LOCAL": "", "FROMENV": "e1"},
	})
	for _, r := range f.runner.runs {
		if r.cwd != "/w" {
			t.Errorf("RUN %s in %q, want the WORKDIR /w (inherited by FROM one)", r.cmd, r.cwd)
		}
	}
	if f.runner.tasks["mkdir"] != 1 {
		t.Errorf("%d mkdir tasks, want one for WORKDIR", f.runner.tasks["mkdir"])
	}

	args := map[string]string{"LOCAL": "cli", "GLOBAL": "g2", "NOBODY": "x"}
	f = newFakeEnv(t)
	f.mustBuild(t, df, Options{Target: "two", BuildArgs: args})
	check(t, f, map[string]want{
		"one":       {"GLOBAL": "g2", "LOCAL": "cli", "DERIVED": "e1-cli"},
		"two-after": {"GLOBAL": "g2", "LOCAL": "cli"},
	})
	if !strings.Contains(f.out.String(), "WARNING: one or more build-args [NOBODY] were not consumed") {
		t.Errorf("no warning for the unused build arg:\n%s", f.out.String())
	}
	// The last stage needs neither: only it is built, and it declares
	// nothing.
	f.mustBuild(t, df, Options{BuildArgs: args})
	if runs := f.runCmds(); runs[len(runs)-1] != "last" || len(runs) != 4 {
		t.Fatalf("runs %q: want the last stage alone built", runs)
	}
	check(t, f, map[string]want{"last": {"GLOBAL": "", "LOCAL": "", "FROMENV": "", "DERIVED": ""}})
}

// A base image's ONBUILD triggers run first in the stage built FROM it, at
// the FROM line, and are not inherited; ONBUILD in the Dockerfile only
// records a trigger.
func TestEngineOnBuild(t *testing.T) {
	f := newFakeEnv(t)
	img, _ := f.store.Image(t.Context(), "base")
	img.RunConfig.OnBuild = []string{"RUN write /trig T"}
	f.store.addImage("parent", img)
	res := f.mustBuild(t, "FROM parent\nRUN write /own O\nONBUILD RUN write /later L\n", Options{})
	if runs := f.runCmds(); !slices.Equal(runs, []string{"write /trig T", "write /own O"}) {
		t.Fatalf("runs %q: want the trigger, then the stage's RUN", runs)
	}
	if !slices.Equal(res.RunConfig.OnBuild, []string{"RUN write /later L"}) {
		t.Errorf("image triggers %q: want the Dockerfile's only", res.RunConfig.OnBuild)
	}
	if f.layerFile(t, res.Layers[1], "trig") != "T" {
		t.Errorf("the trigger's layer is not the first after the base")
	}

	img.RunConfig.OnBuild = []string{"RUN fail"}
	f.store.addImage("bad-parent", img)
	_, err := f.build(t, "# a base whose trigger fails\nFROM bad-parent\nRUN write /own O\n", Options{})
	if err == nil || !strings.HasPrefix(err.Error(), "Dockerfile:2: RUN:") {
		t.Errorf("err %v: want the trigger's failure at the FROM line", err)
	}
	img.RunConfig.OnBuild = []string{"NOT-AN-INSTRUCTION"}
	f.store.addImage("odd-parent", img)
	_, err = f.build(t, "FROM odd-parent\n", Options{})
	if err == nil || !strings.HasPrefix(err.Error(), "Dockerfile:1: ") {
		t.Errorf("err %v: want an error at the FROM line", err)
	}
}

// A failed step fails the build at its Dockerfile line and leaves no
// image and no scratch dir; the layers of the steps before it are the
// cache's, and the failed step commits none.
func TestEngineFailure(t *testing.T) {
	f := newFakeEnv(t)
	res, err := f.build(t, "FROM base\nRUN write /x x\n\nRUN fail\nRUN write /y y\n", Options{})
	if err == nil || !strings.HasPrefix(err.Error(), "Dockerfile:4: RUN: ") || !strings.Contains(err.Error(), "exit code: 1") {
		t.Fatalf("err %v: want the failing RUN's line and exit code", err)
	}
	if res != nil {
		t.Errorf("a failed build returned a result to commit: %+v", res)
	}
	if runs := f.runCmds(); !slices.Equal(runs, []string{"write /x x", "fail"}) {
		t.Errorf("runs %q: nothing runs after the failure", runs)
	}
	if f.store.commits != 1 {
		t.Errorf("%d layers committed, want the first RUN's only", f.store.commits)
	}
	if left, _ := filepath.Glob(filepath.Join(f.WorkDir, "*", "*")); len(left) != 0 {
		t.Errorf("scratch left behind: %q", left)
	}

	for df, want := range map[string]string{
		"FROM nosuch\n":                         `Dockerfile:1: FROM nosuch: image "nosuch": not found`,
		"FROM base\nCOPY --from=nosuch /a /b\n": `Dockerfile:2: COPY: --from=nosuch: image "nosuch": not found`,
		"FROM base\nFROBNICATE x\n":             "Dockerfile:2: ",
		"FROM base\nRUN write /x x\nRUN ":       "Dockerfile:3: ",
	} {
		if _, err := f.build(t, df, Options{}); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%q: err %v, want %q...", df, err, want)
		}
	}
}

// Labels from --label and the base's config end up in the result, and
// the result's config is a copy (the stage's is not changed by them).
func TestEngineResultConfig(t *testing.T) {
	f := newFakeEnv(t)
	res := f.mustBuild(t, "FROM base\nLABEL a=1\nEXPOSE 80 80 443\nCMD [\"sh\"]\n", Options{Labels: map[string]string{"b": "2"}})
	c := res.RunConfig
	if c.Labels["a"] != "1" || c.Labels["b"] != "2" || !slices.Equal(c.Cmd, []string{"sh"}) ||
		!slices.Equal(c.ExposedPorts, []string{"443/tcp", "80/tcp"}) || !slices.Equal(c.Env, []string{"PATH=/usr/bin"}) {
		t.Errorf("config %+v", c)
	}
	if res.Config.OS != "linux" || res.Config.Created == nil || len(res.Config.History) != 3 {
		t.Errorf("image config %+v: want linux, a time, three history entries", res.Config)
	}
	if len(res.Layers) != 1 {
		t.Errorf("layers %q: config steps add none", res.Layers)
	}
	var buf strings.Builder
	res.out.w = &buf
	res.Committed("sha256:abc", []string{"docker.io/library/x:latest"})
	if buf.String() != "writing image sha256:abc done\nnaming to docker.io/library/x:latest done\n" {
		t.Errorf("Committed printed %q", buf.String())
	}
}

// RUN --mount=type=ssh,required=true fails the step without the agent
// (--ssh); without required the mount is left out. The same for a
// secret.
func TestEngineRequiredMounts(t *testing.T) {
	f := newFakeEnv(t)
	for _, m := range []string{"type=ssh,required=true", "type=ssh,id=gh,required", "type=secret,id=tok,required=true"} {
		_, err := f.build(t, "FROM base\nRUN --mount="+m+" write /x x\n", Options{})
		if err == nil || !strings.Contains(err.Error(), "required=true") || !strings.Contains(err.Error(), "was") {
			t.Errorf("--mount=%s without it: %v", m, err)
		}
	}
	if got := f.runCmds(); len(got) != 0 {
		t.Errorf("a step without its required mount ran: %q", got)
	}
	f.mustBuild(t, "FROM base\nRUN --mount=type=ssh write /x x\n", Options{})
	f.mustBuild(t, "FROM base\nRUN --mount=type=secret,id=tok,required=false write /y y\n", Options{})
	sock := filepath.Join(t.TempDir(), "agent.sock")
	f.mustBuild(t, "FROM base\nRUN --mount=type=ssh,id=gh,required=true write /z z\n", Options{SSH: map[string]string{"gh": sock}})
	if got := f.runCmds(); !slices.Equal(got, []string{"write /x x", "write /y y", "write /z z"}) {
		t.Errorf("ran %q", got)
	}
}

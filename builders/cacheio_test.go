package builders

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// fakeImported is a --cache-from made of another build's Result.Cache;
// its layers are the other store's dirs, or fail with bad.
type fakeImported struct {
	steps map[string]CacheStep
	from  *fakeStore
	to    *fakeStore
	bad   map[string]bool // keys whose layer fails
}

func (c *fakeImported) Step(key string) ([]byte, bool) {
	s, ok := c.steps[key]
	return s.Record, ok
}

func (c *fakeImported) Layer(ctx context.Context, key, diffID string) (string, error) {
	if c.bad[key] {
		return "", fmt.Errorf("build cache test: step %s: layer %s: content is wrong", key, diffID)
	}
	dir, ok := c.from.Layer(diffID)
	if !ok {
		return "", fmt.Errorf("no layer %s", diffID)
	}
	c.to.mu.Lock()
	c.to.layers[diffID] = dir
	c.to.mu.Unlock()
	return dir, nil
}

const exportDockerfile = "FROM base AS dep\nRUN write /d d\nFROM base AS parent\nRUN write /p p\n" +
	"FROM parent\nCOPY --from=dep /d /d\nRUN write /f f\nENV X=1\n"

// Result.Cache has every replayable step once, the final image's marked
// (mode=min exports those); a cached build hands back the same steps.
func TestEngineCacheExportSteps(t *testing.T) {
	f := newFakeEnv(t)
	res := f.mustBuild(t, exportDockerfile, Options{ExportCache: true})
	if len(res.Cache) != 5 {
		t.Fatalf("%d steps, want 5: %+v", len(res.Cache), res.Cache)
	}
	final := 0
	for _, s := range res.Cache {
		if s.Final {
			final++
			continue
		}
		if !strings.Contains(string(s.Record), "write /d d") {
			t.Errorf("a step of the final image not marked Final: %s", s.Record)
		}
	}
	if final != 4 {
		t.Errorf("%d final steps, want 4 (parent's RUN, COPY, RUN, ENV)", final)
	}
	again := f.mustBuild(t, exportDockerfile, Options{ExportCache: true})
	if !slices.EqualFunc(res.Cache, again.Cache, func(a, b CacheStep) bool { return a.Key == b.Key && a.Final == b.Final }) {
		t.Errorf("a cached build's steps differ: %+v, then %+v", res.Cache, again.Cache)
	}
	if none := f.mustBuild(t, exportDockerfile, Options{}); none.Cache != nil {
		t.Errorf("steps without ExportCache: %+v", none.Cache)
	}
}

// A fresh store replays a build from its exported steps; a step whose
// layer cannot be had runs, with a warning naming its key.
func TestEngineCacheImport(t *testing.T) {
	first := newFakeEnv(t)
	first.file(t, "a.txt", "one")
	res := first.mustBuild(t, cacheDockerfile, Options{ExportCache: true})
	imported := &fakeImported{steps: map[string]CacheStep{}, from: first.store, bad: map[string]bool{}}
	for _, s := range res.Cache {
		imported.steps[s.Key] = s
	}

	fresh := newFakeEnv(t)
	fresh.file(t, "a.txt", "one")
	imported.to = fresh.store
	fresh.Env.CacheFrom = imported
	again := fresh.mustBuild(t, cacheDockerfile, Options{})
	if len(fresh.runCmds()) != 0 || fresh.runner.tasks["copy"] != 0 {
		t.Errorf("replayed build ran %q and %d copies", fresh.runCmds(), fresh.runner.tasks["copy"])
	}
	if !slices.Equal(res.Layers, again.Layers) {
		t.Errorf("layers %q, replayed %q", res.Layers, again.Layers)
	}
	// The replayed steps are in the store's cache now.
	fresh.Env.CacheFrom = nil
	fresh.mustBuild(t, cacheDockerfile, Options{})
	if len(fresh.runCmds()) != 0 {
		t.Errorf("imported steps were not kept: ran %q", fresh.runCmds())
	}

	broken := newFakeEnv(t)
	broken.file(t, "a.txt", "one")
	imported.to = broken.store
	for _, s := range res.Cache {
		if strings.Contains(string(s.Record), "write /v.txt v") {
			imported.bad[s.Key] = true
		}
	}
	if len(imported.bad) != 1 {
		t.Fatalf("no RUN step among %+v", res.Cache)
	}
	broken.Env.CacheFrom = imported
	broken.mustBuild(t, cacheDockerfile, Options{})
	if got := broken.runCmds(); !slices.Equal(got, []string{"write /v.txt v"}) || broken.runner.tasks["copy"] != 0 {
		t.Errorf("with a bad RUN layer: ran %q and %d copies; want the RUN only", got, broken.runner.tasks["copy"])
	}
	if !strings.Contains(broken.out.String(), "WARNING: --cache-from: build cache test: step ") {
		t.Errorf("no warning:\n%s", broken.out.String())
	}
}

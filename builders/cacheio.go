package builders

import (
	"context"
	"encoding/json"
	"sort"
)

// The step cache beyond the store: steps imported from --cache-from
// (Env.CacheFrom) and the steps a build hands back for --cache-to
// (Result.Cache). Core moves them (core/remotecache); the engine only
// reads and writes records by key.

// ImportedCache is a cache from --cache-from.
type ImportedCache interface {
	// Step returns the record of the step keyed key, as the step cache's
	// index has it.
	Step(key string) (record []byte, ok bool)
	// Layer makes the layer diffID that the step keyed key made present
	// in the store, fetched from the cache and digest-checked, and
	// returns its unpacked directory. An error names the key.
	Layer(ctx context.Context, key, diffID string) (dir string, err error)
}

// CacheStep is one step of the build, for --cache-to.
type CacheStep struct {
	Key string
	// Final: the step is one of the final image's (the target stage's
	// or of a stage it is built FROM), as --cache-to mode=min exports.
	Final  bool
	DiffID string // "" when the step changed no files
	Record []byte // as the step cache's index has it
}

// exportedStep is a replayable step of a stage, kept for Result.Cache.
type exportedStep struct {
	stage int
	CacheStep
}

// importStep replays the step keyed key from --cache-from. A record or
// layer that cannot be used is a warning, and the step runs.
func (b *build) importStep(ctx context.Context, key string) (cacheRecord, string, bool) {
	var rec cacheRecord
	if b.env.CacheFrom == nil {
		return rec, "", false
	}
	data, ok := b.env.CacheFrom.Step(key)
	if !ok {
		return rec, "", false
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		b.out.line("WARNING: --cache-from: step %s: bad record (%v): running the step", key, err)
		return rec, "", false
	}
	if rec.DiffID == "" {
		return rec, "", true
	}
	dir, err := b.env.CacheFrom.Layer(ctx, key, rec.DiffID)
	if err != nil {
		b.out.line("WARNING: --cache-from: %v: running the step", err)
		return rec, "", false
	}
	return rec, dir, true
}

// keepForExport notes a replayable step for --cache-to.
func (b *build) keepForExport(st *stageState, key string, rec cacheRecord) {
	if !b.opts.ExportCache {
		return
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.exported = append(b.exported, exportedStep{stage: st.stage.Index,
		CacheStep: CacheStep{Key: key, DiffID: rec.DiffID, Record: data}})
}

// cacheSteps are the build's replayable steps, each once, those of the
// target stage and of the stages it is built FROM marked Final.
func (b *build) cacheSteps(target int) []CacheStep {
	want := map[int]bool{}
	for s := &b.df.Stages[target]; s != nil; {
		want[s.Index] = true
		dep := b.stageByRef(b.expandMeta(s.BaseName), s.Index)
		if dep == nil || dep.Name == "" {
			break
		}
		s = dep
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	seen := map[string]int{}
	var out []CacheStep
	for _, e := range b.exported {
		i, ok := seen[e.Key]
		if !ok {
			i = len(out)
			seen[e.Key] = i
			out = append(out, e.CacheStep)
		}
		out[i].Final = out[i].Final || want[e.stage]
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

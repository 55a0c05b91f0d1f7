package builders

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hull-project/hull/builders/dockerfile"
)

// build is the state of one `hull build`, shared by its stages.
type build struct {
	env      Env
	opts     Options
	df       *dockerfile.Dockerfile
	id       string
	dir      string // scratch dir for this build's steps
	work     *WorkDir
	cache    *cache
	out      *progress
	ignore   []string          // .dockerignore patterns
	metaArgs map[string]string // ARGs before the first FROM, resolved
	usedArgs sync.Map          // build-arg names some ARG consumed
	statOnce sync.Once
	stats    *statCache // context file digests, loaded on first use

	wg      sync.WaitGroup // background stage builds
	mu      sync.Mutex
	results map[int]*stageResult
	waits   map[int]chan struct{}
	errs    map[int]error
	seq     int // step counter for output
	// exported are the replayable steps, for --cache-to (cacheio.go).
	exported []exportedStep
}

// Build runs the Dockerfile in opts against its context and returns the
// image it made, for the caller to store under opts.Tags (and then to
// call Result.Committed). On failure nothing but the steps' cached layers
// is stored.
func Build(ctx context.Context, env Env, opts Options) (*Result, error) {
	if opts.DockerfileName == "" {
		opts.DockerfileName = "Dockerfile"
	}
	if err := readDockerfile(&opts); err != nil {
		return nil, err
	}
	df, err := dockerfile.ParseWith(bytes.NewReader(opts.Dockerfile), opts.DockerfileName,
		dockerfile.ParseOptions{HeredocKeywords: env.HeredocKeywords, PluginKeywords: env.PluginKeywords})
	if err != nil {
		return nil, err
	}
	switch opts.RootEmulation {
	case "", "off", "seccomp":
	default:
		return nil, fmt.Errorf("invalid --root-emulation %q: off or seccomp", opts.RootEmulation)
	}
	if err := checkAllow(opts.Allow); err != nil {
		return nil, err
	}
	if env.Resolve != nil {
		if err := resolveAll(df, opts, env.Resolve); err != nil {
			return nil, err
		}
	}
	b, err := newBuild(env, opts, df)
	if err != nil {
		return nil, err
	}
	defer b.close()
	// Stages started in the background stop with the build and are waited
	// for before its scratch dir goes.
	ctx, cancel := context.WithCancel(ctx)
	defer b.wg.Wait()
	defer cancel()
	for _, w := range df.Warnings {
		b.out.line("WARNING: %s", w)
	}
	if df.Directives.Syntax != "" {
		b.out.line("WARNING: # syntax=%s is ignored: hull runs its own frontend and instruction plugins", df.Directives.Syntax)
	}
	target, err := b.targetStage()
	if err != nil {
		return nil, err
	}
	res, err := b.stage(ctx, target)
	if err != nil {
		return nil, err
	}
	b.warnUnusedArgs()
	out := b.result(res)
	if opts.ExportCache {
		out.Cache = b.cacheSteps(target.Index)
	}
	return out, nil
}

func newBuild(env Env, opts Options, df *dockerfile.Dockerfile) (*build, error) {
	id := randomID()
	b := &build{env: env, opts: opts, df: df, id: id,
		dir:     filepath.Join(env.WorkDir, id),
		out:     newProgress(opts.Out, opts.Progress),
		results: map[int]*stageResult{}, waits: map[int]chan struct{}{}, errs: map[int]error{}}
	c, err := openCache(env.CacheDir)
	if err != nil {
		return nil, err
	}
	b.cache = c
	if b.ignore, err = readIgnore(opts); err != nil {
		return nil, err
	}
	if b.metaArgs, err = b.resolveMetaArgs(); err != nil {
		return nil, err
	}
	// Last: nothing can fail between here and the deferred close.
	if b.work, err = NewWorkDir(env.WorkDir, id); err != nil {
		return nil, err
	}
	return b, nil
}

func (b *build) close() {
	defer b.out.close()
	if err := b.stats.save(); err != nil {
		b.out.line("WARNING: save context cache: %v", err)
	}
	if err := b.env.removeAll(b.dir); err != nil {
		b.out.line("WARNING: clean up build dir %s: %v", b.dir, err)
	}
	b.work.Release() // what is left is a sweep's
	if err := os.RemoveAll(filepath.Join(b.env.StateDir, b.id)); err != nil {
		b.out.line("WARNING: clean up build state: %v", err)
	}
}

// targetStage is --target, or the last stage.
func (b *build) targetStage() (*dockerfile.Stage, error) {
	if b.opts.Target == "" {
		return &b.df.Stages[len(b.df.Stages)-1], nil
	}
	for i := range b.df.Stages {
		if b.df.Stages[i].Name == strings.ToLower(b.opts.Target) {
			return &b.df.Stages[i], nil
		}
	}
	return nil, fmt.Errorf("target stage %q could not be found", b.opts.Target)
}

// stageByRef finds a stage by AS name or index, as --from and FROM accept.
func (b *build) stageByRef(ref string, before int) *dockerfile.Stage {
	for i := 0; i < before && i < len(b.df.Stages); i++ {
		s := &b.df.Stages[i]
		if (s.Name != "" && s.Name == strings.ToLower(ref)) || fmt.Sprint(s.Index) == ref {
			return s
		}
	}
	return nil
}

// stage builds s once, whoever asks first; later callers wait for that
// result. Stages that do not depend on each other run in parallel, as
// their dependents ask for them from their own goroutines.
func (b *build) stage(ctx context.Context, s *dockerfile.Stage) (*stageResult, error) {
	b.mu.Lock()
	if w, ok := b.waits[s.Index]; ok {
		b.mu.Unlock()
		select {
		case <-w:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.results[s.Index], b.errs[s.Index]
	}
	w := make(chan struct{})
	b.waits[s.Index] = w
	b.mu.Unlock()

	b.prefetchDeps(ctx, s)
	res, err := b.runStage(ctx, s)
	b.mu.Lock()
	b.results[s.Index], b.errs[s.Index] = res, err
	b.mu.Unlock()
	close(w)
	return res, err
}

// prefetchDeps starts the stages s copies from, so that independent stages
// build in parallel with this one's first steps.
func (b *build) prefetchDeps(ctx context.Context, s *dockerfile.Stage) {
	for _, dep := range b.stageDeps(s) {
		dep := dep
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			_, _ = b.stage(ctx, dep)
		}()
	}
}

// stageDeps lists the earlier stages named by COPY --from or RUN
// --mount=from= in s.
func (b *build) stageDeps(s *dockerfile.Stage) []*dockerfile.Stage {
	var deps []*dockerfile.Stage
	add := func(ref string) {
		if ref = b.expandMeta(ref); ref == "" {
			return
		}
		if d := b.stageByRef(ref, s.Index); d != nil {
			deps = append(deps, d)
		}
	}
	for i := range s.Instructions {
		ins := &s.Instructions[i]
		if v, ok := ins.Flag("from"); ok {
			add(v)
		}
		for _, m := range ins.FlagValues("mount") {
			if kv, err := dockerfile.ParseMount(m); err == nil {
				add(kv["from"])
			}
		}
	}
	return deps
}

// result is the target stage's result as the image to commit, with the
// --label labels and the lost-owners label.
func (b *build) result(res *stageResult) *Result {
	out := &Result{Config: res.imageConfig(), RunConfig: cloneConfig(res.config), Lost: res.lost, out: b.out}
	labels := out.RunConfig.Labels
	for k, v := range b.opts.Labels {
		if labels == nil {
			labels = map[string]string{}
		}
		labels[k] = v
	}
	if len(res.lost) > 0 {
		if labels == nil {
			labels = map[string]string{}
		}
		labels[lostOwnersLabel] = lostSummary(res.lost)
	}
	out.RunConfig.Labels = labels
	for _, l := range res.layers {
		out.Layers = append(out.Layers, l.DiffID)
	}
	return out
}

func (b *build) warnUnusedArgs() {
	var unused []string
	for name := range b.opts.BuildArgs {
		if _, ok := b.usedArgs.Load(name); !ok && !predefinedArgs[name] {
			unused = append(unused, name)
		}
	}
	if len(unused) > 0 {
		sort.Strings(unused)
		b.out.line("WARNING: one or more build-args %v were not consumed", unused)
	}
}

// nextStep numbers steps across stages for the progress output.
func (b *build) nextStep() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seq++
	return b.seq
}

func randomID() string {
	var buf [16]byte
	if _, err := rand.Read(buf[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(buf[:])
}

// platform is the target platform, os/arch.
func (b *build) platform() string {
	if b.opts.Platform != "" {
		return b.opts.Platform
	}
	return runtime.GOOS + "/" + runtime.GOARCH
}

func now() time.Time { return time.Now().UTC() }

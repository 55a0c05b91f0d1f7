package builders

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hull-project/hull/builders/dockerfile"
	sdk "github.com/hull-project/hull/plugins/sdk/spec"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// step runs one instruction through its plugin, or replays it from the
// cache.
func (b *build) step(ctx context.Context, st *stageState, h Handler, ins dockerfile.Instruction) error {
	n := b.nextStep()
	b.out.step(n, b.stageLabel(st), st.pos, st.total, ins.Original)
	if err := b.checkStepEntitlements(st, ins); err != nil {
		return err
	}
	req := sdk.Request{Instruction: toSDK(ins, b.opts.DockerfileName), Config: cloneConfig(st.config),
		BuildArgs: st.args.clone().values, Stage: st.label(), Platform: b.platform()}
	in, err := h.CacheInputs(ctx, req)
	if err != nil {
		return err
	}
	if err := addBuiltinInputs(ctx, req, &in); err != nil {
		return err
	}
	in.Extra = append(in.Extra, b.entitlementKey(ins)...)
	binds, bound, err := b.bindInputs(ctx, st, req.Instruction)
	if err != nil {
		return err
	}
	key, shape, err := b.stepKey(ctx, st, h, req, in, binds)
	if err != nil {
		return err
	}
	fresh := in.NoCache || h.NoCache
	if !b.opts.NoCache && !fresh {
		if rec, ok := b.cache.get(key); ok {
			if dir, ok := b.layerUsable(rec); ok {
				st.apply(key, rec, dir)
				b.keepForExport(st, key, rec)
				b.out.cached(n)
				return nil
			}
		}
		if rec, dir, ok := b.importStep(ctx, key); ok {
			if err := b.cache.put(key, rec); err != nil {
				b.out.line("WARNING: build cache: %v", err)
			}
			st.apply(key, rec, dir)
			b.keepForExport(st, key, rec)
			b.out.cached(n)
			return nil
		}
	}
	start := time.Now()
	ws := b.newWorkspace(n)
	ws.bound = bound
	if !b.opts.NoCache && !fresh && shape != "" {
		ws.reuse = b.reuseFor(shape)
	}
	host := &stepHost{b: b, st: st, ws: ws, n: n}
	resp, err := h.Execute(ctx, req, host)
	host.close()
	if err != nil {
		if ctx.Err() == nil {
			b.failureExcerpt(n, st, ins, err)
		}
		return err
	}
	resp.Config = resultConfig(st.config, resp.Config)
	if wd := resp.Config.WorkingDir; wd != "" && wd != st.config.WorkingDir {
		if err := b.mkdir(ctx, st, ws, wd); err != nil {
			return fmt.Errorf("create WORKDIR %s: %w", wd, err)
		}
	}
	rec := cacheRecord{Config: resp.Config, History: resp.History, Created: now(), Lost: ws.lost}
	dir, err := b.commitLayer(ctx, st, ws, &rec)
	if err != nil {
		return err
	}
	if ws.unkeyed {
		// A run bound files the key does not cover: the result is not
		// cached (replaying it could hand another context's result to
		// this one), and the steps after it are keyed on what it made.
		key = resultKey(key, rec)
	} else {
		if err := b.cache.put(key, rec); err != nil {
			b.out.line("WARNING: build cache: %v", err)
		}
		b.saveReuse(shape, rec, ws.copied)
		if !fresh {
			b.keepForExport(st, key, rec)
		}
		if fresh {
			// A step that is never replayed: the steps after it are
			// keyed on its result, not on its (unchanged) inputs, or they
			// would replay what they did on an older result.
			key = resultKey(key, rec)
		}
	}
	st.apply(key, rec, dir)
	b.out.done(n, time.Since(start))
	return nil
}

// apply moves the stage past a step whose result is rec.
func (s *stageState) apply(key string, rec cacheRecord, dir string) {
	s.key = key
	s.config = cloneConfig(rec.Config)
	s.created = rec.Created
	s.lost = addLost(s.lost, rec.Lost...)
	if rec.DiffID != "" {
		s.layers = append(s.layers, Layer{DiffID: rec.DiffID, Dir: dir})
	}
	s.history = append(s.history, ocispec.History{Created: &rec.Created, CreatedBy: rec.History,
		Comment: "buildkit.dockerfile.v0", EmptyLayer: rec.DiffID == ""})
}

// layerUsable checks that a cached step's layer is still in the store.
func (b *build) layerUsable(rec cacheRecord) (string, bool) {
	if rec.DiffID == "" {
		return "", true
	}
	return b.env.Images.Layer(rec.DiffID)
}

// stepKey is the cache key: the parent's key, the plugin (its name,
// version and, for an external one, its executable's sha256), the
// instruction (without its position), the ARGs in scope, the content of
// the inputs the plugin declared and of what its bind mounts show (binds,
// from bindInputs). A step that reads the context also gets a shape: the
// same key without the context's content, which finds the layer the step
// made last time (reuse.go); "" for other steps.
func (b *build) stepKey(ctx context.Context, st *stageState, h Handler, req sdk.Request, in sdk.CacheInputs, binds []string) (string, string, error) {
	ins := req.Instruction
	ins.File, ins.Line, ins.EndLine = "", 0, 0
	insJSON, err := json.Marshal(ins)
	if err != nil {
		return "", "", err
	}
	// The build's --network is part of every key: a RUN that saw no
	// network is not the same step as one that saw the host's.
	plugin := "plugin " + h.Plugin + "@" + h.Version
	if h.SHA256 != "" {
		plugin += " sha256:" + h.SHA256
	}
	parts := []string{"parent " + st.key, plugin, "instruction " + string(insJSON),
		"network " + b.opts.Network,
		"args " + strings.Join(st.args.sorted(), "\x00"), "extra " + strings.Join(in.Extra, "\x00")}
	context := ""
	if len(in.ContextPaths) > 0 && in.From == "" {
		sum, err := b.contextHash(in.ContextPaths)
		if err != nil {
			return "", "", err
		}
		context = "context " + sum
	}
	if in.From != "" {
		sum, err := b.fromKey(ctx, st, in.From)
		if err != nil {
			return "", "", err
		}
		parts = append(parts, "from "+sum)
	}
	parts = append(parts, binds...)
	if b.rootEmulation() {
		// An emulated step's layer gives root what it could not own:
		// not the same result as the step with every id.
		parts = append(parts, "root-emulation")
	}
	if context == "" {
		return keySum(parts), "", nil
	}
	shape := keySum(append(slices.Clone(parts), "shape"))
	return keySum(append(parts, context)), shape, nil
}

// keySum hashes a key's parts, the parent first, the others sorted.
func keySum(parts []string) string {
	sort.Strings(parts[1:])
	sum := sha256.Sum256([]byte(strings.Join(parts, "\n")))
	return hex.EncodeToString(sum[:])
}

// resultKey identifies a step by what it produced (its layer and config)
// rather than by its inputs.
func resultKey(key string, rec cacheRecord) string {
	cfg, _ := json.Marshal(rec.Config)
	sum := sha256.Sum256([]byte("result " + key + "\n" + rec.DiffID + "\n" + rec.History + "\n" + string(cfg)))
	return hex.EncodeToString(sum[:])
}

// fromKey identifies the content of a --from source: an earlier stage's
// last key, or an image's id.
func (b *build) fromKey(ctx context.Context, st *stageState, from string) (string, error) {
	if dir, ok := b.namedDir(st, from); ok {
		return b.namedDirKey(dir)
	}
	res, err := b.fromSource(ctx, st, from)
	if err != nil {
		return "", err
	}
	return res.key, nil
}

// fromSource resolves --from: a stage (by name or index) built first, or an
// image.
func (b *build) fromSource(ctx context.Context, st *stageState, from string) (*stageResult, error) {
	from = b.expandMeta(from)
	if dep := b.stageByRef(from, st.stage.Index); dep != nil {
		return b.stage(ctx, dep)
	}
	if _, dir, ok := b.namedContext(from); ok && dir != "" {
		return nil, fmt.Errorf("--from=%s: a directory build context can be copied from or bind-mounted, not used here", from)
	}
	res, err := b.imageResult(ctx, b.namedImage(from))
	if err != nil {
		return nil, fmt.Errorf("--from=%s: %w", from, err)
	}
	return res, nil
}

// stageLabel is shown in step headers; single-stage builds leave it out,
// as BuildKit does.
func (b *build) stageLabel(st *stageState) string {
	if len(b.df.Stages) == 1 {
		return ""
	}
	return st.label()
}

// toSDK converts a parsed instruction to the plugin protocol's.
func toSDK(ins dockerfile.Instruction, file string) sdk.Instruction {
	out := sdk.Instruction{Keyword: ins.Keyword, Args: ins.Args, JSON: ins.JSON, Original: ins.Original,
		File: file, Line: ins.StartLine, EndLine: ins.EndLine}
	for _, f := range ins.Flags {
		out.Flags = append(out.Flags, sdk.Flag{Name: f.Name, Value: f.Value})
	}
	for _, h := range ins.Heredocs {
		out.Heredocs = append(out.Heredocs, sdk.Heredoc{Name: h.Name, Content: h.Content, Expand: h.Expand})
	}
	return out
}

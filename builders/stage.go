package builders

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hull-project/hull/builders/dockerfile"
	sdk "github.com/hull-project/hull/plugins/sdk/spec"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// stageResult is a built stage: what FROM <stage>, COPY --from and the
// final image use.
type stageResult struct {
	name    string
	key     string // cache key of the last step: identifies the content
	layers  []Layer
	config  sdk.Config
	base    ocispec.Image // the base image's config (os, arch, author...)
	history []ocispec.History
	created time.Time
	lost    []string // owners given to root under root emulation, sorted
}

// dirs returns the layer directories topmost first (overlay order).
func (r *stageResult) dirs() []string {
	out := make([]string, len(r.layers))
	for i, l := range r.layers {
		out[len(r.layers)-1-i] = l.Dir
	}
	return out
}

// imageConfig renders the result as an OCI image config, but for its
// container config (r.config) and its rootfs (the layers).
func (r *stageResult) imageConfig() ocispec.Image {
	cfg := r.base
	created := r.created
	cfg.Created = &created
	if cfg.OS == "" {
		cfg.OS = "linux"
	}
	cfg.Config = ocispec.ImageConfig{}
	cfg.History = r.history
	cfg.RootFS = ocispec.RootFS{}
	return cfg
}

// stageState is the per-stage mutable state while its steps run.
type stageState struct {
	*stageResult
	stage   *dockerfile.Stage
	args    scope
	pos     int // current step, 1-based
	total   int
	cmdSet  bool // a CMD ran in this stage (ENTRYPOINT then keeps it)
	changed bool // some step ran (not every one was cached)
}

// lookup resolves variables as Docker does in a stage: env first, then
// ARGs in scope.
func (s *stageState) lookup() dockerfile.Lookup {
	return func(name string) (string, bool) {
		for i := len(s.config.Env) - 1; i >= 0; i-- {
			if k, v, ok := strings.Cut(s.config.Env[i], "="); ok && k == name {
				return v, true
			}
		}
		v, ok := s.args.values[name]
		return v, ok
	}
}

// label names the stage in the output: its AS name or "stage-N".
func (s *stageState) label() string {
	if s.stage.Name != "" {
		return s.stage.Name
	}
	return fmt.Sprintf("stage-%d", s.stage.Index)
}

// runStage resolves the stage's base, replays ONBUILD triggers and runs
// its instructions in order.
func (b *build) runStage(ctx context.Context, s *dockerfile.Stage) (*stageResult, error) {
	base, err := b.base(ctx, s)
	if err != nil {
		return nil, err
	}
	st := &stageState{stageResult: base, stage: s, total: len(s.Instructions) + 1}
	st.name = st.label()
	n := b.nextStep()
	b.out.step(n, b.stageLabel(st), 1, st.total, s.From.Original)
	// The base is resolved by now: the live view shows FROM done (the
	// plain format has no line for it, as before).
	b.out.ttyDo(func(v *ttyView) { v.finish(n, false, false) })
	triggers := base.config.OnBuild
	st.config.OnBuild = nil
	for _, t := range triggers {
		ins, err := dockerfile.ParseInstructionLine(t)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: ONBUILD trigger %q: %w", b.opts.DockerfileName, s.From.StartLine, t, err)
		}
		ins.StartLine, ins.EndLine = s.From.StartLine, s.From.StartLine
		if err := b.instruction(ctx, st, ins); err != nil {
			return nil, err
		}
	}
	for i, ins := range s.Instructions {
		st.pos = i + 2
		if err := b.instruction(ctx, st, ins); err != nil {
			return nil, err
		}
	}
	return st.stageResult, nil
}

// instruction runs one instruction of a stage.
func (b *build) instruction(ctx context.Context, st *stageState, ins dockerfile.Instruction) error {
	if ins.Keyword == "ARG" {
		return b.declareArg(st, ins)
	}
	h, ok, err := b.env.Handler(ins.Keyword)
	if err != nil {
		return b.lineErr(ins, err)
	}
	if !ok {
		return b.unknownErr(ins)
	}
	if err := b.step(ctx, st, h, ins); err != nil {
		return b.lineErr(ins, err)
	}
	return nil
}

// unknownErr is the error of an instruction no plugin handles.
func (b *build) unknownErr(ins dockerfile.Instruction) error {
	if !dockerfile.IsKeyword(ins.Keyword) {
		return fmt.Errorf("%s:%d: %s", b.opts.DockerfileName, ins.StartLine, dockerfile.NotAnInstruction)
	}
	return fmt.Errorf("%s:%d: unknown instruction: %s (no plugin handles it; see `hull plugin ls`)",
		b.opts.DockerfileName, ins.StartLine, ins.Keyword)
}

// resolveAll checks, before anything runs, that every instruction of every
// stage has a plugin that may run: a typo or a missing plugin on the last
// line fails the build before the first RUN, not after it. (ONBUILD
// triggers of a base image are only known when the stage starts; they are
// checked as they run.)
func resolveAll(df *dockerfile.Dockerfile, opts Options, resolve func(string) (bool, error)) error {
	b := &build{opts: opts}
	for _, s := range df.Stages {
		for _, ins := range s.Instructions {
			if ins.Keyword == "ARG" {
				continue
			}
			ok, err := resolve(ins.Keyword)
			if err != nil {
				return b.lineErr(ins, err)
			}
			if !ok {
				return b.unknownErr(ins)
			}
		}
	}
	return nil
}

// base resolves FROM: scratch, an earlier stage, or an image.
func (b *build) base(ctx context.Context, s *dockerfile.Stage) (*stageResult, error) {
	name := b.expandMeta(s.BaseName)
	if name == "" {
		return nil, fmt.Errorf("%s:%d: FROM: base name %q expands to nothing", b.opts.DockerfileName, s.From.StartLine, s.BaseName)
	}
	if strings.EqualFold(name, "scratch") {
		return &stageResult{key: "scratch", created: time.Unix(0, 0).UTC(),
			base: ocispec.Image{Platform: ocispec.Platform{OS: "linux", Architecture: archOf(b.platform())}}}, nil
	}
	if dep := b.stageByRef(name, s.Index); dep != nil && dep.Name != "" {
		res, err := b.stage(ctx, dep)
		if err != nil {
			return nil, err
		}
		return res.clone(), nil
	}
	if _, dir, ok := b.namedContext(name); ok && dir != "" {
		return nil, fmt.Errorf("%s:%d: FROM %s: the build context %s is a directory: FROM needs docker-image://REF", b.opts.DockerfileName, s.From.StartLine, name, name)
	}
	res, err := b.imageResult(ctx, b.namedImage(name))
	if err != nil {
		return nil, fmt.Errorf("%s:%d: FROM %s: %w", b.opts.DockerfileName, s.From.StartLine, name, err)
	}
	return res, nil
}

// imageResult finds an image (pulling it when it is not stored) and
// turns it into a stage base.
func (b *build) imageResult(ctx context.Context, name string) (*stageResult, error) {
	img, err := b.env.Images.Image(ctx, name)
	if err != nil {
		return nil, err
	}
	return &stageResult{key: img.ID, base: img.Config, config: cloneConfig(img.RunConfig),
		layers:  append([]Layer(nil), img.Layers...),
		history: append([]ocispec.History(nil), img.Config.History...), created: img.Created}, nil
}

func (r *stageResult) clone() *stageResult {
	c := *r
	c.layers = append([]Layer(nil), r.layers...)
	c.history = append([]ocispec.History(nil), r.history...)
	c.config = cloneConfig(r.config)
	return &c
}

func archOf(platform string) string {
	_, arch, _ := strings.Cut(platform, "/")
	arch, _, _ = strings.Cut(arch, "/")
	return arch
}

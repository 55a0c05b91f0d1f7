package instructions

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	sdk "github.com/hull-project/hull/plugins/sdk/spec"
)

// Version is the built-in plugin's version. It is part of every cache key:
// bump it whenever a handler's result changes for the same request.
// 2: layers record the container's owners and file capabilities (those of
// version 1 could hold host ids).
const Version = "2"

// Name is the built-in plugin's name.
const Name = "builtin"

// execFunc executes one keyword.
type execFunc func(ctx context.Context, req sdk.Request, host sdk.Host) (sdk.Response, error)

// keywords maps each keyword to its function.
var keywords = map[string]execFunc{
	"RUN":         execRun,
	"CMD":         execCmd,
	"ENTRYPOINT":  execEntrypoint,
	"LABEL":       execLabel,
	"EXPOSE":      execExpose,
	"ENV":         execEnv,
	"ADD":         execCopy,
	"COPY":        execCopy,
	"VOLUME":      execVolume,
	"USER":        execUser,
	"WORKDIR":     execWorkdir,
	"STOPSIGNAL":  execStopSignal,
	"HEALTHCHECK": execHealthcheck,
	"SHELL":       execShell,
	"ONBUILD":     execOnbuild,
	"MAINTAINER":  execMaintainer,
}

// Builtins returns the built-in handlers (one Handler may serve several
// keywords): a single handler named Name serving every keyword above.
func Builtins() []sdk.Handler {
	return []sdk.Handler{handler{}}
}

type handler struct{}

var _ sdk.Handler = handler{}

func (handler) Info() sdk.Info {
	kws := make([]string, 0, len(keywords))
	for k := range keywords {
		kws = append(kws, k)
	}
	sort.Strings(kws)
	return sdk.Info{
		Name:        Name,
		Version:     Version,
		Keywords:    kws,
		Description: "Dockerfile instructions built into hull",
	}
}

// CacheInputs names, besides the instruction text, everything a handler
// reads: the config before the step (ENV values, SHELL, WORKDIR... decide
// what RUN runs and what a config instruction produces) and the build args
// in scope. COPY and ADD add their sources.
func (handler) CacheInputs(_ context.Context, req sdk.Request) (sdk.CacheInputs, error) {
	if _, ok := keywords[req.Instruction.Keyword]; !ok {
		return sdk.CacheInputs{}, fmt.Errorf("builtin: unknown keyword %q", req.Instruction.Keyword)
	}
	in := sdk.CacheInputs{Extra: stateInputs(req)}
	if req.Instruction.Keyword == "COPY" || req.Instruction.Keyword == "ADD" {
		if err := copyInputs(req, &in); err != nil {
			return sdk.CacheInputs{}, err
		}
	}
	return in, nil
}

// stateInputs encodes the config and build args; encoding/json sorts map
// keys, so equal states give equal strings. Empty lists and maps are
// encoded as absent: the wire does not keep the difference.
func stateInputs(req sdk.Request) []string {
	cfg, _ := json.Marshal(normalConfig(req.Config))
	args := []byte("null")
	if len(req.BuildArgs) > 0 {
		args, _ = json.Marshal(req.BuildArgs)
	}
	return []string{"config=" + string(cfg), "args=" + string(args)}
}

func (handler) Execute(ctx context.Context, req sdk.Request, host sdk.Host) (sdk.Response, error) {
	f, ok := keywords[req.Instruction.Keyword]
	if !ok {
		return sdk.Response{}, fmt.Errorf("builtin: unknown keyword %q", req.Instruction.Keyword)
	}
	// Errors go back unwrapped: the engine prefixes the file, line and
	// instruction, and RUN's must read exactly as BuildKit's.
	return f(ctx, req, host)
}

// normalConfig returns c with empty slices and maps set to nil.
func normalConfig(c sdk.Config) sdk.Config {
	for _, l := range []*[]string{&c.Env, &c.Entrypoint, &c.Cmd, &c.ExposedPorts, &c.Volumes, &c.Shell, &c.OnBuild} {
		if len(*l) == 0 {
			*l = nil
		}
	}
	if len(c.Labels) == 0 {
		c.Labels = nil
	}
	if c.Healthcheck != nil && len(c.Healthcheck.Test) == 0 {
		h := *c.Healthcheck
		h.Test = nil
		c.Healthcheck = &h
	}
	return c
}

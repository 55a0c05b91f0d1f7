// Command hull-template is an example hull instruction plugin. It adds
//
//	TEMPLATE <src> <dest>
//
// which reads <src> from the image being built, expands ${VAR} and $VAR
// from the build args in scope and then the stage's ENV, and writes the
// result to <dest> (mode 0644, or --mode=0600, owned by --chown). Unknown
// variables expand to nothing, as in a shell.
//
// It imports only plugins/sdk: build it, drop it into
// ~/.config/hull/plugins and use TEMPLATE in a Dockerfile (docs/plugins.md).
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/hull-project/hull/plugins/sdk"
)

func main() { sdk.Serve(template{}) }

type template struct{}

func (template) Info() sdk.Info {
	return sdk.Info{
		Name:        "template",
		Version:     "1.0.0",
		Keywords:    []string{"TEMPLATE"},
		Description: "expand ${VAR} in a file of the image from build args and ENV",
	}
}

// CacheInputs adds nothing: the source file is in the parent layer and the
// variables are in the request, both already in the cache key.
func (template) CacheInputs(context.Context, sdk.Request) (sdk.CacheInputs, error) {
	return sdk.CacheInputs{}, nil
}

func (template) Execute(ctx context.Context, req sdk.Request, host sdk.Host) (sdk.Response, error) {
	in := req.Instruction
	if in.Keyword != "TEMPLATE" {
		return sdk.Response{}, fmt.Errorf("this plugin handles TEMPLATE, not %s", in.Keyword)
	}
	// Shell form arrives as one raw string: expand and split it into
	// words as hull's own instructions do (quotes, $VAR, ${VAR:-x}).
	args, err := req.ArgWords()
	if err != nil {
		return sdk.Response{}, fmt.Errorf("TEMPLATE: %w", err)
	}
	in.Args = args
	if len(in.Args) != 2 {
		return sdk.Response{}, fmt.Errorf("TEMPLATE wants <src> <dest>, got %d arguments", len(in.Args))
	}
	mode, chown, err := flags(in.Flags)
	if err != nil {
		return sdk.Response{}, err
	}
	src, dest := abs(in.Args[0], req.Config.WorkingDir), abs(in.Args[1], req.Config.WorkingDir)
	text, err := host.ReadFile(ctx, src)
	if err != nil {
		return sdk.Response{}, fmt.Errorf("TEMPLATE read %s: %w", src, err)
	}
	out := os.Expand(string(text), lookup(req))
	err = host.WriteFile(ctx, sdk.WriteFileRequest{Path: dest, Content: []byte(out), Mode: mode, Chown: chown})
	if err != nil {
		return sdk.Response{}, fmt.Errorf("TEMPLATE write %s: %w", dest, err)
	}
	_ = host.Log(ctx, fmt.Sprintf("TEMPLATE %s -> %s (%d bytes)", src, dest, len(out)))
	return sdk.Response{Config: req.Config, History: "TEMPLATE " + src + " " + dest + " # hull-template"}, nil
}

func flags(fs []sdk.Flag) (mode uint32, chown string, err error) {
	mode = 0o644
	for _, f := range fs {
		switch f.Name {
		case "mode":
			m, err := strconv.ParseUint(f.Value, 8, 32)
			if err != nil || m > 0o7777 {
				return 0, "", fmt.Errorf("TEMPLATE --mode=%s: want octal permissions", f.Value)
			}
			mode = uint32(m)
		case "chown":
			chown = f.Value
		default:
			return 0, "", fmt.Errorf("TEMPLATE: unknown flag --%s", f.Name)
		}
	}
	return mode, chown, nil
}

// abs resolves p against the stage's WORKDIR, as COPY does.
func abs(p, workdir string) string {
	if strings.HasPrefix(p, "/") {
		return p
	}
	if workdir == "" {
		workdir = "/"
	}
	return strings.TrimSuffix(workdir, "/") + "/" + p
}

// lookup finds a variable in the build args, then in ENV (last wins).
func lookup(req sdk.Request) func(string) string {
	return func(name string) string {
		if v, ok := req.BuildArgs[name]; ok {
			return v
		}
		val := ""
		for _, kv := range req.Config.Env {
			if k, v, ok := strings.Cut(kv, "="); ok && k == name {
				val = v
			}
		}
		return val
	}
}

package instructions

import (
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"

	sdk "github.com/hull-project/hull/plugins/sdk/spec"
)

// execRun runs a command in the build container.
func execRun(ctx context.Context, req sdk.Request, host sdk.Host) (sdk.Response, error) {
	run, history, err := runRequest(req)
	if err != nil {
		return sdk.Response{}, err
	}
	res, err := host.Run(ctx, run)
	if err != nil {
		return sdk.Response{}, fmt.Errorf("run %q: %w", strings.Join(run.Args, " "), err)
	}
	if res.ExitCode != 0 {
		// BuildKit's words, which users and CI logs grep for.
		return sdk.Response{}, fmt.Errorf("process %q did not complete successfully: exit code: %d",
			strings.Join(run.Args, " "), res.ExitCode)
	}
	return sdk.Response{Config: cloneConfig(req.Config), History: history}, nil
}

// runRequest builds what RUN asks the host to run, and its history text.
func runRequest(req sdk.Request) (sdk.RunRequest, string, error) {
	in := req.Instruction
	if len(in.Args) == 0 {
		return sdk.RunRequest{}, "", errors.New("RUN requires at least one argument")
	}
	f, err := parseFlags(in, "mount", "network", "security")
	if err != nil {
		return sdk.RunRequest{}, "", err
	}
	run := sdk.RunRequest{
		Env:        runEnv(req),
		User:       req.Config.User,
		WorkingDir: req.Config.WorkingDir,
	}
	if run.Network, err = runNetwork(req, f); err != nil {
		return sdk.RunRequest{}, "", err
	}
	if err := runSecurity(f); err != nil {
		return sdk.RunRequest{}, "", err
	}
	if run.Mounts, err = runMounts(req, f.all("mount")); err != nil {
		return sdk.RunRequest{}, "", err
	}
	shown := runArgs(req, &run)
	return run, "RUN " + historyCommand(req, shown) + " # buildkit", nil
}

// runEnv is the stage's environment plus the build args it does not set:
// Docker gives a RUN its args without keeping them in the image.
func runEnv(req sdk.Request) []string {
	env := slices.Clone(req.Config.Env)
	for _, kv := range buildArgEnv(req) {
		name, _, _ := strings.Cut(kv, "=")
		if _, ok := envValue(env, name); !ok {
			env = append(env, kv)
		}
	}
	return env
}

// historyCommand prefixes the command with the build args, as BuildKit
// does: "|2 A=1 B=2 /bin/sh -c make".
func historyCommand(req sdk.Request, args []string) string {
	env := buildArgEnv(req)
	if len(env) > 0 {
		env = append([]string{fmt.Sprintf("|%d", len(env))}, env...)
	}
	return strings.Join(append(env, args...), " ")
}

func runNetwork(req sdk.Request, f flags) (string, error) {
	v, ok := f.get("network")
	if !ok {
		return "default", nil
	}
	v, err := expand(req, v)
	if err != nil {
		return "", fmt.Errorf("--network: %w", err)
	}
	switch v {
	case "default", "none", "host":
		return v, nil
	case "":
		return "default", nil
	}
	return "", fmt.Errorf("network mode %q not supported", v)
}

func runSecurity(f flags) error {
	switch v, _ := f.get("security"); v {
	case "", "sandbox":
		return nil
	case "insecure":
		return errors.New("--security=insecure is not supported")
	default:
		return fmt.Errorf("security mode %q not supported", v)
	}
}

// reLoneHeredoc matches an argument that is nothing but one heredoc marker.
// Compiled on first use: package init runs on every hull start.
var reLoneHeredoc = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\d*<<-?\S+$`) })

// runArgs sets run.Args (and Stdin) from the command and its heredocs,
// following BuildKit, and returns the argv the history shows.
func runArgs(req sdk.Request, run *sdk.RunRequest) []string {
	in := req.Instruction
	if in.JSON || len(in.Heredocs) == 0 {
		run.Args = commandLine(req)
		return run.Args
	}
	raw := strings.TrimSpace(strings.Join(in.Args, " "))
	if len(in.Heredocs) > 1 || !reLoneHeredoc().MatchString(raw) {
		// Hand the whole text to the shell, which reads the heredocs
		// itself: "python3 <<EOF\nprint(1)\nEOF".
		var b strings.Builder
		b.WriteString(raw)
		for _, h := range in.Heredocs {
			b.WriteString("\n" + h.Content + h.Name)
		}
		run.Args = append(shell(req.Config), b.String())
		return run.Args
	}
	body := in.Heredocs[0].Content
	if interp, ok := shebang(body); ok {
		// BuildKit mounts the script at /dev/pipes/NAME and runs that; the
		// host API has no such mount, so the interpreter reads it from
		// stdin. The history keeps BuildKit's text.
		run.Args = append(interp, "/dev/stdin")
		run.Stdin = []byte(body)
		return append(shell(req.Config), path.Join("/dev/pipes", in.Heredocs[0].Name))
	}
	run.Args = append(shell(req.Config), body)
	return run.Args
}

// shebang returns the interpreter argv of a script starting with #!: the
// program and, as the kernel does, the rest of the line as one argument.
func shebang(body string) ([]string, bool) {
	if !strings.HasPrefix(body, "#!") {
		return nil, false
	}
	line, _, _ := strings.Cut(body[2:], "\n")
	prog, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
	if prog == "" {
		return nil, false
	}
	if arg = strings.TrimSpace(arg); arg != "" {
		return []string{prog, arg}, true
	}
	return []string{prog}, true
}

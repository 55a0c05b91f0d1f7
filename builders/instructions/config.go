package instructions

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/hull-project/hull/builders/dockerfile"
	sdk "github.com/hull-project/hull/plugins/sdk/spec"
	"golang.org/x/sys/unix"
)

// configOnly is the response of an instruction that changes no file.
func configOnly(c sdk.Config, history string) (sdk.Response, error) {
	return sdk.Response{Config: c, History: history, EmptyLayer: true}, nil
}

func execCmd(_ context.Context, req sdk.Request, _ sdk.Host) (sdk.Response, error) {
	if len(req.Instruction.Args) == 0 && !req.Instruction.JSON {
		return sdk.Response{}, errors.New("CMD requires at least one argument")
	}
	c := cloneConfig(req.Config)
	c.Cmd = commandLine(req)
	c.ArgsEscaped = true // BuildKit sets it for Docker's sake
	return configOnly(c, fmt.Sprintf("CMD %q", c.Cmd))
}

// execEntrypoint sets the entrypoint and clears Cmd (see the package doc
// for how this differs from Docker when CMD came earlier in the stage).
func execEntrypoint(_ context.Context, req sdk.Request, _ sdk.Host) (sdk.Response, error) {
	if len(req.Instruction.Args) == 0 && !req.Instruction.JSON {
		return sdk.Response{}, errors.New("ENTRYPOINT requires at least one argument")
	}
	c := cloneConfig(req.Config)
	c.Entrypoint = commandLine(req)
	c.Cmd = nil
	return configOnly(c, fmt.Sprintf("ENTRYPOINT %q", c.Entrypoint))
}

// keyValues parses and expands ENV or LABEL pairs. Every pair is expanded
// with the state before the instruction: in `ENV A=1 B=$A`, B does not see
// the new A (Docker's rule).
func keyValues(req sdk.Request) ([][2]string, error) {
	in := req.Instruction
	if _, err := parseFlags(in); err != nil {
		return nil, err
	}
	pairs, err := dockerfile.ParseKeyValues(strings.Join(in.Args, " "), in.Keyword)
	if err != nil {
		return nil, err
	}
	for i, p := range pairs {
		for j := range p {
			if pairs[i][j], err = expand(req, p[j]); err != nil {
				return nil, err
			}
		}
		if pairs[i][0] == "" {
			return nil, fmt.Errorf("%s names can not be blank", in.Keyword)
		}
	}
	return pairs, nil
}

func execEnv(_ context.Context, req sdk.Request, _ sdk.Host) (sdk.Response, error) {
	pairs, err := keyValues(req)
	if err != nil {
		return sdk.Response{}, err
	}
	c := cloneConfig(req.Config)
	history := "ENV"
	for _, p := range pairs {
		c.Env = setEnv(c.Env, p[0], p[1])
		history += " " + p[0] + "=" + p[1]
	}
	return configOnly(c, history)
}

func execLabel(_ context.Context, req sdk.Request, _ sdk.Host) (sdk.Response, error) {
	pairs, err := keyValues(req)
	if err != nil {
		return sdk.Response{}, err
	}
	c := cloneConfig(req.Config)
	if c.Labels == nil {
		c.Labels = map[string]string{}
	}
	history := "LABEL"
	for _, p := range pairs {
		c.Labels[p[0]] = p[1]
		history += " " + p[0] + "=" + p[1]
	}
	return configOnly(c, history)
}

// oneWord returns the instruction's single argument, expanded.
func oneWord(req sdk.Request) (string, error) {
	in := req.Instruction
	if _, err := parseFlags(in); err != nil {
		return "", err
	}
	if len(in.Args) == 0 || strings.TrimSpace(strings.Join(in.Args, " ")) == "" {
		return "", fmt.Errorf("%s requires exactly one argument", in.Keyword)
	}
	return expand(req, strings.TrimSpace(strings.Join(in.Args, " ")))
}

func execUser(_ context.Context, req sdk.Request, _ sdk.Host) (sdk.Response, error) {
	u, err := oneWord(req)
	if err != nil {
		return sdk.Response{}, err
	}
	c := cloneConfig(req.Config)
	c.User = u
	return configOnly(c, "USER "+u)
}

// execWorkdir only sets the config: the engine creates the directory when
// it sees WorkingDir change.
func execWorkdir(_ context.Context, req sdk.Request, _ sdk.Host) (sdk.Response, error) {
	wd, err := oneWord(req)
	if err != nil {
		return sdk.Response{}, err
	}
	if !path.IsAbs(wd) {
		wd = path.Join("/", req.Config.WorkingDir, wd)
	}
	c := cloneConfig(req.Config)
	c.WorkingDir = path.Clean(wd)
	return configOnly(c, "WORKDIR "+c.WorkingDir)
}

func execStopSignal(_ context.Context, req sdk.Request, _ sdk.Host) (sdk.Response, error) {
	sig, err := oneWord(req)
	if err != nil {
		return sdk.Response{}, err
	}
	if !validSignal(sig) {
		return sdk.Response{}, fmt.Errorf("invalid signal: %s", sig)
	}
	c := cloneConfig(req.Config)
	c.StopSignal = sig
	return configOnly(c, "STOPSIGNAL "+sig)
}

// validSignal accepts what Docker's signal.ParseSignal does: a number, a
// name with or without SIG, SIGRTMIN+n and SIGRTMAX-n.
func validSignal(s string) bool {
	if n, err := strconv.Atoi(s); err == nil {
		return n > 0 && n <= 64
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	for _, rt := range []string{"SIGRTMIN+", "SIGRTMAX-"} {
		if rest, ok := strings.CutPrefix(name, rt); ok {
			n, err := strconv.Atoi(rest)
			return err == nil && n >= 0 && n <= 30
		}
	}
	return name == "SIGRTMIN" || name == "SIGRTMAX" || unix.SignalNum(name) != 0
}

func execShell(_ context.Context, req sdk.Request, _ sdk.Host) (sdk.Response, error) {
	in := req.Instruction
	if !in.JSON {
		return sdk.Response{}, errors.New("SHELL requires the arguments to be in JSON form")
	}
	if len(in.Args) == 0 {
		return sdk.Response{}, errors.New("SHELL requires at least one argument")
	}
	c := cloneConfig(req.Config)
	c.Shell = append([]string(nil), in.Args...)
	return configOnly(c, fmt.Sprintf("SHELL %v", c.Shell))
}

func execVolume(_ context.Context, req sdk.Request, _ sdk.Host) (sdk.Response, error) {
	vols, err := argWords(req)
	if err != nil {
		return sdk.Response{}, err
	}
	if len(vols) == 0 {
		return sdk.Response{}, errors.New("VOLUME requires at least one argument")
	}
	for _, v := range vols {
		if strings.TrimSpace(v) == "" {
			return sdk.Response{}, errors.New("VOLUME specified can not be an empty string")
		}
	}
	c := cloneConfig(req.Config)
	c.Volumes = appendUnique(c.Volumes, vols...)
	return configOnly(c, fmt.Sprintf("VOLUME %v", vols))
}

// execOnbuild stores the trigger unexpanded: it runs, and is expanded, in
// the build that uses this image as its base.
func execOnbuild(_ context.Context, req sdk.Request, _ sdk.Host) (sdk.Response, error) {
	trigger := strings.TrimSpace(strings.Join(req.Instruction.Args, " "))
	if trigger == "" {
		return sdk.Response{}, errors.New("ONBUILD requires at least one argument")
	}
	c := cloneConfig(req.Config)
	c.OnBuild = append(c.OnBuild, trigger)
	return configOnly(c, "ONBUILD "+trigger)
}

// execMaintainer only logs: Docker stores the value as the image's Author,
// which sdk.Config does not carry.
func execMaintainer(ctx context.Context, req sdk.Request, host sdk.Host) (sdk.Response, error) {
	who := strings.TrimSpace(strings.Join(req.Instruction.Args, " "))
	if who == "" {
		return sdk.Response{}, errors.New("MAINTAINER requires exactly one argument")
	}
	msg := `MAINTAINER is deprecated and ignored; use LABEL maintainer="` + who + `"`
	if err := host.Log(ctx, msg); err != nil {
		return sdk.Response{}, fmt.Errorf("log: %w", err)
	}
	return configOnly(cloneConfig(req.Config), "MAINTAINER "+who)
}

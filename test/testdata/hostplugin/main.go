// Command hostplugin is the integration suite's instruction plugin for
// the Host file-system calls. It claims
//
//	HOSTCALL OP:PATH[:ARG] ...
//
// and performs each call in order, logging one line per call:
// "hostcall OP PATH: ok DETAILS" or "hostcall OP PATH: KIND: MESSAGE",
// where KIND is the sdk error kind the call's error matches (errors.Is).
// OPs: stat, lstat, listdir, read, remove, remove-r, mkdir, mkdir-p,
// symlink (ARG is the link's target), run (PATH is the command, run
// with its output captured) and copy (Host.Builtin with COPY PATH ARG:
// the built-in COPY from the build context). A failed call does not fail the step: the
// suite reads the log. The arguments are expanded with sdk.Words, as
// hull's own instructions expand theirs. The plugin takes here-documents
// (Info.Heredocs): HOSTCALL <<NAME writes each body, expanded with
// sdk.ExpandHeredoc unless its delimiter is quoted, to /heredoc/NAME.
package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hull-project/hull/plugins/sdk"
)

func main() { sdk.Serve(hostcall{}) }

type hostcall struct{}

func (hostcall) Info() sdk.Info {
	return sdk.Info{Name: "test-hostcall", Version: "0.0.1", Keywords: []string{"HOSTCALL"},
		Description: "test: Host file-system calls", Heredocs: true}
}

func (hostcall) CacheInputs(context.Context, sdk.Request) (sdk.CacheInputs, error) {
	return sdk.CacheInputs{NoCache: true}, nil
}

var kinds = []struct {
	err  error
	name string
}{
	{sdk.ErrNotFound, "not-found"}, {sdk.ErrPermission, "permission"}, {sdk.ErrNotEmpty, "not-empty"},
	{sdk.ErrExist, "exists"}, {sdk.ErrNotDir, "not-a-directory"}, {sdk.ErrIsDir, "is-a-directory"},
	{sdk.ErrInvalid, "invalid"}, {sdk.ErrTooLarge, "too-large"},
}

func kind(err error) string {
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			return k.name
		}
	}
	return "other"
}

func (hostcall) Execute(ctx context.Context, req sdk.Request, host sdk.Host) (sdk.Response, error) {
	words, err := req.ArgWords()
	if err != nil {
		return sdk.Response{}, err
	}
	for _, h := range req.Instruction.Heredocs {
		body, err := sdk.ExpandHeredoc(h, req.Lookup)
		if err != nil {
			return sdk.Response{}, err
		}
		if err := host.WriteFile(ctx, sdk.WriteFileRequest{Path: "/heredoc/" + h.Name, Content: []byte(body)}); err != nil {
			return sdk.Response{}, err
		}
	}
	for _, w := range words {
		if strings.HasPrefix(w, "<<") {
			continue
		}
		op, rest, _ := strings.Cut(w, ":")
		p, arg := rest, ""
		if op != "run" {
			p, arg, _ = strings.Cut(rest, ":")
		}
		detail, err := call(ctx, host, op, p, arg)
		line := fmt.Sprintf("hostcall %s %s: ok %s", op, p, detail)
		if err != nil {
			line = fmt.Sprintf("hostcall %s %s: %s: %v", op, p, kind(err), err)
		}
		if err := host.Log(ctx, line); err != nil {
			return sdk.Response{}, err
		}
	}
	return sdk.Response{Config: req.Config, History: "HOSTCALL"}, nil
}

func call(ctx context.Context, host sdk.Host, op, p, arg string) (string, error) {
	switch op {
	case "stat", "lstat":
		stat := host.Stat
		if op == "lstat" {
			stat = host.Lstat
		}
		fi, err := stat(ctx, p)
		return fmt.Sprintf("name=%s size=%d mode=%v link=%q", fi.Name, fi.Size, fi.Mode, fi.LinkTarget), err
	case "listdir":
		ents, err := host.ListDir(ctx, p)
		var names []string
		for _, e := range ents {
			names = append(names, e.Name)
		}
		return "[" + strings.Join(names, " ") + "]", err
	case "read":
		b, err := host.ReadFile(ctx, p)
		return fmt.Sprintf("%q", b), err
	case "remove", "remove-r":
		return "", host.Remove(ctx, sdk.RemoveRequest{Path: p, Recursive: op == "remove-r"})
	case "mkdir", "mkdir-p":
		return "", host.Mkdir(ctx, sdk.MkdirRequest{Path: p, Mode: 0o750, Parents: op == "mkdir-p"})
	case "symlink":
		return "", host.Symlink(ctx, sdk.SymlinkRequest{Path: p, Target: arg})
	case "copy":
		resp, err := host.Builtin(ctx, sdk.Request{Instruction: sdk.Instruction{Keyword: "COPY", Args: []string{p + " " + arg}}})
		return resp.History, err
	case "run":
		res, err := host.Run(ctx, sdk.RunRequest{Args: []string{"/bin/sh", "-c", p}, CaptureOutput: true, MaxOutput: 64})
		return fmt.Sprintf("exit=%d stdout=%q stderr=%q truncated=%v", res.ExitCode, res.Stdout, res.Stderr, res.Truncated), err
	}
	return "", fmt.Errorf("unknown op %q", op)
}

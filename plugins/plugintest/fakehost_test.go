package plugintest_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/hull-project/hull/plugins/plugintest"
	"github.com/hull-project/hull/plugins/sdk"
)

// TestFakeHost: the fake behaves as the core's Host does, errors included.
func TestFakeHost(t *testing.T) {
	ctx := context.Background()
	h := plugintest.NewFakeHost(map[string]string{"/etc/app/conf": "x=1\n"})
	check := func(what string, err, want error) {
		t.Helper()
		if want == nil && err != nil || want != nil && !errors.Is(err, want) {
			t.Errorf("%s: err = %v, want %v", what, err, want)
		}
	}
	fi, err := h.Stat(ctx, "/etc/app/conf")
	check("stat", err, nil)
	if fi.Name != "conf" || fi.Size != 4 || fi.Mode != 0o644 || fi.IsDir() {
		t.Errorf("stat = %+v", fi)
	}
	_, err = h.Stat(ctx, "/nope")
	check("stat /nope", err, sdk.ErrNotFound)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stat /nope: %v is not fs.ErrNotExist", err)
	}
	_, err = h.Stat(ctx, "etc")
	check("stat of a relative path", err, sdk.ErrInvalid)
	_, err = h.ReadFile(ctx, "/etc")
	check("read a dir", err, sdk.ErrIsDir)
	_, err = h.ListDir(ctx, "/etc/app/conf")
	check("list a file", err, sdk.ErrNotDir)

	check("symlink", h.Symlink(ctx, sdk.SymlinkRequest{Path: "/etc/link", Target: "app/conf"}), nil)
	check("symlink again", h.Symlink(ctx, sdk.SymlinkRequest{Path: "/etc/link", Target: "x"}), sdk.ErrExist)
	check("symlink escaping", h.Symlink(ctx, sdk.SymlinkRequest{Path: "/up", Target: "../../../etc"}), nil)
	if b, ok := h.File("/up/app/conf"); !ok || string(b) != "x=1\n" {
		t.Errorf("../../../etc resolves inside the root: %q %v", b, ok)
	}
	fi, err = h.Lstat(ctx, "/etc/link")
	check("lstat", err, nil)
	if fi.Mode&fs.ModeSymlink == 0 || fi.LinkTarget != "app/conf" {
		t.Errorf("lstat = %+v", fi)
	}
	if b, err := h.ReadFile(ctx, "/etc/link"); err != nil || string(b) != "x=1\n" {
		t.Errorf("read through a link: %q %v", b, err)
	}
	ls, err := h.ListDir(ctx, "/etc")
	check("list", err, nil)
	if len(ls) != 2 || ls[0].Name != "app" || !ls[0].IsDir() || ls[1].Name != "link" {
		t.Errorf("list = %+v", ls)
	}

	check("mkdir", h.Mkdir(ctx, sdk.MkdirRequest{Path: "/etc/app"}), sdk.ErrExist)
	check("mkdir no parent", h.Mkdir(ctx, sdk.MkdirRequest{Path: "/a/b"}), sdk.ErrNotFound)
	check("mkdir -p", h.Mkdir(ctx, sdk.MkdirRequest{Path: "/a/b", Parents: true, Mode: 0o700}), nil)
	check("mkdir -p again", h.Mkdir(ctx, sdk.MkdirRequest{Path: "/a/b", Parents: true}), nil)
	check("mkdir -p under a file", h.Mkdir(ctx, sdk.MkdirRequest{Path: "/etc/app/conf/x", Parents: true}), sdk.ErrNotDir)
	if fi, _ := h.Stat(ctx, "/a/b"); !fi.IsDir() || fi.Mode.Perm() != 0o700 {
		t.Errorf("mkdir -p made %+v", fi)
	}

	check("remove non-empty", h.Remove(ctx, sdk.RemoveRequest{Path: "/etc"}), sdk.ErrNotEmpty)
	check("remove /", h.Remove(ctx, sdk.RemoveRequest{Path: "/", Recursive: true}), sdk.ErrInvalid)
	check("remove a link", h.Remove(ctx, sdk.RemoveRequest{Path: "/etc/link"}), nil)
	if _, ok := h.File("/etc/app/conf"); !ok {
		t.Errorf("removing a link removed its target")
	}
	check("remove -r", h.Remove(ctx, sdk.RemoveRequest{Path: "/etc", Recursive: true}), nil)
	_, err = h.Stat(ctx, "/etc/app/conf")
	check("stat after remove -r", err, sdk.ErrNotFound)

	h.RunFunc = func(_ context.Context, r sdk.RunRequest) (sdk.RunResult, error) {
		return sdk.RunResult{ExitCode: 3, Stdout: []byte(r.Args[0])}, nil
	}
	if res, err := h.Run(ctx, sdk.RunRequest{Args: []string{"true"}, CaptureOutput: true}); err != nil || res.ExitCode != 3 || string(res.Stdout) != "true" {
		t.Errorf("run = %+v, %v", res, err)
	}
	if len(h.Runs()) != 1 {
		t.Errorf("runs = %+v", h.Runs())
	}
	_, err = h.Builtin(ctx, sdk.Request{Instruction: sdk.Instruction{Keyword: "COPY"}})
	check("builtin without BuiltinFunc", err, errors.ErrUnsupported)
}

// probe makes every Host call and reports what it saw, error kinds
// included, in its History (no call the core refuses before the Host sees
// it, such as a relative path, which the recorder would not see remotely): the conformance suite then proves that the
// wire (the SDK's client, the core's server) carries each call, each
// result and each error kind unchanged.
type probe struct{}

func (probe) Info() sdk.Info {
	return sdk.Info{Name: "probe", Version: "1", Keywords: []string{"PROBE"}, Heredocs: true}
}

func (probe) CacheInputs(context.Context, sdk.Request) (sdk.CacheInputs, error) {
	return sdk.CacheInputs{Builtin: true, NoCache: true}, nil
}

func kindName(err error) string {
	for _, k := range []struct {
		err  error
		name string
	}{{sdk.ErrNotFound, "not-found"}, {sdk.ErrPermission, "permission"}, {sdk.ErrNotEmpty, "not-empty"},
		{sdk.ErrExist, "exists"}, {sdk.ErrNotDir, "not-a-directory"}, {sdk.ErrIsDir, "is-a-directory"},
		{sdk.ErrInvalid, "invalid"}, {sdk.ErrTooLarge, "too-large"}} {
		if errors.Is(err, k.err) {
			return k.name
		}
	}
	if err != nil {
		return "other"
	}
	return "ok"
}

func (probe) Execute(ctx context.Context, req sdk.Request, host sdk.Host) (sdk.Response, error) {
	var out []string
	note := func(what string, err error, detail ...any) {
		out = append(out, fmt.Sprintf("%s=%s%v", what, kindName(err), detail))
	}
	fi, err := host.Stat(ctx, "/etc/conf")
	note("stat", err, fi.Name, fi.Size, fi.Mode, fi.UID, fi.ModTime.Unix())
	_, err = host.Stat(ctx, "/nope")
	note("stat-missing", err)
	note("symlink", host.Symlink(ctx, sdk.SymlinkRequest{Path: "/etc/link", Target: "conf", Chown: "3:4"}))
	note("symlink-again", host.Symlink(ctx, sdk.SymlinkRequest{Path: "/etc/link", Target: "x"}))
	fi, err = host.Lstat(ctx, "/etc/link")
	note("lstat", err, fi.Mode, fi.LinkTarget, fi.UID, fi.GID)
	note("mkdir", host.Mkdir(ctx, sdk.MkdirRequest{Path: "/a/b", Parents: true, Mode: 0o700}))
	note("mkdir-exists", host.Mkdir(ctx, sdk.MkdirRequest{Path: "/a"}))
	note("mkdir-under-file", host.Mkdir(ctx, sdk.MkdirRequest{Path: "/etc/conf/x", Parents: true}))
	ents, err := host.ListDir(ctx, "/etc")
	names := []string{}
	for _, e := range ents {
		names = append(names, e.Name+":"+e.Mode.String())
	}
	note("listdir", err, names)
	_, err = host.ListDir(ctx, "/etc/conf")
	note("listdir-file", err)
	_, err = host.ReadFile(ctx, "/etc")
	note("read-dir", err)
	note("remove-nonempty", host.Remove(ctx, sdk.RemoveRequest{Path: "/a"}))
	note("remove-r", host.Remove(ctx, sdk.RemoveRequest{Path: "/a", Recursive: true}))
	res, err := host.Run(ctx, sdk.RunRequest{Args: []string{"echo"}, CaptureOutput: true, MaxOutput: 10})
	note("run", err, res.ExitCode, string(res.Stdout), string(res.Stderr), res.Truncated)
	resp, err := host.Builtin(ctx, sdk.Request{Instruction: sdk.Instruction{Keyword: "COPY", Args: []string{"a b"}}})
	note("builtin", err, resp.History)
	for _, h := range req.Instruction.Heredocs {
		body, err := sdk.ExpandHeredoc(h, req.Lookup)
		note("heredoc", err, body)
	}
	return sdk.Response{Config: req.Config, History: strings.Join(out, " ")}, nil
}

func TestHostCallsAcrossTheWire(t *testing.T) {
	newHost := func() sdk.Host {
		h := plugintest.NewFakeHost(map[string]string{"/etc/conf": "x=1\n"})
		h.RunFunc = func(context.Context, sdk.RunRequest) (sdk.RunResult, error) {
			return sdk.RunResult{ExitCode: 2, Stdout: []byte("out"), Stderr: []byte("err"), Truncated: true}, nil
		}
		h.BuiltinFunc = func(_ context.Context, req sdk.Request, _ sdk.Host) (sdk.Response, error) {
			if req.Instruction.Args[0] == "a b" {
				return sdk.Response{History: "COPY a b"}, nil
			}
			return sdk.Response{}, fmt.Errorf("builtin: %w", sdk.ErrNotDir)
		}
		return h
	}
	req := sdk.Request{Instruction: sdk.Instruction{Keyword: "PROBE",
		Heredocs: []sdk.Heredoc{{Name: "EOF", Content: "$A\n", Expand: true}, {Name: "RAW", Content: "$A\n"}}},
		BuildArgs: map[string]string{"A": "1"}}
	plugintest.Run(t, func() sdk.Handler { return probe{} }, newHost, plugintest.Case{Name: "every call", Request: req})

	// And what the probe saw is what the fake does.
	resp, err := probe{}.Execute(context.Background(), req, newHost())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"stat=ok[conf 4 -rw-r--r-- 0 1700000000]", "stat-missing=not-found[]",
		"symlink=ok[]", "symlink-again=exists[]", "lstat=ok[Lrwxrwxrwx conf 3 4]", "mkdir=ok[]", "mkdir-exists=exists[]",
		"mkdir-under-file=not-a-directory[]", "listdir=ok[[conf:-rw-r--r-- link:Lrwxrwxrwx]]", "listdir-file=not-a-directory[]",
		"read-dir=is-a-directory[]", "remove-nonempty=not-empty[]", "remove-r=ok[]", "run=ok[2 out err true]",
		"builtin=ok[COPY a b]", "heredoc=ok[1\n]", "heredoc=ok[$A\n]"} {
		if !strings.Contains(resp.History, want) {
			t.Errorf("probe lacks %q:\n%s", want, resp.History)
		}
	}
}

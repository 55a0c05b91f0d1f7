package plugintest_test

import (
	"context"
	"errors"
	"io/fs"
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

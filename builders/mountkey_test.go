package builders

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hull-project/hull/builders/dockerfile"

	"github.com/hull-project/hull/plugins/sdk"
)

// A plugin's cache key changes with its executable, not only with the
// version it declares.
func TestStepKeyCoversPluginBinary(t *testing.T) {
	b := &build{}
	st := &stageState{stageResult: &stageResult{key: "parent"}}
	req := sdk.Request{Instruction: sdk.Instruction{Keyword: "GREET", Args: []string{"hi"}}}
	key := func(h Handler) string {
		t.Helper()
		k, _, err := b.stepKey(context.Background(), st, h, req, sdk.CacheInputs{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	old := key(Handler{Plugin: "greet", Version: "1.0", SHA256: "aa"})
	if key(Handler{Plugin: "greet", Version: "1.0", SHA256: "bb"}) == old {
		t.Error("a plugin whose binary changed (same version) replays the old binary's steps")
	}
	if key(Handler{Plugin: "greet", Version: "1.0", SHA256: "aa"}) != old {
		t.Error("the same plugin gives another key")
	}
}

// Bind mounts are keyed by the content they show; a run binding anything
// the key does not cover is noticed.
func TestBindInputs(t *testing.T) {
	ctxDir := t.TempDir()
	write := func(body string) {
		if err := os.WriteFile(filepath.Join(ctxDir, "app.sh"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("echo one\n")
	b := &build{opts: Options{ContextDir: ctxDir}, env: Env{CacheDir: t.TempDir()}}
	b.df = mustParse(t, "FROM scratch\n")
	st := &stageState{stageResult: &stageResult{}, stage: &b.df.Stages[0]}
	st.args.set("SRC", "app.sh")
	ins := sdk.Instruction{Keyword: "RUN", Flags: []sdk.Flag{
		{Name: "mount", Value: "type=bind,source=$SRC,target=/app.sh"},
		{Name: "mount", Value: "type=cache,target=/cache"},
		{Name: "mount", Value: "type=secret,id=tok"},
	}}
	parts, keys, err := b.bindInputs(context.Background(), st, ins)
	if err != nil || len(parts) != 1 {
		t.Fatalf("bindInputs: %v, %v; want one part (the bind; cache and secret mounts are not keyed)", parts, err)
	}
	if !keys.covers([]sdk.RunMount{{Type: "bind", Source: "app.sh", Target: "/app.sh"}, {Type: "cache", Target: "/cache"}}) {
		t.Error("the keyed bind mount is not covered")
	}
	if keys.covers([]sdk.RunMount{{Type: "bind", Source: "other", Target: "/o"}}) ||
		keys.covers([]sdk.RunMount{{Type: "bind", From: "stage", Source: "app.sh", Target: "/o"}}) {
		t.Error("a bind mount the key does not cover passes")
	}
	b2 := &build{opts: b.opts, env: Env{CacheDir: t.TempDir()}, df: b.df}
	write("echo two\n")
	parts2, _, err := b2.bindInputs(context.Background(), st, ins)
	if err != nil || parts2[0] == parts[0] {
		t.Errorf("an edit of the bound file left its key part as it was: %v, %v", parts2, err)
	}
}

func mustParse(t *testing.T, text string) *dockerfile.Dockerfile {
	t.Helper()
	df, err := dockerfile.Parse(strings.NewReader(text), "Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	return df
}

package core

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hull-project/hull/plugins"
	"github.com/hull-project/hull/plugins/sdk"
)

// A built-in's cache inputs are answered in process, with no plugin
// process started: a rebuild whose steps all come from the cache starts
// none. The answer is the built-in handler's own.
func TestBuiltinCacheInputsStartNoProcess(t *testing.T) {
	set := &pluginSet{reg: plugins.NewRegistry(BuiltinHandlers(), nil), live: map[string]*plugins.Client{}}
	h, ok, err := set.handler("COPY")
	if err != nil || !ok {
		t.Fatalf("handler(COPY) = %v, %v", ok, err)
	}
	if _, isClient := h.Handler.(*plugins.Client); isClient {
		t.Fatal("a built-in handler is a plugin client before anything executes")
	}
	req := sdk.Request{Instruction: sdk.Instruction{Keyword: "COPY", Args: []string{"src/", "/app/"},
		Original: "COPY src/ /app/", File: "Dockerfile", Line: 3}}
	got, err := h.CacheInputs(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	want, err := BuiltinHandlers()[h.Plugin].CacheInputs(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.ContextPaths, "\x00") != strings.Join(want.ContextPaths, "\x00") ||
		strings.Join(got.Extra, "\x00") != strings.Join(want.Extra, "\x00") || len(got.ContextPaths) == 0 {
		t.Fatalf("cache inputs %+v, want the built-in's %+v", got, want)
	}
	if len(set.live) != 0 {
		t.Fatalf("cache inputs started %d plugin processes", len(set.live))
	}

	// A handler's error reads as the plugin process's would.
	req.Instruction.Keyword = "NOPE"
	_, err = h.CacheInputs(context.Background(), req)
	var pe *plugins.Error
	if !errors.As(err, &pe) || !pe.Handler || pe.Where != "Dockerfile:3" || pe.Op != "cache inputs" {
		t.Fatalf("error %v (%#v), want a handler's plugins.Error at Dockerfile:3", err, pe)
	}

	// After the build the set starts nothing more.
	set.close()
	if _, err := set.client(plugins.Entry{Builtin: "x", Info: sdk.Info{Name: "x"}}); err == nil {
		t.Fatal("a closed plugin set started a plugin")
	}
}

// A ReplayOnly build (the default hull's attempt) starts no plugin: a
// built-in still answers its cache inputs in process, but its Execute and
// any external plugin fail with plugins.ErrNeedsFullBinary, and the set
// holds no process.
func TestPluginSetNoStart(t *testing.T) {
	reg := plugins.NewRegistry(BuiltinHandlers(), []plugins.Found{{Path: "/nonexistent/tpl", SHA256: strings.Repeat("0", 64),
		Info: sdk.Info{Name: "tpl", Version: "1", Keywords: []string{"TEMPLATE"}}}})
	set := &pluginSet{reg: reg, opts: PluginOptions{NoStart: true}, live: map[string]*plugins.Client{}}
	defer set.close()
	h, ok, err := set.handler("RUN")
	if err != nil || !ok {
		t.Fatalf("handler(RUN) = %v, %v", ok, err)
	}
	req := sdk.Request{Instruction: sdk.Instruction{Keyword: "RUN", Args: []string{"true"}, Original: "RUN true"}}
	if _, err := h.CacheInputs(context.Background(), req); err != nil {
		t.Fatalf("cache inputs of a built-in with NoStart: %v", err)
	}
	if _, err := h.Execute(context.Background(), req, sdk.UnimplementedHost{}); !errors.Is(err, plugins.ErrNeedsFullBinary) {
		t.Fatalf("Execute with NoStart: %v, want ErrNeedsFullBinary", err)
	}
	if _, _, err := set.handler("TEMPLATE"); !errors.Is(err, plugins.ErrNeedsFullBinary) {
		t.Fatalf("an external plugin with NoStart: %v, want ErrNeedsFullBinary", err)
	}
	if len(set.live) != 0 {
		t.Fatalf("NoStart started %d plugin processes", len(set.live))
	}
}
